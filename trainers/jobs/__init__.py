"""Plain generator jobs over the trainers, for the GUI (through ``mammostudio.gui.jobs``) and the CLI.

Each job yields :class:`~mammostudio.core.progress.Progress` items with plain
numbers and uint8 arrays (never tensors) and returns its result; training jobs
take a :class:`RunControl` (pause between epochs, stop) and keep an append-only
event log so a throttled receiver loses no curve point (see
:mod:`trainers.jobs.control`). Run folders carry ``status.json`` and are listed
by :func:`list_runs`.
"""
from .classifier import classifier_job, experiment_job
from .control import EventLog, RunControl, logged
from .evaluate import cuda_devices, fid_job, generate_job, presets, tsne_job, weights_status
from .gan import gan_training_job
from .runs import list_runs, read_run, read_status

__all__ = ["RunControl", "EventLog", "logged", "gan_training_job", "classifier_job", "experiment_job",
           "fid_job", "tsne_job", "generate_job", "cuda_devices", "presets", "weights_status",
           "list_runs", "read_run", "read_status"]
