"""Small DICOM files whose pixel data is broken in each way issue 13 names."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom

from mammostudio.core.dicom import write_dicom

BROKEN = ("truncated", "short_data", "rgb", "huge_native", "huge_rle")


def _meta(i: int) -> dict:
    return {"image_id": f"1.2.826.0.1.3680043.9.7.13.{i}", "patient_id": f"pz{i}", "study_id": f"1.2.826.0.1.99.{i}",
            "laterality": "L", "view": "CC"}


def write_broken(folder: Path, kind: str, i: int = 1) -> Path:
    """Write one broken file named ``<kind>.dcm`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pixels = (np.arange(40 * 32).reshape(40, 32) % 4000).astype(np.uint16)
    path = folder / f"{kind}.dcm"
    if kind == "truncated":
        data = write_dicom(path, pixels, _meta(i)).read_bytes()
        path.write_bytes(data[:-700])
    elif kind == "short_data":  # Rows x Columns larger than the data
        write_dicom(path, pixels, _meta(i))
        ds = pydicom.dcmread(path)
        ds.Rows = 400
        ds.save_as(path)
    elif kind == "rgb":
        write_dicom(path, pixels, _meta(i))
        ds = pydicom.dcmread(path)
        ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
        ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
        ds.PixelData = np.zeros((40, 32, 3), np.uint8).tobytes()
        ds.save_as(path)
    elif kind in ("huge_native", "huge_rle"):
        write_dicom(path, pixels, _meta(i), compress="rle" if kind == "huge_rle" else None)
        ds = pydicom.dcmread(path)
        ds.Rows, ds.Columns = 65535, 65535
        ds.save_as(path)
    else:
        raise ValueError(kind)
    return path
