"""A tiny patch dataset for the experiment tests: 48 lesion (42 masses) and 420 tissue 16 x 16 PNGs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mammostudio.core.images import write_png


def write_patch_folder(d: Path) -> Path:
    """Lesions brighter than tissue, 16 lesion and 24 tissue patients; every 8th lesion a calcification,
    every 12th a combined ``mass+calcification``."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(48):
        write_png(d / f"lesion/l{i}.png", np.clip(rng.normal(160, 25, (16, 16)), 0, 255).astype(np.uint8))
        kind = "calcification" if i % 8 == 0 else "mass+calcification" if i % 12 == 1 else "mass"
        rows.append({"patch_id": f"l{i}", "kind": "lesion", "file": f"lesion/l{i}.png",
                     "patient_id": f"p{i % 16}", "lesion_type": kind})
    for i in range(420):
        write_png(d / f"tissue/t{i}.png", np.clip(rng.normal(90, 25, (16, 16)), 0, 255).astype(np.uint8))
        rows.append({"patch_id": f"t{i}", "kind": "tissue", "file": f"tissue/t{i}.png",
                     "patient_id": f"p{i % 24}", "lesion_type": ""})
    pd.DataFrame(rows).to_csv(d / "index.csv", index=False)
    return d
