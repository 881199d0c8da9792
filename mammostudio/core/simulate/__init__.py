"""Lesion simulation: insert real, generated or parametric lesions into normal mammograms.

* :mod:`.lesion`: lesion templates (signal, soft support, patch, spacing) from
  every source;
* :mod:`.blend`: the blending model (additive in the log-type domain, Poisson,
  paste) on a local window; :mod:`.domain`: LIN (raw) data blended in ``-ln I``;
* :mod:`.seam`: seam scores (boundary-ring gradient energy, local spectrum slope);
* :mod:`.placement`: automatic placement inside the breast;
* :mod:`.sources`: lesion sources (patch datasets, generated arrays, demo lesions);
* :mod:`.inpaint`: lesions drawn into the target by an in-painting generator;
* :mod:`.session`: the interactive session behind Simulate mode;
* :mod:`.store`: one simulated image's files and the dataset's workbook;
* :mod:`.derived`: derived DICOM files (new UIDs, DERIVED\\SECONDARY, pseudonymous);
* :mod:`.dataset`: the headless job writing a simulated dataset.
"""
from .blend import METHODS, Insertion, insert_lesion
from .lesion import LesionTemplate, estimate_support, parametric_template, patch_template, rescale_template
from .placement import auto_place, valid_centres
from .seam import seam_scores, spectral_slope

__all__ = ["METHODS", "Insertion", "insert_lesion", "LesionTemplate", "estimate_support", "parametric_template",
           "patch_template", "rescale_template", "auto_place", "valid_centres", "seam_scores", "spectral_slope"]
