"""Classification metrics in the paper's terms: UAR (unweighted average recall), label
codes and confusion counts.

**Which classes count.** A cell's UAR averages the recall of the configured emotions
present among the test level's test intervals, scored or not (with folds every class is
present). A configured emotion absent from the test level is listed (``absent_classes``),
not silently dropped. Recall is computed on the intervals a system scored; the intervals
it could not score are counted separately (``coverage``), so skipping hard intervals
cannot hide. A present class of which the system scored no interval at all recalls
nothing: its recall is 0 (listed in ``unscored_classes``), so the number of classes, and
chance, is the same for every system tested on that level. A system that scored no
interval at all has no UAR (null).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported lazily: short evaluation jobs do without it
    import pandas as pd

#: Code of an interval that a system did not score (in integer label arrays).
UNSCORED = -1


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


def confusion_matrix(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> np.ndarray:
    """Counts with rows = true label, columns = predicted label (order of ``labels``)."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for truth, pred in zip(y_true, y_pred, strict=True):
        matrix[index[truth], index[pred]] += 1
    return matrix


def encode(values: Sequence[str], labels: Sequence[str], what: str = "label") -> np.ndarray:
    """Map labels to their index in ``labels``; raise on a label outside the list."""
    index = {label: i for i, label in enumerate(labels)}
    values = list(values)
    unknown = sorted({str(v) for v in values if v not in index})
    if unknown:
        raise ValueError(f"{what} {unknown} not among the configured emotions {list(labels)}")
    return np.fromiter((index[v] for v in values), dtype=int, count=len(values))


def batch_uar(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> np.ndarray:
    """UAR of many prediction vectors at once.

    Args:
        y_true: integer true labels, shape ``(B, n)`` or ``(n,)`` (broadcast over B).
        y_pred: integer predicted labels, shape ``(B, n)``; ``UNSCORED`` (-1) marks an
            interval that is left out of that row's UAR.
        n_labels: number of classes.

    Returns:
        UAR of each row, shape ``(B,)``: mean recall over the classes present among the
        row's scored intervals; NaN where a row has no scored interval.
    """
    y_pred = np.atleast_2d(y_pred)
    y_true = np.broadcast_to(y_true, y_pred.shape)
    rows = y_pred.shape[0]
    scored = y_pred != UNSCORED
    offset = (np.arange(rows) * n_labels)[:, None]
    flat = (y_true + offset)[scored]
    support = np.bincount(flat, minlength=rows * n_labels).reshape(rows, n_labels)
    hits = np.bincount(
        (y_true + offset)[scored & (y_pred == y_true)], minlength=rows * n_labels
    ).reshape(rows, n_labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        recalls = np.where(support > 0, hits / np.maximum(support, 1), np.nan)
        present = support > 0
        counts = present.sum(axis=1)
        sums = np.where(present, recalls, 0.0).sum(axis=1)
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def argmax_codes(probs: np.ndarray) -> np.ndarray:
    """Argmax class index of each row of probabilities; ``UNSCORED`` where a row is empty."""
    probs = np.asarray(probs, dtype=float)
    scored = ~np.isnan(probs).any(axis=1)
    codes = np.full(len(probs), UNSCORED, dtype=int)
    if scored.any():
        codes[scored] = np.argmax(probs[scored], axis=1)
    return codes


def predicted_codes(table: pd.DataFrame, emotions: Sequence[str]) -> np.ndarray:
    """Argmax class index of each row of a prediction table; ``UNSCORED`` where empty."""
    return argmax_codes(table[[f"prob_{e}" for e in emotions]].to_numpy(dtype=float))
