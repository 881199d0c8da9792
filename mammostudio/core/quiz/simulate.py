"""Tiny fakes for tests, demos and sizing: synthetic image sets and simulated readers.

A simulated reader is told the truth of each case by the examiner's side of the
store and answers by a policy: ``random`` (coin flips, random confidence),
``perfect`` (always right, most confident), ``says_real`` (always answers real:
a maximally conservative criterion), or ``skill:<p>`` (right with probability p,
confidence higher when right). It goes through the same
:class:`~.store.ReadingSession` calls as the reading screen, so every answer is
committed the same way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .design import ImageSet
from .store import ReadingSession

__all__ = ["synthetic_sets", "simulate_reader"]


def synthetic_sets(rng: np.random.Generator, *, n_real: int = 40, n_generated: int = 40, size: int = 16,
                   generators: int = 1) -> tuple[ImageSet, list[ImageSet]]:
    """Real-looking blobs with lesion metadata, and noisier 'generated' blobs.

    Returns
    -------
    real : ImageSet
        uint8 (n_real, size, size); meta with origin (``PATIENT-<k>/...``: a fake
        identifier, to test that exports never contain it), lesion_type, status.
    generated : list of ImageSet
        ``generators`` sets named ``G1``, ``G2``, ... of n_generated images each.
    """
    yy, xx = np.mgrid[:size, :size]

    def blobs(n: int, noise: float) -> np.ndarray:
        cy, cx = rng.uniform(size * 0.3, size * 0.7, (2, n))
        r = rng.uniform(size * 0.15, size * 0.3, n)
        d2 = (yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2
        img = 60 + 140 * np.exp(-d2 / (2 * r[:, None, None] ** 2)) + rng.normal(0, noise, (n, size, size))
        return np.clip(img, 0, 255).astype(np.uint8)

    meta = pd.DataFrame({
        "origin": [f"PATIENT-{1000 + i}/lesion_{i:03d}.png" for i in range(n_real)],
        "lesion_type": rng.choice(["mass", "calcification"], n_real),
        "status": rng.choice(["B2", "B3", "B5"], n_real),
    })
    real = ImageSet("real", blobs(n_real, 6.0), meta)
    gens = [ImageSet(f"G{j + 1}", blobs(n_generated, 12.0)) for j in range(generators)]
    return real, gens


def _policy_answer(policy: str, truth: str, options: tuple[str, str], levels: int, rng: np.random.Generator):
    wrong = options[1] if truth == options[0] else options[0]
    top = max(levels, 1)
    if policy == "random":
        return options[int(rng.integers(2))], int(rng.integers(1, top + 1))
    if policy == "perfect":
        return truth, top
    if policy == "says_real":
        return "real", top
    if policy.startswith("skill:"):
        p = float(policy.split(":", 1)[1])
        right = rng.random() < p
        conf = int(rng.integers(max(1, top // 2), top + 1)) if right else int(rng.integers(1, max(1, top // 2) + 1))
        return (truth if right else wrong), conf
    raise ValueError(f"unknown reader policy {policy!r}")


def simulate_reader(session: ReadingSession, policy: str, rng: np.random.Generator, *,
                    max_cases: int | None = None) -> int:
    """Answer up to ``max_cases`` cases of a session by ``policy``; returns how many were answered."""
    options = ("left", "right") if session.config.task == "2afc" else ("real", "generated")
    if policy == "says_real" and session.config.task == "2afc":
        raise ValueError("'says_real' applies to single-image studies")
    levels = session.config.confidence_levels
    done = 0
    while max_cases is None or done < max_cases:
        view = session.next_case()
        if view is None:
            break
        truth = session._truth_for_simulation(view.position)
        answer, conf = _policy_answer(policy, truth, options, levels, rng)
        session.record(answer, conf if levels else None, rt_ms=float(rng.uniform(800, 4000)))
        done += 1
    return done
