"""Settings of the augmentation experiment (spec 3.3, paper Figure 7).

:meth:`ExperimentConfig.paper` holds the paper's grid: k in 100..1300, IR 10,
AF 1.5, 3 folds, a 22K tissue pool, one 1000-epoch DCGAN per (k, fold) with the
small-data jitter (``GANConfig.paper_small_data``), the 20-epoch classifier,
masses alone as positives. :meth:`ExperimentConfig.tiny` runs the whole grid on a CPU
in minutes (16-pixel images, small k, few epochs) for tests and demos.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from mammostudio.core.settings import JsonSettings

from ..classifier.config import ClassifierConfig
from ..dcgan.config import GANConfig

__all__ = ["MODES", "POSITIVE_MATCH", "ExperimentConfig", "parse_positives"]

MODES = ("ORG", "Aug ORG", "GAN", "Aug GAN")
POSITIVE_MATCH = ("exact", "contains")
GENERATORS = ("last", "best-fid")


@dataclass(frozen=True)
class ExperimentConfig(JsonSettings):
    """Every setting of one augmentation experiment.

    ``sizes`` are the k of the nested positive subsets P_k; negatives are
    N_k = ``ir`` x k; the GAN modes add ``af`` x k images of G_k. Each of
    ``folds`` folds holds out a third of the patients (grouped, so no patient
    is on two sides) as the test set; ``val_fraction`` of all positives (paper
    6.6%) comes from the other patients for validation; the rest is training.
    ``tissue_pool`` tissue patches are drawn once (paper 22K) and split the
    same way. ``generator`` picks which G_k the GAN modes sample: ``'last'``
    (the last epoch's, the default) or ``'best-fid'`` (the lowest FID against
    P_k, measured every ``fid_every`` epochs on up to ``fid_n`` images with
    ``fid_backbone``; the paper sometimes picked that one).
    ``lesion_types`` and ``positive_match`` select the positive
    class: with ``'exact'`` (the default) a patch is positive when its lesion
    type is one of ``lesion_types`` (paper: the 2,215 masses, type ``mass``
    alone); with ``'contains'`` when any part of a combined type
    (``mass+calcification``, ``focal asymmetry+mass``) is (~21 % more
    positives on OPTIMAM, some calcification-bearing).
    """

    _LABEL = "experiment config"

    sizes: tuple[int, ...] = (100, 250, 500, 750, 1000, 1300)
    ir: int = 10
    af: float = 1.5
    folds: int = 3
    val_fraction: float = 0.066
    tissue_pool: int = 22000
    lesion_types: tuple[str, ...] = ("mass",)
    positive_match: str = "exact"
    generator: str = "last"
    fid_every: int = 10
    fid_n: int = 2000
    fid_backbone: str = "standard"
    modes: tuple[str, ...] = MODES
    seed: int = 0
    image_size: int = 128
    gan: GANConfig = field(default_factory=GANConfig.paper_small_data)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)

    def __post_init__(self) -> None:
        if not self.sizes or any(k < 1 for k in self.sizes) or list(self.sizes) != sorted(set(self.sizes)):
            raise ValueError(f"sizes: expected increasing positive integers, got {self.sizes}")
        if self.folds < 2:
            raise ValueError(f"folds: need at least 2 for cross-validation, got {self.folds}")
        if self.ir < 1 or self.af < 0:
            raise ValueError(f"ir must be >= 1 and af >= 0, got ir={self.ir}, af={self.af}")
        if not 0.0 < self.val_fraction < 1.0 - 1.0 / self.folds:
            raise ValueError(f"val_fraction: expected a value in (0, {1 - 1 / self.folds:.3f}), got {self.val_fraction}")
        if self.positive_match not in POSITIVE_MATCH:
            raise ValueError(f"positive_match: expected one of {POSITIVE_MATCH}, got {self.positive_match!r}")
        if self.generator not in GENERATORS:
            raise ValueError(f"generator: expected one of {GENERATORS}, got {self.generator!r}")
        if self.fid_every < 1 or self.fid_n < 4:
            raise ValueError(f"fid_every must be >= 1 and fid_n >= 4, got {self.fid_every}, {self.fid_n}")
        bad = [m for m in self.modes if m not in MODES]
        if bad or not self.modes:
            raise ValueError(f"modes: expected some of {MODES}, got {self.modes}")
        if self.gan.image_size != self.image_size or self.classifier.image_size != self.image_size:
            raise ValueError(
                f"image_size: the GAN ({self.gan.image_size}) and the classifier "
                f"({self.classifier.image_size}) must both use {self.image_size}")

    @property
    def uses_gan(self) -> bool:
        """True when a GAN mode is in the grid (so G_k must be trained)."""
        return any("GAN" in m for m in self.modes)

    @classmethod
    def paper(cls, **changes) -> "ExperimentConfig":
        """The paper's grid (spec 3.3)."""
        return replace(cls(), **changes)

    @classmethod
    def tiny(cls, **changes) -> "ExperimentConfig":
        """The whole grid in minutes on a CPU: 16-pixel images, k = 8 and 16, few epochs."""
        base = cls(sizes=(8, 16), tissue_pool=2000, image_size=16,
                   gan=GANConfig.tiny(epochs=30, sample_every=10), classifier=ClassifierConfig.tiny())
        return replace(base, **changes)

    def to_dict(self) -> dict:
        """Plain JSON-ready values (nested configs as dicts)."""
        d = asdict(self)
        d["sizes"], d["lesion_types"], d["modes"] = list(self.sizes), list(self.lesion_types), list(self.modes)
        return d

    @classmethod
    def from_dict(cls, data: dict, *, source: str | None = None) -> "ExperimentConfig":
        """Inverse of :meth:`to_dict`."""
        data = dict(data)
        data["gan"] = GANConfig.from_dict(data.get("gan", {}), source=source)
        data["classifier"] = ClassifierConfig.from_dict(data.get("classifier", {}), source=source)
        for key in ("sizes", "lesion_types", "modes"):
            if key in data:
                data[key] = tuple(data[key])
        return super().from_dict(data, source=source)



def parse_positives(spec: str) -> dict:
    """``--positives`` -> config changes: ``mass`` (the paper: type ``mass`` alone),
    ``mass-containing`` (every type with a ``mass`` part) or a comma list of exact types."""
    spec = spec.strip()
    if not spec:
        raise ValueError("--positives: expected mass, mass-containing or a comma list of lesion types")
    if spec.endswith("-containing"):
        return {"lesion_types": (spec[: -len("-containing")],), "positive_match": "contains"}
    return {"lesion_types": tuple(t.strip() for t in spec.split(",") if t.strip()), "positive_match": "exact"}
