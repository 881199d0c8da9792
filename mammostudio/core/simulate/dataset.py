"""The headless simulation job: N lesions into each of M normal images, as a new dataset.

Output folder (the workbook layout every part of mammostudio opens)::

    annotations.xlsx                       one row per inserted box (Simulated = yes),
                                           one blank row per control image
    images/<patient>/<study>/<sop>.dcm     derived DICOMs (:mod:`.derived`)
    masks/<sop>.png                        uint8 label image: k = lesion k (1-based)
    provenance/<sop>_lesion<k>.json        one per insertion
    simulation.json                        the parameters and the source pool

Images are chosen among the catalog's images without a lesion box, in a
seeded order; image ``i`` uses the generator ``image_rng(seed, image_id)``,
so its result does not depend on which images ran before: a run cancelled
(``gen.close()``) and started again with the same parameters skips the
images whose DICOM exists (written last) and ends with the same files.
"""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..atomic import write_text
from ..catalog import Catalog
from ..images import load_pixels
from ..patches.prepared import prepare
from ..patches.tissue import image_rng
from ..privacy import Pseudonymiser
from ..progress import Job, Progress
from .blend import METHODS, insert_lesion
from .derived import derived_uids
from .domain import PRESENTATION, domain_of, domain_unit
from .inpaint import inpaint_template
from .lesion import rescale_template
from .placement import auto_place
from .sources import SourceItem, make_template
from .store import image_path, rebuild_workbook, write_simulated_image

__all__ = ["SimulateParams", "simulate_dataset", "choose_images", "ATTEMPTS"]

#: Lesion draws per requested lesion before it is reported as not placed.
ATTEMPTS = 5


@dataclass(frozen=True)
class SimulateParams:
    """What to simulate.

    Parameters
    ----------
    images : int
        M: normal images that receive lesions.
    lesions_per_image : int
        N: lesions inserted into each.
    controls : int
        Further normal images written through the same derivation with no
        lesion (the normal cases of a detection study).
    method : str
        Blending method (:data:`~.blend.METHODS`).
    contrast : (low, high)
        Contrast factor drawn uniformly per lesion.
    scale : (low, high)
        Size factor (on top of the physical size) drawn uniformly per lesion.
    size_mm : float, optional
        Diameter of parametric lesions (random in the demo's range when None).
    margin_mm : float
        Distance kept from the skin line and from other boxes.
    mask_threshold : int
        Breast mask threshold on the 0..255 stretch (~20 for film).
    default_spacing_mm : float
        Used for an image with no pixel spacing.
    seed : int
    """

    images: int = 4
    lesions_per_image: int = 1
    controls: int = 0
    method: str = "additive"
    contrast: tuple = (1.0, 1.0)
    scale: tuple = (1.0, 1.0)
    size_mm: float | None = None
    margin_mm: float = 5.0
    mask_threshold: int = 0
    default_spacing_mm: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.images < 0 or self.controls < 0 or self.lesions_per_image < 1:
            raise ValueError("images and controls must be >= 0 and lesions_per_image >= 1")
        for name in ("contrast", "scale"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi or (name == "scale" and lo <= 0):
                raise ValueError(f"{name} must be a range (low, high) with 0 < low <= high, got {(lo, hi)}")
        object.__setattr__(self, "contrast", tuple(float(v) for v in self.contrast))
        object.__setattr__(self, "scale", tuple(float(v) for v in self.scale))


def choose_images(catalog: Catalog, params: SimulateParams) -> tuple[list[dict], list[dict]]:
    """(images that get lesions, control images): normal images in a seeded order."""
    normal = catalog.images[~catalog.with_lesion()].sort_values("image_id")
    order = np.random.default_rng(params.seed).permutation(len(normal))
    rows = [normal.iloc[int(i)].to_dict() for i in order]
    return rows[:params.images], rows[params.images:params.images + params.controls]


def _one_image(row: dict, out: Path, pool: list[SourceItem], params: SimulateParams, n_lesions: int,
               inpainters, pseudo) -> dict:
    pixels = load_pixels(row)
    if pixels.dtype.kind == "f":
        pixels = np.clip(np.rint(pixels), 0, 65535).astype(np.uint16)
    image = pixels.copy()
    spacing = float(row.get("pixel_spacing_mm") or 0) or params.default_spacing_mm
    rng = image_rng(params.seed, str(row["image_id"]))
    uids = derived_uids(params.seed, row)
    domain = domain_of(row)
    unit = domain_unit(pixels, domain)
    mask = prepare(pixels, threshold=params.mask_threshold).full_mask()
    margin = int(round(params.margin_mm / spacing))
    lesions, problems, boxes = [], [], np.zeros((0, 4), np.int64)
    for k in range(n_lesions):
        for attempt in range(ATTEMPTS):  # a lesion too big for the room left: draw another
            item = pool[int(rng.integers(len(pool)))]
            lesion_seed = int(rng.integers(2**31))
            scale = float(rng.uniform(*params.scale))
            contrast = float(rng.uniform(*params.contrast))
            if item.kind == "inpaint":  # drawn into the target, once placed
                side = max(8, int(round(item.source["size_mm"] * scale / spacing)))
                centre = auto_place(mask, boxes, (side, side), rng, margin=margin)
                template = None if centre is None else inpaint_template(
                    image, centre, side, inpainters[item.source["checkpoint_sha256"]], model_size=item.source["model_size"], rng=rng,
                    seed=lesion_seed, unit=unit, spacing_mm=spacing, hole=item.source["hole"],
                    source=item.source)
            else:
                template = rescale_template(make_template(item, spacing_mm=spacing, seed=lesion_seed,
                                                          size_mm=params.size_mm), spacing, scale=scale,
                                            with_patch=params.method != "additive")
                centre = auto_place(mask, boxes, template.shape, rng, margin=margin)
            if centre is not None:
                break
        if centre is None:
            problems.append(f"{row['path']}: no room for lesion {k + 1} in {ATTEMPTS} draws (with a "
                            f"{params.margin_mm} mm margin); skipped")
            continue
        ins = insert_lesion(image, template, centre, contrast=contrast, method=params.method, unit=unit, out=image,
                            domain=domain)
        boxes = np.vstack([boxes, np.array(ins.box, np.int64)[None]])
        lesions.append({"support": ins.support,
            "lesion_index": k + 1, "box": list(ins.box), "center": list(centre), "window": list(ins.window),
            "lesion_type": template.kind or item.lesion_type, "status": template.status,
            "lesion_source": {**item.source, **template.source, "label": item.label},
            "scale": scale, "contrast": contrast, "method": params.method,
            "template_spacing_mm": float(item.spacing_mm or spacing), "image_spacing_mm": spacing,
            "size_px": list(template.shape), "size_mm": [round(n * spacing, 3) for n in template.shape],
            "unit": unit, "domain": domain.name if domain else PRESENTATION})
    desc = (f"mammostudio simulate: {len(lesions)} simulated lesion(s) inserted ({params.method} blending, seed "
            f"{params.seed}) into SOP {row['image_id']}" if lesions else
            f"mammostudio simulate: control image, no lesion inserted (seed {params.seed}), from SOP {row['image_id']}")
    path = write_simulated_image(out, row, image, lesions, uids=uids, seed=params.seed, description=desc,
                                 pseudo=pseudo)
    lesions = [{k: v for k, v in le.items() if k != "support"} for le in lesions]
    return {"patient_id": pseudo.patient(row["patient_id"]), **uids, "lesions": lesions, "problems": problems,
            "path": str(path)}


def _done_record(row: dict, out: Path, params: SimulateParams, pseudo) -> dict | None:
    """The record of an image finished by an earlier run, or None."""
    uids = derived_uids(params.seed, row)
    path = image_path(out, pseudo.patient(row["patient_id"]), uids)
    if not path.exists():
        return None
    lesions = [json.loads(p.read_text(encoding="utf-8"))
               for p in sorted((out / "provenance").glob(f"{uids['image_id']}_lesion*.json"))]
    return {"patient_id": pseudo.patient(row["patient_id"]), **uids, "lesions": lesions, "problems": [],
            "path": str(path)}


def simulate_dataset(catalog: Catalog, out, pool: list[SourceItem], params: SimulateParams, *,
                     inpainters: dict | None = None, keep_identifiers: bool = False) -> Job[dict]:
    """Write a simulated dataset (see the module docstring); yields one Progress per image.

    Parameters
    ----------
    catalog : Catalog
        The normal images come from here (images without a box).
    out : path-like
        New folder, or the folder of an interrupted run with the same parameters.
    pool : list of SourceItem
        Lesion sources, drawn uniformly per lesion.
    params : SimulateParams
    inpainters : dict, optional
        Checkpoint SHA-256 -> in-painter function, for the pool's in-painting
        items (:mod:`.inpaint`).
    keep_identifiers : bool
        Write the source's patient ids and paths as they are (default: the
        source dataset's pseudonyms, :mod:`mammostudio.core.privacy`).

    Returns
    -------
    dict
        out, images, lesions, controls, skipped (done before), problems, seconds,
        privacy (what was done with identifiers, where the private mapping is).

    Raises
    ------
    ValueError
        Empty pool, no normal image, or ``out`` holds a run with other parameters.
    """
    t0 = time.perf_counter()
    out = Path(out)
    if not pool:
        raise ValueError("the lesion source pool is empty")
    missing = [i.label for i in pool if i.kind == "inpaint"
               and i.source["checkpoint_sha256"] not in (inpainters or {})]
    if missing:
        raise ValueError(f"no in-painter function given for {missing}")
    with_lesions, controls = choose_images(catalog, params)
    if not with_lesions and not controls:
        raise ValueError(f"{catalog.root}: no normal image (without a lesion box) to insert lesions into")
    pseudo = Pseudonymiser.for_dataset(catalog.root, keep_identifiers=keep_identifiers)
    settings = {"params": asdict(params), "identifiers": pseudo.mode,
                "source_dataset": str(catalog.root) if keep_identifiers else catalog.root.name,
                "pool": [{"kind": i.kind, "label": i.label, **i.source} for i in pool]}
    marker = out / "simulation.json"
    if marker.exists():
        old = json.loads(marker.read_text(encoding="utf-8"))
        if old != json.loads(json.dumps(settings)):
            raise ValueError(f"{out}: holds a simulation with other parameters or sources; use a new folder")
    else:
        out.mkdir(parents=True, exist_ok=True)
        write_text(marker, json.dumps(settings, indent=2) + "\n")
    tasks = [(r, params.lesions_per_image) for r in with_lesions] + [(r, 0) for r in controls]
    done, problems, skipped = [], [], 0
    try:
        for i, (row, n) in enumerate(tasks):
            record = _done_record(row, out, params, pseudo)
            if record is not None:
                skipped += 1
            else:
                try:
                    record = _one_image(row, out, pool, params, n, inpainters, pseudo)
                except OSError as exc:  # unreadable source image: say which, go on
                    problems.append(str(exc) if str(row["path"]) in str(exc) else f"{row['path']}: {exc}")
                    record = None
            if record is not None:
                done.append(record)
                problems += record["problems"]
            yield Progress(i + 1, len(tasks), f"{row['image_id']}: {n} lesion(s)",
                           {"path": record["path"] if record else ""})
    finally:
        if done:
            rebuild_workbook(out)
        pseudo.save()
    n_les = sum(len(d["lesions"]) for d in done)
    return {"out": str(out), "images": len(done), "lesions": n_les, "controls": len(controls),
            "skipped": skipped, "problems": [pseudo.text(p) for p in problems], "seconds": time.perf_counter() - t0,
            "privacy": pseudo.notice}
