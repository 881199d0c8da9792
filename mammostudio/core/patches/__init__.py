"""Patch extraction (paper Algorithm 1, spec 1.5-1.6) and the patch dataset on disk.

- :func:`extract_patches` (job) writes a patch dataset from a catalog;
- :func:`load_patches` reads one back as a memory-mapped uint8 stack, and
  :func:`read_patch` / :class:`PatchReader` single patches (:mod:`.store`:
  one ``.npz`` per source image; :func:`export_pngs` writes one PNG per patch);
- :func:`audit_image` lists every tissue candidate of an image with the reason
  it was accepted or rejected (the paper's Figure 2).
"""
from __future__ import annotations

from .dataset import INDEX_NAME, KINDS, PARAMS_NAME, PatchDatasetError, load_patches, read_index
from .extract import IMAGES_NAME, extract_patches
from .lesion import lesion_window
from .params import LESION_MODES, ExtractParams
from .store import PatchReader, export_pngs, patch_labels, read_patch
from .tissue import REASONS, audit_image, image_rng, valid_positions
from .worker import INDEX_COLUMNS, FatalWriteError

__all__ = [
    "ExtractParams", "LESION_MODES", "extract_patches", "load_patches", "read_index", "read_patch", "PatchReader",
    "export_pngs", "patch_labels", "audit_image",
    "image_rng", "valid_positions", "lesion_window", "PatchDatasetError", "FatalWriteError",
    "INDEX_COLUMNS", "INDEX_NAME", "PARAMS_NAME", "IMAGES_NAME", "KINDS", "REASONS",
]
