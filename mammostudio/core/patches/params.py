"""The parameters of patch extraction (spec 1.5-1.6), saved as ``params.json``."""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..settings import JsonSettings

__all__ = ["ExtractParams", "LESION_MODES"]

LESION_MODES = ("crop", "centred")


@dataclass(frozen=True)
class ExtractParams(JsonSettings):
    """How patches are taken from one image. Defaults are the paper's.

    Parameters
    ----------
    patch_size : int
        Side of a tissue patch, and of a lesion patch in 'centred' mode (128).
    n_tissue : int
        Tissue patches wanted per image (10).
    rounds : int
        Rounds of random candidates at most (5); every round draws fresh ones.
    candidates_per_round : int
        Random candidate positions per round (100).
    min_unique : int
        A tissue patch with fewer distinct intensity values is dropped (30).
        0 disables the rule.
    exhaustive : bool
        Sample directly among *all* valid positions (summed-area tables) instead
        of the paper's rounds, so small or crowded breasts still give
        ``n_tissue`` patches (low-variety draws are replaced).
    lesion_mode : {'crop', 'centred'}
        'crop': the paper's box crop (variable size); 'centred': a native
        ``patch_size`` square centred on the box, shifted to stay inside the image.
    crop_inclusive : bool
        'crop' mode: False (default) is the paper's slice ``I[y1:y2, x1:x2]``,
        dropping the box's last row and column; True keeps the whole inclusive
        box (as the ground truth paints it). See ``preprocess.lesion_crop``.
    mask_threshold : int
        Breast mask = normalised pixel > this (0, the paper; digitised films
        with a noisy background such as mini-MIAS need ~15-30).
    lesions : bool
        Save lesion patches.
    tissue : bool
        Save tissue patches.
    """

    _LABEL = "extraction parameters"

    patch_size: int = 128
    n_tissue: int = 10
    rounds: int = 5
    candidates_per_round: int = 100
    min_unique: int = 30
    exhaustive: bool = False
    lesion_mode: str = "crop"
    crop_inclusive: bool = False
    mask_threshold: int = 0
    lesions: bool = True
    tissue: bool = True

    def __post_init__(self) -> None:
        for name in ("patch_size", "n_tissue", "rounds", "candidates_per_round"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.min_unique, bool) or not isinstance(self.min_unique, int) or self.min_unique < 0:
            raise ValueError(f"min_unique must be a non-negative integer, got {self.min_unique!r}")
        if isinstance(self.mask_threshold, bool) or not isinstance(self.mask_threshold, int) \
                or not 0 <= self.mask_threshold <= 254:
            raise ValueError(f"mask_threshold must be an integer in 0..254, got {self.mask_threshold!r}")
        if self.lesion_mode not in LESION_MODES:
            raise ValueError(f"lesion_mode must be one of {LESION_MODES}, got {self.lesion_mode!r}")

    @classmethod
    def paper(cls) -> "ExtractParams":
        """The paper's Algorithm 1: 128 px, 10 patches, 5 x 100 candidates, >= 30 values."""
        return cls()

    @classmethod
    def tiny(cls) -> "ExtractParams":
        """Small patches for tests: 32 px, 4 patches, 3 x 50 candidates, >= 10 values."""
        return cls(patch_size=32, n_tissue=4, rounds=3, candidates_per_round=50, min_unique=10)

    def with_(self, **changes) -> "ExtractParams":
        """A copy with some fields changed (validated)."""
        return replace(self, **changes)
