"""Our Inception features and FID against pytorch-fid itself, on the same random weights.

pytorch-fid needs torchvision, which does not import beside our CPU torch, so it
runs in a separate virtual environment (``$MAMMOSTUDIO_FID_REFENV``, default
``.refenv`` beside the checkout) made with::

    python -m venv .refenv
    .refenv/bin/pip install torch==2.14.1 torchvision==0.29.1 pytorch-fid scipy

The test is skipped, with that reason, when the environment is absent.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from trainers.metrics import extract_features, frechet_distance_features, load_backbone
from trainers.metrics.inception import random_state_dict

pytestmark = [pytest.mark.reference, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
REFENV = Path(os.environ.get("MAMMOSTUDIO_FID_REFENV", REPO.parent / ".refenv"))
REF_PYTHON = REFENV / "bin" / "python"

# Runs inside the reference environment: pytorch-fid's InceptionV3 with our weight
# file in place of the download, fed exactly as its data loader feeds it
# (PIL image -> RGB -> to_tensor), and its own Fréchet distance (scipy sqrtm).
REFERENCE_SCRIPT = r"""
import json, sys
import numpy as np, torch
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image
from pytorch_fid import inception as pi
from pytorch_fid.fid_score import calculate_frechet_distance

layout, weights, images_path, n_real, out = sys.argv[1:6]
state = torch.load(weights, map_location="cpu", weights_only=True)
if layout == "fid":
    pi.load_state_dict_from_url = lambda *a, **k: state
    model = pi.InceptionV3([3], use_fid_inception=True)
else:
    def with_our_weights(*args, **kwargs):
        net = torchvision.models.inception_v3(weights=None, aux_logits=True, init_weights=False)
        net.load_state_dict(state)
        return net
    pi._inception_v3 = with_our_weights
    model = pi.InceptionV3([3], use_fid_inception=False)
model.eval()
images = np.load(images_path)
batch = torch.stack([TF.to_tensor(Image.fromarray(im).convert("RGB")) for im in images])
with torch.no_grad():
    feats = model(batch)[0].squeeze(3).squeeze(2).numpy()
np.save(out + ".npy", feats)
k = int(n_real)
a, b = feats[:k].astype(np.float64), feats[k:].astype(np.float64)
fid = calculate_frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
json.dump({"fid": float(fid), "torch": torch.__version__, "torchvision": torchvision.__version__}, open(out + ".json", "w"))
"""


def _run_reference(tmp_path: Path, layout: str, weights: Path, images: np.ndarray, n_real: int):
    script = tmp_path / "reference_fid.py"
    script.write_text(REFERENCE_SCRIPT)
    np.save(tmp_path / "images.npy", images)
    out = tmp_path / f"ref_{layout}"
    env = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(
        [str(REF_PYTHON), str(script), layout, str(weights), str(tmp_path / "images.npy"), str(n_real), str(out)],
        capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return np.load(f"{out}.npy"), json.loads(Path(f"{out}.json").read_text())


@pytest.mark.skipif(not REF_PYTHON.is_file(), reason=f"reference environment with pytorch-fid not found at {REFENV} "
                    "(see this file's docstring to create it)")
@pytest.mark.parametrize("kind, layout", [("standard", "fid"), ("authors", "torchvision")])
def test_features_and_fid_match_pytorch_fid_on_same_random_weights(tmp_path, kind, layout):
    weights = tmp_path / f"random_{layout}.pth"
    torch.save(random_state_dict(layout, seed=3, random_bn=True), weights)
    rng = np.random.default_rng(7)
    # 5 real + 5 fake grey patches of 64 x 64: smooth blobs plus noise, two populations.
    yy, xx = np.mgrid[:64, :64]
    blobs = [np.exp(-((yy - rng.uniform(16, 48)) ** 2 + (xx - rng.uniform(16, 48)) ** 2) / rng.uniform(50, 300))
             for _ in range(10)]
    images = np.stack([np.clip(200 * b + rng.normal(30 + 20 * (i >= 5), 12, b.shape), 0, 255)
                       for i, b in enumerate(blobs)]).astype(np.uint8)
    backbone = load_backbone(kind, weights, verify=False)
    ours = extract_features(images, backbone, batch_size=4)
    ref, info = _run_reference(tmp_path, layout, weights, images, 5)
    max_abs = float(np.abs(ours - ref).max())
    scale = float(np.abs(ref).max())
    our_fid = frechet_distance_features(ours[:5], ours[5:])
    # Our distance on pytorch-fid's own features separates the formula from the network.
    formula_fid = frechet_distance_features(ref[:5], ref[5:])
    print(f"\n[{kind}] pytorch-fid (torch {info['torch']}, torchvision {info['torchvision']}): "
          f"max |feature diff| {max_abs:.3g} (max |feature| {scale:.3g}); "
          f"FID ours {our_fid:.6f} vs pytorch-fid {info['fid']:.6f}, diff {our_fid - info['fid']:.3g}; "
          f"our formula on their features {formula_fid:.6f}")
    assert max_abs <= 1e-4 * scale
    assert our_fid == pytest.approx(info["fid"], rel=1e-4)

