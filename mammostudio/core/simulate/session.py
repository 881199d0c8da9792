"""An interactive simulation session (the model behind Simulate mode; no Qt).

One normal image, a working copy of its pixels and the lesions placed on it,
last one "active": its size, contrast, method or place can be changed
(:meth:`SimulationSession.adjust`: the last insertion is undone and redone
on its window only, the live-preview path), lesions are undone last first,
and the result is saved into a simulated dataset folder with the same files
as the headless job.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..patches.prepared import prepare
from ..privacy import Pseudonymiser
from .blend import Insertion, insert_lesion
from .derived import derived_uids
from .domain import PRESENTATION, domain_of, domain_unit
from .inpaint import inpaint_template
from .lesion import LesionTemplate, rescale_template
from .placement import auto_place
from .sources import SourceItem, make_template
from .store import rebuild_workbook, write_simulated_image

__all__ = ["PlacedLesion", "SimulationSession"]


@dataclass
class PlacedLesion:
    """One lesion of a session: its source, settings and current insertion."""

    item: SourceItem
    base: LesionTemplate | None  # at the image's spacing, size factor 1 (None: in-painted)
    centre: tuple[int, int]
    scale: float
    contrast: float
    method: str
    seed: int
    insertion: Insertion
    template: LesionTemplate  # ``base`` at ``scale``


class SimulationSession:
    """Lesions placed on one normal image (see the module docstring).

    Parameters
    ----------
    row : dict
        The image's catalog row (path, ids, pixel_spacing_mm, ...).
    pixels : numpy.ndarray (rows, cols)
        Its pixels (:func:`~mammostudio.core.images.load_pixels`).
    mask_threshold : int
        Breast mask threshold for automatic placement.
    default_spacing_mm : float
        When the row has no pixel spacing.
    """

    def __init__(self, row: dict, pixels: np.ndarray, *, mask_threshold: int = 0,
                 default_spacing_mm: float = 0.1, inpainters: dict | None = None) -> None:
        pixels = np.asarray(pixels)
        if pixels.dtype.kind == "f":
            pixels = np.clip(np.rint(pixels), 0, 65535).astype(np.uint16)
        self.row = dict(row)
        self.original = pixels
        self.image = pixels.copy()
        spacing = self.row.get("pixel_spacing_mm")
        self.spacing = float(spacing) if spacing is not None and spacing == spacing and spacing > 0 \
            else float(default_spacing_mm)
        self.domain = domain_of(self.row)
        self.unit = domain_unit(pixels, self.domain)
        self.mask_threshold = int(mask_threshold)
        self._mask: np.ndarray | None = None
        self.lesions: list[PlacedLesion] = []
        #: checkpoint SHA-256 -> in-painter function, for in-painting items (:mod:`.inpaint`)
        self.inpainters = inpainters if inpainters is not None else {}

    @property
    def mask(self) -> np.ndarray:
        """The breast mask (computed on first use)."""
        if self._mask is None:
            self._mask = prepare(self.original, threshold=self.mask_threshold).full_mask()
        return self._mask

    @property
    def active(self) -> PlacedLesion | None:
        """The lesion that :meth:`adjust` changes (the last placed)."""
        return self.lesions[-1] if self.lesions else None

    def place(self, item: SourceItem, centre, *, scale: float = 1.0, contrast: float = 1.0,
              method: str = "additive", seed: int = 0, size_mm: float | None = None) -> PlacedLesion:
        """Insert a new lesion at ``centre`` (row, col); it becomes the active one."""
        centre = (int(centre[0]), int(centre[1]))
        if item.kind == "inpaint":  # drawn into the tissue at the centre: no template before placing
            base, centre = None, self._inside(item, centre, scale)
            template = self._inpainted(item, centre, scale, seed)
        else:
            base = rescale_template(make_template(item, spacing_mm=self.spacing, seed=seed, size_mm=size_mm),
                                    self.spacing)
            template = rescale_template(base, self.spacing, scale=scale, with_patch=method != "additive")
        ins = insert_lesion(self.image, template, centre, contrast=contrast, method=method, unit=self.unit,
                            out=self.image, domain=self.domain)
        lesion = PlacedLesion(item, base, centre, float(scale), float(contrast), method, int(seed), ins, template)
        self.lesions.append(lesion)
        return lesion

    def _side(self, item: SourceItem, scale: float) -> int:
        return max(8, int(round(item.source["size_mm"] * scale / self.spacing)))

    def _inside(self, item: SourceItem, centre, scale: float) -> tuple[int, int]:
        """``centre`` moved so an in-painting window fits in the image (a click near the edge moves in)."""
        side, (rows, cols) = self._side(item, scale), self.image.shape
        return (min(max(int(centre[0]), side // 2), rows - side + side // 2),
                min(max(int(centre[1]), side // 2), cols - side + side // 2))

    def _inpainted(self, item: SourceItem, centre, scale: float, seed: int) -> LesionTemplate:
        fill = self.inpainters.get(item.source.get("checkpoint_sha256"))
        if fill is None:
            raise ValueError("this in-painting generator is not loaded (add it to the gallery again)")
        side = self._side(item, scale)
        return inpaint_template(self.image, centre, side, fill, model_size=item.source["model_size"],
                                rng=np.random.default_rng(seed), seed=seed, unit=self.unit,
                                spacing_mm=self.spacing, hole=item.source["hole"], source=item.source)

    def auto_place(self, item: SourceItem, rng: np.random.Generator, *, margin_mm: float = 5.0,
                   **settings) -> PlacedLesion | None:
        """Place ``item`` at a random valid spot (inside the breast, off other lesions); None when none."""
        boxes = np.array([le.insertion.box for le in self.lesions], np.int64).reshape(-1, 4)
        if item.kind == "inpaint":
            extent = (self._side(item, settings.get("scale", 1.0)),) * 2
        else:
            base = rescale_template(make_template(item, spacing_mm=self.spacing, seed=settings.get("seed", 0),
                                                  size_mm=settings.get("size_mm")), self.spacing)
            extent = tuple(int(np.ceil(n * settings.get("scale", 1.0))) for n in base.shape)
        centre = auto_place(self.mask, boxes, extent, rng, margin=int(round(margin_mm / self.spacing)))
        return None if centre is None else self.place(item, centre, **settings)

    def adjust(self, *, scale: float | None = None, contrast: float | None = None, method: str | None = None,
               centre=None) -> PlacedLesion:
        """Change the active lesion (undo + redo on its window); returns it.

        Raises
        ------
        LookupError
            No lesion placed yet.
        """
        le = self.active
        if le is None:
            raise LookupError("no lesion placed yet")
        le.insertion.undo(self.image)
        le.method = method or le.method
        needs_patch = le.method != "additive" and le.template.patch is None
        if le.base is None:  # in-painted: drawn again into the (restored) tissue when size or place change
            if scale is not None or centre is not None:
                le.scale = le.scale if scale is None else float(scale)
                le.centre = self._inside(le.item, le.centre if centre is None else centre, le.scale)
                le.template = self._inpainted(le.item, le.centre, le.scale, le.seed)
        else:
            if (scale is not None and float(scale) != le.scale) or needs_patch:
                le.scale = le.scale if scale is None else float(scale)
                le.template = rescale_template(le.base, self.spacing, scale=le.scale,
                                               with_patch=le.method != "additive")
            le.centre = le.centre if centre is None else (int(centre[0]), int(centre[1]))
        le.contrast = le.contrast if contrast is None else float(contrast)
        le.insertion = insert_lesion(self.image, le.template, le.centre, contrast=le.contrast, method=le.method,
                                     unit=self.unit, out=self.image, domain=self.domain)
        return le

    def undo(self) -> PlacedLesion | None:
        """Remove the last lesion (its pixels restored exactly); returns it, or None when none."""
        if not self.lesions:
            return None
        le = self.lesions.pop()
        le.insertion.undo(self.image)
        return le

    def records(self) -> list[dict]:
        """The lesions as provenance records (with ``support`` for the label mask)."""
        out = []
        for k, le in enumerate(self.lesions, 1):
            t = le.template
            out.append({"support": le.insertion.support, "lesion_index": k, "box": list(le.insertion.box),
                        "center": list(le.centre), "window": list(le.insertion.window),
                        "lesion_type": t.kind or le.item.lesion_type, "status": t.status,
                        "lesion_source": {**le.item.source, **t.source, "label": le.item.label},
                        "scale": le.scale, "contrast": le.contrast, "method": le.method,
                        "template_spacing_mm": float(le.item.spacing_mm or self.spacing),
                        "image_spacing_mm": self.spacing, "size_px": list(t.shape),
                        "size_mm": [round(n * self.spacing, 3) for n in t.shape], "unit": self.unit,
                        "domain": self.domain.name if self.domain else PRESENTATION,
                        "placed_by": "user"})
        return out

    def save(self, out, *, dataset_root, seed: int = 0, keep_identifiers: bool = False) -> Path:
        """Write this image into the simulated dataset ``out`` and rebuild its workbook.

        ``dataset_root`` is the source dataset's folder: its pseudonyms are
        used (:mod:`mammostudio.core.privacy`) unless ``keep_identifiers``.

        Returns
        -------
        pathlib.Path
            The derived DICOM.

        Raises
        ------
        ValueError
            No lesion placed.
        """
        if not self.lesions:
            raise ValueError("place at least one lesion before saving")
        recs = self.records()
        salt = hashlib.sha256(json.dumps([{k: v for k, v in r.items() if k != "support"} for r in recs],
                                         sort_keys=True, default=str).encode()).hexdigest()
        uids = derived_uids(seed, self.row, salt=salt)
        desc = (f"mammostudio simulate (Simulate mode): {len(recs)} simulated lesion(s) placed by the user "
                f"into SOP {self.row['image_id']}")
        pseudo = Pseudonymiser.for_dataset(dataset_root, keep_identifiers=keep_identifiers)
        path = write_simulated_image(out, self.row, self.image, recs, uids=uids, seed=seed, description=desc,
                                     pseudo=pseudo)
        rebuild_workbook(out)
        pseudo.save()
        return path
