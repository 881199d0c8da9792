"""Build the demo dataset: synthetic screening studies written as a real archive.

Per patient one screening study with CC and MLO views of both breasts; about a
third of the patients have one or two lesions (a mass, a calcification cluster,
or both), seen in both views of one breast, with a B2..B5 category that fits
their look. The acquisition tags follow the paper's archive: most studies come
from a Hologic Lorad Selenia at 100 mA, magnification 1.0, FOR PRESENTATION, a
realistic fraction do not (other models and makers, other tube currents, spot
magnification 1.073, FOR PROCESSING), GE and a few other images are
MONOCHROME1, and the Siemens studies are stored JPEG 2000 lossless (encoding is
slow, so only those).

Layout (``out``)::

    workbook/annotations.xlsx                      the paper's export (spec 1.1)
    workbook/<batch>/<patient>/<study>/<sop>.dcm   batch -> patient -> study
    omidb/data/<client>/..., omidb/images/<client>/<study>/<sop>.dcm (hard links)
    manifest.json                                  config and the true counts

The build happens in a hidden folder inside ``out`` and is moved into place at
the end, so a cancelled or crashed build leaves nothing behind.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import uuid
import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_text
from ..catalog import Catalog, normalise_lesion_type
from ..dicom import write_dicom
from ..progress import Job, Progress
from ..readers.omidb_write import iter_write_omidb_tree
from ..readers.workbook import catalog_to_rows, write_workbook
from .synth import MASS_SHAPES, LesionSpec, synthesize_mammogram

__all__ = ["DemoConfig", "build_demo_dataset", "ensure_demo_dataset", "default_demo_dir", "built_demos",
           "demo_folder_name", "MARKER"]

MARKER = ".complete"
_GENERATOR = "mammostudio demo dataset"
_VIEWS = (("R", "CC"), ("L", "CC"), ("R", "MLO"), ("L", "MLO"))
# (probability, manufacturer choices, model, tube current mA or (low, high), photometric, compress)
_PROFILES = (
    (0.75, ("HOLOGIC, Inc.", "HOLOGIC, Inc.", "Lorad, A Hologic Company", "Hologic"), "Lorad Selenia", 100,
     "MONOCHROME2", None),
    (0.07, ("HOLOGIC, Inc.",), "Selenia Dimensions", (90, 180), "MONOCHROME2", None),
    (0.11, ("GE MEDICAL SYSTEMS",), "Senographe Essential", (50, 120), "MONOCHROME1", None),
    (0.07, ("SIEMENS",), "Mammomat Inspiration", (80, 160), "MONOCHROME2", "jpeg2000"),
)


@dataclass(frozen=True)
class DemoConfig:
    """What to build.

    Parameters
    ----------
    patients : int
        Number of patients (one study, four images each).
    rows, cols : int
        Image size in pixels (>= 64).
    seed : int
        Everything is drawn from this seed; the same config gives the same files.
    """

    patients: int = 16
    rows: int = 2048
    cols: int = 1664
    seed: int = 0

    def __post_init__(self) -> None:
        if self.patients < 1:
            raise ValueError(f"patients must be >= 1, got {self.patients}")
        if self.rows < 64 or self.cols < 64:
            raise ValueError(f"size must be at least 64 x 64, got {self.rows} x {self.cols}")

    @classmethod
    def tiny(cls) -> "DemoConfig":
        """Three small patients, for tests."""
        return cls(patients=3, rows=256, cols=208, seed=0)


def _uid(*parts) -> str:
    """A deterministic DICOM UID (2.25.<uuid5>) from the seed and position."""
    return f"2.25.{uuid.uuid5(uuid.NAMESPACE_OID, '/'.join([_GENERATOR, *map(str, parts)])).int}"


def _plan(cfg: DemoConfig) -> list[dict]:
    """Study, acquisition profile and lesions of every patient.

    Proportions are exact rather than left to chance, so that even a small
    build shows each kind of lesion and each acquisition profile: a third of
    the patients (a seeded choice) have lesions, whose kinds and mass shapes
    cycle; studies are dealt profiles in :data:`_PROFILES` proportions.
    """
    rng = np.random.default_rng([cfg.seed, 0])
    n = cfg.patients
    with_lesion = set(rng.permutation(n)[: max(1, round(n / 3))].tolist())
    counts = [max(1, int(round(p[0] * n))) for p in _PROFILES[1:]]
    deal = [i + 1 for i, c in enumerate(counts) for _ in range(c)][: n - max(1, n // 2)]
    deal = [0] * (n - len(deal)) + deal
    profiles = rng.permutation(deal).tolist()
    kinds = ["mass", "calcification", "mass", "mass+calcification", "architectural distortion", "mass",
             "calcification", "focal asymmetry"]
    plans, n_lesion, n_mass = [], int(rng.integers(0, len(kinds))), int(rng.integers(0, len(MASS_SHAPES)))
    for index in range(n):
        prng = np.random.default_rng([cfg.seed, index, 1])
        _, makers, model, current, photometric, compress = _PROFILES[profiles[index]]
        lesions = []
        if index in with_lesion:
            side = str(prng.choice(["L", "R"]))
            for k in range(1 + int(prng.random() < 0.3)):
                kind = kinds[n_lesion % len(kinds)]
                n_lesion += 1
                shape = {"calcification": "cluster", "architectural distortion": "distortion",
                         "focal asymmetry": "asymmetry"}.get(kind)
                if shape is None:
                    shape, n_mass = MASS_SHAPES[n_mass % len(MASS_SHAPES)], n_mass + 1
                size = float(prng.uniform(5, 14) if kind == "calcification" else
                             prng.uniform(20, 35) if shape in ("distortion", "asymmetry") else prng.uniform(8, 24))
                margin = None if shape in ("cluster", "spiculated", "distortion", "asymmetry") else str(
                    prng.choice(["circumscribed", "ill-defined"], p=[0.6, 0.4]))
                if k == 1 and prng.random() < 0.4:
                    side = "L" if side == "R" else "R"
                lesions.append({"lesion_id": str(k + 1), "side": side,
                                "spec": LesionSpec(kind, shape=shape, size_mm=size, margin=margin)})
        date = dt.date(2012, 1, 2) + dt.timedelta(days=int(prng.integers(0, 6 * 365)))
        patient = f"demd{cfg.seed % 1000:03d}{index + 1:04d}"
        plans.append({"patient_id": patient, "study_id": _uid(cfg.seed, index, "study"),
                      "date": date.strftime("%Y%m%d"), "manufacturer": str(prng.choice(makers)),
                      "model_name": model, "current": current, "photometric": photometric,
                      "compress": compress, "lesions": lesions, "batch": f"batch{index // 8 + 1:02d}"})
    return plans


def _image_meta(plan: dict, index: int, view_no: int, rng: np.random.Generator) -> tuple[dict, str]:
    lat, view = _VIEWS[view_no]
    current = plan["current"]
    if isinstance(current, tuple):
        current = int(rng.integers(current[0], current[1] + 1) // 5 * 5)
    elif rng.random() < 0.06:  # exposure control picked another current for this view
        current = int(rng.choice([80, 90, 110, 120, 140]))
    photometric = plan["photometric"]
    if photometric == "MONOCHROME2" and rng.random() < 0.03:
        photometric = "MONOCHROME1"
    meta = {"image_id": _uid(plan["study_id"], view_no, "image"), "patient_id": plan["patient_id"],
            "patient_name": f"DEMO^{plan['patient_id']}", "study_id": plan["study_id"],
            "series_id": _uid(plan["study_id"], view_no, "series"), "study_date": plan["date"],
            "laterality": lat, "view": view, "manufacturer": plan["manufacturer"],
            "model_name": plan["model_name"], "tube_current_ma": float(current),
            "magnification": 1.073 if rng.random() < 0.04 else 1.0,
            "for_presentation": bool(rng.random() >= 0.04), "kvp": float(rng.integers(26, 33))}
    return meta, photometric


def _orientation(meta: dict) -> str:
    """DICOM PatientOrientation of a synthetic view: a left breast has its chest wall on the
    image's left (rows run anterior), a right breast on its right (posterior); a CC's
    columns run from lateral to medial, an MLO's from head to feet."""
    lat, view = meta["laterality"], meta["view"]
    down = "F" if view == "MLO" else ("R" if lat == "L" else "L")
    return f"{'A' if lat == 'L' else 'P'}\\{down}"


def _render(plan: dict, cfg: DemoConfig, view_no: int, rng: np.random.Generator):
    """Synthesize one view; a lesion that does not fit is shrunk, then left out."""
    lat, view = _VIEWS[view_no]
    mine = [les for les in plan["lesions"] if les["side"] == lat]
    specs = [les["spec"] for les in mine]
    for shrink in (1.0, 0.6, 0.35):
        try:
            specs_now = [LesionSpec(s.kind, shape=s.shape, size_mm=s.size_mm * shrink, margin=s.margin) for s in specs]
            state = rng.bit_generator.state
            return synthesize_mammogram(rng, rows=cfg.rows, cols=cfg.cols, view=view, laterality=lat,
                                        lesions=specs_now, patient=_patient_seed(plan)), mine
        except ValueError:
            rng.bit_generator.state = state
    return synthesize_mammogram(rng, rows=cfg.rows, cols=cfg.cols, view=view, laterality=lat,
                                patient=_patient_seed(plan)), []


def _patient_seed(plan: dict) -> int:
    """One seed per patient, so her four views share breast size and density."""
    return zlib.crc32(plan["patient_id"].encode("utf-8"))


def default_demo_dir() -> Path:
    """Where :func:`ensure_demo_dataset` keeps the demo data (the user data dir)."""
    from ..paths import user_data_dir

    return user_data_dir("demo")


def build_demo_dataset(out, *, patients: int = 16, size: tuple[int, int] = (2048, 1664), seed: int = 0) -> Job[Path]:
    """Build the demo dataset into ``out`` (see the module docstring).

    Parameters
    ----------
    out : path-like
        Destination folder; must not already hold ``workbook/`` or ``omidb/``.
    patients : int
        Number of patients (4 images each).
    size : (rows, cols)
        Image size in pixels.
    seed : int
        Seed of every random draw (same seed, same dataset).

    Yields
    ------
    Progress
        One per image synthesized, then one per image linked into the OMI-DB tree.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    cfg = DemoConfig(patients=int(patients), rows=int(size[0]), cols=int(size[1]), seed=int(seed))
    out = Path(out)
    for name in ("workbook", "omidb"):
        if (out / name).exists():
            raise ValueError(f"{out / name} already exists; build the demo data into an empty folder")
    work = out / f".demo-build-{cfg.seed}"
    if work.exists():
        shutil.rmtree(work)
    finished = False
    try:
        total, done = 2 * 4 * cfg.patients, 0
        images, lesions = [], []
        for index, plan in enumerate(_plan(cfg)):
            status_of: dict[str, tuple[str, str]] = {}
            for view_no in range(4):
                rng = np.random.default_rng([cfg.seed, index, 2, view_no])
                meta, photometric = _image_meta(plan, index, view_no, rng)
                mammo, drawn = _render(plan, cfg, view_no, rng)
                meta["pixel_spacing_mm"] = mammo.pixel_spacing_mm
                path = work / "workbook" / plan["batch"] / plan["patient_id"] / plan["study_id"] / f"{meta['image_id']}.dcm"
                write_dicom(path, mammo.pixels, {**meta, "patient_orientation": _orientation(meta)},
                            photometric=photometric, compress=plan["compress"])
                images.append({**meta, "path": str(path), "format": "dicom", "rows": cfg.rows, "cols": cfg.cols,
                               "photometric": photometric, "density": mammo.density})
                for les, found in zip(drawn, mammo.lesions):
                    status, severity = status_of.setdefault(les["lesion_id"], (found["status"], found["severity"]))
                    r0, c0, r1, c1 = found["box"]
                    lesions.append({"lesion_uid": f"{meta['image_id']}:{les['lesion_id']}",
                                    "image_id": meta["image_id"], "lesion_id": les["lesion_id"],
                                    "row_min": r0, "col_min": c0, "row_max": r1, "col_max": c1,
                                    "status": status, "lesion_type": normalise_lesion_type(found["type"]), "severity": severity,
                                    "source": f"demo {found['shape']} {found['margin']} {found['size_mm']} mm".strip(),
                                    "shape": found["shape"]})
                done += 1
                yield Progress(done, total, f"{plan['patient_id']} {meta['laterality']}-{meta['view']}")
        catalog = Catalog(pd.DataFrame(images), pd.DataFrame(lesions), work / "workbook", "demo")
        write_workbook(work / "workbook" / "annotations.xlsx", catalog_to_rows(catalog))
        dates = {im["study_id"]: im["study_date"] for im in images}
        writer = iter_write_omidb_tree(work / "omidb", catalog, study_dates=dates, site="DEMO")
        for item in writer:
            yield Progress(done + item.done, total, f"OMI-DB {item.message}")
        manifest = _manifest(cfg, images, lesions)
        write_text(work / "manifest.json", json.dumps(manifest, indent=1))
        for name in ("workbook", "omidb", "manifest.json"):
            (work / name).replace(out / name)
        finished = True
        return out
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
        if not finished:
            for name in ("workbook", "omidb", "manifest.json"):
                target = out / name
                if target.is_dir():
                    shutil.rmtree(target, ignore_errors=True)
                elif target.exists():
                    target.unlink()


def _manifest(cfg: DemoConfig, images: list[dict], lesions: list[dict]) -> dict:
    boxed = {les["image_id"] for les in lesions}
    with_lesion = [im for im in images if im["image_id"] in boxed]
    return {
        "generator": _GENERATOR,
        "config": asdict(cfg),
        "patients": cfg.patients,
        "studies": cfg.patients,
        "images": len(images),
        "images_with_lesion": len(with_lesion),
        "images_without_lesion": len(images) - len(with_lesion),
        "lesions": len(lesions),
        "lesion_types": dict(Counter(les["lesion_type"] for les in lesions)),
        "status": dict(Counter(les["status"] for les in lesions)),
        "photometric": dict(Counter(im["photometric"] for im in images)),
        "boxes": {im["image_id"]: [[les[k] for k in ("row_min", "col_min", "row_max", "col_max")]
                                   for les in lesions if les["image_id"] == im["image_id"]] for im in with_lesion},
    }


def demo_folder_name(cfg: DemoConfig) -> str:
    """The sub-folder of one configuration, e.g. ``16-patients-2048x1664-seed0``."""
    return f"{cfg.patients}-patients-{cfg.rows}x{cfg.cols}-seed{cfg.seed}"


_FOLDER = re.compile(r"^\d+-patients-\d+x\d+-seed\d+$")
_LEGACY = {"workbook", "omidb", "manifest.json", MARKER}


def _finished_config(folder: Path) -> dict | None:
    """The config a finished build in ``folder`` was made with (None: no finished build)."""
    try:
        return json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def built_demos(base=None) -> list[Path]:
    """Finished demo builds under ``base`` (default :func:`default_demo_dir`), most recently used first.

    Returns the folders holding ``workbook/`` (one per configuration; an
    older single-folder layout, ``base`` itself, is included).
    """
    base = Path(base) if base is not None else default_demo_dir()
    if not base.is_dir():
        return []
    found = [f for f in [base, *sorted(base.iterdir())] if f.is_dir() and _finished_config(f) is not None]
    return sorted(found, key=lambda f: (f / MARKER).stat().st_mtime, reverse=True)


def ensure_demo_dataset(dest=None, *, config: DemoConfig | None = None) -> Job[Path]:
    """Build the demo dataset of one configuration once and return its workbook folder.

    Every configuration (patients, size, seed) has its own sub-folder of
    ``dest`` (:func:`demo_folder_name`), so building another one never
    deletes an earlier build or the box edits saved beside it (the sidecar).

    Parameters
    ----------
    dest : path-like, optional
        Where demo builds are kept; default :func:`default_demo_dir`. A
        marker file (``.complete``), written last, says a build finished; a
        folder without it (an interrupted build) is rebuilt.
    config : DemoConfig, optional
        None reuses the most recently used finished build (what the app's
        'Open demo dataset' does), else builds ``DemoConfig()``: 16 patients
        at 2048 x 1664, seed 0.

    Returns
    -------
    pathlib.Path
        ``<build folder>/workbook`` (open it with ``open_dataset``).

    Raises
    ------
    ValueError
        ``dest`` holds files that are not demo builds.
    """
    base = Path(dest) if dest is not None else default_demo_dir()
    if base.is_dir():
        other = sorted(p.name for p in base.iterdir() if p.name not in _LEGACY and not _FOLDER.match(p.name)
                       and not p.name.startswith(".demo-build-"))
        if other:
            raise ValueError(f"{base} holds other files ({', '.join(other[:3])}); "
                             "choose an empty folder for the demo data")
    if config is None:
        found = built_demos(base)
        if found:
            os.utime(found[0] / MARKER)  # most recently used
            return found[0] / "workbook"
        config = DemoConfig()
    cfg = config
    for folder in (base, base / demo_folder_name(cfg)):  # an older single-folder build counts
        if _finished_config(folder) == asdict(cfg):
            os.utime(folder / MARKER)
            return folder / "workbook"
    folder = base / demo_folder_name(cfg)
    # An interrupted build of this configuration: start it again (ours alone lives here).
    for name in ("workbook", "omidb", "manifest.json", MARKER):
        target = folder / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    yield from build_demo_dataset(folder, patients=cfg.patients, size=(cfg.rows, cfg.cols), seed=cfg.seed)
    write_text(folder / MARKER, json.dumps(asdict(cfg)))
    return folder / "workbook"
