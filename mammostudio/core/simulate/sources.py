"""Lesion sources for simulation: a pool of items, each turned into a template on demand.

Three kinds of item (every one carries the provenance written per insertion):

* ``parametric``: a demo lesion kind ('mass', 'spiculated', 'calcification',
  ...), drawn with a seed at the target's spacing;
* ``patch``: a real lesion patch of a patch dataset (``index.csv`` row: its
  box and, in 'centred' mode, where the box lies in the patch; its mask when
  the source is itself a simulated dataset); its spacing is the source
  image's (DICOM header, or mini-MIAS's 0.2 mm);
* ``inpaint``: a context-conditioned generator (checkpoint), whose lesion is
  drawn into the target at placement (:mod:`.inpaint`);
* ``generated``: a uint8 array from a DCGAN (read from a generated folder
  with its ``manifest.json``, or handed over by the jobs layer with the
  checkpoint's SHA-256 and the latent seed). A generated patch has no
  physical scale of its own: it is taken to span ``generated_size_mm``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..patches.dataset import lesion_box_in_patch, patch_box
from .lesion import LesionTemplate, parametric_template, patch_template

__all__ = ["SourceItem", "parametric_items", "patch_items", "generated_items", "array_items", "inpaint_item",
           "make_template", "DEFAULT_GENERATED_SIZE_MM"]

DEFAULT_GENERATED_SIZE_MM = 15.0
_MIAS_SPACING_MM = 0.2


@dataclass(frozen=True, eq=False)
class SourceItem:
    """One lesion in a source pool.

    Attributes
    ----------
    kind : str
        'parametric', 'patch' or 'generated'.
    label : str
        Short text for galleries and logs.
    lesion_type : str
        Catalog type ('mass', 'calcification', ...; '' unknown).
    array : numpy.ndarray or None
        The patch (uint8) for patch / generated items; None for parametric.
    spacing_mm : float or None
        The patch's pixel spacing (None: parametric, drawn at the target's).
    box : tuple or None
        The lesion box inside the patch (inclusive), when known.
    mask : numpy.ndarray of bool or None
        The lesion's own mask on the patch, when the source dataset has one
        (a simulated dataset's ``masks/``); else it is estimated.
    status : str
        Biopsy category of a real lesion.
    source : dict
        Provenance (JSON-ready).
    """

    kind: str
    label: str
    lesion_type: str = ""
    array: np.ndarray | None = None
    spacing_mm: float | None = None
    box: tuple | None = None
    mask: np.ndarray | None = None
    status: str = ""
    source: dict = field(default_factory=dict)


def parametric_items(kinds=("round", "oval", "lobulated", "spiculated", "calcification")) -> list[SourceItem]:
    """Demo lesion kinds as pool items (see :func:`~.lesion.parametric_template`)."""
    from ..demo.synth_lesions import as_spec

    out = []
    for k in kinds:
        spec = as_spec(k)
        out.append(SourceItem("parametric", f"demo {k}", spec.kind, source={"type": "parametric", "name": k}))
    return out


def _files_by_stem(root: Path, cache: dict) -> dict:
    """{file stem: path} of the image files under ``root`` (one walk per root)."""
    key = str(root)
    if key not in cache:
        found = {}
        for path in Path(root).rglob("*"):
            if path.suffix.lower() in (".dcm", ".pgm", ".png", "") and path.is_file() \
                    and not any(part.startswith(".") for part in path.parts):
                found.setdefault(path.stem, path)
        cache[key] = found
    return cache[key]


def _resolve(rec: dict, roots, cache: dict) -> str:
    """The source image file of a patch: an absolute ``source_path`` as it is; else the file
    named by its ``image_id`` under the first of ``roots`` that has it (a pseudonymous index
    holds relative paths whose patient folders were renamed, so the id is what is left)."""
    source_path = str(rec.get("source_path", "") or "")
    if source_path and Path(source_path).is_absolute():
        return source_path
    image_id = str(rec.get("image_id", "") or "")
    for root in roots:
        hit = _files_by_stem(Path(root), cache).get(image_id)
        if hit is not None:
            return str(hit)
    return ""


def _spacing_of(path: str, cache: dict) -> float | None:
    if path in cache:
        return cache[path]
    value = None
    if path.lower().endswith(".pgm"):
        value = _MIAS_SPACING_MM
    elif path:
        try:
            from ..dicom import read_header

            value = read_header(path).get("pixel_spacing_mm")
        except OSError:
            value = None
    cache[path] = value
    return value


def _mask_of(rec: dict, cache: dict) -> np.ndarray | None:
    """The lesion's own mask when its source image has one (a simulated dataset's label image)."""
    from ..images import read_png

    src = Path(str(rec.get("_source_file", "")))
    if not src.name or len(src.parents) < 4:
        return None
    path = src.parents[3] / "masks" / f"{src.stem}.png"  # <root>/images/<patient>/<study>/<sop>.dcm
    if path not in cache:
        cache[path] = read_png(path) if path.is_file() else None
    labels = cache[path]
    try:
        r0, c0, r1, c1 = patch_box(rec)
        cy = (int(rec["box_row_min"]) + int(rec["box_row_max"])) // 2
        cx = (int(rec["box_col_min"]) + int(rec["box_col_max"])) // 2
    except (TypeError, ValueError, KeyError):
        return None
    if labels is None or not labels[cy, cx]:
        return None
    return labels[r0:r1 + 1, c0:c1 + 1] == labels[cy, cx]


def patch_items(folder, *, dataset_roots=(), default_spacing_mm: float = 0.1,
                lesion_type: str | None = None) -> list[SourceItem]:
    """The lesion patches of a patch dataset (``mammostudio extract`` output).

    Parameters
    ----------
    folder : path-like
        The patch dataset.
    dataset_roots : sequence of path-like
        Where to look for the source images of a pseudonymous index (its
        ``source_path`` is relative to the dataset it was extracted from, so
        each source is found by its image id):
        their pixel spacing, and their masks when the source is a simulated
        dataset.
    default_spacing_mm : float
        Used when a patch's source image is not found or has no pixel
        spacing (the provenance then says ``spacing_assumed``).
    lesion_type : str, optional
        Keep only patches whose type contains this word.

    Raises
    ------
    mammostudio.core.patches.dataset.PatchDatasetError
        No readable index.
    """
    from ..patches.dataset import read_index
    from ..patches.store import PatchReader

    folder = Path(folder)
    index = read_index(folder)
    rows = index[index["kind"] == "lesion"]
    if lesion_type:
        rows = rows[rows.get("lesion_type", "").astype(str).str.contains(lesion_type, regex=False)]
    cache: dict = {}
    masks: dict = {}
    files: dict = {}
    out = []
    reader = PatchReader(folder)
    for rec in rows.to_dict("records"):
        arr = reader.read_row(rec)
        if arr.dtype != np.uint8:
            arr = (arr.astype(np.float32) / max(float(arr.max()), 1.0) * 255).astype(np.uint8)
        rec["_source_file"] = _resolve(rec, dataset_roots, files)
        known = _spacing_of(rec["_source_file"] or str(rec.get("source_path", "")), cache)
        spacing = known or default_spacing_mm
        try:
            box = lesion_box_in_patch(rec)
        except ValueError:
            box = None
        out.append(SourceItem(
            "patch", f"{rec.get('lesion_type', '') or 'lesion'} {str(rec.get('patch_id', rec['file']))[-10:]}",
            str(rec.get("lesion_type", "")), array=arr,
            spacing_mm=float(spacing), box=box, mask=_mask_of(rec, masks), status=str(rec.get("status", "")),
            source={"type": "patch", "patch_dataset": str(folder.resolve()), "patch_id": str(rec.get("patch_id", "")),
                    "file": str(rec["file"]), "lesion_uid": str(rec.get("lesion_uid", "")),
                    "source_image": str(rec.get("image_id", "")), "spacing_mm": float(spacing),
                    "spacing_assumed": known is None}))
    reader.close()
    return out


def array_items(arrays, *, checkpoint_sha256: str, seed: int, checkpoint: str = "",
                size_mm: float = DEFAULT_GENERATED_SIZE_MM, first_index: int = 0) -> list[SourceItem]:
    """Generated arrays (n, rows, cols) uint8 as pool items (latent seed + index as provenance)."""
    arrays = np.asarray(arrays)
    if arrays.ndim != 3:
        raise ValueError(f"arrays must be (n, rows, cols), got shape {arrays.shape}")
    out = []
    for i, arr in enumerate(arrays):
        out.append(SourceItem(
            "generated", f"generated {first_index + i}", "mass", array=np.asarray(arr, np.uint8),
            spacing_mm=float(size_mm) / max(arr.shape), source={
                "type": "generated", "checkpoint": checkpoint, "checkpoint_sha256": checkpoint_sha256,
                "latent_seed": int(seed), "index": first_index + i, "size_mm": float(size_mm),
                "noise": "z ~ N(0, 1) drawn on the CPU by torch.Generator().manual_seed(seed), in order"}))
    return out


def generated_items(folder, *, size_mm: float = DEFAULT_GENERATED_SIZE_MM) -> list[SourceItem]:
    """The images of a generated folder (``mammostudio generate`` output, with ``manifest.json``).

    Raises
    ------
    ValueError
        Missing or unreadable manifest (the message names the file).
    """
    from ..images import read_png

    folder = Path(folder)
    path = folder / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = list(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a generated-images manifest ({exc})") from exc
    arrays = np.stack([read_png(folder / f) for f in files]) if files else np.zeros((0, 1, 1), np.uint8)
    return array_items(arrays, checkpoint_sha256=str(manifest.get("checkpoint_sha256", "")),
                       seed=int(manifest.get("seed", 0)), checkpoint=str(manifest.get("checkpoint", "")),
                       size_mm=size_mm)


def inpaint_item(*, checkpoint: str, checkpoint_sha256: str, model_size: int, hole=(0.35, 0.65),
                 size_mm: float = DEFAULT_GENERATED_SIZE_MM) -> SourceItem:
    """An in-painting generator as a pool item (its lesions are drawn at placement: :mod:`.inpaint`)."""
    return SourceItem("inpaint", "in-painted", "mass", source={
        "type": "inpaint", "checkpoint": checkpoint, "checkpoint_sha256": checkpoint_sha256,
        "model_size": int(model_size), "hole": [float(hole[0]), float(hole[1])], "size_mm": float(size_mm)})


def make_template(item: SourceItem, *, spacing_mm: float, seed: int = 0, size_mm: float | None = None
                  ) -> LesionTemplate:
    """The item's template (parametric ones drawn with ``seed`` at ``spacing_mm``).

    Raises
    ------
    ValueError
        For an in-painting item (its template needs the target: :func:`.inpaint.inpaint_template`).
    """
    if item.kind == "inpaint":
        raise ValueError("an in-painted lesion is drawn into its target: use inpaint.inpaint_template")
    if item.kind == "parametric":
        t = parametric_template(item.source.get("name", item.lesion_type), spacing_mm=spacing_mm, seed=seed,
                                size_mm=size_mm)
        return t
    return patch_template(item.array, spacing_mm=float(item.spacing_mm), box=item.box, mask=item.mask,
                          kind=item.lesion_type,
                          source=dict(item.source), status=item.status)
