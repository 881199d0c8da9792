"""Study design: which images a reader sees, in which order, under which rules.

A study is built once by the examiner from real lesion patches and one or more
sets of generated images. Every image goes through :func:`display_pixels` (the
same size, the same interpolation, the same 8-bit scaling) so that nothing but
the content differs between a real and a generated case. Items get opaque random
identifiers; their truth lives only in the study database (:mod:`.store`).

Two disjoint item pools are drawn: ``training`` (feedback after each answer) and
``assessment`` (no feedback). No image appears in both, so practice never leaks
into a score. Generated candidates that are near-duplicates of the generator's
training patches (memorisation) are flagged by nearest-neighbour distance and
left out by default; real patches the generator was trained on are never used.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "TASKS",
    "MODES",
    "ReaderProfile",
    "StudyConfig",
    "ImageSet",
    "Item",
    "Case",
    "StudyDesign",
    "display_pixels",
    "screen_memorisation",
    "design_study",
    "reader_order",
]

TASKS = ("single", "2afc")
MODES = ("training", "assessment")


@dataclass(frozen=True)
class ReaderProfile:
    """Who reads: a code (or name), years of experience and subspecialty."""

    code: str
    experience_years: float | None = None
    subspecialty: str = ""

    def __post_init__(self) -> None:
        if not str(self.code).strip():
            raise ValueError("reader code must not be empty")


@dataclass(frozen=True)
class StudyConfig:
    """Parameters of a reader study (saved as JSON inside the study database).

    Parameters
    ----------
    n_assessment, n_training : int
        Cases in the assessment and the training pool (a 2AFC case is a pair).
    fraction_generated : float
        Share of generated images among single-image cases (default 0.5).
    task : {'single', '2afc'}
        One image with real/generated + confidence, or a pair: pick the generated one.
    confidence_levels : int
        Points on the confidence scale (1..K); 0 asks for no confidence rating.
    time_limit_s : float or None
        Optional limit per case; an unanswered case is recorded as timed out.
    image_size : int
        Display size in pixels (rows = cols) for every image, real or generated.
    memorisation_threshold : float
        RMS pixel distance on a [0, 1] scale below which a generated image counts
        as a copy of a training patch.
    exclude_memorised : bool
        Leave flagged generated images out of the study (they stay in the log).
    equivalence_margin : float
        Margin around 50% accuracy for the "could not tell them apart" verdict.
    seed : int
        Seeds item selection and every reader's order.
    """

    n_assessment: int = 100
    n_training: int = 20
    fraction_generated: float = 0.5
    task: str = "single"
    confidence_levels: int = 5
    time_limit_s: float | None = None
    image_size: int = 128
    memorisation_threshold: float = 0.03
    exclude_memorised: bool = True
    equivalence_margin: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}, got {self.task!r}")
        if self.n_assessment < 1 or self.n_training < 0:
            raise ValueError("n_assessment must be >= 1 and n_training >= 0")
        if not 0.0 < self.fraction_generated < 1.0:
            raise ValueError(f"fraction_generated must be in (0, 1), got {self.fraction_generated}")
        if self.confidence_levels < 0 or self.confidence_levels == 1 or self.confidence_levels > 9:
            raise ValueError("confidence_levels must be 0 (none) or 2..9 (one digit key each)")
        if self.time_limit_s is not None and self.time_limit_s <= 0:
            raise ValueError("time_limit_s must be positive or None")
        if self.image_size < 8:
            raise ValueError("image_size must be >= 8")
        if not 0.0 < self.equivalence_margin < 0.5:
            raise ValueError("equivalence_margin must be in (0, 0.5)")

    @classmethod
    def tiny(cls) -> "StudyConfig":
        """A six-case study for tests and demos."""
        return cls(n_assessment=6, n_training=4, image_size=16, seed=0)

    def to_json(self) -> str:
        """The config as a JSON string."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "StudyConfig":
        """Inverse of :meth:`to_json` (unknown keys are an error)."""
        return cls(**json.loads(text))


@dataclass
class ImageSet:
    """A stack of candidate images with one metadata row each.

    Parameters
    ----------
    name : str
        'real', or the generator's label (e.g. its checkpoint name).
    images : ndarray (n, rows, cols)
        Pixels; any numeric dtype (scaled by :func:`display_pixels`).
    meta : DataFrame, optional
        One row per image; ``lesion_type`` and ``status`` (biopsy category) are
        used for training feedback, ``origin`` names the source for the examiner.
    training_images : ndarray (m, rows, cols), optional
        For a generator: the patches it was trained on, when known.
    """

    name: str
    images: np.ndarray
    meta: pd.DataFrame | None = None
    training_images: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.images = np.asarray(self.images)
        if self.images.ndim != 3 or len(self.images) == 0:
            raise ValueError(f"image set {self.name!r}: images must be a non-empty (n, rows, cols) stack")
        if self.meta is None:
            self.meta = pd.DataFrame(index=range(len(self.images)))
        if len(self.meta) != len(self.images):
            raise ValueError(f"image set {self.name!r}: {len(self.meta)} metadata rows for {len(self.images)} images")
        self.meta = self.meta.reset_index(drop=True)


@dataclass(frozen=True)
class Item:
    """One image of the study with its hidden truth."""

    item_id: str
    pool: str
    truth: str  # 'real' | 'generated'
    source: str  # 'real' or the generator name
    origin: str
    lesion_type: str
    status: str
    pixels: np.ndarray  # uint8 (size, size)
    nn_distance: float | None = None


@dataclass(frozen=True)
class Case:
    """What a reader is shown at once: one item, or a (real, generated) pair."""

    case_id: str
    pool: str
    item_ids: tuple[str, ...]


@dataclass
class StudyDesign:
    """The outcome of :func:`design_study`: items, cases, and the screening log."""

    config: StudyConfig
    items: list[Item]
    cases: list[Case]
    screening: pd.DataFrame
    log: list[str] = field(default_factory=list)


def display_pixels(image: np.ndarray, size: int) -> np.ndarray:
    """The one display pipeline for every image, real or generated.

    Min-max scaling to 0..255 uint8, then bilinear resizing (with anti-aliasing
    when shrinking) to ``size`` x ``size``.

    Parameters
    ----------
    image : ndarray (rows, cols)
    size : int

    Returns
    -------
    ndarray uint8 (size, size)
    """
    from skimage.transform import resize

    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D (rows, cols), got shape {image.shape}")
    arr = image.astype(np.float64)
    lo, hi = float(arr.min()), float(arr.max())
    if image.dtype == np.uint8:
        lo, hi = 0.0, 255.0  # keep 8-bit images' own contrast: no stretch
    arr = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    if arr.shape != (size, size):
        shrink = arr.shape[0] > size or arr.shape[1] > size
        arr = resize(arr, (size, size), order=1, mode="reflect", anti_aliasing=shrink, preserve_range=True)
    return np.clip(np.rint(arr * 255.0), 0, 255).astype(np.uint8)


def _as_unit(stack: np.ndarray, size: int) -> np.ndarray:
    return np.stack([display_pixels(im, size) for im in stack]).reshape(len(stack), -1).astype(np.float64) / 255.0


def screen_memorisation(
    candidates: np.ndarray, training: np.ndarray, *, threshold: float, size: int | None = None, chunk: int = 256
) -> pd.DataFrame:
    """Nearest training patch of each generated candidate (memorisation screen).

    Parameters
    ----------
    candidates : ndarray (n, rows, cols)
        Generated images.
    training : ndarray (m, rows, cols)
        The generator's training patches.
    threshold : float
        RMS distance (pixels scaled to [0, 1]) below which a candidate is flagged.
    size : int, optional
        Compare at this size (default: the candidates' row count).

    Returns
    -------
    DataFrame
        Columns ``candidate``, ``nn_index``, ``nn_distance`` (RMS), ``memorised``.
    """
    candidates, training = np.asarray(candidates), np.asarray(training)
    if candidates.ndim != 3 or training.ndim != 3 or len(training) == 0:
        raise ValueError("candidates and training must be non-empty (n, rows, cols) stacks")
    size = int(size or candidates.shape[1])
    a, b = _as_unit(candidates, size), _as_unit(training, size)
    b2 = (b * b).sum(axis=1)
    nn_idx = np.empty(len(a), dtype=np.int64)
    nn_d = np.empty(len(a))
    for start in range(0, len(a), chunk):
        part = a[start : start + chunk]
        # ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b, clipped against rounding below 0.
        d2 = np.maximum((part * part).sum(axis=1)[:, None] + b2[None, :] - 2.0 * part @ b.T, 0.0)
        j = d2.argmin(axis=1)
        nn_idx[start : start + chunk] = j
        nn_d[start : start + chunk] = np.sqrt(d2[np.arange(len(part)), j] / a.shape[1])
    return pd.DataFrame(
        {"candidate": np.arange(len(a)), "nn_index": nn_idx, "nn_distance": nn_d, "memorised": nn_d < threshold}
    )


def _text(meta: pd.DataFrame, i: int, column: str) -> str:
    if column not in meta.columns:
        return ""
    value = meta.iloc[i][column]
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value) else str(value)


def _pixel_hashes(stack: np.ndarray, size: int) -> list[str]:
    return [hashlib.sha1(display_pixels(im, size).tobytes()).hexdigest() for im in stack]


def design_study(real: ImageSet, generated: Sequence[ImageSet], config: StudyConfig) -> StudyDesign:
    """Draw the training and assessment pools and build the cases.

    Parameters
    ----------
    real : ImageSet
        Real lesion patches (held out from the generators' training when known).
    generated : sequence of ImageSet
        One set per generator; drawn from in equal shares.
    config : StudyConfig

    Returns
    -------
    StudyDesign

    Raises
    ------
    ValueError
        If there are not enough eligible real or generated images.
    """
    if not generated:
        raise ValueError("at least one set of generated images is needed")
    names = [g.name for g in generated]
    if "real" in names or len(set(names)) != len(names):
        raise ValueError(f"generator names must be unique and not 'real': {names}")
    rng = np.random.default_rng(config.seed)
    size, log = config.image_size, []

    # --- real patches: never one a chosen generator was trained on -------------
    trained_on: set[str] = set()
    for g in generated:
        if g.training_images is not None:
            trained_on.update(_pixel_hashes(g.training_images, size))
    real_ok = [i for i, h in enumerate(_pixel_hashes(real.images, size)) if h not in trained_on]
    if trained_on:
        log.append(f"real: {len(real.images) - len(real_ok)} of {len(real.images)} patches left out (in a generator's training set)")
    else:
        log.append("real: generators' training sets unknown; held-out status of real patches not checked")

    # --- generated: memorisation screen --------------------------------------
    screens, gen_ok = [], {}
    for g in generated:
        if g.training_images is None:
            log.append(f"{g.name}: training patches unknown; memorisation not screened")
            gen_ok[g.name] = list(range(len(g.images)))
            continue
        s = screen_memorisation(g.images, g.training_images, threshold=config.memorisation_threshold, size=size)
        s.insert(0, "source", g.name)
        screens.append(s)
        flagged = int(s["memorised"].sum())
        log.append(
            f"{g.name}: {flagged} of {len(s)} generated images within RMS {config.memorisation_threshold} of a "
            f"training patch (median NN distance {s['nn_distance'].median():.4f})"
            + ("; excluded" if config.exclude_memorised and flagged else "")
        )
        keep = ~s["memorised"] if config.exclude_memorised else np.ones(len(s), bool)
        gen_ok[g.name] = list(np.flatnonzero(keep.to_numpy()))
    screening = pd.concat(screens, ignore_index=True) if screens else pd.DataFrame(
        columns=["source", "candidate", "nn_index", "nn_distance", "memorised"])

    # --- how many of each per pool -------------------------------------------
    pools = [("assessment", config.n_assessment), ("training", config.n_training)]
    need_real, need_gen = {}, {}
    for pool, n in pools:
        if config.task == "2afc":
            need_real[pool] = need_gen[pool] = n
        else:
            need_gen[pool] = int(round(n * config.fraction_generated))
            need_real[pool] = n - need_gen[pool]
    total_real, total_gen = sum(need_real.values()), sum(need_gen.values())
    if total_real > len(real_ok):
        raise ValueError(f"need {total_real} real patches, only {len(real_ok)} eligible")
    per_gen = _split_evenly(total_gen, len(generated), rng)
    for g, k in zip(generated, per_gen):
        if k > len(gen_ok[g.name]):
            raise ValueError(f"need {k} images from generator {g.name!r}, only {len(gen_ok[g.name])} eligible")

    # --- draw without replacement, then split into pools ---------------------
    items: list[Item] = []
    nn = {(r.source, r.candidate): r.nn_distance for r in screening.itertuples()} if len(screening) else {}
    real_pick = list(rng.choice(real_ok, size=total_real, replace=False))
    gen_pick: list[tuple[ImageSet, int]] = []
    for g, k in zip(generated, per_gen):
        gen_pick += [(g, int(i)) for i in rng.choice(gen_ok[g.name], size=k, replace=False)]
    gen_pick = [gen_pick[i] for i in rng.permutation(len(gen_pick))]

    def make(pool: str, iset: ImageSet, i: int, truth: str) -> Item:
        origin = _text(iset.meta, i, "origin") or _text(iset.meta, i, "file") or f"{iset.name}[{i}]"
        return Item(
            item_id=secrets.token_hex(8), pool=pool, truth=truth, source=iset.name, origin=origin,
            lesion_type=_text(iset.meta, i, "lesion_type"), status=_text(iset.meta, i, "status"),
            pixels=display_pixels(iset.images[i], size), nn_distance=nn.get((iset.name, i)),
        )

    cases: list[Case] = []
    r0 = g0 = 0
    for pool, n in pools:
        reals = [make(pool, real, int(i), "real") for i in real_pick[r0 : r0 + need_real[pool]]]
        gens = [make(pool, g, i, "generated") for g, i in gen_pick[g0 : g0 + need_gen[pool]]]
        r0, g0 = r0 + need_real[pool], g0 + need_gen[pool]
        items += reals + gens
        if config.task == "2afc":
            cases += [Case(secrets.token_hex(8), pool, (a.item_id, b.item_id)) for a, b in zip(reals, gens)]
        else:
            cases += [Case(secrets.token_hex(8), pool, (it.item_id,)) for it in reals + gens]
    # Store order carries no truth: shuffle items and cases once more.
    items = [items[i] for i in rng.permutation(len(items))]
    cases = [cases[i] for i in rng.permutation(len(cases))]
    log.append(
        f"design: {config.task}, assessment {config.n_assessment} cases, training {config.n_training} cases, "
        f"{total_real} real + {total_gen} generated images ({dict(zip(names, per_gen))}), seed {config.seed}"
    )
    return StudyDesign(config, items, cases, screening, log)


def _split_evenly(total: int, parts: int, rng: np.random.Generator) -> list[int]:
    base = [total // parts] * parts
    for j in rng.permutation(parts)[: total % parts]:
        base[j] += 1
    return base


def reader_order(
    case_ids: Sequence[str], *, seed: int, reader_code: str, mode: str, session_index: int = 0
) -> tuple[list[str], list[bool]]:
    """One seeded random order per reader (and a left/right swap per 2AFC pair).

    The order depends only on the study seed, the reader code, the mode and the
    session index, so it can be regenerated, and differs between readers.

    Returns
    -------
    order : list of str
        The case ids in reading order.
    swap : list of bool
        For 2AFC: True shows the pair's second (generated) item on the left.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    reader_key = int.from_bytes(hashlib.sha256(reader_code.encode("utf-8")).digest()[:8], "little")
    rng = np.random.default_rng([int(seed), reader_key, MODES.index(mode), int(session_index)])
    ids = sorted(case_ids)  # sorted random ids: independent of storage order
    perm = rng.permutation(len(ids))
    swap = rng.random(len(ids)) < 0.5
    return [ids[i] for i in perm], [bool(s) for s in swap]
