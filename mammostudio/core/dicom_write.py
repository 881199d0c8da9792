"""Writing DICOM mammograms (the demo dataset, test fixtures, exports).

:func:`write_dicom` writes a Digital Mammography X-Ray Image (Modality MG) with
the acquisition tags the filter of spec 1.3 reads, atomically. Import it from
:mod:`mammostudio.core.dicom`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    PYDICOM_IMPLEMENTATION_UID,
    RLELossless,
    generate_uid,
)

from .atomic import atomic_path

__all__ = ["write_dicom", "MG_FOR_PRESENTATION", "MG_FOR_PROCESSING"]

MG_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.2"
MG_FOR_PROCESSING = "1.2.840.10008.5.1.4.1.1.1.2.1"
_COMPRESSION = {None: ExplicitVRLittleEndian, "rle": RLELossless, "jpeg2000": JPEG2000Lossless}
# SNOMED CT codes of the two screening views (View Code Sequence, required for MG).
_VIEW_SNOMED = {"CC": ("399162004", "cranio-caudal"), "MLO": ("399368009", "medio-lateral oblique")}


def _given(meta: Mapping[str, Any], key: str) -> Any:
    """``meta[key]``, or None when absent, None, NaN, pandas NA or blank text."""
    value = meta.get(key)
    if value is None or value is pd.NA or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    return value


def _uid(meta: Mapping[str, Any], key: str) -> str:
    value = str(_given(meta, key) or "").strip()
    if not value:
        return generate_uid()
    if len(value) > 64 or not all(part.isdigit() for part in value.split(".")):
        raise ValueError(f"meta[{key!r}] must be a DICOM UID (digits and dots, <= 64 chars), got {value!r}")
    return value


def _ds_number(value: float) -> str:
    """Format a number for a DS element (at most 16 characters)."""
    text = f"{float(value):.10g}"
    return text if len(text) <= 16 else f"{float(value):.8g}"


def write_dicom(
    path: str | os.PathLike,
    pixels: np.ndarray,
    meta: Mapping[str, Any] | None = None,
    *,
    photometric: str | None = None,
    compress: str | None = None,
) -> Path:
    """Write a (rows, cols) image as an MG DICOM file, atomically.

    Parameters
    ----------
    path : path-like
        Destination (parent folders are created).
    pixels : numpy.ndarray, (rows, cols), unsigned integer
        Bright = dense values. With ``photometric='MONOCHROME1'`` the file stores
        ``2**bits_stored - 1 - pixels`` so that a reader that inverts
        MONOCHROME1 (as :func:`read_pixels` does) gets ``pixels`` back. These are
        *stored* values: any rescale given in ``meta`` applies on reading.
    meta : mapping, optional
        Keys as :func:`read_header` returns them (image_id, patient_id, study_id,
        series_id, laterality, view, manufacturer, model_name, tube_current_ma,
        magnification, for_presentation, pixel_spacing_mm, photometric; rows
        and cols are ignored) plus patient_name,
        study_date ('YYYYMMDD'), window_center, window_width, voi_function,
        patient_orientation (e.g. 'A\\R': rows run towards the nipple, columns
        towards the patient's right; empty when not given)
        ('LINEAR', 'LINEAR_EXACT', 'SIGMOID'), rescale_slope, rescale_intercept,
        bits_stored, kvp, instance_number, series_description. None, NaN, pandas NA and blank text
        count as absent, so a catalog row can be passed as is. UIDs missing from ``meta`` are generated (randomly:
        pass them for a deterministic file). ``for_presentation`` defaults to
        True and picks the SOP class (For Presentation / For Processing).
    photometric : {'MONOCHROME2', 'MONOCHROME1'}, optional
        Defaults to ``meta['photometric']``, else 'MONOCHROME2'.
    compress : {None, 'rle', 'jpeg2000'}
        None writes uncompressed explicit VR little endian; 'rle' RLE Lossless
        (pydicom's own encoder); 'jpeg2000' JPEG 2000 lossless (pylibjpeg-openjpeg).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        Bad shape, dtype, values above ``bits_stored``, unknown options, or a
        meta UID that is not a DICOM UID.
    """
    meta = {k: v for k, v in dict(meta if meta is not None else {}).items() if _given({k: v}, k) is not None}
    photometric = photometric or str(meta.get("photometric") or "MONOCHROME2").upper()
    pixels = np.asarray(pixels)
    if pixels.ndim != 2:
        raise ValueError(f"pixels must be 2-D (rows, cols), got shape {pixels.shape}")
    if pixels.dtype.kind not in "ui" or (pixels.dtype.kind == "i" and pixels.size and pixels.min() < 0):
        raise ValueError(f"pixels must be non-negative integers, got dtype {pixels.dtype}")
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(f"photometric must be 'MONOCHROME1' or 'MONOCHROME2', got {photometric!r}")
    if compress not in _COMPRESSION:
        raise ValueError(f"compress must be None, 'rle' or 'jpeg2000', got {compress!r}")
    peak = int(pixels.max()) if pixels.size else 0
    bits = int(meta.get("bits_stored") or (12 if peak < 4096 else 16))
    if not 1 <= bits <= 16:
        raise ValueError(f"meta['bits_stored'] must be in 1..16, got {bits}")
    if peak >= 2**bits:
        raise ValueError(f"pixel value {peak} does not fit in bits_stored={bits}")
    stored = pixels.astype(np.uint16)
    if photometric == "MONOCHROME1":
        stored = (2**bits - 1 - stored).astype(np.uint16)

    # RLE of 8-bit data: pydicom's encoder sizes its byte segments by BitsStored, so
    # 8 bits in a 16-bit word would decode to half the data; store them in 8 bits.
    allocated = 8 if compress == "rle" and bits <= 8 else 16
    word = "u1" if allocated == 8 else "<u2"
    ds = _build_dataset(meta, photometric, bits, stored.shape, allocated=allocated)
    syntax = _COMPRESSION[compress]
    ds.file_meta.TransferSyntaxUID = syntax
    stored = stored.astype(word)
    if compress is None:
        ds.PixelData = np.ascontiguousarray(stored).tobytes()
    else:
        ds.PixelData = stored.tobytes()  # compress() re-encodes from the array
        try:
            ds.compress(syntax, stored, generate_instance_uid=False)
        except (RuntimeError, ImportError, NotImplementedError) as exc:
            raise ValueError(f"cannot encode {syntax.name} here: {exc}") from exc
    with atomic_path(path) as tmp:
        ds.save_as(tmp, enforce_file_format=True)
    return Path(path)


def _build_dataset(meta: dict, photometric: str, bits: int, shape: tuple[int, int], *,
                   allocated: int = 16) -> Dataset:
    for_presentation = meta.get("for_presentation")
    for_presentation = True if for_presentation is None else bool(for_presentation)
    sop_class = MG_FOR_PRESENTATION if for_presentation else MG_FOR_PROCESSING
    sop_uid = _uid(meta, "image_id")

    fm = FileMetaDataset()
    fm.MediaStorageSOPClassUID = sop_class
    fm.MediaStorageSOPInstanceUID = sop_uid
    fm.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = fm
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8: non-ASCII names survive
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.Modality = "MG"
    ds.PresentationIntentType = "FOR PRESENTATION" if for_presentation else "FOR PROCESSING"
    # Patient / study / series
    ds.PatientName = str(meta.get("patient_name") or meta.get("patient_id") or "")
    ds.PatientID = str(meta.get("patient_id") or "")
    ds.PatientBirthDate = ""
    ds.PatientSex = "F"
    ds.StudyInstanceUID = _uid(meta, "study_id")
    ds.SeriesInstanceUID = _uid(meta, "series_id")
    ds.StudyDate = str(meta.get("study_date") or "")
    ds.StudyTime = ""
    ds.StudyID = ""
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.SeriesNumber = 1
    if meta.get("series_description"):
        ds.SeriesDescription = str(meta["series_description"])
    ds.InstanceNumber = int(meta.get("instance_number") or 1)
    # Equipment and acquisition (spec 1.3)
    ds.Manufacturer = str(meta.get("manufacturer") or "")
    ds.ManufacturerModelName = str(meta.get("model_name") or "")
    ds.BodyPartExamined = "BREAST"
    ds.DetectorType = "DIRECT"
    if meta.get("kvp") is not None:
        ds.KVP = _ds_number(meta["kvp"])
    current = meta.get("tube_current_ma")
    if current is not None and np.isfinite(float(current)):
        ds.XRayTubeCurrent = int(round(float(current)))
        if not float(current).is_integer():
            ds.XRayTubeCurrentInmA = float(current)  # (0018,9330) keeps the fraction
    if meta.get("magnification") is not None:
        ds.EstimatedRadiographicMagnificationFactor = _ds_number(meta["magnification"])
    # Breast, view
    laterality = str(meta.get("laterality") or "").upper()
    ds.ImageLaterality = laterality if laterality in ("L", "R") else ""
    ds.Laterality = ds.ImageLaterality
    view = str(meta.get("view") or "").upper()
    ds.ViewPosition = view
    if view in _VIEW_SNOMED:
        code = Dataset()
        code.CodeValue, code.CodeMeaning = _VIEW_SNOMED[view]
        code.CodingSchemeDesignator = "SCT"
        ds.ViewCodeSequence = Sequence([code])
    orientation = meta.get("patient_orientation") or ""
    ds.PatientOrientation = orientation.split("\\") if isinstance(orientation, str) and orientation else (
        list(orientation) if orientation else "")
    spacing = meta.get("pixel_spacing_mm")
    if spacing is not None and np.isfinite(float(spacing)):
        ds.PixelSpacing = [_ds_number(spacing), _ds_number(spacing)]
        ds.ImagerPixelSpacing = [_ds_number(spacing), _ds_number(spacing)]
    # Image pixel module
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = int(shape[0]), int(shape[1])
    ds.BitsAllocated = allocated
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = "LOG"
    # -1: higher values = less X-ray intensity (dense is bright) in MONOCHROME2 storage.
    ds.PixelIntensityRelationshipSign = -1 if photometric == "MONOCHROME2" else 1
    ds.PresentationLUTShape = "IDENTITY" if photometric == "MONOCHROME2" else "INVERSE"
    ds.BurnedInAnnotation = "NO"
    if meta.get("rescale_slope") is not None or meta.get("rescale_intercept") is not None:
        ds.RescaleSlope = _ds_number(meta.get("rescale_slope", 1.0) or 1.0)
        ds.RescaleIntercept = _ds_number(meta.get("rescale_intercept", 0.0) or 0.0)
        ds.RescaleType = "US"
    if meta.get("window_center") is not None and meta.get("window_width") is not None:
        centers, widths = np.atleast_1d(meta["window_center"]), np.atleast_1d(meta["window_width"])
        if len(centers) != len(widths):
            raise ValueError("meta['window_center'] and meta['window_width'] differ in length")
        ds.WindowCenter = [_ds_number(c) for c in centers]
        ds.WindowWidth = [_ds_number(w) for w in widths]
        ds.VOILUTFunction = str(meta.get("voi_function") or "LINEAR").upper()
        if meta.get("window_explanation"):
            ds.WindowCenterWidthExplanation = list(np.atleast_1d(meta["window_explanation"]).astype(str))
    return ds
