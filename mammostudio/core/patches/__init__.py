"""Patch extraction (paper Algorithm 1, spec 1.5-1.6) and the patch dataset on disk."""
from __future__ import annotations

from .dataset import KINDS, PatchDatasetError, load_patches, read_index

__all__ = ["KINDS", "PatchDatasetError", "load_patches", "read_index"]
