"""The acquisition filter of the paper (Table 2; spec 1.3), every criterion editable.

The paper kept only images from one manufacturer and model (so that all went
through the same processing), at 100 mA and magnification factor 1 (to drop
magnified projections), and only processed ("for presentation") images.

How each criterion compares (a criterion set to ``None`` is disabled):

==================  =====================================================================
manufacturer        any of the given strings occurs in the header value, ignoring case.
                    The default ``("Hologic", "Lorad")`` accepts "HOLOGIC, Inc.",
                    "Lorad, A Hologic Company" and plain "Lorad": Lorad is Hologic's
                    mammography line (the Selenia was sold under both names), so these
                    are one vendor and one processing chain. Use ``("Hologic, Inc.",)``
                    for the paper's literal value.
model_name          equal to any of the given names, ignoring case and repeated blanks
                    ("LORAD  SELENIA" == "Lorad Selenia"; "Selenia Dimensions" is not).
tube_current_ma     a number (equal within 1e-6 mA) or an inclusive ``(low, high)`` range.
magnification       ``|value - magnification| <= magnification_tolerance``. The default
                    tolerance 0.005 accepts 1, 1.0 and 1.000 and, like the paper's exact
                    value, rejects 1.0304 and 1.073; widen it (e.g. 0.1) to keep contact
                    views whose header records the geometric factor while still dropping
                    magnification views (1.5 - 2.15).
for_presentation    the (0008,0068) flag equals the given bool.
==================  =====================================================================

A missing value (empty string, NA) never matches an enabled criterion; the
report counts such images separately so a user can see whether the filter
removed an image for its value or for the lack of one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .settings import JsonSettings

__all__ = ["AcquisitionFilter", "FilterReport", "CRITERIA"]

# Criterion name -> the catalog images column it reads.
CRITERIA: dict[str, str] = {
    "manufacturer": "manufacturer",
    "model_name": "model_name",
    "tube_current_ma": "tube_current_ma",
    "magnification": "magnification",
    "for_presentation": "for_presentation",
}


def _words(text: str) -> str:
    return " ".join(str(text).split()).casefold()


_TRUE = {"true", "yes", "y", "1", "for presentation"}
_FALSE = {"false", "no", "n", "0", "for processing"}


def _flags(col: pd.Series) -> pd.Series:
    """A nullable boolean Series from bools or words ('True', 'FOR PRESENTATION', ...)."""
    try:
        return col.astype("boolean")
    except (TypeError, ValueError):
        words = col.astype("string").str.strip().str.casefold()
        return words.map(lambda w: True if w in _TRUE else False if w in _FALSE else pd.NA).astype("boolean")


def _as_tuple(value) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    items = tuple(str(v).strip() for v in items if str(v).strip())
    if not items:
        raise ValueError("an enabled text criterion needs at least one non-empty string (use None to disable)")
    return items


@dataclass(frozen=True)
class AcquisitionFilter(JsonSettings):
    """Which acquisitions to keep (defaults: the paper's Table 2).

    Parameters
    ----------
    manufacturer : tuple of str or None
        Case-insensitive substrings; an image matches if any occurs.
    model_name : tuple of str or None
        Accepted model names, compared case- and blank-insensitively.
    tube_current_ma : float, (low, high) or None
        X-ray tube current in mA: equal, or within the inclusive range.
    magnification : float or None
        Estimated radiographic magnification factor.
    magnification_tolerance : float
        Largest accepted ``|value - magnification|``.
    for_presentation : bool or None
        Keep processed (True) or raw (False) images.
    """

    _LABEL = "acquisition filter"

    manufacturer: tuple[str, ...] | None = ("Hologic", "Lorad")
    model_name: tuple[str, ...] | None = ("Lorad Selenia",)
    tube_current_ma: float | tuple[float, float] | None = 100.0
    magnification: float | None = 1.0
    magnification_tolerance: float = 0.005
    for_presentation: bool | None = True

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise in place once
        set_(self, "manufacturer", _as_tuple(self.manufacturer))
        set_(self, "model_name", _as_tuple(self.model_name))
        current = self.tube_current_ma
        if current is not None:
            if isinstance(current, (list, tuple)):
                if len(current) != 2 or float(current[0]) > float(current[1]):
                    raise ValueError(f"tube_current_ma range must be (low, high) with low <= high, got {current!r}")
                set_(self, "tube_current_ma", (float(current[0]), float(current[1])))
            else:
                set_(self, "tube_current_ma", float(current))
        if self.magnification is not None:
            set_(self, "magnification", float(self.magnification))
        if not float(self.magnification_tolerance) >= 0:
            raise ValueError(f"magnification_tolerance must be >= 0, got {self.magnification_tolerance!r}")
        set_(self, "magnification_tolerance", float(self.magnification_tolerance))
        if self.for_presentation is not None and not isinstance(self.for_presentation, (bool, np.bool_)):
            raise ValueError(f"for_presentation must be True, False or None, got {self.for_presentation!r}")

    @classmethod
    def paper(cls) -> "AcquisitionFilter":
        """The paper's Table 2 (same as the defaults)."""
        return cls()

    @classmethod
    def disabled(cls) -> "AcquisitionFilter":
        """Every criterion off: keeps every image."""
        return cls(None, None, None, None, 0.005, None)

    tiny = disabled  # the house-style preset name for tests

    # -- criteria -------------------------------------------------------------
    def enabled(self) -> list[str]:
        """Names of the enabled criteria, in the order they are applied."""
        return [name for name in CRITERIA if getattr(self, name) is not None]

    def describe(self) -> dict[str, str]:
        """Each criterion in words ('off' when disabled)."""
        cur = self.tube_current_ma
        text = {
            "manufacturer": self.manufacturer and "contains " + " or ".join(repr(m) for m in self.manufacturer),
            "model_name": self.model_name and "is " + " or ".join(repr(m) for m in self.model_name),
            "tube_current_ma": cur is not None
            and (f"{cur[0]:g}..{cur[1]:g} mA" if isinstance(cur, tuple) else f"= {cur:g} mA"),
            "magnification": self.magnification is not None
            and f"{self.magnification:g} +- {self.magnification_tolerance:g}",
            "for_presentation": self.for_presentation is not None and f"= {bool(self.for_presentation)}",
        }
        return {k: (v if v else "off") for k, v in text.items()}

    def _passes(self, name: str, col: pd.Series) -> tuple[pd.Series, pd.Series]:
        """(matches, missing) boolean Series for one enabled criterion."""
        if name in ("manufacturer", "model_name"):
            # Decided once per distinct value (an archive of 200,000 images has a handful).
            codes, uniques = pd.factorize(col.astype("string").fillna(""))
            words = [_words(u) for u in uniques]
            if name == "manufacturer":
                wanted = [_words(m) for m in self.manufacturer]
                ok = [any(w in v for w in wanted) for v in words]
            else:
                models = {_words(m) for m in self.model_name}
                ok = [v in models for v in words]
            codes = np.asarray(codes)
            missing = pd.Series(np.array([v == "" for v in words] + [True], bool)[codes], index=col.index)
            match = pd.Series(np.array(ok + [False], bool)[codes], index=col.index)
        elif name == "for_presentation":
            flag = _flags(col)
            missing = flag.isna()
            match = (flag == bool(self.for_presentation)).fillna(False)
        else:
            num = pd.to_numeric(col, errors="coerce").astype("Float64")
            missing = num.isna()
            if name == "magnification":
                match = (num - self.magnification).abs() <= self.magnification_tolerance + 1e-9
            elif isinstance(self.tube_current_ma, tuple):
                low, high = self.tube_current_ma
                match = (num >= low - 1e-6) & (num <= high + 1e-6)
            else:
                match = (num - self.tube_current_ma).abs() <= 1e-6
            match = match.fillna(False)
        return match.astype(bool) & ~missing.astype(bool), missing.astype(bool)

    def apply(self, images: pd.DataFrame) -> "FilterReport":
        """Filter a catalog images table.

        Parameters
        ----------
        images : pandas.DataFrame
            Needs the columns of the enabled criteria (catalog names:
            manufacturer, model_name, tube_current_ma, magnification,
            for_presentation).

        Returns
        -------
        FilterReport

        Raises
        ------
        ValueError
            If a column needed by an enabled criterion is absent.
        """
        absent = [CRITERIA[n] for n in self.enabled() if CRITERIA[n] not in images.columns]
        if absent:
            raise ValueError(f"images table lacks column(s) {absent} needed by the acquisition filter")
        kept = pd.Series(True, index=images.index, dtype=bool)
        passes, removed_alone, removed_seq, missing = {}, {}, {}, {}
        for name in self.enabled():
            match, miss = self._passes(name, images[CRITERIA[name]])
            passes[name] = match
            removed_alone[name] = int((~match).sum())
            removed_seq[name] = int((kept & ~match).sum())
            missing[name] = int(miss.sum())
            kept &= match
        return FilterReport(
            kept=kept.rename("kept"),
            passes=pd.DataFrame(passes, index=images.index),
            removed_alone=removed_alone,
            removed_in_sequence=removed_seq,
            missing=missing,
            criteria=self.describe(),
        )

    # -- JSON -----------------------------------------------------------------




@dataclass(frozen=True)
class FilterReport:
    """What :meth:`AcquisitionFilter.apply` did.

    Attributes
    ----------
    kept : pandas.Series of bool
        Same index as the images table; True for images passing every criterion.
    passes : pandas.DataFrame of bool
        One column per enabled criterion.
    removed_alone : dict
        Per criterion, images failing it (as if it were the only criterion).
    removed_in_sequence : dict
        Per criterion, images it removes after the earlier criteria (in
        :data:`CRITERIA` order); these sum to the number removed.
    missing : dict
        Per criterion, images with no value (counted as failing).
    criteria : dict
        Every criterion in words ('off' when disabled).
    """

    kept: pd.Series
    passes: pd.DataFrame
    removed_alone: dict[str, int]
    removed_in_sequence: dict[str, int]
    missing: dict[str, int]
    criteria: dict[str, str]

    @property
    def n_total(self) -> int:
        return int(len(self.kept))

    @property
    def n_kept(self) -> int:
        return int(self.kept.sum())

    def summary(self) -> dict[str, Any]:
        """Plain counts for printing or JSON."""
        return {
            "images": self.n_total,
            "kept": self.n_kept,
            "removed": self.n_total - self.n_kept,
            "criteria": [
                {
                    "name": name,
                    "rule": rule,
                    "enabled": name in self.removed_alone,
                    "removed_alone": self.removed_alone.get(name, 0),
                    "removed_in_sequence": self.removed_in_sequence.get(name, 0),
                    "missing": self.missing.get(name, 0),
                }
                for name, rule in self.criteria.items()
            ],
        }
