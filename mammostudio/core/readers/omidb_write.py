"""Write a catalog as an OMI-DB tree (the layout :mod:`.omidb` reads, spec 1.2).

Each patient becomes a client, each study one NBSS episode (linked by
EpisodeID) with a screening event on its date; each lesion of a breast becomes
one NBSS lesion (numbered per side) whose core-biopsy (BIOPSYWIDE) Opinion is
the lesion's B category; each box becomes an imagedb mark linked to it by
LinkedNBSSLesionNumber. Per-image headers are dumped from the DICOM files as
DICOM-JSON; pixels are hard-linked (copied where linking fails). Every file is
written atomically.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import uuid
from pathlib import Path

from ..atomic import atomic_path, write_text
from ..catalog import Catalog
from ..progress import Job, Progress, drive
from .omidb import MARK_TYPE_FLAGS
from .omidb_json import dicom_json_of

__all__ = ["write_omidb_tree", "iter_write_omidb_tree", "link_or_copy"]

_FLAG_OF_TYPE = {"mass": "Mass", "calcification": "WithCalcification",
                 "focal asymmetry": "FocalAsymmetry", "architectural distortion": "ArchitecturalDistortion"}
assert set(_FLAG_OF_TYPE.values()) <= set(MARK_TYPE_FLAGS)


def link_or_copy(src: str | Path, dest: str | Path) -> Path:
    """Hard-link ``src`` to ``dest`` (replacing it), or copy atomically if linking fails."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.link.part")
    try:
        if tmp.exists():
            tmp.unlink()
        os.link(src, tmp)
        os.replace(tmp, dest)
    except OSError:
        if tmp.exists():
            tmp.unlink()
        with atomic_path(dest) as part:
            shutil.copyfile(src, part)
    return dest


def _json(path: Path, doc) -> None:
    write_text(path, json.dumps(doc, indent=1, sort_keys=False))


def _series_uid(study_id: str) -> str:
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, study_id + '/series').int}"


def iter_write_omidb_tree(root: str | Path, catalog: Catalog, *, ffdm: bool = False,
                          upper_case_names: bool = False, header_suffix: str = ".json",
                          site: str = "mammostudio", study_dates: dict | None = None,
                          link: bool = True) -> Job[Path]:
    """Job form of :func:`write_omidb_tree`; yields one Progress per image."""
    root = Path(root)
    if header_suffix not in (".json", ".dcm.json"):
        raise ValueError(f"header_suffix must be '.json' or '.dcm.json', got {header_suffix!r}")
    bad = [p for p in catalog.images["format"] if p != "dicom"]
    if bad:
        raise ValueError(f"catalog: OMI-DB holds DICOM images only, found {sorted(set(bad))}")
    base = root / "FFDM" if ffdm else root
    data_dir = base / ("DATA" if ffdm else "data")
    image_dir = base / ("IMAGES" if ffdm else "images")
    prefix = (lambda s: s.upper()) if upper_case_names else (lambda s: s)
    total, done = catalog.n_images, 0
    lesions_by_image = {k: g for k, g in catalog.lesions.groupby("image_id")}
    for client, imgs in catalog.images.groupby("patient_id", sort=True):
        studies, nbss = {}, {}
        for n_study, (study_id, simgs) in enumerate(imgs.groupby("study_id", sort=True), start=1):
            date = (study_dates or {}).get(study_id) or (dt.date(2015, 1, 5) + dt.timedelta(days=400 * (n_study - 1))).strftime("%Y%m%d")
            episode_id = str(n_study)
            study = {"StudyDate": date, "EpisodeID": episode_id}
            episode = {"EpisodeType": "R", "EpisodeIsClosed": "Y",
                       "SCREENING": {s: {"DateTaken": date} for s in ("L", "R")}}
            nbss_numbers: dict[tuple[str, str], str] = {}
            for img in simgs.to_dict("records"):
                series = img["series_id"] or _series_uid(study_id)
                side = img["laterality"] or "L"
                marks = {}
                les = lesions_by_image.get(img["image_id"])
                for le in ([] if les is None else les.to_dict("records")):
                    key = (side, le["lesion_id"])
                    if key not in nbss_numbers:
                        nbss_numbers[key] = str(sum(1 for k in nbss_numbers if k[0] == side) + 1)
                        number = nbss_numbers[key]
                        episode.setdefault("LESION", {}).setdefault(side, {})[number] = {"LesionNotes": le["lesion_type"]}
                        if le["status"]:
                            episode.setdefault("BIOPSYWIDE", {}).setdefault(side, {})[number] = {
                                "DatePerformed": date, "Opinion": le["status"]}
                    mark_id = str(len(marks) + 1)
                    mark = {"MarkID": mark_id, "LesionID": le["lesion_id"],
                            "LinkedNBSSLesionNumber": nbss_numbers[key],
                            "X1": str(le["col_min"]), "Y1": str(le["row_min"]),
                            "X2": str(le["col_max"]), "Y2": str(le["row_max"]),
                            "Width": str(le["col_max"] - le["col_min"]),
                            "Height": str(le["row_max"] - le["row_min"])}
                    for part in str(le["lesion_type"]).split("+"):
                        if part in _FLAG_OF_TYPE:
                            mark[_FLAG_OF_TYPE[part]] = "1"
                    marks[mark_id] = mark
                study.setdefault(series, {})[img["image_id"]] = marks
                header = dicom_json_of(img["path"])
                _json(data_dir / client / study_id / f"{img['image_id']}{header_suffix}", header)
                dest = image_dir / client / study_id / f"{img['image_id']}.dcm"
                if link:
                    link_or_copy(img["path"], dest)
                else:
                    with atomic_path(dest) as part:
                        shutil.copyfile(img["path"], part)
                done += 1
                yield Progress(done, total, f"{client}/{img['image_id']}")
            studies[study_id] = study
            nbss[episode_id] = episode
        _json(data_dir / client / f"{prefix('nbss_')}{client}.json", nbss)
        _json(data_dir / client / f"{prefix('imagedb_')}{client}.json", {"Site": site, "STUDIES": studies})
    return root


def write_omidb_tree(root: str | Path, catalog: Catalog, **options) -> Path:
    """Write ``catalog`` (DICOM images) as an OMI-DB tree under ``root``.

    Parameters
    ----------
    root : path-like
        Destination; ``data/`` and ``images/`` (or ``FFDM/DATA``, ``FFDM/IMAGES``) go here.
    catalog : Catalog
        Images must be DICOM files; patient ids become client ids (real OMI-DB
        clients are named ``demd…``/``optm…``, which the ``omidb`` package expects).
    ffdm : bool
        Use the newer ``FFDM/DATA`` + ``FFDM/IMAGES`` wrapping.
    upper_case_names : bool
        Name the files ``NBSS_<client>.json`` / ``IMAGEDB_<client>.json``.
    header_suffix : {'.json', '.dcm.json'}
        Per-image header file name ending.
    site : str
        imagedb "Site".
    study_dates : dict, optional
        study_id -> 'YYYYMMDD'; others get distinct dates.
    link : bool
        Hard-link the DICOM files (copy where that fails); False always copies.

    Returns
    -------
    pathlib.Path
        ``root``.
    """
    return drive(iter_write_omidb_tree(root, catalog, **options))
