"""Reader-study configuration and reader profiles (frozen, saved as JSON)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

__all__ = ["TASKS", "MODES", "CASE_UNITS", "ReaderProfile", "StudyConfig"]

TASKS = ("single", "2afc", "detection")
CASE_UNITS = ("image", "study")
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
    case_unit : {'image', 'study'}
        Detection: a case is one view, or the four views of a screening study.
    fraction_normal : float
        Detection: share of cases without a lesion.
    acceptance_radius_mm : float or None
        Detection: a mark within this distance (mm) of a lesion's centre is a lesion
        localisation; None = the mark must fall inside the lesion's outline.
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
    case_unit: str = "image"
    fraction_normal: float = 0.5
    acceptance_radius_mm: float | None = None

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
        if self.case_unit not in CASE_UNITS:
            raise ValueError(f"case_unit must be one of {CASE_UNITS}, got {self.case_unit!r}")
        if not 0.0 <= self.fraction_normal < 1.0:
            raise ValueError(f"fraction_normal must be in [0, 1), got {self.fraction_normal}")
        if self.acceptance_radius_mm is not None and self.acceptance_radius_mm <= 0:
            raise ValueError("acceptance_radius_mm must be positive or None")
        if self.task == "detection" and self.confidence_levels < 2:
            raise ValueError("a detection study needs a rating scale (confidence_levels 2..9)")
        if self.task == "detection" and self.time_limit_s is not None:
            raise ValueError("detection studies have no time limit per case (the reading screen does not enforce one)")
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
