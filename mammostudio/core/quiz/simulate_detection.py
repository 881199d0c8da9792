"""Tiny fakes for detection studies: a synthetic catalog and simulated readers.

:func:`synthetic_detection_catalog` writes small PNG "mammograms" (a bright blob per lesion
on a noisy background) with a catalog whose lesions table carries the ``simulated``
column, as ``mammostudio simulate`` writes it. :func:`simulate_detection_reader` reads a
detection session through the same calls as the reading screen:

- ``perfect``: one mark at each lesion's centre rated K, no other marks;
- ``random``: 0-2 marks at random places with random ratings;
- ``skill:<p>``: finds each lesion with probability p (rating K/2..K), plus one false
  mark with probability 1 - p (rating 1..K/2).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..images import write_png
from .detect_session import DetectionSession

__all__ = ["synthetic_detection_catalog", "simulate_detection_reader"]


def synthetic_detection_catalog(folder: str | Path, rng: np.random.Generator, *, n_normal: int = 6,
                                n_abnormal: int = 6, shape: tuple[int, int] = (160, 128),
                                spacing_mm: float = 0.5) -> Catalog:
    """Write ``n_normal + n_abnormal`` PNG images and return their catalog.

    Abnormal images hold one or two lesions (boxes about 12-20 pixels); every other
    lesion is flagged ``simulated``. Patient ids are ``PATIENT-<k>`` (fake identifiers,
    so tests can check that exports never contain them).
    """
    folder = Path(folder)
    rows, cols = shape
    yy, xx = np.mgrid[:rows, :cols]
    images, lesions, k = [], [], 0
    for i in range(n_normal + n_abnormal):
        img = rng.normal(70, 12, shape)
        boxes = []
        if i >= n_normal:
            for _ in range(1 + int(rng.random() < 0.4)):
                h = int(rng.integers(12, 21))
                r0, c0 = int(rng.integers(5, rows - h - 5)), int(rng.integers(5, cols - h - 5))
                cr, cc = r0 + h / 2, c0 + h / 2
                img += 110 * np.exp(-((yy - cr) ** 2 + (xx - cc) ** 2) / (2 * (h / 4) ** 2))
                boxes.append((r0, c0, r0 + h - 1, c0 + h - 1))
        image_id = f"IMG{i:03d}"
        path = write_png(folder / f"PATIENT-{1000 + i}" / f"{image_id}.png", np.clip(img, 0, 255).astype(np.uint8))
        images.append({"image_id": image_id, "patient_id": f"PATIENT-{1000 + i}", "study_id": f"S{i:03d}",
                       "path": str(path), "format": "png", "laterality": "LR"[i % 2], "view": "CC",
                       "rows": rows, "cols": cols, "pixel_spacing_mm": spacing_mm})
        for j, (r0, c0, r1, c1) in enumerate(boxes):
            lesions.append({"lesion_uid": f"{image_id}:{j + 1}", "image_id": image_id, "lesion_id": str(j + 1),
                            "row_min": r0, "col_min": c0, "row_max": r1, "col_max": c1, "status": "B5",
                            "lesion_type": "mass", "source": "synthetic", "_sim": k % 2 == 0})
            k += 1
    lesion_df = pd.DataFrame(lesions)
    cat = Catalog(pd.DataFrame(images), lesion_df.drop(columns="_sim"), folder, "workbook")
    cat.lesions["simulated"] = lesion_df["_sim"].to_numpy(bool)
    return cat


def simulate_detection_reader(session: DetectionSession, policy: str, rng: np.random.Generator, *,
                              max_cases: int | None = None) -> int:
    """Read up to ``max_cases`` cases of a detection session by ``policy``; returns how many."""
    top = session.config.confidence_levels
    done = 0
    while max_cases is None or done < max_cases:
        view = session.next_case()
        if view is None:
            break
        outlines = session._truth_for_simulation(view.position)
        sizes = {v.image_key: (v.pixels.shape[0] * v.scale, v.pixels.shape[1] * v.scale) for v in view.views}
        keys = list(sizes)
        first = {}
        for o in outlines:
            first.setdefault(o.lesion_no, o)
        if policy == "perfect":
            for o in first.values():
                session.add_mark(o.image_key, (o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2, top)
        elif policy == "random":
            for _ in range(int(rng.integers(0, 3))):
                key = keys[int(rng.integers(len(keys)))]
                r, c = rng.uniform(0, sizes[key][0]), rng.uniform(0, sizes[key][1])
                session.add_mark(key, r, c, int(rng.integers(1, top + 1)))
        elif policy.startswith("skill:"):
            p = float(policy.split(":", 1)[1])
            for o in first.values():
                if rng.random() < p:
                    session.add_mark(o.image_key, (o.box[0] + o.box[2]) / 2, (o.box[1] + o.box[3]) / 2,
                                     int(rng.integers(max(1, top // 2), top + 1)))
            if rng.random() > p:
                key = keys[int(rng.integers(len(keys)))]
                session.add_mark(key, rng.uniform(0, sizes[key][0]), rng.uniform(0, sizes[key][1]),
                                 int(rng.integers(1, max(1, top // 2) + 1)))
        else:
            raise ValueError(f"unknown reader policy {policy!r}")
        session.finish_case(rt_ms=float(rng.uniform(3000, 20000)))
        done += 1
    return done
