"""FID cost on this machine: our exact trace term against scipy's sqrtm, and Inception throughput.

Part 1, at 2048 dimensions and N images per side (default 2000): Inception-like
features (ReLU of correlated Gaussians), float64 statistics, then

* scipy:  ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 sqrtm(S1 S2)) (pytorch-fid's formula),
* ours, covariance route: eigenvalues of S1^1/2 S2 S1^1/2 (what the CLI and the
  training callback use when only statistics are cached),
* ours, feature route: singular values of the scaled cross-product of the
  centred feature matrices (used when N * M < d^2),

printing each time, the ratio scipy / ours and the FID differences.

Part 2: Inception-v3 feature throughput (images/s, 128 x 128 uint8 patches in,
resize to 299 included) with the FID layout and seeded random weights (the
same arithmetic as the real weights), channels-last and not.

    python benchmarks/fid.py                 # N = 2000, 2048 dims, 64 images
    python benchmarks/fid.py --n 500 --images 16      # quicker
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainers.metrics.fid import frechet_distance, frechet_distance_features, statistics  # noqa: E402


def timed(fn, *args):
    start = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - start


def scipy_fid(s1, s2) -> float:
    """pytorch-fid's calculate_frechet_distance, in short (sqrtm, offset retry, real part)."""
    import scipy.linalg

    covmean = scipy.linalg.sqrtm(s1.sigma @ s2.sigma)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(s1.sigma)) * 1e-6
        covmean = scipy.linalg.sqrtm((s1.sigma + offset) @ (s2.sigma + offset))
    diff = s1.mu - s2.mu
    return float(diff @ diff + np.trace(s1.sigma) + np.trace(s2.sigma) - 2 * np.trace(covmean).real)


def inception_like(rng, n, d, mix, shift):
    """ReLU of correlated Gaussians: non-negative, correlated, like pool features."""
    return np.maximum(rng.standard_normal((n, d)) @ mix + shift, 0.0)


def distance_part(n: int, d: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    a = inception_like(rng, n, d, mix, 0.2)
    b = inception_like(rng, n, d, mix * 1.1, 0.25)
    (s1, s2), t_stats = timed(lambda: (statistics(a), statistics(b)))
    print(f"features: 2 x ({n}, {d}) float64; statistics (mean + covariance, both sides): {t_stats:.2f} s")
    ref, t_scipy = timed(scipy_fid, s1, s2)
    ours_cov, t_cov = timed(frechet_distance, s1.mu, s1.sigma, s2.mu, s2.sigma)
    ours_feat, t_feat = timed(frechet_distance_features, a, b)
    print(f"scipy sqrtm formula          : FID {ref:.6f}   {t_scipy:7.2f} s")
    print(f"ours, eigenvalues (from stats): FID {ours_cov:.6f}   {t_cov:7.2f} s   "
          f"scipy/ours {t_scipy / t_cov:5.1f}x   diff {ours_cov - ref:+.2e} (rel {abs(ours_cov - ref) / ref:.1e})")
    route = "singular values" if n * n < d * d else "covariances (N*M >= d^2)"
    print(f"ours, from features ({route}): FID {ours_feat:.6f}   {t_feat:7.2f} s   "
          f"(includes its own centring)   diff {ours_feat - ref:+.2e} (rel {abs(ours_feat - ref) / ref:.1e})")
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    f32 = frechet_distance(a32.mean(0), np.cov(a32, rowvar=False, dtype=np.float32),
                           b32.mean(0), np.cov(b32, rowvar=False, dtype=np.float32))
    print(f"(statistics accumulated in float32 instead: FID {f32:.6f}, rel change {(f32 - ours_cov) / ours_cov:+.1e})")


def throughput_part(images: int, batch_size: int) -> None:
    import torch

    from trainers.metrics import extract_features, load_backbone

    rng = np.random.default_rng(0)
    patches = rng.integers(0, 256, (images, 128, 128), dtype=np.uint8)
    print(f"\nInception-v3 (FID layout, random weights), {images} patches 128x128 -> 299, batch {batch_size}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for channels_last in (True, False):
        bb = load_backbone("random", channels_last=channels_last)
        extract_features(patches[:2], bb, batch_size)  # warm-up
        _, t = timed(extract_features, patches, bb, batch_size)
        print(f"  channels_last={channels_last!s:5}: {images / t:6.1f} images/s  ({t:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="feature vectors per side")
    parser.add_argument("--dims", type=int, default=2048)
    parser.add_argument("--images", type=int, default=64, help="patches for the throughput part (0: skip)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS and torch threads (default: the libraries'; 1 is steadier on a busy machine)")
    args = parser.parse_args()
    import os

    import threadpoolctl
    import torch

    if args.threads:
        threadpoolctl.threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)
    blas = threadpoolctl.threadpool_info()
    libs = ", ".join(f"{b['internal_api']} {b['version']} x{b['num_threads']}" for b in blas)
    print(f"BLAS: {libs}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    distance_part(args.n, args.dims, args.seed)
    if args.images:
        throughput_part(args.images, args.batch_size)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
