"""The catalog: one table of images and one of lesion boxes, whatever the archive.

Every reader (annotation workbook, OMI-DB JSON tree, mini-MIAS) fills the same two
pandas tables; everything downstream (filter, preprocessing, patches, viewer)
reads only these.

Images table (one row per image), index-free, columns:

=================  =========  ====================================================
column             dtype      meaning
=================  =========  ====================================================
image_id           str        unique: DICOM SOPInstanceUID, or file stem (mdb001)
patient_id         str        patient (anonymised) identifier
study_id           str        study identifier (StudyInstanceUID)
series_id          str        series identifier ('' when unknown)
path               str        absolute path of the pixel file
format             str        'dicom', 'pgm' or 'png'
laterality         str        'L', 'R' or '' when unknown
view               str        'CC', 'MLO', ... or '' when unknown
rows, cols         Int64      image size in pixels (<NA> until known)
manufacturer       str        (0008,0070), '' when missing
model_name         str        (0008,1090), '' when missing
tube_current_ma    Float64    (0018,1151) X-ray tube current in mA
magnification      Float64    (0018,1114) estimated radiographic magnification
for_presentation   boolean    (0008,0068) == 'FOR PRESENTATION'
photometric        str        'MONOCHROME1' / 'MONOCHROME2' / ''
pixel_spacing_mm   Float64    row spacing in mm (<NA> when unknown)
tissue             str        breast density / tissue class when known (MIAS F/G/D)
=================  =========  ====================================================

Lesions table (one row per box), columns:

=================  =========  ====================================================
lesion_uid         str        unique: ``f"{image_id}:{lesion_id}"``
image_id           str        the image the box is drawn on
lesion_id          str        lesion identifier within the archive
row_min, col_min   int64      top-left corner, inclusive, (row, col) = (y, x)
row_max, col_max   int64      bottom-right corner, inclusive
status             str        biopsy category as written ('B1'..'B5'), '' unknown
status_ordinal     Int64      1..5 from ``status``, <NA> when unknown
lesion_type        str        normalised: 'mass', 'calcification',
                              'focal asymmetry', 'architectural distortion', or
                              several joined by '+' (sorted); '' unknown
severity           str        'benign' / 'malignant' / '' (MIAS B/M)
source             str        where the row came from ("Info.txt line 17")
simulated          bool       True for a lesion inserted by ``mammostudio simulate``
                              (missing = False)
=================  =========  ====================================================

Boxes are in (row, col) image coordinates, origin top-left, both ends inclusive
(spec 1.1 / 1.5). Readers convert from x/y at the file edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "IMAGE_COLUMNS",
    "LESION_COLUMNS",
    "LESION_TYPES",
    "Problem",
    "Catalog",
    "empty_images",
    "empty_lesions",
    "normalise_lesion_type",
    "status_ordinal",
]

IMAGE_COLUMNS: dict[str, str] = {
    "image_id": "string",
    "patient_id": "string",
    "study_id": "string",
    "series_id": "string",
    "path": "string",
    "format": "string",
    "laterality": "string",
    "view": "string",
    "rows": "Int64",
    "cols": "Int64",
    "manufacturer": "string",
    "model_name": "string",
    "tube_current_ma": "Float64",
    "magnification": "Float64",
    "for_presentation": "boolean",
    "photometric": "string",
    "pixel_spacing_mm": "Float64",
    "tissue": "string",
}

LESION_COLUMNS: dict[str, str] = {
    "lesion_uid": "string",
    "image_id": "string",
    "lesion_id": "string",
    "row_min": "int64",
    "col_min": "int64",
    "row_max": "int64",
    "col_max": "int64",
    "status": "string",
    "status_ordinal": "Int64",
    "lesion_type": "string",
    "severity": "string",
    "source": "string",
    "simulated": "bool",
}

LESION_TYPES = ("mass", "calcification", "focal asymmetry", "architectural distortion")

_TYPE_ALIASES = {
    "mass": "mass",
    "masses": "mass",
    "circ": "mass",
    "spic": "mass",
    "misc": "mass",
    "calcification": "calcification",
    "calcifications": "calcification",
    "calc": "calcification",
    "withcalcification": "calcification",
    "suspiciouscalcifications": "calcification",
    "focal asymmetry": "focal asymmetry",
    "focalasymmetry": "focal asymmetry",
    "asymmetry": "focal asymmetry",
    "asym": "focal asymmetry",
    "architectural distortion": "architectural distortion",
    "architecturaldistortion": "architectural distortion",
    "distortion": "architectural distortion",
    "arch": "architectural distortion",
}


def normalise_lesion_type(text: str | None) -> str:
    """Map a free-text lesion type to the catalog's vocabulary.

    Parameters
    ----------
    text : str or None
        E.g. "Mass", "mass + calcification", "Calcifications", "SPIC".
        Combinations may be separated by '+', ',', ';', '/', '&' or ' and '.

    Returns
    -------
    str
        Known types sorted and joined by '+'; unknown words are kept lower-case
        so nothing is silently lost; '' for empty input.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    raw = str(text).strip().lower()
    if not raw:
        return ""
    for sep in [",", ";", "/", "&", " and ", " with "]:
        raw = raw.replace(sep, "+")
    parts = [p.strip() for p in raw.split("+") if p.strip()]
    out = set()
    for p in parts:
        key = " ".join(p.split())
        out.add(_TYPE_ALIASES.get(key, _TYPE_ALIASES.get(key.replace(" ", ""), key)))
    return "+".join(sorted(out))


def status_ordinal(status: str | None) -> int | None:
    """Return 1..5 for a biopsy category 'B1'..'B5' (also '5', 'b5'), else None."""
    if status is None:
        return None
    s = str(status).strip().upper()
    if s.startswith("B"):
        s = s[1:]
    return int(s) if s in {"1", "2", "3", "4", "5"} else None


@dataclass(frozen=True)
class Problem:
    """Something wrong with one file or row; the rest of the dataset still loads.

    Parameters
    ----------
    path : str
        The file (and row, when relevant) the problem is in.
    message : str
        What is wrong, in words a user can act on.
    severity : str
        'error' (the item was skipped) or 'warning' (loaded with a fix-up).
    """

    path: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.severity}: {self.path}: {self.message}"


def empty_images(n: int = 0) -> pd.DataFrame:
    """An images table with the catalog's columns and dtypes and ``n`` blank rows."""
    return _typed(pd.DataFrame(index=range(n), columns=list(IMAGE_COLUMNS)), IMAGE_COLUMNS)


def empty_lesions() -> pd.DataFrame:
    """An empty lesions table with the catalog's columns and dtypes."""
    return _typed(pd.DataFrame(columns=list(LESION_COLUMNS)), LESION_COLUMNS)


def _typed(df: pd.DataFrame, schema: dict[str, str]) -> pd.DataFrame:
    for col, dtype in schema.items():
        if col not in df.columns:
            df[col] = pd.NA
        if dtype == "string":
            df[col] = df[col].astype("string").fillna("")
        elif dtype == "bool":  # a flag: missing means False
            df[col] = df[col].astype("boolean").fillna(False).astype(bool)
        elif dtype == "int64":
            df[col] = pd.to_numeric(df[col]).astype("int64")
        else:
            df[col] = df[col].astype(dtype)
    return df[list(schema)].reset_index(drop=True)


@dataclass
class Catalog:
    """Images, lesion boxes and the problems met while reading a dataset.

    Parameters
    ----------
    images : pandas.DataFrame
        See the module docstring for columns.
    lesions : pandas.DataFrame
        See the module docstring for columns.
    root : pathlib.Path
        The dataset folder the catalog was read from.
    source_format : str
        'workbook', 'omidb' or 'mias'.
    problems : list of Problem
        Files or rows that were skipped or fixed up.
    """

    images: pd.DataFrame
    lesions: pd.DataFrame
    root: Path
    source_format: str
    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.images = _typed(self.images.copy(), IMAGE_COLUMNS)
        self.lesions = _typed(self.lesions.copy(), LESION_COLUMNS)
        dup = self.images["image_id"].duplicated()
        if dup.any():
            raise ValueError(f"duplicate image_id in catalog: {list(self.images.loc[dup, 'image_id'][:5])}")

    @property
    def n_images(self) -> int:
        """Number of images."""
        return len(self.images)

    @property
    def n_lesions(self) -> int:
        """Number of lesion boxes."""
        return len(self.lesions)

    def image(self, image_id: str) -> pd.Series:
        """The images-table row of ``image_id`` (KeyError when absent)."""
        hit = self.images.loc[self.images["image_id"] == image_id]
        if hit.empty:
            raise KeyError(f"no image {image_id!r} in catalog of {self.root}")
        return hit.iloc[0]

    def lesions_of(self, image_id: str) -> pd.DataFrame:
        """The lesion rows drawn on ``image_id`` (possibly empty)."""
        return self.lesions.loc[self.lesions["image_id"] == image_id]

    def boxes_of(self, image_id: str) -> np.ndarray:
        """Boxes of ``image_id`` as an int array (n, 4): row_min, col_min, row_max, col_max."""
        les = self.lesions_of(image_id)
        return les[["row_min", "col_min", "row_max", "col_max"]].to_numpy(dtype=np.int64).reshape(-1, 4)

    def with_lesion(self) -> pd.Series:
        """Boolean Series over images: True where the image has at least one box."""
        return self.images["image_id"].isin(set(self.lesions["image_id"]))

    def subset(self, image_ids) -> "Catalog":
        """A catalog restricted to ``image_ids`` (problems are kept)."""
        ids = set(image_ids)
        return Catalog(
            images=self.images[self.images["image_id"].isin(ids)],
            lesions=self.lesions[self.lesions["image_id"].isin(ids)],
            root=self.root,
            source_format=self.source_format,
            problems=list(self.problems),
        )

    def summary(self) -> dict:
        """Plain counts for printing or JSON."""
        with_lesion = int(self.with_lesion().sum())
        return {
            "root": str(self.root),
            "format": self.source_format,
            "patients": int(self.images["patient_id"].nunique()),
            "studies": int(self.images["study_id"].nunique()),
            "images": self.n_images,
            "images_with_lesion": with_lesion,
            "images_without_lesion": self.n_images - with_lesion,
            "lesions": self.n_lesions,
            "lesion_types": {k: int(v) for k, v in self.lesions["lesion_type"].value_counts().items()},
            "problems": len(self.problems),
        }
