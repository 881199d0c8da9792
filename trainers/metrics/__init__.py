"""Generator metrics: offline FID with two Inception backbones, KID, PRDC, t-SNE maps.

Every number carries its backbone's label: standard FID (TF-ported Inception
weights), the authors' torchvision-ImageNet backbone (the paper's scale), or
random features (not FID) when no weight file is present. Nothing is
downloaded; see :mod:`trainers.metrics.weights` for where the files go.
"""
from __future__ import annotations

from .callback import METRIC_KEYS, FIDCallback
from .features import BACKBONES, PREPROCESSING, Backbone, extract_features, iter_features, load_backbone
from .fid import (GaussianStats, fid_between, frechet_distance, frechet_distance_features, real_floor,
                  statistics)
from .kid import kid
from .prdc import prdc
from .stats_cache import RealReference, real_reference
from .tsne import plot_tsne, tsne_map
from .weights import WEIGHTS, MissingWeightsError, WeightsMismatchError, find_weights

__all__ = [
    "BACKBONES", "PREPROCESSING", "Backbone", "load_backbone", "extract_features", "iter_features",
    "GaussianStats", "statistics", "frechet_distance", "frechet_distance_features", "fid_between",
    "real_floor", "kid", "prdc", "RealReference", "real_reference", "tsne_map", "plot_tsne",
    "FIDCallback", "METRIC_KEYS", "WEIGHTS", "MissingWeightsError", "WeightsMismatchError", "find_weights",
]
