"""OMI-DB's per-image header files: the DICOM header as DICOM-JSON (PS3.18 F.2).

:func:`header_from_dicom_json` turns one such document into the same dict that
:func:`mammostudio.core.dicom.read_header` returns for the DICOM file, so the
OMI-DB reader can fill the catalog without opening the images.
:func:`dicom_json_of` writes the document for a DICOM file (the writer's side).
"""
from __future__ import annotations

import math
from pathlib import Path

__all__ = ["header_from_dicom_json", "dicom_json_of"]

_FOR_PRESENTATION_SOPS = {"1.2.840.10008.5.1.4.1.1.1.2", "1.2.840.10008.5.1.4.1.1.1.1"}
_FOR_PROCESSING_SOPS = {"1.2.840.10008.5.1.4.1.1.1.2.1", "1.2.840.10008.5.1.4.1.1.1.1.1"}
_VIEW_CODES = {"cranio-caudal": "CC", "medio-lateral oblique": "MLO", "399162004": "CC", "399368009": "MLO"}


def _values(doc: dict, tag: str) -> list:
    elem = doc.get(tag) or doc.get(tag.lower())
    if not isinstance(elem, dict):
        return []
    value = elem.get("Value")
    return value if isinstance(value, list) else []


def _text(doc: dict, tag: str) -> str:
    vals = _values(doc, tag)
    if not vals:
        return ""
    first = vals[0]
    if isinstance(first, dict):  # a person name
        first = first.get("Alphabetic", "")
    return str(first).strip()


def _number(doc: dict, tag: str) -> float | None:
    vals = _values(doc, tag)
    try:
        out = float(vals[0]) if vals else None
    except (TypeError, ValueError):
        return None
    return out if out is not None and math.isfinite(out) else None


def header_from_dicom_json(doc: dict) -> dict:
    """The catalog header fields of a DICOM-JSON document.

    Parameters
    ----------
    doc : dict
        Tags as 8 hex digits mapping to ``{"vr": ..., "Value": [...]}``.

    Returns
    -------
    dict
        The keys of ``read_header`` ('' for missing text, None for missing
        numbers and flags).
    """
    laterality = (_text(doc, "00200062") or _text(doc, "00200060")).upper()[:1]
    view = _text(doc, "00185101").upper()
    if not view:
        for item in _values(doc, "00540220"):
            if isinstance(item, dict):
                for tag in ("00080104", "00080100"):
                    code = _text(item, tag)
                    view = view or _VIEW_CODES.get(code.lower(), _VIEW_CODES.get(code, ""))
    intent = _text(doc, "00080068").upper()
    sop_class = _text(doc, "00080016")
    if intent:
        for_presentation = intent == "FOR PRESENTATION"
    elif sop_class in _FOR_PRESENTATION_SOPS | _FOR_PROCESSING_SOPS:
        for_presentation = sop_class in _FOR_PRESENTATION_SOPS
    else:
        for_presentation = None
    rows, cols = _number(doc, "00280010"), _number(doc, "00280011")
    spacing = _number(doc, "00280030")
    if spacing is None:
        spacing = _number(doc, "00181164")
    tube = _number(doc, "00189330")
    if tube is None:
        tube = _number(doc, "00181151")
    return {
        "image_id": _text(doc, "00080018"),
        "patient_id": _text(doc, "00100020"),
        "study_id": _text(doc, "0020000D"),
        "series_id": _text(doc, "0020000E"),
        "laterality": laterality if laterality in ("L", "R") else "",
        "view": view,
        "rows": int(rows) if rows is not None else None,
        "cols": int(cols) if cols is not None else None,
        "manufacturer": _text(doc, "00080070"),
        "model_name": _text(doc, "00081090"),
        "tube_current_ma": tube,
        "magnification": _number(doc, "00181114"),
        "for_presentation": for_presentation,
        "photometric": _text(doc, "00280004").upper(),
        "pixel_spacing_mm": spacing,
    }


def dicom_json_of(path: str | Path) -> dict:
    """The DICOM-JSON document of a DICOM file's header (pixel data left out).

    Raises
    ------
    mammostudio.core.dicom.DicomError
        If ``path`` is not a readable DICOM file.
    """
    from ..dicom import read_dataset

    ds = read_dataset(path, header_only=True)
    return ds.to_json_dict(bulk_data_threshold=1 << 20, bulk_data_element_handler=lambda elem: "")
