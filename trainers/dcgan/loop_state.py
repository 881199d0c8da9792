"""The DCGAN loop's own state and random streams, as typed objects the trainer owns.

:class:`LoopState` is the progress counter of a run (where in which epoch, this
epoch's real label and metric sums, the collapse streak, the metrics history);
:class:`RandomStreams` holds every random generator the loop draws from. Both
save to and load from plain checkpoint values (``state_dict`` /
``load_state_dict``, the way Lightning's loops keep theirs), so
:mod:`trainers.dcgan.state` only assembles them and nothing outside the trainer
reads its private attributes.

Seeds come from one :class:`numpy.random.SeedSequence` of the run's seed,
spawned per stream (and per process for the streams that differ between DDP
processes), instead of hand-picked prime offsets.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

__all__ = ["LoopState", "RandomStreams", "STREAMS", "stream_seed"]

# One SeedSequence child per stream, in this fixed order (never reorder: the
# order is what makes a seed reproduce a run).
STREAMS = ("init", "perm", "aug", "noise", "sample", "label", "fixed_noise")


def stream_seed(seed: int, stream: str, *, rank: int = 0, step: int = 0) -> int:
    """A 63-bit seed for ``stream``, independent of every other stream.

    Parameters
    ----------
    seed : int
        The run's seed (``GANConfig.seed``).
    stream : str
        One of :data:`STREAMS`.
    rank : int
        DDP process rank, for the per-process streams ('aug', 'noise').
    step : int
        Global step, when a resume under another process count restarts the
        per-process streams (0 otherwise).

    Returns
    -------
    int
        Usable by ``torch.Generator.manual_seed`` and ``numpy.random.default_rng``.
    """
    if stream not in STREAMS:
        raise ValueError(f"stream: expected one of {STREAMS}, got {stream!r}")
    child = np.random.SeedSequence(seed).spawn(len(STREAMS))[STREAMS.index(stream)]
    if rank or step:
        child = np.random.SeedSequence(child.entropy, spawn_key=(*child.spawn_key, rank, step))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass
class RandomStreams:
    """Every random generator the training loop uses.

    ``perm`` (order of images) and ``label`` (the epoch's real label) are shared
    by all processes; ``aug`` (flips, jitter) and ``noise`` (latent vectors)
    differ per process; ``sample`` draws images for callers without touching
    training.
    """

    perm: torch.Generator
    aug: torch.Generator
    noise: torch.Generator
    sample: torch.Generator
    label: np.random.Generator
    #: every process's :meth:`process_state`, gathered at the last checkpoint boundary
    gathered: list[dict] = field(default_factory=list)

    @classmethod
    def create(cls, seed: int, device: torch.device, *, rank: int = 0) -> "RandomStreams":
        """Fresh streams for a run with ``seed``, on ``device``, for process ``rank``."""
        def gen(stream: str, dev=device, rank=0) -> torch.Generator:
            return torch.Generator(device=dev).manual_seed(stream_seed(seed, stream, rank=rank))

        streams = cls(perm=gen("perm"), aug=gen("aug", rank=rank), noise=gen("noise", rank=rank),
                      sample=gen("sample", "cpu"),
                      label=np.random.default_rng(stream_seed(seed, "label")))
        streams.gathered = [streams.process_state()]
        return streams

    def process_state(self) -> dict:
        """The per-process streams' states (gathered from every rank at checkpoints)."""
        return {"aug": self.aug.get_state(), "noise": self.noise.get_state()}

    def reseed_process(self, seed: int, *, rank: int, step: int) -> None:
        """Restart the per-process streams (a resume under another process count)."""
        self.aug.manual_seed(stream_seed(seed, "aug", rank=rank, step=step))
        self.noise.manual_seed(stream_seed(seed, "noise", rank=rank, step=step))

    def state_dict(self) -> dict:
        """The shared streams' states and every process's gathered ones."""
        return {"perm": self.perm.get_state(), "sample": self.sample.get_state(),
                "label": self.label.bit_generator.state, "processes": self.gathered}

    def load_state_dict(self, state: dict, *, seed: int, rank: int, world_size: int, step: int) -> None:
        """Restore :meth:`state_dict` for process ``rank`` of ``world_size``.

        Saved under another process count, the per-process streams restart
        from (``seed``, ``rank``, ``step``) instead.
        """
        self.perm.set_state(state["perm"])
        self.sample.set_state(state["sample"])
        self.label.bit_generator.state = state["label"]
        self.gathered = list(state["processes"])
        if len(self.gathered) == world_size:
            self.aug.set_state(self.gathered[rank]["aug"])
            self.noise.set_state(self.gathered[rank]["noise"])
        else:
            self.reseed_process(seed, rank=rank, step=step)


@dataclass
class LoopState:
    """Where the training loop stands.

    Attributes
    ----------
    epoch : int
        Finished epochs.
    step : int
        Global steps taken (batches, counted alike on every process).
    pos : int
        Next batch within the current epoch.
    perm : torch.Tensor or None
        This epoch's image order; None between epochs.
    label : float or None
        This epoch's real label (one-sided smoothing), None before the first epoch.
    acc : torch.Tensor, shape (n_metrics,)
        Sums of the step metrics over this epoch (on the device, no host sync).
    acc_n, epoch_images : int
        Steps summed in ``acc``; images this epoch over all processes.
    epoch_seconds : float
        Training time of this epoch so far.
    collapse_run : int
        Epochs in a row with a collapsed discriminator.
    history : list of dict
        One metrics row per finished epoch (what ``metrics.csv`` holds).
    """

    acc: torch.Tensor
    epoch: int = 0
    step: int = 0
    pos: int = 0
    perm: torch.Tensor | None = None
    label: float | None = None
    acc_n: int = 0
    epoch_images: int = 0
    epoch_seconds: float = 0.0
    collapse_run: int = 0
    history: list[dict[str, float]] = field(default_factory=list)

    @classmethod
    def create(cls, n_metrics: int, device: torch.device) -> "LoopState":
        """The state of a run that has not started."""
        return cls(acc=torch.zeros(n_metrics, device=device))

    def begin_epoch(self, perm: torch.Tensor, label: float) -> None:
        """Start an epoch with image order ``perm`` and real label ``label``."""
        self.perm, self.label = perm, label
        self.pos, self.acc_n, self.epoch_images, self.epoch_seconds = 0, 0, 0, 0.0
        self.acc.zero_()

    def add_step(self, metrics: torch.Tensor, images: int) -> None:
        """Count one trained batch of ``images`` (over all processes) with its metrics."""
        self.acc += metrics
        self.acc_n += 1
        self.epoch_images += images

    def end_epoch(self) -> None:
        """Between epochs: the next :meth:`begin_epoch` draws a new order."""
        self.epoch += 1
        self.perm, self.pos = None, 0

    @property
    def in_epoch(self) -> bool:
        """True between :meth:`begin_epoch` and :meth:`end_epoch`."""
        return self.perm is not None

    def state_dict(self) -> dict:
        """Plain values and CPU tensors (loads with ``weights_only=True``); history excluded
        (it lives in ``metrics.csv``)."""
        return {"epoch": self.epoch, "step": self.step, "pos": self.pos,
                "perm": None if self.perm is None else self.perm.cpu(), "label": self.label,
                "acc": self.acc.cpu(), "acc_n": self.acc_n, "epoch_seconds": self.epoch_seconds,
                "epoch_images": self.epoch_images, "collapse_run": self.collapse_run}

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        """Restore :meth:`state_dict`; tensors go to ``device``."""
        self.epoch, self.step, self.pos = int(state["epoch"]), int(state["step"]), int(state["pos"])
        self.perm = None if state["perm"] is None else state["perm"].to(device)
        self.label = None if state["label"] is None else float(state["label"])
        self.acc = state["acc"].to(device)
        self.acc_n, self.epoch_seconds = int(state["acc_n"]), float(state["epoch_seconds"])
        self.epoch_images, self.collapse_run = int(state["epoch_images"]), int(state["collapse_run"])
