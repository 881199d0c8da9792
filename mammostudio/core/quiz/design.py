"""Study design: which images a reader sees, in which order, under which rules.

A study is built once by the examiner from real lesion patches and one or more
sets of generated images. Every image goes through :func:`display_pixels` (the
same size, the same interpolation, the same 8-bit scaling) so that nothing but
the content differs between a real and a generated case. Items get opaque random
identifiers (drawn from the seeded generator, so a design is reproducible); their
truth lives only in the study database (:mod:`.store`).

Two disjoint item pools are drawn: ``training`` (feedback after each answer) and
``assessment`` (no feedback). No image appears in both, so practice never leaks
into a score. Generated candidates that are near-duplicates of the generator's
training patches (memorisation) are flagged by nearest-neighbour distance and
left out by default; real patches the generator was trained on (or near copies
of them, by the same distance) are never used.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from .config import MODES, TASKS, ReaderProfile, StudyConfig
from .screening import display_pixels, screen_memorisation

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
    "NotEnoughImages",
    "reader_order",
]

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


def _text(meta: pd.DataFrame, i: int, column: str) -> str:
    if column not in meta.columns:
        return ""
    value = meta.iloc[i][column]
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value) else str(value)


class NotEnoughImages(ValueError):
    """Fewer eligible images than the study needs; ``source`` ('real' or a generator name),
    ``needed`` and ``eligible`` let a caller suggest a smaller study."""

    def __init__(self, message: str, *, source: str, needed: int, eligible: int) -> None:
        super().__init__(message)
        self.source, self.needed, self.eligible = source, needed, eligible


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
    # Nearest-neighbour distance, not file names: catches exact copies (distance 0)
    # and copies the trainer resized.
    trained = [g.training_images for g in generated if g.training_images is not None]
    real_ok = list(range(len(real.images)))
    if trained:
        near = screen_memorisation(real.images, np.concatenate([_at(t, size) for t in trained]),
                                   threshold=config.memorisation_threshold, size=size)
        real_ok = list(np.flatnonzero(~near["memorised"].to_numpy()))
        log.append(f"real: {len(real.images) - len(real_ok)} of {len(real.images)} patches left out "
                   f"(within RMS {config.memorisation_threshold} of a generator's training patch)")
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
        left_out = len(real.images) - len(real_ok)
        why = (f"; {left_out} of {len(real.images)} are left out as the generator's own training patches "
               f"(within RMS {config.memorisation_threshold}): a reader must never see an image the generator "
               "learnt from" if left_out else "")
        raise NotEnoughImages(
            f"need {total_real} real patches ({need_real['assessment']} for the assessment, "
            f"{need_real['training']} for training), only {len(real_ok)} eligible{why}",
            source="real", needed=total_real, eligible=len(real_ok))
    per_gen = _split_evenly(total_gen, len(generated), rng)
    for g, k in zip(generated, per_gen):
        if k > len(gen_ok[g.name]):
            flagged = len(g.images) - len(gen_ok[g.name])
            raise NotEnoughImages(
                f"need {k} images from generator {g.name!r}, only {len(gen_ok[g.name])} eligible"
                + (f" ({flagged} left out as near-copies of its training patches)" if flagged else ""),
                source=g.name, needed=k, eligible=len(gen_ok[g.name]))

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
            item_id=rng.bytes(8).hex(), pool=pool, truth=truth, source=iset.name, origin=origin,
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
            cases += [Case(rng.bytes(8).hex(), pool, (a.item_id, b.item_id)) for a, b in zip(reals, gens)]
        else:
            cases += [Case(rng.bytes(8).hex(), pool, (it.item_id,)) for it in reals + gens]
    # Store order carries no truth: shuffle items and cases once more.
    items = [items[i] for i in rng.permutation(len(items))]
    cases = [cases[i] for i in rng.permutation(len(cases))]
    log.append(
        f"design: {config.task}, assessment {config.n_assessment} cases, training {config.n_training} cases, "
        f"{total_real} real + {total_gen} generated images ({dict(zip(names, per_gen))}), seed {config.seed}"
    )
    return StudyDesign(config, items, cases, screening, log)


def _at(stack: np.ndarray, size: int) -> np.ndarray:
    return np.stack([display_pixels(im, size) for im in stack])


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
