"""DICOM headers to catalog fields, without decoding pixels.

:func:`read_header` parses only the elements before the pixel data
(``stop_before_pixels``), so a scan of thousands of files never decodes an
image; :func:`header_of` maps any in-memory Dataset (e.g. from DICOM-JSON) the
same way. Import these names from :mod:`mammostudio.core.dicom`.
"""
from __future__ import annotations

import os

from pydicom.dataset import Dataset

from .dicom_read import _number, _safe, _text, read_dataset

__all__ = ["read_header", "header_of"]

# (0008,0068) and the SOP classes that say the same when the tag is missing.
_FOR_PRESENTATION_SOPS = {
    "1.2.840.10008.5.1.4.1.1.1.2",  # Digital Mammography X-Ray Image - For Presentation
    "1.2.840.10008.5.1.4.1.1.1.1",  # Digital X-Ray Image - For Presentation
}
_FOR_PROCESSING_SOPS = {
    "1.2.840.10008.5.1.4.1.1.1.2.1",
    "1.2.840.10008.5.1.4.1.1.1.1.1",
}
# View Code Sequence (CID 4014 "View for Mammography") -> ViewPosition, used when
# ViewPosition is empty: SNOMED CT codes, the legacy SRT codes and the meanings.
_VIEW_CODES = {
    "399162004": "CC", "R-10242": "CC", "cranio-caudal": "CC",
    "399368009": "MLO", "R-10226": "MLO", "medio-lateral oblique": "MLO",
    "399260004": "ML", "R-10224": "ML", "medio-lateral": "ML", "medial-lateral": "ML",
    "399352003": "LM", "R-10228": "LM", "latero-medial": "LM",
    "399099002": "LMO", "R-10230": "LMO", "latero-medial oblique": "LMO",
    "399196006": "FB", "R-10244": "FB", "caudo-cranial": "FB", "caudo-cranial (from below)": "FB",
    "399188001": "SIO", "R-102D0": "SIO", "superolateral to inferomedial oblique": "SIO",
    "441555000": "ISO", "R-40AAA": "ISO", "inferomedial to superolateral oblique": "ISO",
    "399192008": "XCCL", "R-1024A": "XCCL", "cranio-caudal exaggerated laterally": "XCCL",
    "399101009": "XCCM", "R-1024B": "XCCM", "cranio-caudal exaggerated medially": "XCCM",
    "R-102CF": "XCC", "exaggerated cranio-caudal": "XCC",
}
def _view(ds: Dataset) -> str:
    view = _text(ds, "ViewPosition").upper()
    if view:
        return view
    seq = _safe(ds, "ViewCodeSequence")
    if seq:
        item = seq[0]
        for key in ("CodeMeaning", "CodeValue"):
            found = _VIEW_CODES.get(_text(item, key).lower()) or _VIEW_CODES.get(_text(item, key))
            if found:
                return found
    return ""


def _for_presentation(ds: Dataset) -> bool | None:
    intent = _text(ds, "PresentationIntentType").upper()
    if intent:
        return intent == "FOR PRESENTATION"
    sop = _text(ds, "SOPClassUID")
    if sop in _FOR_PRESENTATION_SOPS:
        return True
    if sop in _FOR_PROCESSING_SOPS:
        return False
    return None


def _tube_current(ds: Dataset) -> float | None:
    # (0018,9330) mA as FD is more precise than the integer (0018,1151) when present.
    for keyword, scale in (("XRayTubeCurrentInmA", 1.0), ("XRayTubeCurrent", 1.0), ("XRayTubeCurrentInuA", 1e-3)):
        value = _number(ds, keyword)
        if value is not None:
            return value * scale
    return None


def read_header(path: str | os.PathLike) -> dict:
    """Read the catalog fields of one DICOM image without touching its pixels.

    Parameters
    ----------
    path : path-like
        A DICOM file (with or without the 'DICM' preamble).

    Returns
    -------
    dict
        Keys (catalog image columns): image_id (SOPInstanceUID), patient_id,
        study_id (StudyInstanceUID), series_id (SeriesInstanceUID), laterality
        ('L'/'R' from ImageLaterality, else Laterality), view (ViewPosition, else
        the View Code Sequence), rows, cols, manufacturer, model_name,
        tube_current_ma (0018,1151), magnification (0018,1114),
        for_presentation ((0008,0068) == 'FOR PRESENTATION'; from the SOP class
        when the tag is missing), photometric, pixel_spacing_mm (PixelSpacing,
        else ImagerPixelSpacing, row spacing), series_description. Missing or unparseable tags give
        '' for text and None for numbers and flags.

    Raises
    ------
    DicomError
        Not a DICOM file, missing, or a corrupt header.
    """
    return header_of(read_dataset(path, header_only=True))


def header_of(ds: Dataset) -> dict:
    """The :func:`read_header` fields of a dataset already in memory.

    Works on any pydicom Dataset, e.g. ``Dataset.from_json(doc)`` for a
    DICOM-JSON header (OMI-DB's per-image ``<SOP>.json``), so every source of
    headers maps tags to catalog fields the same way. Never raises for missing
    or unparseable tags.
    """
    laterality = (_text(ds, "ImageLaterality") or _text(ds, "Laterality")).upper()[:1]
    rows, cols = _number(ds, "Rows"), _number(ds, "Columns")
    spacing = _number(ds, "PixelSpacing")
    if spacing is None:
        spacing = _number(ds, "ImagerPixelSpacing")
    return {
        "image_id": _text(ds, "SOPInstanceUID"),
        "patient_id": _text(ds, "PatientID"),
        "study_id": _text(ds, "StudyInstanceUID"),
        "series_id": _text(ds, "SeriesInstanceUID"),
        "laterality": laterality if laterality in ("L", "R") else "",
        "view": _view(ds),
        "rows": int(rows) if rows is not None else None,
        "cols": int(cols) if cols is not None else None,
        "manufacturer": _text(ds, "Manufacturer"),
        "model_name": _text(ds, "ManufacturerModelName"),
        "tube_current_ma": _tube_current(ds),
        "magnification": _number(ds, "EstimatedRadiographicMagnificationFactor"),
        "for_presentation": _for_presentation(ds),
        "photometric": _text(ds, "PhotometricInterpretation").upper(),
        "pixel_spacing_mm": spacing,
        "series_description": _text(ds, "SeriesDescription"),
    }
