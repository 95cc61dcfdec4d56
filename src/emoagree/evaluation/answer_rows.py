"""Train rows on the shared cluster bootstrap: each row's mean UAR over the test levels.

The pieces of the study's answer (:mod:`emoagree.evaluation.answer`) that score whole train
rows rather than cells: the mean UAR per row (unscored test intervals counted as errors),
resampled and left-one-cluster-out, the row chosen on validation, and each fused system
beside its better member.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emoagree.contracts.predictions import PredictionArrays
from emoagree.evaluation.bootstrap import (
    CellSums,
    ClusterBootstrap,
    cell_sums,
    jackknife_uars,
    percentile_interval,
    point_uars,
    replicate_choice,
    resampled_uars,
)
from emoagree.evaluation.cells import aligned_probs
from emoagree.evaluation.metrics import argmax_codes, encode
from emoagree.evaluation.parts import LevelTestSet, StudyClusters


def json_float(value: float | None) -> float | None:
    """A float for the answer's JSON: NaN (and None) become null."""
    return None if value is None or np.isnan(value) else float(value)


@dataclass(frozen=True)
class RowMeans:
    """One system's train rows: mean UAR over the test levels, on the data and resampled.

    Unscored test intervals count as errors here (a row cannot gain by skipping hard
    intervals, and every row is scored on the same intervals); ``coverage`` is the share
    of its test intervals (all test levels pooled, mean over replicates) that were scored.
    """

    rows: list
    point: np.ndarray  # (L,)
    resampled: np.ndarray  # (B, L), NaN where a resample leaves the row undefined
    coverage: np.ndarray  # (L,)
    replicates: int
    left_out: np.ndarray  # (C, L): each cluster left out in turn (the jackknife)


def row_means(
    cells: Mapping[tuple[Any, int], Sequence[PredictionArrays] | PredictionArrays],
    tests: Mapping[int, LevelTestSet],
    rows: Sequence[Any],
    levels: Sequence[int],
    emotions: Sequence[str],
    bootstrap: ClusterBootstrap,
    system: str,
) -> RowMeans:
    """The mean UAR over ``levels`` of every train row of ``system``, unscored = wrong.

    ``cells`` holds the prediction arrays by ``(train row, test level)`` (one per training
    replicate); each resample draws one replicate per train row, as the cells do.
    """
    emotions = list(emotions)
    truth = {j: encode(tests[j].emotions, emotions, "true emotion") for j in levels}
    index = {j: bootstrap.index(tests[j].units, tests[j].path) for j in levels}
    sums, choices = [], []
    points = np.empty((len(rows), len(levels)))
    coverage = np.empty(len(rows))
    replicates = set()
    for a, i in enumerate(rows):
        arrays = {j: _replicates(cells[(i, j)]) for j in levels}
        counts = {len(v) for v in arrays.values()}
        if len(counts) != 1:
            raise ValueError(f"{system} train{i}: test levels have {sorted(counts)} replicates")
        replicates |= counts
        choice = replicate_choice(
            bootstrap.n_resamples, counts.pop(), bootstrap.seed, f"{system}/train{i}"
        )
        scored = total = 0.0
        for b, j in enumerate(levels):
            preds = [argmax_codes(aligned_probs(data, tests[j])) for data in arrays[j]]
            cell = cell_sums(index[j], truth[j], preds, bootstrap.n_units, len(emotions))
            scored += float(cell.scored.sum(axis=(1, 2)).mean())
            total += float(cell.total.sum())
            strict = CellSums(cell.total, np.broadcast_to(cell.total, cell.scored.shape), cell.hits)
            points[a, b] = float(np.mean(point_uars(strict)))
            sums.append(strict)
            choices.append(choice)
        coverage[a] = scored / total if total else float("nan")
    resampled = resampled_uars(bootstrap, sums, choices)
    left_out = jackknife_uars(bootstrap, sums)
    return RowMeans(
        list(rows),
        points.mean(axis=1),
        resampled.reshape(-1, len(rows), len(levels)).mean(axis=2),
        coverage,
        max(replicates) if replicates else 1,
        left_out.reshape(-1, len(rows), len(levels)).mean(axis=2),
    )


def _replicates(value: Sequence[PredictionArrays] | PredictionArrays) -> list[PredictionArrays]:
    return [value] if isinstance(value, PredictionArrays) else list(value)


def as_study_clusters(units: StudyClusters | Sequence[str]) -> StudyClusters:
    """A plain unit list is a study whose clusters are its units."""
    if isinstance(units, StudyClusters):
        return units
    return StudyClusters(sorted(str(u) for u in units), None, "unit")


def validation_choice(
    validation: Mapping[tuple[Any, int], float | None] | None,
    rows: Sequence[Any],
    levels: Sequence[int],
    point: np.ndarray,
    lows: np.ndarray,
    highs: np.ndarray,
) -> dict[str, Any] | None:
    """The train row with the best mean validation UAR over the test levels, and its test
    mean with interval (the test data did not choose it).

    ``validation`` maps ``(train row, test level)`` to the UAR of that row's models on
    the folds' validation parts of that level (the validation cross-evaluation); a row
    with any level unscored (None) cannot be chosen. Ties go to the earlier row.
    """
    if validation is None:
        return None
    means = []
    for i in rows:
        missing = [j for j in levels if (i, j) not in validation]
        if missing:
            raise ValueError(
                f"validation cross-evaluation: train row {i} lacks test level(s) {missing}"
            )
        values = [validation[(i, j)] for j in levels]
        means.append(
            float("nan") if any(v is None for v in values) else float(np.mean(values))
        )
    means = np.asarray(means)
    if np.isnan(means).all():
        raise ValueError("validation cross-evaluation: no train row has a validation UAR")
    a = int(np.nanargmax(means))
    return {
        "row": str(rows[a]),
        "mean_val_uar": json_float(means[a]),
        "test_mean_uar": json_float(point[a]),
        "test_mean_uar_ci": [json_float(lows[a]), json_float(highs[a])],
    }


def member_comparisons(
    systems_cells: Mapping[str, Mapping[tuple[Any, int], Any]],
    fusions: Mapping[str, Sequence[str]],
    tests: Mapping[int, LevelTestSet],
    levels: Sequence[int],
    emotions: Sequence[str],
    bootstrap: ClusterBootstrap,
    ci_level: float,
) -> list[dict[str, Any]]:
    """Each fused system beside its better member, paired over the shared resamples.

    For a fused system F with members (audio, video) the rows are F's train rows; each
    member's mean UAR over those rows and the test levels (unscored = wrong, as the
    answer's means) picks the better member; the difference F minus that member is
    computed in every resample (resamples leaving either undefined dropped) and given with
    its percentile interval.
    """
    out = []
    for fused, members in fusions.items():
        rows = list(dict.fromkeys(i for i, _ in systems_cells[fused]))
        means = {
            s: row_means(systems_cells[s], tests, rows, levels, emotions, bootstrap, s)
            for s in [fused, *members]
        }
        overall = {s: float(np.mean(m.point)) for s, m in means.items()}
        better = max(members, key=lambda s: (overall[s], -list(members).index(s)))
        difference = means[fused].resampled.mean(axis=1) - means[better].resampled.mean(axis=1)
        low, high = percentile_interval(difference[~np.isnan(difference)], ci_level)
        out.append(
            {
                "fused": fused,
                "member": better,
                "rows": [str(r) for r in rows],
                "fused_mean_uar": json_float(overall[fused]),
                "member_mean_uar": json_float(overall[better]),
                "other_member_mean_uar": {
                    s: json_float(overall[s]) for s in members if s != better
                },
                "difference": json_float(overall[fused] - overall[better]),
                "difference_ci": [json_float(low), json_float(high)],
            }
        )
    return out
