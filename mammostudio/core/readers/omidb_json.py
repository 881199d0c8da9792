"""OMI-DB's per-image header files: the DICOM header as DICOM-JSON (PS3.18 F.2).

:func:`header_from_dicom_json` turns one such document into the same dict that
:func:`mammostudio.core.dicom.read_header` returns for the DICOM file, so the
OMI-DB reader can fill the catalog without opening the images.
:func:`dicom_json_of` writes the document for a DICOM file (the writer's side).
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["header_from_dicom_json", "dicom_json_of"]


def header_from_dicom_json(doc: dict) -> dict:
    """The catalog header fields of a DICOM-JSON document.

    The document becomes a pydicom Dataset and goes through
    :func:`mammostudio.core.dicom.header_of`, the one place that maps DICOM
    tags to catalog fields, so an OMI-DB header JSON and its DICOM file can
    never disagree.

    Parameters
    ----------
    doc : dict
        Tags as 8 hex digits mapping to ``{"vr": ..., "Value": [...]}``.

    Returns
    -------
    dict
        The keys of ``read_header`` ('' for missing text, None for missing
        numbers and flags).

    Raises
    ------
    ValueError
        If ``doc`` is not a DICOM-JSON object.
    """
    from pydicom import Dataset

    from ..dicom import header_of

    if not isinstance(doc, dict):
        raise ValueError(f"a DICOM-JSON header must be an object, got {type(doc).__name__}")
    try:
        ds = Dataset.from_json(doc)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ValueError(f"not a DICOM-JSON header ({exc})") from exc
    return header_of(ds)


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
