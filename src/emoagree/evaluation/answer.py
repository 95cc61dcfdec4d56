"""The study's answer in numbers: how firmly the data single out one train level.

Computed from the headline system's prediction files on the same cluster-bootstrap
resamples the cell metrics use (:mod:`emoagree.evaluation.metrics`): per train row the mean
UAR over the test levels with its interval and P(best), the confidence set for the best
row (jackknife standard errors), the row chosen on validation, and paired differences
(neighbouring levels, arms against the best hard level, fused systems against their
members). The answer's words are :mod:`emoagree.report.answer`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emoagree.contracts.levels import read_level
from emoagree.contracts.predictions import PredictionArrays, read_checked
from emoagree.evaluation.answer_rows import (
    as_study_clusters,
    json_float,
    member_comparisons,
    row_means,
    validation_choice,
)
from emoagree.evaluation.best_row import best_row_tests
from emoagree.evaluation.bootstrap import (
    joint_resamples,
    percentile_interval,
    probability_best,
    probability_higher,
)
from emoagree.evaluation.parts import LevelTestSet, StudyClusters
from emoagree.levels.folds import fold_view
from emoagree.plan.protocol import DEFAULT_STRATEGY, DEFAULT_UNIT


def study_protocol(
    protocol: Mapping[str, Any] | None,
    tests: Mapping[int, LevelTestSet],
    replicates: int,
    n_units: int,
) -> dict[str, Any]:
    """Unit, folds and replicates as the data show them (the config's words where it has
    them): level tables without a ``unit`` column were split per interval."""
    protocol = dict(protocol or {})
    strategy = protocol.get("strategy", DEFAULT_STRATEGY)
    if not all(t.has_units for t in tests.values()):
        unit = "interval"
    elif strategy in ("actor", "corpus"):
        unit = strategy
    else:
        unit = str(protocol.get("unit") or DEFAULT_UNIT)
    # repeat 0's folds (the first of each test set's R repeat-major blocks)
    folds = [
        int(f)
        for t in tests.values()
        if t.has_folds
        for f in t.folds[: len(t.folds) // max(t.repeats, 1)]
    ]
    repeats = max((t.repeats for t in tests.values()), default=1)
    out = {
        "unit": unit,
        "strategy": strategy,
        "folds": max(folds) + 1 if folds else 1,
        **({"repeats": repeats} if repeats > 1 else {}),
        "replicates": int(replicates),
        "bootstrap_units": int(n_units),
        "fusion_selection": protocol.get("fusion_selection", "val"),
    }
    return out




def best_row_set(
    rows: Sequence[Any],
    means: np.ndarray,
    point: np.ndarray,
    interval: tuple[np.ndarray, np.ndarray],
    left_out: np.ndarray,
    ci_level: float,
) -> dict[str, Any]:
    """Per train row its mean UAR, interval and P(best), and the confidence set for the
    best row (:func:`~emoagree.evaluation.best_row.best_row_tests`).

    ``means`` are the kept resamples' row means (B, L), ``interval`` their percentile
    interval per row, ``left_out`` the jackknife's means. A row is named (``named_row``)
    only when the set holds it alone.
    """
    lows, highs = interval
    p_best = probability_best(means)
    tested = best_row_tests(means, point, alpha=1.0 - ci_level, left_out=left_out)
    kept = ~tested["rejected"]
    confidence_set = [str(r) for r, k in zip(rows, kept, strict=True) if k]
    return {
        "rows": [str(r) for r in rows],
        "mean_uar": {str(k): json_float(v) for k, v in zip(rows, point, strict=True)},
        "mean_uar_ci": {
            str(k): [json_float(lo), json_float(hi)]
            for k, lo, hi in zip(rows, lows, highs, strict=True)
        },
        "p_best": {str(k): json_float(v) for k, v in zip(rows, p_best, strict=True)},
        "confidence_set": confidence_set,
        "named_row": confidence_set[0] if len(confidence_set) == 1 else None,
        # the set's comparisons: jackknife standard errors, Student's t with df
        "confidence_set_df": int(tested["df"]) if np.isfinite(tested["df"]) else None,
    }


def neighbour_differences(
    means: np.ndarray, point: np.ndarray, levels: Sequence[int], ci_level: float
) -> list[dict[str, Any]]:
    """Each train level against the next: the paired difference of mean UAR."""
    neighbours = []
    for a in range(len(levels) - 1):
        low, high = percentile_interval(means[:, a + 1] - means[:, a], ci_level)
        neighbours.append(
            {
                "lower": levels[a],
                "higher": levels[a + 1],
                "difference": json_float(point[a + 1] - point[a]),
                "difference_ci": [json_float(low), json_float(high)],
                "probability_higher_is_higher": probability_higher(means, a + 1, a),
            }
        )
    return neighbours


def arm_differences(
    means: np.ndarray,
    point: np.ndarray,
    levels: Sequence[int],
    arm_rows: Sequence[str],
    ci_level: float,
) -> list[dict[str, Any]]:
    """Each training arm (rows after the levels) against the best hard level: the level
    with the highest P(best) among the levels (ties: the higher mean, then the lower
    level); paired differences of mean UAR."""
    if not arm_rows:
        return []
    level_p = probability_best(means[:, : len(levels)])
    best_level = min(
        range(len(levels)),
        key=lambda a: (-np.nan_to_num(level_p[a], nan=-1), -np.nan_to_num(point[a], nan=-1)),
    )
    arms = []
    for offset, row in enumerate(arm_rows):
        a = len(levels) + offset
        low, high = percentile_interval(means[:, a] - means[:, best_level], ci_level)
        arms.append(
            {
                "row": row,
                "best_level": levels[best_level],
                "difference": json_float(point[a] - point[best_level]),
                "difference_ci": [json_float(low), json_float(high)],
                "probability_arm_is_higher": probability_higher(means, a, best_level),
            }
        )
    return arms


def study_answer(
    cells: Mapping[tuple[Any, int], Sequence[PredictionArrays] | PredictionArrays],
    tests: Mapping[int, LevelTestSet],
    units: StudyClusters | Sequence[str],
    system: str,
    levels: Sequence[int],
    emotions: Sequence[str],
    n_resamples: int,
    seed: int,
    ci_level: float,
    optimistic: bool = False,
    protocol: Mapping[str, Any] | None = None,
    arm_rows: Sequence[str] = (),
    *,
    validation: Mapping[tuple[Any, int], float | None] | None = None,
    systems_cells: Mapping[str, Mapping[tuple[Any, int], Any]] | None = None,
    fusions: Mapping[str, Sequence[str]] | None = None,
    train_data: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, Any]:
    """Which train rows of ``system`` may be the best, with a known error rate.

    ``cells``: the system's prediction arrays by ``(train row, test level)``, one per
    training replicate; ``tests``: each test level's test intervals; ``units``: the study's
    clusters (:func:`~emoagree.evaluation.cells.study_clusters`) or split units; ``protocol``:
    the config's ``unit``, ``strategy`` and ``fusion_selection``; ``arm_rows``: training
    arms' rows (``Mw``, ``Ms``, ``Mc``), further train rows; ``validation``: UAR by
    ``(train row, test level)`` on the folds' validation parts (None: not given);
    ``systems_cells`` and ``fusions``: every fused system's and its members' cells;
    ``train_data``: per train row ``intervals`` and ``hours`` of training data.

    Every cell is scored on the cell metrics' cluster-bootstrap resamples, unscored
    intervals counted as errors (``coverage``); resamples leaving any row undefined are
    dropped for all rows (``dropped_resamples``). The answer is the ``ci_level`` confidence
    set for the best row (:func:`best_row_set`); ``validation_choice`` is a figure the test
    data did not choose; neighbours, arms and members are paired differences.
    """
    emotions = list(emotions)
    levels = sorted(int(k) for k in levels)
    arm_rows = [str(r) for r in arm_rows]
    rows = [*levels, *arm_rows]
    bootstrap = as_study_clusters(units).bootstrap([tests[j] for j in levels], n_resamples, seed)
    means_of = row_means(cells, tests, rows, levels, emotions, bootstrap, system)
    means, dropped = joint_resamples(means_of.resampled)
    if not len(means):
        raise ValueError(
            f"{system}: every resample leaves some train row undefined (no test interval "
            "drawn at some level); the answer has nothing to rest on"
        )
    point = means_of.point
    lows, highs = percentile_interval(means, ci_level)
    answer = {
        "system": system,
        "optimistic": bool(optimistic),
        "levels": levels,
        **best_row_set(rows, means, point, (lows, highs), means_of.left_out, ci_level),
        "cluster": bootstrap.describe(),
        "validation_choice": validation_choice(validation, rows, levels, point, lows, highs),
        "members": member_comparisons(
            {**(systems_cells or {}), system: cells}, fusions or {}, tests, levels, emotions,
            bootstrap, ci_level,
        ),
        "coverage": {str(k): json_float(v) for k, v in zip(rows, means_of.coverage, strict=True)},
        "dropped_resamples": dropped,
        "neighbours": neighbour_differences(means, point, levels, ci_level),
        "protocol": study_protocol(protocol, tests, means_of.replicates, bootstrap.n_units),
        "bootstrap_resamples": int(n_resamples),
        "ci_level": ci_level,
        "seed": int(seed),
    }
    if train_data:
        answer["train_data"] = {
            str(k): dict(train_data[str(k)]) for k in rows if str(k) in train_data
        }
    if arm_rows:
        answer["arm_rows"] = arm_rows
        answer["arms"] = arm_differences(means, point, levels, arm_rows, ci_level)
    return answer


def train_data(level_paths: Mapping[int, str], rows: Sequence[Any]) -> dict[str, dict[str, float]]:
    """Training data of each train row: intervals and hours of the train part, mean over
    folds (the arms train on all level-1 intervals: level 1's training data)."""
    out = {}
    for level, path in level_paths.items():
        table = read_level(path, ("split", "duration_s"))
        n_folds = int(table["fold"].max()) + 1 if "fold" in table.columns and len(table) else 1
        if n_folds == 2:
            raise ValueError(f"{path}: two folds; split.folds must be 1 or at least 3")
        views = [fold_view(table, f, n_folds) for f in range(n_folds)]
        train = [view[view["split"] == "train"] for view in views]
        out[str(level)] = {
            "intervals": float(np.mean([len(t) for t in train])),
            "hours": float(np.mean([t["duration_s"].sum() for t in train])) / 3600.0,
        }
    first = min(level_paths) if level_paths else None
    for row in rows:
        if str(row) not in out and first is not None:
            out[str(row)] = dict(out[str(first)])
    return out




def read_cells(
    prediction_paths: Mapping[tuple[str, Any, int], str | Sequence[str]],
    system: str,
    train_rows: Sequence[Any],
    levels: Sequence[int],
    tests: Mapping[int, LevelTestSet],
    emotions: Sequence[str],
) -> dict[tuple[Any, int], list[PredictionArrays]]:
    """``system``'s prediction arrays by ``(train row, test level)``, one per replicate.

    ``prediction_paths`` holds one path or one per training replicate by ``(system, train
    row, test level)``; each file is checked against ``emotions`` and its test level's
    repeats (a cell of R split repeats lists every interval R times).
    """
    cells = {}
    for i in train_rows:
        for j in levels:
            paths = prediction_paths[(system, i, j)]
            paths = [paths] if isinstance(paths, str | Path) else list(paths)
            repeats = tests[int(j)].repeats
            cells[(i, j)] = [read_checked(path, emotions, repeats) for path in paths]
    return cells


def fusion_cells(
    prediction_paths: Mapping[tuple[str, Any, int], str | Sequence[str]],
    fusions: Mapping[str, Sequence[str]],
    arm_rows: Mapping[str, Sequence[str]],
    headline: str,
    levels: Sequence[int],
    tests: Mapping[int, LevelTestSet],
    emotions: Sequence[str],
) -> dict[str, dict]:
    """The cells of every fused system and its members on the fused system's train rows
    (levels and its arms), each read once; the ``headline`` system's are left out (the
    answer has them)."""
    systems_cells: dict[str, dict] = {}
    for fused, members in fusions.items():
        fused_rows = [*levels, *(str(r) for r in arm_rows.get(fused, []))]
        for name in [fused, *members]:
            if name == headline:
                continue
            have = {i for i, _ in systems_cells.get(name, {})}
            missing = [i for i in fused_rows if i not in have]
            systems_cells.setdefault(name, {}).update(
                read_cells(prediction_paths, name, missing, levels, tests, emotions)
            )
    return systems_cells
