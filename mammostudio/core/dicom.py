"""DICOM for mammography: header scans, pixels done right, display windows, writing.

One import point for everything DICOM (the code lives in ``dicom_read``, ``dicom_header``,
``dicom_voi`` and ``dicom_write``, split by noun):

* :func:`read_header` - catalog fields without decoding pixels (fast scans).
* :func:`scan_file` - the same fields, several times faster, plus a pixel
  problem found from the header alone (:func:`pixel_problem`: colour, a size
  over the :func:`max_pixels` cap, native data shorter than Rows x Columns).
* :func:`read_pixels` - (rows, cols), modality rescale, MONOCHROME1 inverted so
  bright = dense, no VOI; compressed transfer syntaxes through pylibjpeg.
  :func:`read_pixels_range` also gives (min, max), measured while reading.
* :func:`apply_voi`, :func:`window_presets` - window centre/width (LINEAR,
  LINEAR_EXACT, SIGMOID) or VOI LUT to float32 [0, 1].
* :func:`write_dicom` - an MG "For Presentation" (or "For Processing") file,
  optionally RLE or JPEG 2000 lossless, written atomically.
* :class:`DicomError` - every read failure; the message names the file.
"""
from __future__ import annotations

from .dicom_header import header_of, read_header
from .dicom_pixels import DEFAULT_MAX_MEGAPIXELS, max_pixels, pixel_info, pixel_problem
from .dicom_read import DicomError, modality_range, read_dataset, read_pixels, read_pixels_range
from .dicom_scan import scan_file
from .dicom_voi import VOI_FUNCTIONS, VoiInfo, apply_voi, voi_info, window, window_presets
from .dicom_write import MG_FOR_PRESENTATION, MG_FOR_PROCESSING, write_dicom

__all__ = [
    "DicomError",
    "read_dataset",
    "read_header",
    "header_of",
    "read_pixels",
    "read_pixels_range",
    "scan_file",
    "max_pixels",
    "pixel_info",
    "pixel_problem",
    "DEFAULT_MAX_MEGAPIXELS",
    "modality_range",
    "VOI_FUNCTIONS",
    "VoiInfo",
    "voi_info",
    "window",
    "apply_voi",
    "window_presets",
    "write_dicom",
    "MG_FOR_PRESENTATION",
    "MG_FOR_PROCESSING",
]
