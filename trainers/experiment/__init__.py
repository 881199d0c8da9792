"""The paper's augmentation experiment (spec 3.3, Figure 7): ORG / Aug ORG / GAN / Aug GAN.

Public API: :class:`ExperimentConfig`, :func:`run_experiment` (in this process),
:func:`launch_experiment` (cells as submitit jobs, local or SLURM), :func:`make_folds`,
:func:`grid_cells`, :func:`write_report`.
"""
from .cells import Cell, grid_cells
from .config import MODES, ExperimentConfig
from .grid import run_experiment, select_cells
from .launch import experiment_status, launch_experiment
from .report import collect_results, summarise, write_report
from .splits import FoldSplit, make_folds

__all__ = ["MODES", "ExperimentConfig", "Cell", "grid_cells", "run_experiment", "select_cells",
           "launch_experiment", "experiment_status", "FoldSplit", "make_folds", "collect_results", "summarise", "write_report"]
