"""Shared DICOM test inputs: a full metadata dict and a small 12-bit image."""
from pathlib import Path

import numpy as np
import pydicom

PYDICOM_FILES = Path(pydicom.__file__).parent / "data" / "test_files"

META = {
    "image_id": "1.2.826.0.1.3680043.9.7.1.1",
    "patient_id": "demo-0001",
    "patient_name": "Zoë^Test",
    "study_id": "1.2.826.0.1.3680043.9.7.1",
    "series_id": "1.2.826.0.1.3680043.9.7.1.2",
    "laterality": "L",
    "view": "MLO",
    "manufacturer": "HOLOGIC, Inc.",
    "model_name": "Lorad Selenia",
    "tube_current_ma": 100,
    "magnification": 1.073,
    "for_presentation": True,
    "pixel_spacing_mm": 0.07,
    "window_center": 2047,
    "window_width": 4096,
}


def sample_pixels() -> np.ndarray:
    """A reproducible (40, 32) 12-bit image."""
    rng = np.random.default_rng(7)
    return rng.integers(0, 4096, size=(40, 32), dtype=np.uint16)
