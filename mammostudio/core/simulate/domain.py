"""The value domain a lesion is added in.

Processed mammograms (DICOM PixelIntensityRelationship LOG: every FOR
PRESENTATION image, the demo's) and digitised film store values affine in
the logarithm of the transmitted X-ray intensity, so a lesion's extra
attenuation *adds* to them: they are blended as they are (no domain).

Raw images whose values are proportional to the intensity
(PixelIntensityRelationship LIN) are blended in ``A = -ln(I)``, the
attenuation line integral up to a constant (Beer-Lambert): the lesion adds to
``A``, i.e. multiplies the transmitted intensity by ``exp(-added)``.
:class:`IntensityDomain` maps the loaded values (bright = dense, after
:func:`~mammostudio.core.dicom.read_pixels`' MONOCHROME1 inversion) to ``A``
and back.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["IntensityDomain", "domain_of", "domain_unit", "PRESENTATION"]

#: Provenance name of the default domain (values blended as loaded).
PRESENTATION = "presentation (log-type data: LOG relationship or film)"


@dataclass(frozen=True)
class IntensityDomain:
    """Loaded values <-> attenuation ``A = -ln(I)`` for LIN data.

    Parameters
    ----------
    lo, hi : float
        The nominal value range (MONOCHROME1 inversion maps ``v`` to ``lo + hi - v``).
    inverted : bool
        True when the intensity is ``lo + hi - value`` (loaded value bright =
        less intensity), False when the intensity is the value itself.
    """

    lo: float
    hi: float
    inverted: bool

    name = "log (LIN data: attenuation -ln I)"

    def intensity(self, values: np.ndarray) -> np.ndarray:
        v = np.asarray(values, dtype=np.float32)
        return (np.float32(self.lo + self.hi) - v) if self.inverted else v

    def forward(self, values: np.ndarray) -> np.ndarray:
        """``A = -ln(max(I, 1))`` of loaded values."""
        return -np.log(np.maximum(self.intensity(values), np.float32(1.0)))

    def inverse(self, attenuation: np.ndarray) -> np.ndarray:
        """Loaded values of attenuations (float32)."""
        i = np.exp(-np.asarray(attenuation, dtype=np.float32))
        return (np.float32(self.lo + self.hi) - i) if self.inverted else i


def domain_of(row: dict) -> IntensityDomain | None:
    """The domain of a catalog image row: an IntensityDomain for LIN DICOM data, else None."""
    if str(row.get("format", "")) != "dicom" or not row.get("path"):
        return None
    from ..dicom import modality_range, read_dataset

    try:
        ds = read_dataset(row["path"])
    except OSError:
        return None
    if str(ds.get("PixelIntensityRelationship", "")).upper() != "LIN":
        return None
    lo, hi = modality_range(ds)
    mono1 = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
    sign = int(ds.get("PixelIntensityRelationshipSign", 1) or 1)
    stored_is_intensity = sign == 1  # +1: lower values = less beam intensity
    # loaded value = stored (MONOCHROME2) or lo + hi - stored (MONOCHROME1)
    return IntensityDomain(float(lo), float(hi), inverted=mono1 == stored_is_intensity)


def domain_unit(pixels: np.ndarray, domain: IntensityDomain | None) -> float:
    """The value range ``u`` a template's fractions are scaled by, in the blending domain."""
    if domain is None:
        return max(float(pixels.max()) - float(pixels.min()), 1.0)
    lo, hi = float(pixels.min()), float(pixels.max())  # forward is monotone: its range is at the ends
    ends = domain.forward(np.array([lo, hi], np.float32))
    return max(float(abs(ends[1] - ends[0])), 1e-3)
