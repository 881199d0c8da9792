"""Settings of the lesion classifier: one frozen dataclass, saved as JSON beside results.

Paper values (spec 3.2): the discriminator layout with widths 9, 18, 36, 72, 90,
binary cross-entropy, 20 epochs, "the same parameters" as the DCGAN's D
(Adam lr 2e-4, betas (0, 0.99)), weight decay 5e-4 (the text's "5%" read as
the code's 5e-4), the weights with the best validation F1 of the lesion class
kept. Inputs are scaled to [0, 1].

:meth:`ClassifierConfig.published_code` adds what the authors' released code
does and the paper does not say: Xavier-uniform initialisation of the
convolutions, a StepLR decay x0.95 after every epoch, and validation (and
best-model selection) every 10 batches as well as at each epoch's end.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from mammostudio.core.settings import JsonSettings

__all__ = ["ClassifierConfig"]


@dataclass(frozen=True)
class ClassifierConfig(JsonSettings):
    """Every setting of one classifier training.

    ``flips`` turns on the online random horizontal-then-vertical flips
    (p = 0.5 each) of the Aug modes. ``threshold`` turns the lesion
    probability into a label for F1, precision and recall. ``init``
    ('torch' defaults or 'xavier'), ``lr_step_gamma`` (learning rate x gamma
    after every epoch; 1 = constant) and ``val_every`` (also validate every N
    batches; 0 = once per epoch) default to the paper's text.
    """

    _LABEL = "classifier config"

    image_size: int = 128
    ndf: int = 9
    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-4
    beta1: float = 0.0
    beta2: float = 0.99
    weight_decay: float = 5e-4
    flips: bool = False
    threshold: float = 0.5
    seed: int = 0
    device: str = "auto"
    num_threads: int = 0
    init: str = "torch"
    lr_step_gamma: float = 1.0
    val_every: int = 0

    def __post_init__(self) -> None:
        for name in ("image_size", "ndf", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: expected a positive integer, got {getattr(self, name)}")
        if self.init not in ("torch", "xavier"):
            raise ValueError(f"init: expected 'torch' or 'xavier', got {self.init!r}")
        if not 0.0 < self.lr_step_gamma <= 1.0 or self.val_every < 0:
            raise ValueError(f"lr_step_gamma must be in (0, 1] and val_every >= 0, got "
                             f"{self.lr_step_gamma}, {self.val_every}")
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold: expected a value in (0, 1), got {self.threshold}")

    @classmethod
    def paper(cls, **changes) -> "ClassifierConfig":
        """The paper's classifier (the defaults)."""
        return replace(cls(), **changes)

    @classmethod
    def published_code(cls, **changes) -> "ClassifierConfig":
        """The authors' released code: Xavier init, StepLR(0.95 per epoch), validation every 10 batches."""
        return replace(cls(init="xavier", lr_step_gamma=0.95, val_every=10), **changes)

    @classmethod
    def tiny(cls, **changes) -> "ClassifierConfig":
        """A 16-pixel, 12-epoch classifier for tests and CPU demos (seconds on one core)."""
        return replace(cls(image_size=16, ndf=4, epochs=12, batch_size=16, lr=1e-3, device="cpu"), **changes)

    def replace(self, **changes) -> "ClassifierConfig":
        """A copy with ``changes`` applied (validated)."""
        return replace(self, **changes)


