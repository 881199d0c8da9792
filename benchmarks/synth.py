"""CPU time of one full-size synthetic mammogram (2048 x 1664 MLO with a spiculated mass and calcifications).

The demo build makes 64 of them; the figure that used to be a test limit (median
under 0.8 s of CPU, about 0.25 s on an idle core) is printed here.

    python benchmarks/synth.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mammostudio.core.demo.synth import synthesize_mammogram  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    times = []
    for seed in range(args.repeats):
        start = time.process_time()
        synthesize_mammogram(seed, view="MLO", lesions=["spiculated", "calcification"])
        times.append(time.process_time() - start)
    print(f"full-size synthetic mammogram: median {statistics.median(times):.3f} s of CPU "
          f"(min {min(times):.3f}, max {max(times):.3f}; goal < 0.8 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
