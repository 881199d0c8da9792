"""The DCGAN's settings: one frozen dataclass, saved as JSON in every run folder.

:meth:`GANConfig.paper` holds the paper's values (spec 2.3), the defaults;
:meth:`GANConfig.paper_small_data` adds the +-5 brightness / contrast jitter the
paper used only in its small-data runs (section 4.6: the G_k of the
augmentation experiment, which uses this preset); :meth:`GANConfig.published_code`
the authors' released code where it differs (Adam beta2 0.999, never a
jitter); :meth:`GANConfig.tiny` a 16-pixel GAN for tests.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from mammostudio.core.settings import JsonSettings

__all__ = ["GANConfig", "SUPPORTED_SIZES"]

SUPPORTED_SIZES = (16, 32, 64, 128, 256)


@dataclass(frozen=True)
class GANConfig(JsonSettings):
    """Every setting of a DCGAN run (architecture, optimisation, augmentation, logging).

    Architecture: ``image_size`` (16, 32, 64, 128 or 256), latent size ``nz``,
    generator / discriminator widths ``ngf`` / ``ndf`` (released: 128, 200, 45, 45),
    ``d_first_kernel`` (4 in the code; the paper's text says 6) and
    ``d_kernel`` (6, the checkerboard fix). Optimisation: Adam(``beta1``,
    ``beta2``), ``lr_g`` / ``lr_d``, a step decay by ``decay_gamma`` every
    ``decay_every_g`` / ``decay_every_d`` epochs, ``batch_size``, ``epochs``.
    Labels: the real label is drawn per epoch from U[``real_label_min``,
    ``real_label_max``]; fake is 0. Augmentation per batch: flips with
    probability 0.5 (``flip_h``, ``flip_v``) and brightness / contrast jitter of
    up to ``jitter`` grey levels (0 = off). Logging: ``sample_every`` epochs a
    grid of ``sample_count`` images from fixed noise; ``checkpoint_every``
    epochs ``checkpoints/last.pt`` (and at the end); ``log_every`` steps the
    step hooks; a collapse warning when mean D(G(z)) stays below
    ``collapse_threshold`` for ``collapse_epochs`` epochs. Speed: ``device``,
    ``bf16`` autocast (CUDA), ``channels_last``, ``num_threads`` (0 = default).
    """

    _LABEL = "GAN config"

    image_size: int = 128
    nz: int = 200
    ngf: int = 45
    ndf: int = 45
    d_first_kernel: int = 4
    d_kernel: int = 6
    init_std: float = 0.02
    epochs: int = 1000
    batch_size: int = 64
    lr_g: float = 4e-4
    lr_d: float = 2e-4
    beta1: float = 0.0
    beta2: float = 0.99
    decay_gamma: float = 0.99
    decay_every_g: int = 10
    decay_every_d: int = 8
    real_label_min: float = 0.7
    real_label_max: float = 1.0
    flip_h: bool = True
    flip_v: bool = True
    jitter: float = 0.0
    drop_last: bool = False
    seed: int = 0
    sample_every: int = 10
    checkpoint_every: int = 1
    sample_count: int = 64
    log_every: int = 10
    collapse_threshold: float = 0.01
    collapse_epochs: int = 20
    tensorboard: bool = True
    device: str = "auto"
    bf16: bool = False
    channels_last: bool = True
    num_threads: int = 0

    def __post_init__(self) -> None:
        if self.image_size not in SUPPORTED_SIZES:
            raise ValueError(f"image_size: expected one of {SUPPORTED_SIZES}, got {self.image_size}")
        for name in ("nz", "ngf", "ndf", "epochs", "batch_size", "decay_every_g", "decay_every_d",
                     "sample_every", "checkpoint_every", "sample_count", "log_every", "collapse_epochs"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if self.d_first_kernel not in (4, 6) or self.d_kernel not in (4, 6):
            raise ValueError("d_first_kernel / d_kernel: expected 4 or 6 (padding 1 or 2 keeps the halving exact)")
        if not 0.0 <= self.real_label_min <= self.real_label_max <= 1.0:
            raise ValueError(f"real_label_min/max: need 0 <= min <= max <= 1, got {self.real_label_min}, {self.real_label_max}")
        if not (0.0 <= self.beta1 < 1.0 and 0.0 <= self.beta2 < 1.0):
            raise ValueError(f"beta1/beta2: need values in [0, 1), got {self.beta1}, {self.beta2}")
        if self.lr_g <= 0 or self.lr_d <= 0 or not 0 < self.decay_gamma <= 1:
            raise ValueError("lr_g, lr_d must be > 0 and decay_gamma in (0, 1]")
        if self.jitter < 0:
            raise ValueError(f"jitter: must be >= 0 grey levels, got {self.jitter}")

    # -- presets -----------------------------------------------------------
    @classmethod
    def paper(cls, **changes) -> "GANConfig":
        """The paper's settings (spec 2.3): the defaults."""
        return replace(cls(), **changes)

    @classmethod
    def paper_small_data(cls, **changes) -> "GANConfig":
        """The paper's small-data runs (section 4.6): the paper's settings plus a +-5 grey-level jitter."""
        return replace(cls(jitter=5.0), **changes)

    @classmethod
    def published_code(cls, **changes) -> "GANConfig":
        """The authors' released code where it differs from the paper's text (beta2; no jitter anywhere)."""
        return replace(cls(), beta2=0.999, jitter=0.0, **changes)

    @classmethod
    def tiny(cls, **changes) -> "GANConfig":
        """A 16-pixel, few-channel GAN for tests: seconds per epoch on one CPU core."""
        base = cls(image_size=16, nz=8, ngf=4, ndf=4, epochs=2, batch_size=8, sample_every=1,
                   sample_count=16, log_every=1, collapse_epochs=2, tensorboard=False, device="cpu")
        return replace(base, **changes)

    # -- JSON --------------------------------------------------------------

