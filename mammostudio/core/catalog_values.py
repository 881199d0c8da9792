"""The catalog's value vocabularies: lesion types, biopsy categories, pathology, BI-RADS, density.

Every reader maps its archive's spellings through these functions, so the
catalog holds one vocabulary whatever the source. Import them from
:mod:`mammostudio.core.catalog`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["LESION_TYPES", "PATHOLOGIES", "DENSITIES", "BIRADS", "normalise_lesion_type", "status_ordinal",
           "normalise_pathology", "normalise_birads", "normalise_density"]

PATHOLOGIES = ("benign", "malignant", "unknown")
DENSITIES = ("A", "B", "C", "D")
BIRADS = ("0", "1", "2", "3", "4", "5", "6")

LESION_TYPES = ("mass", "calcification", "focal asymmetry", "architectural distortion")

_TYPE_ALIASES = {
    "mass": "mass",
    "masses": "mass",
    "circ": "mass",
    "spic": "mass",
    "misc": "mass",
    "calcification": "calcification",
    "calcifications": "calcification",
    "calc": "calcification",
    "suspiciouscalcification": "calcification",
    "cluster": "calcification",
    "withcalcification": "calcification",
    "suspiciouscalcifications": "calcification",
    "focal asymmetry": "focal asymmetry",
    "focalasymmetry": "focal asymmetry",
    "asymmetry": "focal asymmetry",
    "asym": "focal asymmetry",
    "assymetry": "focal asymmetry",
    "architectural distortion": "architectural distortion",
    "architecturaldistortion": "architectural distortion",
    "distortion": "architectural distortion",
    "arch": "architectural distortion",
}


def normalise_lesion_type(text: str | None) -> str:
    """Map a free-text lesion type to the catalog's vocabulary.

    Parameters
    ----------
    text : str or None
        E.g. "Mass", "mass + calcification", "Calcifications", "SPIC".
        Combinations may be separated by '+', ',', ';', '/', '&' or ' and '.

    Returns
    -------
    str
        Known types sorted and joined by '+'; unknown words are kept lower-case
        so nothing is silently lost; '' for empty input.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    raw = str(text).strip().lower()
    if not raw:
        return ""
    for sep in [",", ";", "/", "&", " and ", " with "]:
        raw = raw.replace(sep, "+")
    parts = [p.strip() for p in raw.split("+") if p.strip()]
    out = set()
    for p in parts:
        key = " ".join(p.split())
        out.add(_TYPE_ALIASES.get(key, _TYPE_ALIASES.get(key.replace(" ", ""), key)))
    return "+".join(sorted(out))


def status_ordinal(status: str | None) -> int | None:
    """Return 1..5 for a biopsy category 'B1'..'B5' (also '5', 'b5'), else None."""
    if status is None:
        return None
    s = str(status).strip().upper()
    if s.startswith("B"):
        s = s[1:]
    return int(s) if s in {"1", "2", "3", "4", "5"} else None


_PATHOLOGY = {"b": "benign", "benign": "benign", "benignwithoutcallback": "benign",
              "m": "malignant", "malignant": "malignant", "malign": "malignant", "cancer": "malignant",
              "unknown": "unknown", "u": "unknown", "unproven": "unknown"}


def normalise_pathology(text) -> str:
    """'benign' / 'malignant' / 'unknown' from an archive's pathology text, '' when blank.

    Accepts MIAS 'B'/'M', CBIS-DDSM 'BENIGN', 'BENIGN_WITHOUT_CALLBACK',
    'MALIGNANT' and the words themselves; anything else non-blank is 'unknown'.
    """
    raw = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    key = "".join(ch for ch in raw.lower() if ch.isalpha())
    if not key:
        return ""
    return _PATHOLOGY.get(key, "unknown")


def normalise_birads(text) -> str:
    """A BI-RADS assessment as '0'..'6' or '4A'/'4B'/'4C'; '' when blank or unreadable.

    Accepts 4, 4.0, '4', 'BI-RADS 4', 'birads 4a', '4c'.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    raw = str(text).strip().upper().replace("BI-RADS", "").replace("BIRADS", "").strip()
    if raw.endswith(".0"):
        raw = raw[:-2]
    if raw in BIRADS:
        return raw
    if len(raw) == 2 and raw[0] == "4" and raw[1] in "ABC":
        return raw
    return ""


def normalise_density(text) -> str:
    """BI-RADS breast composition 'A'..'D' from 'A', 'DENSITY C', 1..4 (ACR); else ''."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    raw = str(text).strip().upper().replace("DENSITY", "").replace("ACR", "").strip()
    if raw.endswith(".0"):
        raw = raw[:-2]
    if raw in DENSITIES:
        return raw
    return {"1": "A", "2": "B", "3": "C", "4": "D"}.get(raw, "")
