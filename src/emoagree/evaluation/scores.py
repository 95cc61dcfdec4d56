"""Every metric of one system on one set of intervals (a cell's or a validation part's
metrics JSON): UAR with its cluster-bootstrap interval, recall, confusion, per-fold UAR,
coverage.

See :mod:`emoagree.evaluation.metrics` for which classes count and
:mod:`emoagree.evaluation.bootstrap` for the resampling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from emoagree.evaluation.bootstrap import (
    ClusterBootstrap,
    cell_sums,
    percentile_interval,
    point_uars,
    replicate_choice,
    resampled_uars,
)
from emoagree.evaluation.metrics import UNSCORED, argmax_codes, encode

if TYPE_CHECKING:
    import pandas as pd


def evaluate_predictions(
    table: pd.DataFrame,
    emotions: Sequence[str],
    n_resamples: int,
    seed: int,
    ci_level: float = 0.95,
) -> dict[str, Any]:
    """Every metric of one prediction table, each interval its own unit; see
    :func:`evaluate_arrays`."""
    probs = table[[f"prob_{e}" for e in emotions]].to_numpy(dtype=float)
    return evaluate_arrays(list(table["emotion"]), probs, emotions, n_resamples, seed, ci_level)


def evaluate_arrays(
    emotions_true: Sequence[str],
    probs: np.ndarray | Sequence[np.ndarray],
    emotions: Sequence[str],
    n_resamples: int,
    seed: int,
    ci_level: float = 0.95,
    units: Sequence[str] | None = None,
    bootstrap_units: Sequence[str] | None = None,
    folds: Sequence[int] | None = None,
    replicate_key: str = "",
    clusters: Mapping[str, str] | None = None,
    cluster_kind: str | None = None,
) -> dict[str, Any]:
    """Every metric of one system on one set of intervals.

    Args:
        emotions_true: true emotion of each interval.
        probs: probabilities ``(n, K)`` in ``emotions`` order, or R such arrays (one per
            training replicate); an all-NaN row is an interval the system did not score.
        units: each interval's split unit; ``None``: each interval is its own unit.
        bootstrap_units: the shared unit list of the study's bootstrap (sorted); ``None``:
            the sorted units of these intervals.
        folds: each interval's test fold (``per_fold``); ``None``: all fold 0.
        replicate_key: ``"{system}/train{i}"``, seeds the replicate draw of each resample.
        clusters: ``unit -> cluster`` of every bootstrap unit (:func:`unit_clusters`);
            ``None``: each unit is its own cluster.
        cluster_kind: what the clusters are (default ``unit``, or ``interval`` when each
            interval is its own unit).

    Returns a JSON-ready dict: ``uar`` (mean over replicates), ``uar_ci`` ([low, high]
    from the cluster bootstrap), ``recall`` per emotion (null for an absent class),
    ``classes``, ``absent_classes``, ``unscored_classes``, ``per_fold`` ({fold: {uar, n,
    n_scored}}), ``confusion`` (rows true, columns predicted; summed over replicates),
    ``support`` (scored intervals per class), ``n_intervals``, ``n_scored``,
    ``n_not_scored``, ``coverage``, and the bootstrap's settings with ``cluster``
    (``{"kind", "count"}``: what the bootstrap resamples, and how many).
    """
    emotions = list(emotions)
    if isinstance(probs, np.ndarray) and probs.ndim == 2:
        probs = [probs]
    y_true = encode(emotions_true, emotions, what="true emotion")
    y_preds = [argmax_codes(p) for p in probs]
    bootstrap, units = study_bootstrap(
        units, len(y_true), bootstrap_units, n_resamples, seed, clusters, cluster_kind
    )
    sums = cell_sums(bootstrap.index(units), y_true, y_preds, bootstrap.n_units, len(emotions))
    replicate_uars = point_uars(sums)
    value = float(np.mean(replicate_uars))
    choice = replicate_choice(bootstrap.n_resamples, len(y_preds), bootstrap.seed, replicate_key)
    low, high = percentile_interval(resampled_uars(bootstrap, [sums], [choice])[:, 0], ci_level)
    metrics = {
        "uar": _num(value),
        "uar_ci": [_num(low), _num(high)],
        "ci_level": ci_level,
        "bootstrap_resamples": int(n_resamples),
        "seed": int(seed),
        "bootstrap_units": bootstrap.n_units,
        "cluster": bootstrap.describe(),
        "replicates": len(y_preds),
        **class_metrics(sums, y_true, y_preds, emotions),
        "per_fold": per_fold_uars(y_true, y_preds, folds, len(emotions)),
        **coverage_metrics(y_preds, len(y_true)),
    }
    if len(y_preds) > 1:
        metrics["uar_replicates"] = [_num(u) for u in replicate_uars]
    return metrics


def study_bootstrap(
    units: Sequence[str] | None,
    n_intervals: int,
    bootstrap_units: Sequence[str] | None,
    n_resamples: int,
    seed: int,
    clusters: Mapping[str, str] | None,
    cluster_kind: str | None,
) -> tuple[ClusterBootstrap, list[str]]:
    """The study's cluster bootstrap over the intervals' units, and each interval's unit
    as text (the arguments as :func:`evaluate_arrays` takes them)."""
    if cluster_kind is None:
        cluster_kind = "interval" if units is None else "unit"
    if units is None:
        units = [f"{k:09d}" for k in range(n_intervals)]
    units = [str(u) for u in units]
    if bootstrap_units is None:
        bootstrap_units = sorted(set(units))
    bootstrap_units = tuple(str(u) for u in bootstrap_units)
    bootstrap = ClusterBootstrap(
        bootstrap_units,
        int(n_resamples),
        int(seed),
        None if clusters is None else tuple(clusters[u] for u in bootstrap_units),
        cluster_kind if clusters is not None or cluster_kind == "interval" else "unit",
    )
    return bootstrap, units


def class_metrics(
    sums, y_true: np.ndarray, y_preds: Sequence[np.ndarray], emotions: list[str]
) -> dict[str, Any]:
    """The per-class part of a cell's metrics: ``classes``, ``absent_classes``,
    ``unscored_classes``, ``recall``, ``support`` and ``confusion``."""
    present, scored_support, recall = class_recalls(sums)
    confusion = confusion_counts(y_true, y_preds, len(emotions))
    return {
        "classes": [e for e, p in zip(emotions, present, strict=True) if p],
        "absent_classes": [e for e, p in zip(emotions, present, strict=True) if not p],
        "unscored_classes": [
            e
            for e, p, s in zip(emotions, present, scored_support.sum(axis=0), strict=True)
            if p and s == 0
        ],
        "recall": {e: _num(r) for e, r in zip(emotions, recall, strict=True)},
        "support": {e: int(s) for e, s in zip(emotions, confusion.sum(axis=1), strict=True)},
        "confusion": {"labels": emotions, "matrix": confusion.tolist()},
    }


def coverage_metrics(y_preds: Sequence[np.ndarray], n_total: int) -> dict[str, Any]:
    """``n_intervals``, ``n_scored`` and ``n_not_scored`` (replicate means) and
    ``coverage``, the share of the intervals scored."""
    n_scored = float(np.mean([(y != UNSCORED).sum() for y in y_preds]))
    return {
        "n_intervals": int(n_total),
        "n_scored": _count(n_scored),
        "n_not_scored": _count(n_total - n_scored),
        "coverage": (n_scored / n_total) if n_total else float("nan"),
    }


def class_recalls(sums) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which classes are present ``(K,)``, their scored support ``(R, K)`` and their recall
    ``(K,)`` (mean over replicates; 0 for a present class with no scored interval, NaN for
    an absent class) from a cell's sums."""
    present = sums.total.sum(axis=0) > 0
    scored_support = sums.scored.sum(axis=1)  # (R, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(
            scored_support > 0, sums.hits.sum(axis=1) / np.maximum(scored_support, 1), 0.0
        ).mean(axis=0)
    return present, scored_support, np.where(present, recall, np.nan)


def confusion_counts(
    y_true: np.ndarray, y_preds: Sequence[np.ndarray], n_labels: int
) -> np.ndarray:
    """Confusion counts (rows true, columns predicted) of the scored intervals, summed over
    replicates."""
    confusion = np.zeros((n_labels, n_labels), dtype=int)
    for y_pred in y_preds:
        keep = y_pred != UNSCORED
        np.add.at(confusion, (y_true[keep], y_pred[keep]), 1)
    return confusion


def per_fold_uars(
    y_true: np.ndarray,
    y_preds: Sequence[np.ndarray],
    folds: Sequence[int] | None,
    n_labels: int,
) -> dict[str, dict[str, Any]]:
    """UAR of each test fold's intervals (classes present in that fold), mean over replicates."""
    folds = np.zeros(len(y_true), dtype=int) if folds is None else np.asarray(folds, dtype=int)
    out = {}
    for fold in np.unique(folds):
        members = folds == fold
        sums = cell_sums(
            np.zeros(int(members.sum()), dtype=np.intp),
            y_true[members],
            [y[members] for y in y_preds],
            1,
            n_labels,
        )
        n_scored = float(np.mean([(y[members] != UNSCORED).sum() for y in y_preds]))
        out[str(int(fold))] = {
            "uar": _num(float(np.mean(point_uars(sums)))),
            "n": int(members.sum()),
            "n_scored": _count(n_scored),
        }
    return out


def _count(value: float) -> int | float:
    """A count as int; a replicate mean that is not whole stays a float."""
    return int(value) if float(value).is_integer() else float(value)


def _num(value: float) -> float | None:
    """JSON-safe float: NaN becomes None (null)."""
    return None if value is None or np.isnan(value) else float(value)
