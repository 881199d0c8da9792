"""Dataset readers, auto-detected from a folder.

Each reader module exposes ``detect(root: Path) -> bool`` and
``read(root: Path) -> Catalog``. :func:`open_dataset` tries them in order of
:data:`READERS` and uses the first that recognises the folder.

Opening is a job (:func:`open_dataset_job`, in :mod:`.opening`): the DICOM
headers are read in parallel with progress and cancel, and cached between opens
in a per-dataset index; readers get them through ``workbook_tree.header_row`` /
``header_rows`` without knowing. :func:`open_dataset` is the blocking wrapper.
"""
from __future__ import annotations

import importlib
from pathlib import Path

from ..catalog import Catalog
from ..layouts import LAYOUTS

__all__ = ["READERS", "LAYOUTS", "DatasetError", "detect_format", "open_dataset", "open_dataset_job"]

# Most specific first: an OMI-DB tree or a public layout beats a workbook (any
# .csv at the top), and anything beats the plain DICOM folder (the fallback).
READERS: tuple[str, ...] = ("omidb", "cbis_ddsm", "vindr", "inbreast", "workbook", "mias", "dicom_folder")


class DatasetError(ValueError):
    """The folder is not a dataset any reader understands (message names it)."""


def _module(name: str):
    return importlib.import_module(f"{__name__}.{name}")


def detect_format(root: str | Path) -> str:
    """Name of the reader that recognises ``root``.

    Raises
    ------
    DatasetError
        If ``root`` does not exist, is empty, or no reader recognises it.
    """
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: no such folder")
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder")
    if not any(root.iterdir()):
        raise DatasetError(f"{root}: the folder is empty")
    for name in READERS:
        if _module(name).detect(root):
            return name
    raise DatasetError(
        f"{root}: not a dataset mammostudio can read (expected an annotation workbook "
        "(.xlsx/.csv) beside a batch/patient/study image tree, an OMI-DB tree "
        "(data/<client>/imagedb_*.json + images/), mini-MIAS (Info.txt + mdbNNN.pgm), "
        "CBIS-DDSM (*_case_description_*_set.csv + DICOM), VinDr-Mammo (finding_annotations.csv + "
        "images/), INbreast (AllDICOMs/ + AllXML/) or a folder of DICOM files)"
    )


def open_dataset_job(root: str | Path, *, fmt: str | None = None, **options):
    """Job (yields Progress, returns the Catalog): see :func:`.opening.open_dataset_job`.

    The folder is checked here, before the job starts: a folder no reader
    recognises raises :class:`DatasetError` at once.
    """
    from .opening import open_dataset_job as job

    name = fmt or detect_format(root)
    if name not in READERS:
        raise DatasetError(f"unknown dataset format {name!r}; choose from {READERS}")
    return job(root, fmt=name, **options)


def open_dataset(root: str | Path, *, fmt: str | None = None, **options) -> Catalog:
    """Read a dataset folder into a :class:`~mammostudio.core.catalog.Catalog`.

    Parameters
    ----------
    root : path-like
        The dataset folder.
    fmt : str, optional
        Force a reader (a name in :data:`READERS`) instead of detecting one.
    **options
        ``cache``, ``workers``, ``mode`` of :func:`.opening.open_dataset_job`.

    Returns
    -------
    Catalog
        With per-file problems listed in ``catalog.problems`` (pixel data that
        cannot be decoded included).
    """
    from ..progress import drive

    return drive(open_dataset_job(root, fmt=fmt, **options))
