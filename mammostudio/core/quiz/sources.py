"""Loading the study's inputs: real lesion patches and generated-image folders.

Real patches come from a patch dataset (``index.csv``) or a plain PNG folder via
:func:`mammostudio.core.patches.load_patches`. A generated folder is what
``mammostudio generate`` writes: PNGs plus ``manifest.json`` (checkpoint, seed,
count). When the manifest names the generator's training patches
(``training_patches``: a folder) or the examiner names them, they are loaded for
the memorisation screen and to keep real patches held out.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ..patches import load_patches
from .design import ImageSet

__all__ = ["load_real_set", "load_generated_set", "read_manifest"]


def read_manifest(folder: str | os.PathLike) -> dict:
    """``manifest.json`` of a generated folder, or ``{}`` when there is none.

    Raises
    ------
    ValueError
        If the manifest exists but is not a JSON object (names the file).
    """
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable manifest ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: manifest must be a JSON object")
    return data


def _meta_from_index(index: pd.DataFrame) -> pd.DataFrame:
    meta = pd.DataFrame(index=range(len(index)))
    meta["origin"] = index["file"].astype(str).to_numpy() if "file" in index.columns else ""
    for col, names in {"lesion_type": ("lesion_type", "type"), "status": ("status", "biopsy", "pathology")}.items():
        src = next((n for n in names if n in index.columns), None)
        meta[col] = index[src].fillna("").astype(str).to_numpy() if src else ""
    return meta


def load_real_set(folder: str | os.PathLike, *, size: int = 128) -> ImageSet:
    """Real lesion patches of a patch dataset (or plain PNG folder) as an :class:`ImageSet`."""
    images, index = load_patches(folder, "lesion", size=size)
    if len(images) == 0:
        raise ValueError(f"{folder}: no lesion patches found")
    return ImageSet("real", images, _meta_from_index(index))


def load_generated_set(
    folder: str | os.PathLike, *, size: int = 128, name: str | None = None,
    training_folder: str | os.PathLike | None = None,
) -> ImageSet:
    """A folder of generated images (and, when known, the generator's training patches).

    Parameters
    ----------
    folder : path-like
        PNGs, optionally with ``manifest.json``.
    name : str, optional
        Label of this generator in the results; default: the manifest's
        checkpoint file stem, else the folder name.
    training_folder : path-like, optional
        The generator's training patches; default: the manifest's
        ``training_patches`` entry when it names an existing folder.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    images, index = load_patches(folder, "lesion", size=size)
    if len(images) == 0:
        raise ValueError(f"{folder}: no generated PNGs found")
    if name is None:
        ckpt = manifest.get("checkpoint")
        name = Path(str(ckpt)).stem if ckpt else folder.name
    if training_folder is None and manifest.get("training_patches"):
        candidate = Path(str(manifest["training_patches"]))
        if not candidate.is_absolute():
            candidate = folder / candidate
        training_folder = candidate if candidate.is_dir() else None
    training = None
    if training_folder is not None:
        training, _ = load_patches(training_folder, "lesion", size=size)
    meta = pd.DataFrame({"origin": [f"{folder.name}/{f}" for f in index["file"]]})
    return ImageSet(str(name), images, meta, training_images=training)
