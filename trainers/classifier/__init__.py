"""The lesion-vs-tissue classifier of the paper's augmentation experiment (spec 3.2)."""
from .config import ClassifierConfig
from .metrics import binary_metrics
from .model import LesionClassifier
from .train import ClassifierResult, predict_scores, train_classifier

__all__ = ["ClassifierConfig", "LesionClassifier", "ClassifierResult", "binary_metrics",
           "predict_scores", "train_classifier"]
