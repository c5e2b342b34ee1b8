"""The model zoo: architectures, weights and labels, described without importing torch."""

from smartalbum.models.labels import ClassLabel, LabelSet, load_labels
from smartalbum.models.zoo import MODELS, ModelSpec, get_model

__all__ = ["MODELS", "ClassLabel", "LabelSet", "ModelSpec", "get_model", "load_labels"]
