"""Detection study design: whole mammograms with simulated, real or no lesions.

Cases come from a dataset catalog (:func:`mammostudio.core.readers.open_dataset`): a case is
one image (``case_unit='image'``) or the views of one screening study (``'study'``). Cases
with lesion boxes are abnormal, the others normal. A boolean ``simulated`` column of the
lesions table (written by ``mammostudio simulate``) marks inserted lesions; without it
every lesion is real.

Each image is stretched to 0..255 and shrunk so that its longer side is at most
``config.image_size`` pixels (area averaging); the scale back to original pixels and the
pixel spacing in mm are kept, so marks are stored and scored in original pixels and the
acceptance radius is in mm. Cases and images get opaque random ids; no patient
identifier enters what readers see or what is exported.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..catalog import Catalog
from ..images import load_pixels
from ..preprocess import normalise_uint8
from .config import StudyConfig

__all__ = ["DetImage", "DetLesion", "DetCase", "DetectionDesign", "design_detection", "display_image"]


@dataclass(frozen=True)
class DetImage:
    """One displayed image: uint8 pixels plus the mapping back to the original."""

    image_key: str
    view: str  # e.g. 'R CC' (shown to the reader)
    pixels: np.ndarray
    scale: float  # original pixels per display pixel
    rows: int
    cols: int
    spacing_mm: float | None
    origin: str  # catalog image id (stays in the database)


@dataclass(frozen=True)
class DetLesion:
    """A lesion of a case with its outline on each image it shows on (inclusive boxes)."""

    lesion_no: int
    lesion_type: str
    status: str
    source: str  # 'real' | 'simulated'
    origin: str
    outlines: tuple[tuple[str, tuple[int, int, int, int]], ...]


@dataclass(frozen=True)
class DetCase:
    """A detection case: images and hidden lesions (none for a normal case)."""

    case_id: str
    pool: str
    images: tuple[DetImage, ...]
    lesions: tuple[DetLesion, ...]


@dataclass
class DetectionDesign:
    """What :func:`design_detection` returns (written by :meth:`QuizStore.create`)."""

    config: StudyConfig
    cases: list[DetCase]
    log: list[str] = field(default_factory=list)
    items: list = field(default_factory=list)
    screening: pd.DataFrame = field(default_factory=pd.DataFrame)


def display_image(pixels: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Stretch to uint8 and shrink (area average) so the longer side is <= ``max_side``.

    Returns
    -------
    pixels : ndarray uint8 (rows', cols')
    scale : float
        Original pixels per display pixel (1.0 when not shrunk).
    """
    from PIL import Image

    img = normalise_uint8(np.asarray(pixels))
    rows, cols = img.shape
    scale = max(rows, cols) / float(max_side)
    if scale <= 1.0:
        return img, 1.0
    size = (max(1, round(cols / scale)), max(1, round(rows / scale)))
    out = np.asarray(Image.fromarray(img).resize(size, Image.Resampling.BOX))
    return out, float(cols / out.shape[1])


def _unit_key(images: pd.DataFrame, unit: str) -> pd.Series:
    if unit == "image":
        return images["image_id"].astype(str)
    return images["study_id"].fillna("").astype(str).where(images["study_id"].fillna("") != "",
                                                             images["image_id"].astype(str))


def _view_label(row) -> str:
    text = f"{row.get('laterality', '') or ''} {row.get('view', '') or ''}".strip()
    return text or "image"


def _combine(catalogs: Sequence[Catalog]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One images and one lesions table; ids prefixed by the dataset's index when there are several."""
    if len(catalogs) == 1:
        return catalogs[0].images.reset_index(drop=True), catalogs[0].lesions.reset_index(drop=True)
    images, lesions = [], []
    for k, cat in enumerate(catalogs):
        pre = lambda s, k=k: f"{k}/" + s.astype(str)  # noqa: E731
        images.append(cat.images.assign(image_id=pre(cat.images["image_id"]), study_id=pre(cat.images["study_id"])))
        lesions.append(cat.lesions.assign(image_id=pre(cat.lesions["image_id"])))
    return pd.concat(images, ignore_index=True), pd.concat(lesions, ignore_index=True)


def design_detection(catalog: Catalog | Sequence[Catalog], config: StudyConfig) -> DetectionDesign:
    """Draw normal and abnormal cases into the training and assessment pools.

    Parameters
    ----------
    catalog : Catalog or sequence of Catalog
        One dataset, or several drawn from together (e.g. a ``mammostudio simulate``
        output, whose lesions are all simulated, and the archive it came from, for real
        lesions). A simulated dataset's controls and the archive's normal images may show
        the same breast; pick the datasets so that a reader does not see one twice.
    config : StudyConfig
        ``task='detection'``.

    Raises
    ------
    ValueError
        If the catalog has too few normal or abnormal cases for the numbers asked, or the
        acceptance radius is in mm but an image has no pixel spacing.
    """
    if config.task != "detection":
        raise ValueError("design_detection needs a StudyConfig with task='detection'")
    rng = np.random.default_rng(config.seed)
    images, lesions = _combine([catalog] if isinstance(catalog, Catalog) else list(catalog))
    simulated = lesions["simulated"].fillna(False).astype(bool) if "simulated" in lesions.columns else \
        pd.Series(False, index=lesions.index)
    lesions = lesions.assign(_sim=simulated.to_numpy())
    images = images.assign(_unit=_unit_key(images, config.case_unit))
    boxed = set(lesions["image_id"].astype(str))
    units = images.groupby("_unit", sort=True)["image_id"].apply(lambda s: sorted(map(str, s)))
    abnormal = [u for u, ids in units.items() if any(i in boxed for i in ids)]
    normal = [u for u, ids in units.items() if not any(i in boxed for i in ids)]
    pools = [("assessment", config.n_assessment), ("training", config.n_training)]
    need_n = {p: int(round(n * config.fraction_normal)) for p, n in pools}
    need_a = {p: n - need_n[p] for p, n in pools}
    if sum(need_n.values()) > len(normal) or sum(need_a.values()) > len(abnormal):
        raise ValueError(f"need {sum(need_n.values())} normal and {sum(need_a.values())} abnormal cases "
                         f"({config.case_unit}s); the dataset has {len(normal)} and {len(abnormal)}")
    pick_n = list(rng.permutation(normal)[: sum(need_n.values())])
    pick_a = list(rng.permutation(abnormal)[: sum(need_a.values())])
    by_id = images.set_index(images["image_id"].astype(str))
    cases, n0, a0 = [], 0, 0
    for pool, _ in pools:
        chosen = pick_n[n0 : n0 + need_n[pool]] + pick_a[a0 : a0 + need_a[pool]]
        n0, a0 = n0 + need_n[pool], a0 + need_a[pool]
        for unit in chosen:
            cases.append(_make_case(unit, units[unit], pool, by_id, lesions, config, rng))
    cases = [cases[i] for i in rng.permutation(len(cases))]
    n_les = [les for c in cases for les in c.lesions]
    n_sim = sum(les.source == "simulated" for les in n_les)
    log = [f"design: detection per {config.case_unit}, assessment {config.n_assessment} and training "
           f"{config.n_training} cases ({sum(need_n.values())} normal, {sum(need_a.values())} abnormal), "
           f"{len(n_les)} lesions ({n_sim} simulated, {len(n_les) - n_sim} real), display <= {config.image_size} px, "
           f"acceptance {'inside the outline' if config.acceptance_radius_mm is None else f'{config.acceptance_radius_mm} mm of the centre'}, "
           f"seed {config.seed}"]
    return DetectionDesign(config, cases, log)


def _make_case(unit: str, image_ids: list[str], pool: str, by_id: pd.DataFrame, lesions: pd.DataFrame,
               config: StudyConfig, rng: np.random.Generator) -> DetCase:
    # Hanging order of a screening study: CC above MLO, right breast left of the left breast.
    order = sorted(image_ids, key=lambda i: (str(by_id.loc[i].get("view", "")),
                                             str(by_id.loc[i].get("laterality", "")) != "R", i))
    dimages, key_of = [], {}
    for image_id in order:
        row = by_id.loc[image_id]
        raw = load_pixels(row)
        pixels, scale = display_image(raw, config.image_size)
        spacing = row.get("pixel_spacing_mm")
        spacing = None if spacing is None or pd.isna(spacing) else float(spacing)
        if config.acceptance_radius_mm is not None and spacing is None:
            raise ValueError(f"image {image_id} has no pixel spacing; the {config.acceptance_radius_mm} mm "
                             "acceptance radius cannot be applied (use the outline criterion)")
        key = rng.bytes(8).hex()
        key_of[image_id] = key
        dimages.append(DetImage(key, _view_label(row), pixels, scale, int(raw.shape[0]), int(raw.shape[1]),
                                spacing, image_id))
    mine = lesions[lesions["image_id"].astype(str).isin(image_ids)]
    # One lesion per box for single images; across views of a study, boxes of the same
    # lesion id on the same breast are one lesion with several outlines.
    if config.case_unit == "study":
        lat = mine["image_id"].astype(str).map(lambda i: str(by_id.loc[i].get("laterality", "")))
        groups = mine.groupby([lat.to_numpy(), mine["lesion_id"].astype(str).to_numpy()], sort=True)
        parts = [g for _, g in groups]
    else:
        parts = [mine.iloc[[i]] for i in range(len(mine))]
    dles = []
    for no, g in enumerate(parts, start=1):
        first = g.iloc[0]
        outlines = tuple((key_of[str(r.image_id)], (int(r.row_min), int(r.col_min), int(r.row_max), int(r.col_max)))
                         for r in g.itertuples())
        dles.append(DetLesion(no, str(first.get("lesion_type", "") or ""), str(first.get("status", "") or ""),
                              "simulated" if bool(g["_sim"].any()) else "real", str(first["lesion_uid"]), outlines))
    return DetCase(rng.bytes(8).hex(), pool, tuple(dimages), tuple(dles))
