"""Exports of a detection study: RJafroc's JAFROC workbook, tidy CSVs and the Excel report.

RJafroc workbook (``DfReadDataFile(file, format = "JAFROC")``, the "new" Excel format read
by ``ReadJAFROCNewFormat``), three sheets:

- ``TRUTH``: ``CaseID, LesionID, Weight, ReaderID, ModalityID, Paradigm``; one row per
  normal case (LesionID 0, Weight 0) and one per lesion (LesionID 1..L_k, Weight 1/L_k);
  ReaderID and ModalityID list the readers / modalities that read the case,
  comma-separated; the Paradigm column holds ``FROC`` in its first row and the design
  ``crossed`` in its second (RJafroc reads the first six columns only, so there is no
  separate Design column).
- ``NL``: ``ReaderID, ModalityID, CaseID, NL_Rating`` (one row per non-lesion localisation).
- ``LL``: ``ReaderID, ModalityID, CaseID, LesionID, LL_Rating`` (one row per localised
  lesion: the highest-rated mark on it).

Case ids are integers 1..K in the order of the random study case ids; readers appear under
their (sanitised) study codes; nothing names a patient. Only the assessment pool is
exported, and only cases every exported reader finished (a crossed design).
"""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .detect_report import _case_numbers, damaged_cases, lesion_readings, scored_marks, summarise_detection
from .export import _safe_id, _write, write_workbook

__all__ = ["rjafroc_sheets", "write_rjafroc", "write_detection_csv", "write_detection_excel"]

_SHEETS = {"TRUTH": ["CaseID", "LesionID", "Weight", "ReaderID", "ModalityID", "Paradigm"],
           "NL": ["ReaderID", "ModalityID", "CaseID", "NL_Rating"],
           "LL": ["ReaderID", "ModalityID", "CaseID", "LesionID", "LL_Rating"]}


def rjafroc_sheets(store, *, modality: str = "1", mode: str = "assessment") -> dict[str, pd.DataFrame]:
    """The three sheets as tables (see the module docstring).

    Raises
    ------
    ValueError
        When no case was finished by every reader.
    """
    les = lesion_readings(store, mode)
    marks = scored_marks(store, mode)
    done = pd.read_sql_query(
        "SELECT r.code AS reader, sc.case_id FROM responses JOIN session_cases sc USING (session_id, position) "
        "JOIN sessions s USING (session_id) JOIN readers r USING (reader_id) WHERE s.mode=?", store._conn,
        params=(mode,))
    readers = sorted(done["reader"].unique())
    if not readers:
        raise ValueError(f"no finished {mode} cases to export")
    common = set.intersection(*(set(done.loc[done["reader"] == r, "case_id"]) for r in readers))
    common -= damaged_cases(store)
    if not common:
        raise ValueError("no case was finished by every reader; RJafroc needs a crossed design")
    numbers = _case_numbers(store)
    rid = {r: _safe_id(r) for r in readers}
    reader_list = ", ".join(rid[r] for r in readers)
    truth_rows = []
    lesions = dict(((c, int(n)), None) for c, n in store._conn.execute("SELECT case_id, lesion_no FROM det_lesions"))
    per_case: dict[str, int] = {}
    for c, n in lesions:
        per_case[c] = max(per_case.get(c, 0), n)
    for c in sorted(common, key=numbers.get):
        k = per_case.get(c, 0)
        if k == 0:
            truth_rows.append([numbers[c], 0, 0.0, reader_list, modality, ""])
        else:
            truth_rows += [[numbers[c], n, 1.0 / k, reader_list, modality, ""] for n in range(1, k + 1)]
    truth = pd.DataFrame(truth_rows, columns=_SHEETS["TRUTH"])
    truth.loc[0, "Paradigm"] = "FROC"
    if len(truth) > 1:
        truth.loc[1, "Paradigm"] = "crossed"
    m = marks[marks["case_id"].isin(common)]
    nl = m[m["kind"] == "NL"]
    nl = pd.DataFrame({"ReaderID": nl["reader"].map(rid), "ModalityID": modality, "CaseID": nl["case_id"].map(numbers),
                       "NL_Rating": nl["rating"]}, columns=_SHEETS["NL"])
    ll = les[les["found"] & les["case_id"].isin(common)]
    ll = pd.DataFrame({"ReaderID": ll["reader"].map(rid), "ModalityID": modality, "CaseID": ll["case_id"].map(numbers),
                       "LesionID": ll["lesion"], "LL_Rating": ll["rating"].astype(int)}, columns=_SHEETS["LL"])
    return {"TRUTH": truth, "NL": nl.sort_values(["ReaderID", "CaseID"], ignore_index=True),
            "LL": ll.sort_values(["ReaderID", "CaseID", "LesionID"], ignore_index=True)}


def write_rjafroc(store, path: str | os.PathLike, *, modality: str = "1") -> Path:
    """The JAFROC workbook RJafroc reads (``.xlsx``), written atomically."""
    return write_workbook(path, rjafroc_sheets(store, modality=modality))


def write_detection_csv(store, path: str | os.PathLike, *, mode: str = "assessment") -> Path:
    """Tidy CSV of every scored mark (see :func:`~.detect_report.scored_marks`), without case ids."""
    return _write(path, scored_marks(store, mode).drop(columns=["case_id"]).to_csv(index=False).encode())


def write_detection_excel(store, path: str | os.PathLike) -> Path:
    """Excel report of a detection study: summary, per_reader, by_source, marks, lesions, readers."""
    res = summarise_detection(store)
    about = pd.DataFrame({"item": ["task", "case unit", "acceptance", "rating levels", "assessment cases",
                                   "training cases", "simulated vs real (Fisher p, pooled readings)"]
                          + ["warning"] * len(res.warnings) + ["log"] * len(store.log),
                          "value": ["detection", store.config.case_unit,
                                    "inside the outline" if store.config.acceptance_radius_mm is None
                                    else f"{store.config.acceptance_radius_mm} mm of the centre",
                                    store.config.confidence_levels, store.n_cases("assessment"),
                                    store.n_cases("training"), res.source_test["p_fisher"]]
                          + res.warnings + store.log})
    sheets = {"summary": about, "per_reader": res.per_reader, "by_source": res.by_source,
              "marks": scored_marks(store).drop(columns=["case_id"]),
              "lesions": lesion_readings(store).drop(columns=["case_id"]),
              "readers": store.readers().drop(columns=["reader_id"])}
    return write_workbook(path, sheets, fit_columns=True)
