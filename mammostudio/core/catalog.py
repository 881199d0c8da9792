"""The catalog: one table of images and one of lesion boxes, whatever the archive.

Every reader (annotation workbook, OMI-DB JSON tree, mini-MIAS, CBIS-DDSM,
VinDr-Mammo, INbreast, a plain DICOM folder) fills the same two pandas tables;
everything downstream (filter, preprocessing, patches, viewer) reads only these.
Readers hand their rows to :func:`mammostudio.core.readers.validate.finish`,
which checks every box and row the same way for all of them.

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
density            str        BI-RADS breast composition 'A'..'D' ('' unknown);
                              ACR 1-4 (CBIS-DDSM, INbreast) map to A-D
birads             str        breast-level BI-RADS assessment '0'..'6', '4A'..'4C'
                              ('' unknown); CBIS-DDSM gives it per abnormality,
                              the image gets the highest of its abnormalities
split              str        the archive's published split ('training' / 'test')
                              or ''
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
pathology          str        'benign' / 'malignant' / 'unknown' (the archive has
                              the field but leaves it open) / '' (no such field);
                              MIAS B/M, CBIS-DDSM PATHOLOGY (BENIGN_WITHOUT_CALLBACK
                              is 'benign', the raw text stays in ``finding``)
severity           str        the same as ``pathology`` (older name, kept in sync
                              for the patch index and older code)
birads             str        the finding's BI-RADS assessment, as ``birads`` above
source             str        where the row came from ("Info.txt line 17")
simulated          bool       True for a lesion inserted by ``mammostudio simulate``
                              (missing = False)
=================  =========  ====================================================

Optional lesion descriptors (:data:`LESION_DESCRIPTORS`, strings, '' when the
archive has no such field): ``finding`` (the archive's own label, e.g. a VinDr
finding category list, an INbreast ROI name, CBIS-DDSM's raw pathology),
``subtlety`` (CBIS-DDSM 1-5), ``calc_type`` and ``calc_distribution`` (CBIS-DDSM
calcifications), ``mass_shape`` and ``mass_margins`` (CBIS-DDSM masses). Always
present (blank) so code can rely on the columns.

Boxes are in (row, col) image coordinates, origin top-left, both ends inclusive
(spec 1.1 / 1.5). Readers convert from x/y at the file edge.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .catalog_values import (BIRADS, DENSITIES, LESION_TYPES, PATHOLOGIES, normalise_birads, normalise_density,
                             normalise_lesion_type, normalise_pathology, status_ordinal)

__all__ = [
    "IMAGE_COLUMNS",
    "LESION_COLUMNS",
    "LESION_TYPES",
    "Problem",
    "Catalog",
    "LESION_DESCRIPTORS",
    "PATHOLOGIES",
    "DENSITIES",
    "BIRADS",
    "empty_images",
    "empty_lesions",
    "normalise_lesion_type",
    "normalise_pathology",
    "normalise_birads",
    "normalise_density",
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
    "density": "string",
    "birads": "string",
    "split": "string",
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
    "pathology": "string",
    "severity": "string",
    "birads": "string",
    "source": "string",
    "finding": "string",
    "subtlety": "string",
    "calc_type": "string",
    "calc_distribution": "string",
    "mass_shape": "string",
    "mass_margins": "string",
    "simulated": "bool",
}
LESION_DESCRIPTORS = ("finding", "subtlety", "calc_type", "calc_distribution", "mass_shape", "mass_margins")
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
        'error' (the item was skipped) or 'warning' (loaded with a fix-up, or
        a value taken from a weaker source such as the file name).
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


def _pathology_in_sync(lesions: pd.DataFrame) -> pd.DataFrame:
    """Fill ``pathology`` from the older ``severity`` column where only that is set, and back."""
    if lesions.empty:
        return lesions
    for col in ("pathology", "severity"):
        if col not in lesions.columns:
            lesions[col] = ""
        lesions[col] = lesions[col].astype("string").fillna("")
    lesions["pathology"] = lesions["pathology"].where(lesions["pathology"] != "",
                                                      lesions["severity"].map(normalise_pathology))
    lesions["severity"] = lesions["pathology"]
    return lesions


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


_NO_ROWS = np.zeros(0, dtype=np.intp)


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
        self.lesions = _typed(_pathology_in_sync(self.lesions.copy()), LESION_COLUMNS)
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
        """The lesion rows drawn on ``image_id`` (possibly empty).

        A lookup in an index of the lesions table, made on the first call (or by
        :meth:`index_lesions` beforehand) and made again if the table is replaced.
        """
        index = self.index_lesions()
        return self.lesions.iloc[index.get(str(image_id), _NO_ROWS)]

    def index_lesions(self) -> dict:
        """{image id: positions of its rows in ``lesions``}, cached for the current table."""
        cached = self.__dict__.get("_lesion_index")
        if cached is None or cached[0] is not self.lesions:
            ids = self.lesions["image_id"].astype(str)
            cached = (self.lesions, ids.groupby(ids, sort=False).indices if len(ids) else {})
            self.__dict__["_lesion_index"] = cached
        return cached[1]

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
            "pathology": _counts(self.lesions["pathology"]),
            "birads": _counts(self.images["birads"]),
            "density": _counts(self.images["density"]),
            "problems": len(self.problems),
        }


def _counts(column: pd.Series) -> dict:
    """Value counts of a text column with '' named 'unknown', sorted by value."""
    return {k: int(v) for k, v in sorted(column.replace("", "unknown").value_counts().items())}
