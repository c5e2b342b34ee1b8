"""Does "70 %" mean right 70 % of the time? Reliability bins, the expected calibration error,
and a softmax temperature fitted by likelihood (Guo et al., "On Calibration of Modern
Neural Networks", 2017)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 15  # equal-width confidence bins, as Guo et al. count them


@dataclass(frozen=True)
class Bin:
    """Photos whose top-1 probability fell in [low, high): how sure, and how often right."""

    low: float
    high: float
    count: int
    confidence: float
    accuracy: float


def reliability(confidence: np.ndarray, correct: np.ndarray, bins: int = BINS) -> list[Bin]:
    """The non-empty bins of top-1 confidence, with their mean confidence and accuracy."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    found = []
    for b in range(bins):
        members = which == b
        if members.any():
            found.append(
                Bin(
                    float(edges[b]),
                    float(edges[b + 1]),
                    int(members.sum()),
                    float(confidence[members].mean()),
                    float(correct[members].mean()),
                )
            )
    return found


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray) -> float:
    """The gap between confidence and accuracy, averaged over bins weighted by their photos."""
    total = len(confidence)
    return sum(
        b.count / total * abs(b.accuracy - b.confidence) for b in reliability(confidence, correct)
    )


def negative_log_likelihood(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    """Mean -log p(true class) under the temperature."""
    scaled = logits.astype(np.float64) / temperature
    top = scaled.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(scaled - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_z - scaled[np.arange(len(labels)), labels]))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature (0.25..4) that makes the true classes most likely: golden-section search
    on its logarithm (the likelihood is unimodal in it)."""
    low, high = np.log(0.25), np.log(4.0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if negative_log_likelihood(logits, labels, np.exp(a)) < negative_log_likelihood(
            logits, labels, np.exp(b)
        ):
            high = b
        else:
            low = a
    return float(np.exp((low + high) / 2))
