"""Exports of a reader study: Excel report, tidy CSV, iMRMC and MRMCaov inputs.

Nothing exported names a patient: cases and items appear under their opaque
study ids, real images only by lesion type and biopsy category; the ``origin``
of an item (its source file) stays in the study database.

iMRMC (FDA, Gallas) takes one row per reader x case x modality with a score,
plus one truth row per case. Two layouts are written:

- ``.imrmc`` for the Java application: free-text header, ``NR``/``N0``/``N1``/
  ``NM`` lines, ``BEGIN DATA:``, then ``readerID,caseID,modalityID,score`` rows;
  truth rows carry readerID ``-1`` and modalityID ``0``; case ids are integers.
- a CSV data frame for the R package (``readerID,caseID,modalityID,score``),
  where truth rows have readerID and modalityID ``truth``.

MRMCaov (R) takes a long table ``reader, test, case, truth, rating``.
Truth 1 = generated (the signal class); scores are the ROC ratings of
:mod:`.stats` (1..2K, higher = more sure it is generated).
"""
from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pandas as pd

from ..atomic import write_bytes
from .report import summarise
from .store import QuizStore

__all__ = ["write_workbook", "responses_table", "mrmc_frame", "write_csv", "write_excel", "write_imrmc", "write_imrmc_r",
           "write_mrmcaov"]

_TIDY = ["reader", "experience_years", "subspecialty", "session_id", "mode", "position", "case_id", "task",
         "item_id", "truth", "source", "lesion_type", "status", "answer", "confidence", "rating", "correct",
         "rt_ms", "timed_out", "shown_at", "answered_at"]


def responses_table(store: QuizStore) -> pd.DataFrame:
    """One row per answer, tidy, with truth, and without any source file or patient id."""
    return store.responses()[_TIDY]


def mrmc_frame(store: QuizStore, *, modality: str = "GAN", by_generator: bool = False) -> pd.DataFrame:
    """Assessment ratings as reader, test, case (1..K), truth, rating.

    Parameters
    ----------
    modality : str
        The test label when every generator is pooled into one modality.
    by_generator : bool
        One modality per generator instead: each holds the real cases (the same
        readings, shared) and that generator's cases, so checkpoints can be
        compared with reader-and-case variance (a split-plot design for iMRMC).

    Raises
    ------
    ValueError
        For a 2AFC study (no per-image ratings) or when nothing was answered.
    """
    if store.config.task != "single":
        raise ValueError("iMRMC / MRMCaov exports need single-image ratings; this is a 2AFC study")
    df = store.responses()
    df = df[(df["mode"] == "assessment") & ~df["timed_out"]]
    if df.empty:
        raise ValueError("no answered assessment cases to export")
    # Integer case numbers in the order of the (random) case ids: no truth in the order.
    numbers = {c: i + 1 for i, c in enumerate(sorted(df["case_id"].unique()))}
    if by_generator:
        real = df[df["source"] == "real"]
        gens = sorted(set(df["source"]) - {"real"})
        parts = [pd.concat([real, df[df["source"] == g]]).assign(test=g) for g in gens]
    else:
        parts = [df.assign(test=modality)]
    df = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({
        "reader": df["reader"].map(_safe_id).to_numpy(), "test": df["test"].to_numpy(),
        "case": df["case_id"].map(numbers).to_numpy(), "truth": df["truth_generated"].astype(int).to_numpy(),
        "rating": df["rating"].astype(int).to_numpy()}).sort_values(["test", "reader", "case"], ignore_index=True)


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text).strip()) or "reader"


def write_csv(store: QuizStore, path: str | os.PathLike) -> Path:
    """The tidy responses table as CSV."""
    return _write(path, responses_table(store).to_csv(index=False).encode())


def write_mrmcaov(store: QuizStore, path: str | os.PathLike, *, modality: str = "GAN",
                  by_generator: bool = False) -> Path:
    """MRMCaov long format CSV: reader, test, case, truth, rating."""
    return _write(path, mrmc_frame(store, modality=modality, by_generator=by_generator).to_csv(index=False).encode())


def write_imrmc(store: QuizStore, path: str | os.PathLike, *, modality: str = "GAN",
                by_generator: bool = False) -> Path:
    """The Java iMRMC input file (see the module docstring for the layout).

    Modalities are numbered 1..NM in the data rows; the header names them.
    """
    m = mrmc_frame(store, modality=modality, by_generator=by_generator)
    tests = sorted(m["test"].unique())
    ids = {t: i + 1 for i, t in enumerate(tests)}
    truth = m.drop_duplicates("case").sort_values("case")
    lines = ["mammostudio reader study: real (truth 0) vs generated (truth 1) lesion patches",
             "score = confidence rating, higher = more sure the image is generated"]
    lines += [f"modality {ids[t]} = {t}" for t in tests]
    lines += [
        f"NR: {m['reader'].nunique()}",
        f"N0: {int((truth['truth'] == 0).sum())}",
        f"N1: {int((truth['truth'] == 1).sum())}",
        f"NM: {len(tests)}",
        "",
        "BEGIN DATA:",
    ]
    lines += [f"-1,{c},0,{t}" for c, t in zip(truth["case"], truth["truth"])]
    lines += [f"{r},{c},{ids[t]},{s}" for r, c, t, s in zip(m["reader"], m["case"], m["test"], m["rating"])]
    return _write(path, ("\n".join(lines) + "\n").encode())


def write_imrmc_r(store: QuizStore, path: str | os.PathLike, *, modality: str = "GAN",
                  by_generator: bool = False) -> Path:
    """The R iMRMC data frame as CSV: readerID, caseID, modalityID, score (+ truth rows)."""
    m = mrmc_frame(store, modality=modality, by_generator=by_generator)
    truth = m.drop_duplicates("case").sort_values("case")
    rows = pd.concat([
        pd.DataFrame({"readerID": "truth", "caseID": truth["case"], "modalityID": "truth", "score": truth["truth"]}),
        pd.DataFrame({"readerID": m["reader"], "caseID": m["case"], "modalityID": m["test"], "score": m["rating"]}),
    ], ignore_index=True)
    return _write(path, rows.to_csv(index=False).encode())


def write_excel(store: QuizStore, path: str | os.PathLike, *, margin: float | None = None) -> Path:
    """Excel report: responses, per-reader and pooled summaries, breakdowns, verdict.

    Sheets: ``summary`` (verdict, design log), ``responses``, ``per_reader``,
    ``pooled``, ``per_generator``, ``per_case``, ``learning_curve``,
    ``response_times``, ``agreement``, ``readers``.
    """
    margin = store.config.equivalence_margin if margin is None else margin
    df = store.responses()
    res = summarise(df, margin=margin)
    pooled = res.per_reader[res.per_reader["reader"] == "ALL"].drop(columns="reader").T.reset_index()
    pooled.columns = ["statistic", "value"]
    about = pd.DataFrame({"item": ["verdict", "equivalence margin", "task", "confidence levels",
                                   "assessment cases", "training cases"] + ["log"] * len(store.log),
                          "value": [res.verdict, margin, store.config.task, store.config.confidence_levels,
                                    store.n_cases("assessment"), store.n_cases("training")] + store.log})
    readers = store.readers().drop(columns=["reader_id"])
    sheets = {
        "summary": about, "responses": df[_TIDY], "per_reader": res.per_reader, "pooled": pooled,
        "per_generator": res.per_generator, "per_case": res.per_case, "learning_curve": res.learning,
        "response_times": res.response_times, "agreement": pd.DataFrame([res.kappa]), "readers": readers,
    }
    return write_workbook(path, sheets, fit_columns=True)


def write_workbook(path: str | os.PathLike, sheets: dict[str, pd.DataFrame], *, fit_columns: bool = False) -> Path:
    """Sheets as an ``.xlsx``, built in memory then written atomically.

    Raises
    ------
    OSError
        Naming the file (e.g. a full disk), with nothing left under its name.
    """
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, table in sheets.items():
            table.to_excel(xw, sheet_name=name, index=False)
            if fit_columns:
                ws = xw.sheets[name]
                for col in ws.columns:
                    width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:200])
                    ws.column_dimensions[col[0].column_letter].width = min(max(10, width + 2), 90)
    return _write(path, buf.getvalue())


def _write(path: str | os.PathLike, data: bytes) -> Path:
    try:
        return write_bytes(path, data)
    except OSError as exc:
        raise OSError(exc.errno, f"{path}: cannot write ({exc.strerror or exc})") from exc
