"""The paper's DCGAN: models, a resumable observable trainer, generation.

Public API: :class:`GANConfig`, :class:`Generator`, :class:`Discriminator`,
:class:`GANTrainer`, :class:`Callback`, :func:`load_generator`,
:func:`generate_images`.
"""
from .callbacks import Callback
from .checkpoint import CheckpointError
from .config import GANConfig
from .generate import generate_images, load_generator
from .models import Discriminator, Generator, count_parameters
from .train import DivergenceError, GANTrainer

__all__ = ["GANConfig", "Generator", "Discriminator", "count_parameters", "GANTrainer", "Callback",
           "CheckpointError", "DivergenceError", "load_generator", "generate_images"]
