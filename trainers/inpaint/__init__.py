"""A context-conditioned lesion generator: fill a hole in a mammogram patch with a lesion.

Conditional infilling in the spirit of Wu et al. 2018: a small encoder-decoder
(:mod:`.model`) sees a lesion patch whose centre is blanked out (an ellipse),
the hole's mask and a noise plane, and learns to restore the centre
(:mod:`.train`). At simulation time the context is normal tissue at the
chosen place, so the lesion it draws continues the surrounding texture; the
noise seed gives different lesions for one context.
"""
from .model import InpaintNet
from .train import InpaintConfig, elliptical_holes, inpaint, inpaint_training_job, load_inpainter

__all__ = ["InpaintNet", "InpaintConfig", "elliptical_holes", "inpaint", "inpaint_training_job", "load_inpainter"]
