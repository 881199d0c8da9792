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

import numpy as np
import pandas as pd

from ..patches import load_patches, patch_labels
from .design import ImageSet

__all__ = ["generator_name", "load_real_set", "load_generated_set", "read_manifest", "find_training_patches",
           "load_training_patches"]


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


def find_training_patches(folder: str | os.PathLike, manifest: dict) -> Path | None:
    """Where the generator's training patches are, when the generated folder says so.

    In order: the manifest's ``training_patches`` (a folder or ``.npy``, relative
    to the generated folder), then ``patches.npy`` of the DCGAN run folder that
    holds the manifest's checkpoint (``RUN/checkpoints/x.pt`` -> ``RUN/patches.npy``).
    """
    folder = Path(folder)
    named = manifest.get("training_patches")
    if named:
        candidate = Path(str(named))
        candidate = candidate if candidate.is_absolute() else folder / candidate
        if candidate.exists():
            return candidate
    ckpt = manifest.get("checkpoint")
    if ckpt:
        for parent in list(Path(str(ckpt)).parents)[:2]:
            if (parent / "patches.npy").is_file() and (parent / "config.json").is_file():
                return parent / "patches.npy"
    return None


def load_training_patches(path: str | os.PathLike, *, size: int = 128) -> np.ndarray:
    """A generator's training patches from a patch folder or a ``.npy`` (n, rows, cols) stack."""
    path = Path(path)
    if path.suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: cannot read the training patches ({exc})") from exc
        if arr.ndim != 3:
            raise ValueError(f"{path}: expected an (n, rows, cols) stack, got shape {arr.shape}")
        return arr
    return load_patches(path, "lesion", size=size)[0]


def _meta_from_index(index: pd.DataFrame) -> pd.DataFrame:
    meta = pd.DataFrame(index=range(len(index)))
    meta["origin"] = patch_labels(index).to_numpy() if "file" in index.columns else ""
    def column(name: str) -> pd.Series:
        if name not in index.columns:
            return pd.Series([""] * len(index))
        return index[name].fillna("").astype(str).reset_index(drop=True)

    meta["lesion_type"] = column("lesion_type").to_numpy()
    # Biopsy category (B1..B5) when the archive has one, else MIAS-style benign/malignant.
    status, severity = column("status"), column("severity")
    meta["status"] = status.where(status != "", severity).to_numpy()
    return meta


def generator_name(folder: str | os.PathLike, manifest: dict) -> str:
    """A generator's label: its training run's folder name (``RUN/checkpoints/last.pt`` -> ``RUN``).

    A checkpoint other than ``last`` adds its name (``RUN (best)``); without a manifest
    checkpoint, the generated folder's name.
    """
    ckpt = manifest.get("checkpoint")
    if not ckpt:
        return Path(folder).name
    path = Path(str(ckpt))
    run_dir = path.parent.parent if path.parent.name == "checkpoints" else path.parent
    run = run_dir.name
    if not run:
        return path.stem
    return run if path.stem == "last" else f"{run} ({path.stem})"


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
        Label of this generator in the results; default: :func:`generator_name`
        (the training run's name, not the checkpoint file's).
    training_folder : path-like, optional
        The generator's training patches (a patch folder or a ``.npy`` stack);
        default: :func:`find_training_patches`.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    images, index = load_patches(folder, "lesion", size=size)
    if len(images) == 0:
        raise ValueError(f"{folder}: no generated PNGs found")
    if name is None:
        name = generator_name(folder, manifest)
    if training_folder is None:
        training_folder = find_training_patches(folder, manifest)
    training = None if training_folder is None else load_training_patches(training_folder, size=size)
    meta = pd.DataFrame({"origin": [f"{folder.name}/{f}" for f in index["file"]]})
    return ImageSet(str(name), images, meta, training_images=training)
