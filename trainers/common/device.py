"""Where a trainer runs: the device, and the CPU thread count (set once per process)."""
from __future__ import annotations

import torch

__all__ = ["select_device", "set_threads_once"]

_THREADS_SET: int | None = None


def select_device(name: str = "auto", *, local_rank: int | None = None) -> torch.device:
    """Resolve a device name to a :class:`torch.device`.

    Parameters
    ----------
    name : {'auto', 'cpu', 'cuda', 'cuda:N'}
        ``'auto'`` picks CUDA when it is available, the CPU otherwise.
    local_rank : int, optional
        Under ``torchrun`` the GPU of this process (``LOCAL_RANK``).

    Raises
    ------
    ValueError
        If ``name`` is unknown or CUDA was asked for but is not available.
    """
    if name not in ("auto", "cpu", "cuda") and not name.startswith("cuda:"):
        raise ValueError(f"device: expected 'auto', 'cpu' or 'cuda', got {name!r}")
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError(f"device: {name!r} was asked for but CUDA is not available on this machine")
    if name.startswith("cuda:"):
        return torch.device(name)
    return torch.device("cuda", local_rank or 0)


def set_threads_once(n: int = 0) -> int:
    """Set torch's intra-op CPU thread count once per process and return it.

    Parameters
    ----------
    n : int
        Threads to use; 0 keeps torch's default (or ``OMP_NUM_THREADS``).
        Later calls do nothing: changing the pool mid-run costs time and
        changes floating-point reduction order.
    """
    global _THREADS_SET
    if _THREADS_SET is None:
        if n > 0:
            torch.set_num_threads(n)
        _THREADS_SET = torch.get_num_threads()
    return _THREADS_SET
