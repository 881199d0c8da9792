"""Derived DICOM files of simulated images (the one place they are written).

A simulated image is a new instance: new Study / Series / SOP Instance UIDs
(deterministic: hashed from the run seed and the source UIDs, so a resumed or
repeated run writes the same file), ImageType ``DERIVED\\SECONDARY``, a
DerivationDescription naming what was inserted, and the source image in the
Source Image Sequence. Every other header element of a DICOM source is kept
(acquisition tags, spacing, VOI window), except the identifying ones: the
project's privacy default, :func:`mammostudio.core.privacy.deidentify_dicom`
(the source dataset's pseudonym as PatientID, names, dates and other
identifiers removed), unless identifiers are kept on request. Pixels are
stored uncompressed.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from ..atomic import atomic_path
from ..dicom import modality_range, read_dataset, write_dicom
from ..privacy import Pseudonymiser, deidentify_dicom

__all__ = ["derived_uids", "write_derived"]

def derived_uids(seed: int, source: dict, *, salt: str = "") -> dict:
    """Deterministic new UIDs for a derived image of catalog row ``source``.

    ``salt`` tells apart several derived images of one source made with one
    seed (Simulate mode salts with the inserted lesions' description).
    """
    base = [str(int(seed)), "mammostudio-simulate", str(salt)]
    study = generate_uid(entropy_srcs=[*base, "study", str(source.get("study_id", ""))])
    series = generate_uid(entropy_srcs=[*base, "series", str(source.get("study_id", "")),
                                        str(source.get("series_id", ""))])
    sop = generate_uid(entropy_srcs=[*base, "sop", str(source["image_id"])])
    return {"study_id": study, "series_id": series, "image_id": sop}


def _source_dataset(source: dict, pixels: np.ndarray) -> Dataset:
    if str(source.get("format", "dicom")) == "dicom":
        return read_dataset(source["path"], header_only=False)
    # PGM / PNG source: a plain MG header from the catalog row first
    meta = {k: v for k, v in source.items() if k not in ("image_id", "study_id", "series_id")}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_dicom(Path(tmp) / "src.dcm", pixels.astype(np.uint16), meta)
        return read_dataset(path, header_only=False)


def _stored(ds: Dataset, pixels: np.ndarray) -> np.ndarray:
    """Stored values for presentation values (undo MONOCHROME1 inversion and rescale)."""
    lo, hi = modality_range(ds)
    v = np.asarray(pixels, dtype=np.float64)
    if str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
        v = lo + hi - v
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    bits = int(ds.get("BitsStored", 16) or 16)
    stored = np.rint((v - intercept) / slope)
    return np.clip(stored, 0, 2**bits - 1).astype(np.uint16)


def write_derived(path: str | os.PathLike, source: dict, pixels: np.ndarray, *, uids: dict, description: str,
                  pseudo: Pseudonymiser) -> Path:
    """Write the derived DICOM of one simulated image, atomically.

    Parameters
    ----------
    path : path-like
        Destination.
    source : dict
        The source's catalog images row (path, format, ids, acquisition fields).
    pixels : numpy.ndarray (rows, cols)
        The simulated image, presentation sense (as :func:`load_pixels` gives).
    uids : dict
        ``image_id``, ``study_id``, ``series_id`` of the new file (:func:`derived_uids`).
    description : str
        DerivationDescription (what was inserted, how); cut to 1024 characters.
    pseudo : Pseudonymiser
        The source dataset's (:meth:`Pseudonymiser.for_dataset`).
    """
    if pixels.ndim != 2:
        raise ValueError(f"pixels must be 2-D (rows, cols), got shape {pixels.shape}")
    ds = _source_dataset(source, pixels)
    src_class, src_sop = str(ds.SOPClassUID), str(ds.SOPInstanceUID)
    if str(source.get("format", "dicom")) != "dicom":
        src_sop = ""
    # identifiers first: the profile also drops free text such as DerivationDescription, set below
    ds.PatientID = str(source.get("patient_id", ""))  # the catalog's id (a workbook may override the header's)
    deidentify_dicom(ds, pseudo)
    ds.PixelData = _stored(ds, pixels).astype("<u2").tobytes()
    ds["PixelData"].VR = "OW"
    ds["PixelData"].is_undefined_length = False
    ds.Rows, ds.Columns = int(pixels.shape[0]), int(pixels.shape[1])
    ds.BitsAllocated, ds.SamplesPerPixel, ds.PixelRepresentation = 16, 1, 0
    for keyword in ("NumberOfFrames", "LossyImageCompression", "LossyImageCompressionRatio",
                    "LossyImageCompressionMethod"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uids["image_id"]
    ds.StudyInstanceUID, ds.SeriesInstanceUID = uids["study_id"], uids["series_id"]
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.DerivationDescription = description[:1024]
    ds.SeriesDescription = "mammostudio simulated lesions"
    ds.BurnedInAnnotation = "NO"
    if src_sop:
        ref = Dataset()
        ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = src_class, src_sop
        ds.SourceImageSequence = Sequence([ref])
    with atomic_path(path) as tmp:
        ds.save_as(tmp, enforce_file_format=True)
    return Path(path)
