"""The dataset layouts mammostudio reads, in words, for command help and messages.

Kept apart from :mod:`.readers` (which imports pandas) so that building the
command-line parser stays quick.
"""
from __future__ import annotations

__all__ = ["LAYOUTS"]

#: Every layout :data:`mammostudio.core.readers.READERS` recognises.
LAYOUTS = "annotation workbook, OMI-DB, mini-MIAS, CBIS-DDSM, VinDr-Mammo, INbreast or a plain DICOM folder"
