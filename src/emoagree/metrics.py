"""Classification metrics in the paper's terms: UAR (unweighted average recall).

UAR is computed on the intervals a system scored; the intervals it could not score are
counted separately (coverage), so skipping hard intervals cannot hide. Bootstrap
intervals resample test intervals with replacement, all resamples at once (numpy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from emoagree.predictions import prob_columns

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


def bootstrap_indices(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """Seeded resampling of ``n`` items with replacement, shape ``(n_resamples, n)``."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(n_resamples, n))


def bootstrap_uar(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    n_labels: int,
    n_resamples: int,
    seed: int,
    ci_level: float = 0.95,
) -> tuple[float, float, np.ndarray]:
    """Percentile bootstrap interval of UAR, resampling the (scored) intervals.

    Args:
        y_true: integer true labels ``(n,)``.
        y_pred: integer predictions ``(n,)`` with ``UNSCORED`` for unscored intervals;
            these are dropped before resampling (UAR is on the scored intervals).

    Returns:
        ``(low, high, uars)``: the interval bounds and every resample's UAR.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    keep = y_pred != UNSCORED
    y_true, y_pred = y_true[keep], y_pred[keep]
    if len(y_true) == 0:
        return float("nan"), float("nan"), np.full(n_resamples, np.nan)
    idx = bootstrap_indices(len(y_true), n_resamples, seed)
    uars = batch_uar(y_true[idx], y_pred[idx], n_labels)
    alpha = (1.0 - ci_level) / 2.0
    low, high = np.nanquantile(uars, [alpha, 1.0 - alpha])
    return float(low), float(high), uars


def predicted_codes(table: pd.DataFrame, emotions: Sequence[str]) -> np.ndarray:
    """Argmax class index of each row of a prediction table; ``UNSCORED`` where empty."""
    probs = table[prob_columns(emotions)].to_numpy(dtype=float)
    scored = ~np.isnan(probs).any(axis=1)
    codes = np.full(len(table), UNSCORED, dtype=int)
    if scored.any():
        codes[scored] = np.argmax(probs[scored], axis=1)
    return codes


def evaluate_predictions(
    table: pd.DataFrame,
    emotions: Sequence[str],
    n_resamples: int,
    seed: int,
    ci_level: float = 0.95,
) -> dict[str, Any]:
    """Every metric of one prediction table (one system, train level, test set).

    Returns a JSON-ready dict: ``uar`` (on scored intervals), ``uar_ci`` ([low, high]),
    ``recall`` per emotion, ``confusion`` (rows true, columns predicted), ``support``,
    ``n_intervals``, ``n_scored``, ``n_not_scored``, ``coverage``.
    """
    emotions = list(emotions)
    y_true = encode(table["emotion"], emotions, what="true emotion")
    y_pred = predicted_codes(table, emotions)
    scored = y_pred != UNSCORED
    n_scored = int(scored.sum())
    labels_true = [emotions[i] for i in y_true[scored]]
    labels_pred = [emotions[i] for i in y_pred[scored]]
    if n_scored:
        recalls = recall_per_class(labels_true, labels_pred, emotions)
        value = float(np.nanmean(recalls))
        low, high, _ = bootstrap_uar(y_true, y_pred, len(emotions), n_resamples, seed, ci_level)
    else:
        recalls = np.full(len(emotions), np.nan)
        value, low, high = float("nan"), float("nan"), float("nan")
    confusion = confusion_matrix(labels_true, labels_pred, emotions)
    return {
        "uar": _num(value),
        "uar_ci": [_num(low), _num(high)],
        "ci_level": ci_level,
        "bootstrap_resamples": int(n_resamples),
        "seed": int(seed),
        "recall": {e: _num(r) for e, r in zip(emotions, recalls, strict=True)},
        "support": {e: int(s) for e, s in zip(emotions, confusion.sum(axis=1), strict=True)},
        "confusion": {"labels": emotions, "matrix": confusion.tolist()},
        "n_intervals": int(len(table)),
        "n_scored": n_scored,
        "n_not_scored": int(len(table) - n_scored),
        "coverage": (n_scored / len(table)) if len(table) else float("nan"),
    }


def _num(value: float) -> float | None:
    """JSON-safe float: NaN becomes None (null)."""
    return None if value is None or np.isnan(value) else float(value)


def align_test_sets(tables: Sequence[pd.DataFrame], names: Sequence[str]) -> list[pd.DataFrame]:
    """Order prediction tables of the same test set by ``interval_id``; check they match."""
    reference = tables[0].sort_values("interval_id", kind="stable").reset_index(drop=True)
    aligned = [reference]
    for table, name in zip(tables[1:], names[1:], strict=True):
        ordered = table.sort_values("interval_id", kind="stable").reset_index(drop=True)
        same_ids = ordered["interval_id"].tolist() == reference["interval_id"].tolist()
        if not same_ids or ordered["emotion"].tolist() != reference["emotion"].tolist():
            raise ValueError(
                f"{name}: its intervals or true emotions differ from {names[0]}; "
                "predictions of one test set must list the same intervals"
            )
        aligned.append(ordered)
    return aligned


def bootstrap_mean_uar(
    y_true_per_test: Sequence[np.ndarray],
    y_pred_per_test: Sequence[np.ndarray],
    n_labels: int,
    n_resamples: int,
    seed: int,
) -> np.ndarray:
    """Paired bootstrap of the mean UAR over test sets, for several models at once.

    Each test set's intervals are resampled with replacement; every model is scored on
    the same resampled intervals (paired), per test set, and its UARs are averaged over
    the test sets.

    Args:
        y_true_per_test: per test set, integer true labels ``(n_j,)``.
        y_pred_per_test: per test set, integer predictions ``(M, n_j)`` of the M models
            (``UNSCORED`` where a model did not score an interval).

    Returns:
        Mean UAR over test sets of each model in each resample, shape ``(n_resamples, M)``.
    """
    rng = np.random.default_rng(seed)
    total = None
    for y_true, y_pred in zip(y_true_per_test, y_pred_per_test, strict=True):
        y_true = np.asarray(y_true)
        y_pred = np.atleast_2d(np.asarray(y_pred))
        models, n = y_pred.shape
        idx = rng.integers(0, n, size=(n_resamples, n))
        true_rs = np.repeat(y_true[idx], models, axis=0)  # (B*M, n)
        pred_rs = y_pred[:, idx].transpose(1, 0, 2).reshape(n_resamples * models, n)
        uars = batch_uar(true_rs, pred_rs, n_labels).reshape(n_resamples, models)
        total = uars if total is None else total + uars
    return total / len(y_true_per_test)


def paired_probability(resampled: np.ndarray, a: int, b: int) -> float:
    """Share of paired resamples in which model ``a`` has a higher mean UAR than ``b``."""
    return float(np.mean(resampled[:, a] > resampled[:, b]))


def paired_bootstrap(
    y_true: np.ndarray,
    pred_a: np.ndarray,
    pred_b: np.ndarray,
    n_labels: int,
    n_resamples: int,
    seed: int,
) -> float:
    """Probability (share of paired resamples of the test intervals) that A beats B in UAR."""
    resampled = bootstrap_mean_uar(
        [y_true], [np.stack([pred_a, pred_b])], n_labels, n_resamples, seed
    )
    return paired_probability(resampled, 0, 1)
