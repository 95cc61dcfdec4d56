"""Classification metrics in the paper's terms: UAR (unweighted average recall)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def recall_per_class(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> np.ndarray:
    """Recall of each label in ``labels``; NaN for a label absent from ``y_true``."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    recalls = np.full(len(labels), np.nan)
    for index, label in enumerate(labels):
        members = y_true == label
        if members.any():
            recalls[index] = float(np.mean(y_pred[members] == label))
    return recalls


def uar(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted average recall over the labels present in ``y_true``."""
    recalls = recall_per_class(y_true, y_pred, labels)
    if np.all(np.isnan(recalls)):
        raise ValueError("UAR is undefined: no true label among the given labels")
    return float(np.nanmean(recalls))
