"""The study table's data: column arrays of a catalog, search and sort (no Qt).

:func:`study_table` turns a catalog into display strings, numbers, a search
text per row and sort ranks once (vectorised; the open worker runs it);
:func:`visible_order` gives the rows to show, in order, for a filter, a search
text and a sort column. Both are plain numpy / pandas, safe on any thread;
:mod:`mammostudio.gui.browser` shows the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .navigation import hanging_rank

__all__ = ["COLUMNS", "KEYS", "OPTIONAL", "NUMERIC", "SEARCHABLE", "StudyTable", "study_table", "visible_order",
           "search_text", "grouping_order", "hanging_ranks", "StudyIndex"]

# (header, table key); optional columns are hidden when the catalog has no value in them
COLUMNS = (("Patient", "patient_id"), ("Study", "study_id"), ("Image", "image_id"), ("Side", "laterality"),
           ("View", "view"), ("Lesions", "lesions"), ("Types", "types"), ("Category", "category"),
           ("Pathology", "pathology"), ("BI-RADS", "birads"), ("Density", "density"),
           ("Manufacturer", "manufacturer"), ("Model", "model_name"), ("mA", "tube_current_ma"),
           ("Mag.", "magnification"), ("Size", "size"), ("Problem", "problem"))
KEYS = tuple(k for _, k in COLUMNS)
OPTIONAL = {"pathology", "birads", "density", "category", "manufacturer", "model_name", "tube_current_ma",
            "magnification", "problem"}
NUMERIC = {"lesions", "tube_current_ma", "magnification"}
SEARCHABLE = ("patient_id", "study_id", "image_id", "laterality", "view", "types", "category", "pathology",
              "birads", "density", "manufacturer", "model_name")


@dataclass
class StudyTable:
    """Column arrays of one catalog, ready for display, search and sort."""

    ids: np.ndarray  # object array of image ids
    text: dict  # key -> object array of display strings
    numbers: dict  # key -> float array (NaN = none) for the numeric columns
    hay: np.ndarray  # lower-case search text per row
    row_of: dict  # image id -> row
    files: dict  # 'path' and 'format' arrays (thumbnails load from them)
    ranks: dict = field(default_factory=dict)  # key -> int32 rank (computed on first sort)
    grouping: np.ndarray | None = None  # the default order
    filled: dict = field(default_factory=dict)  # key -> any row has a value (empty columns are hidden)

    def __len__(self) -> int:
        return len(self.ids)

    def rank(self, key: str) -> np.ndarray:
        """Dense rank of column ``key`` (numbers numerically, text as text); cached."""
        if key not in self.ranks:
            if key in self.numbers:
                values = self.numbers[key]
                self.ranks[key] = np.unique(np.nan_to_num(values, nan=-np.inf), return_inverse=True)[1].astype(np.int32)
            else:  # fixed-width unicode: numpy sorts it without holding the GIL
                values = self.text[key].astype(str) if len(self.ids) else np.array([], str)
                self.ranks[key] = np.unique(values, return_inverse=True)[1].astype(np.int32)
        return self.ranks[key]


def _join(series: pd.Series) -> pd.Series:
    """Per image: the distinct non-empty values, sorted, joined by ', '."""
    s = series.astype(str)
    s = s[(s != "") & (s != "<NA>") & (s != "nan")]
    if s.empty:
        return pd.Series(dtype=object)
    frame = s.reset_index().drop_duplicates().sort_values(list(s.reset_index().columns))
    return frame.groupby(frame.columns[0])[frame.columns[1]].agg(", ".join)


def _fmt(values: pd.Series) -> np.ndarray:
    out = values.astype(object).where(values.notna(), "")
    return np.array([("" if v == "" else f"{v:g}" if isinstance(v, float) else str(v)) for v in out], dtype=object)


def study_table(images: pd.DataFrame, lesions: pd.DataFrame, problems=()) -> StudyTable:
    """The table of :class:`StudyTableModel` (vectorised; safe to run on a worker thread).

    Parameters
    ----------
    images, lesions : DataFrame
        The catalog tables (lesions with boxes marked wrong included: the viewer shows them).
        Optional columns used when present: lesions ``pathology``, ``birads``;
        images ``density``, ``birads``, ``tissue``.
    problems : iterable of Problem
        Images named by a problem (by path) get it in the Problem column.
    """
    n = len(images)
    ids = images["image_id"].astype(str).to_numpy(dtype=object)
    by_image = lesions.set_index("image_id") if len(lesions) else lesions
    count = lesions.groupby("image_id").size() if len(lesions) else pd.Series(dtype=int)
    text: dict[str, np.ndarray] = {}
    for key in ("patient_id", "study_id", "image_id", "laterality", "view", "manufacturer", "model_name"):
        text[key] = images[key].astype(str).to_numpy(dtype=object)
    index = pd.Index(ids)
    if not index.is_unique:
        raise ValueError("duplicate image ids in the catalog")

    def per_image(series: pd.Series) -> np.ndarray:
        out = series.astype(object).reindex(index)
        return out.where(out.notna(), "").to_numpy(dtype=object)

    empty = np.full(n, "", dtype=object)
    text["types"] = per_image(_join(by_image["lesion_type"])) if len(lesions) else empty
    if len(lesions):
        best = lesions.loc[lesions["status_ordinal"].notna()].groupby("image_id")["status_ordinal"].max()
        text["category"] = per_image("B" + best.astype(int).astype(str))
    else:
        text["category"] = empty
    for key in ("pathology", "birads"):
        col = per_image(_join(by_image[key])) if len(lesions) and key in lesions.columns else empty
        if key == "birads" and "birads" in images.columns:
            own = images["birads"].astype(object).where(images["birads"].notna(), "").astype(str).to_numpy(object)
            col = np.where(col == "", own, col)
        text[key] = col
    density = images["density"] if "density" in images.columns else images.get("tissue", pd.Series([""] * n))
    text["density"] = density.astype(object).where(density.notna(), "").astype(str).to_numpy(dtype=object)
    numbers = {"lesions": count.reindex(index).fillna(0).to_numpy(dtype=float),
               "tube_current_ma": pd.to_numeric(images["tube_current_ma"], errors="coerce").to_numpy(float, na_value=np.nan),
               "magnification": pd.to_numeric(images["magnification"], errors="coerce").to_numpy(float, na_value=np.nan)}
    text["lesions"] = numbers["lesions"].astype(int).astype(str).astype(object)
    text["tube_current_ma"] = _fmt(images["tube_current_ma"])
    text["magnification"] = _fmt(images["magnification"])
    known = (images["rows"].notna() & images["cols"].notna()).tolist()
    text["size"] = np.array([f"{r}x{c}" if k else "" for r, c, k in
                             zip(images["rows"].tolist(), images["cols"].tolist(), known)], dtype=object)
    why = {}
    for p in problems:
        why.setdefault(p.path, p.message)
    text["problem"] = images["path"].map(why).fillna("").to_numpy(dtype=object) if why else empty
    hay = text[SEARCHABLE[0]].copy()
    for key in SEARCHABLE[1:]:
        hay = hay + " " + text[key]
    hay = np.array([h.lower() for h in hay], dtype=object)
    text = {k: np.array(v, dtype=object) for k, v in text.items()}  # writable (box edits change rows)
    numbers = {k: np.array(v, dtype=float) for k, v in numbers.items()}
    files = {k: images[k].astype(str).to_numpy(dtype=object) for k in ("path", "format")}
    table = StudyTable(ids=ids, text=text, numbers=numbers, hay=hay, row_of={i: r for r, i in enumerate(ids)},
                       files=files)
    table.filled = {k: bool((v != "").any()) for k, v in text.items()}
    table.grouping = grouping_order(table)
    return table


def hanging_ranks(table: StudyTable) -> np.ndarray:
    """Per row: its place in the hanging order RCC, LCC, RMLO, LMLO (others after), computed
    once per distinct (side, view) pair."""
    if not len(table):
        return np.zeros(0, np.int64)
    lat, view = table.rank("laterality").astype(np.int64), table.rank("view").astype(np.int64)
    pair = lat * (int(view.max()) + 1) + view
    distinct, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    per_pair = np.array([hanging_rank(table.text["laterality"][r], table.text["view"][r]) for r in first], np.int64)
    return per_pair[inverse.reshape(-1)]


def grouping_order(table: StudyTable) -> np.ndarray:
    """The default order: patient, study, then the hanging order (RCC, LCC, RMLO, LMLO), then image id."""
    if not len(table):
        return np.zeros(0, np.int64)
    keys = [table.rank("image_id"), hanging_ranks(table), table.rank("study_id"), table.rank("patient_id")]
    return np.lexsort(keys).astype(np.int64)


def search_text(table: StudyTable, row: int) -> str:
    """The lower-case text search looks in for one row (after a box edit)."""
    return " ".join(str(table.text[k][row]) for k in SEARCHABLE).lower()


def visible_order(table: StudyTable, kept: set | None, text: str, sort_key: str | None,
                  descending: bool = False) -> np.ndarray:
    """Rows to show, in order: kept by the filter panel (None = all), containing ``text``
    (case-insensitive) and sorted by ``sort_key`` (None: patient, study, then the hanging order RCC, LCC, RMLO, LMLO)."""
    order = table.grouping
    mask = np.ones(len(table), bool)
    if kept is not None and len(kept) != len(table):
        mask = np.fromiter((i in kept for i in table.ids), bool, len(table))
    needle = text.strip().lower()
    if needle:
        mask &= np.fromiter((needle in h for h in table.hay), bool, len(table))
    if sort_key is not None:
        # a stable sort of the grouped order: ties stay grouped by patient and study
        key = table.rank(sort_key)[order]
        order = order[np.argsort(-key if descending else key, kind="stable")]
    return order[mask[order]]


class StudyIndex:
    """The row positions of every (patient, study) of an images table, built once (O(n), safe
    on a worker thread); :meth:`rows` is then a dictionary lookup and a slice.

    Parameters
    ----------
    images : DataFrame
        A catalog's images table (kept as ``images``: the index is valid while it is the
        table shown).
    """

    def __init__(self, images: pd.DataFrame) -> None:
        self.images = images
        patients = images["patient_id"].astype(str).to_numpy(dtype=object)
        studies = images["study_id"].astype(str).to_numpy(dtype=object)
        codes, uniques = pd.factorize(patients + "\x1f" + studies)
        self._order = np.argsort(codes, kind="stable")
        self._starts = np.searchsorted(codes[self._order], np.arange(len(uniques) + 1))
        self._code = {key: i for i, key in enumerate(uniques)}

    def rows(self, patient_id, study_id) -> pd.DataFrame:
        """The images-table rows of one study, in table order (empty when unknown)."""
        c = self._code.get(f"{patient_id}\x1f{study_id}")
        if c is None:
            return self.images.iloc[:0]
        return self.images.iloc[self._order[self._starts[c]:self._starts[c + 1]]]
