"""File-level evaluation: one prediction file in, one metrics JSON out (no pandas).

A test cell's metrics also read the test level's table (each test interval's split unit
and fold) and ``split.csv`` (the unit list of the study's shared bootstrap and the cluster
each unit lies in: session, actor or the unit itself, ``evaluation.cluster``), both
through :mod:`emoagree.evaluation.parts`; see :mod:`emoagree.evaluation.metrics`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emoagree.contracts.metrics import write_metrics as write_cell_metrics
from emoagree.contracts.predictions import PredictionArrays, read_checked
from emoagree.evaluation.parts import (
    LevelTestSet,
    StudyClusters,
    read_part_intervals,
    study_clusters,
)
from emoagree.evaluation.scores import evaluate_arrays


def aligned_probs(data: PredictionArrays, test: LevelTestSet) -> np.ndarray:
    """The prediction file's probabilities in the level table's interval order.

    The file must list exactly the level's intervals of the part scored (test, or the
    validation cross-evaluation's val) with their true emotions (one row per interval,
    pooled over the folds; with split repeats one row per interval and repeat, the k-th
    row of an interval being its prediction in repeat k, as ``test`` lists them).
    """
    position: dict[tuple[str, int], int] = {}
    seen: dict[str, int] = {}
    for row, interval in enumerate(data.interval_ids):
        k = seen.get(interval, 0)
        seen[interval] = k + 1
        position[(interval, k)] = row
    wanted: list[tuple[str, int]] = []
    seen = {}
    for interval in test.interval_ids:
        k = seen.get(interval, 0)
        seen[interval] = k + 1
        wanted.append((interval, k))
    missing = [i for i, k in wanted if (i, k) not in position]
    extra = len(data.interval_ids) - (len(wanted) - len(missing))
    if missing or extra:
        raise ValueError(
            f"{data.path}: lists {len(data.interval_ids)} intervals; {test.path} has "
            f"{len(test.interval_ids)} intervals of that part ({len(missing)} of them missing, "
            f"e.g. {missing[:3]}; {extra} not in that part of that level)"
        )
    order = np.fromiter((position[key] for key in wanted), dtype=np.intp, count=len(wanted))
    truth = [data.emotions_true[k] for k in order]
    wrong = [i for i, a, b in zip(test.interval_ids, truth, test.emotions, strict=True) if a != b]
    if wrong:
        raise ValueError(
            f"{data.path}: true emotions of {len(wrong)} intervals (e.g. {wrong[:3]}) differ "
            f"from {test.path}"
        )
    return data.probs[order]


def write_metrics(
    predictions_path: str | Sequence[str],
    metrics_path: str,
    emotions: Sequence[str],
    n_resamples: int,
    ci_level: float,
    seed: int,
    fusion_info_path: str | None = None,
    log=None,
    level_path: str | None = None,
    split_path: str | None = None,
    replicate_key: str = "",
    cluster: str = "unit",
    strategy: str = "stratified",
    part: str = "test",
    n_folds: int = 1,
    repeats: int = 1,
) -> dict[str, Any]:
    """Evaluate one cell's prediction file(s) and write ``results/metrics/.../*.json``.

    Args:
        predictions_path: the cell's prediction file, or one per training replicate (the
            same intervals in each): the UAR is their mean, and each bootstrap resample
            draws one replicate (``replicate_key``).
        level_path, split_path: the test level's table and ``split.csv``: the cluster
            bootstrap then resamples the split units shared by every cell, and
            ``per_fold`` splits the UAR by test fold. Without them (validation files),
            each interval is its own unit, in fold 0.
        replicate_key: ``"{system}/train{i}"`` (seeds which replicate each resample uses).
        cluster, strategy: ``evaluation.cluster`` and ``split.strategy``: what the
            bootstrap resamples (the metrics name it under ``cluster``).
        part, n_folds: with ``level_path``, which part of the level the files predict:
            ``test`` (the cell) or ``val`` (its validation cross-evaluation, ``val{j}``:
            each fold's validation part; see
            :func:`emoagree.evaluation.parts.read_part_intervals`). ``val`` resamples
            ``split.csv``'s units of the val part (all units with K >= 3 folds, so the same
            draws as the test cells), and ``per_fold`` is keyed by the fold whose model
            predicted the interval.
        repeats: without ``level_path`` (pooled validation files), the split repeats the
            files hold (each interval once per repeat); with it, the level table says.

    For a fused system the fusion info file of the same cell (which protocol chose the
    weights, how many intervals one modality decided alone) is copied in under ``fusion``.
    """
    paths = [predictions_path] if isinstance(predictions_path, str) else list(predictions_path)
    test = None
    if level_path is not None:
        test = read_part_intervals(level_path, part, n_folds, cluster, strategy)
        repeats = test.repeats
    replicates = _read_replicates(paths, emotions, repeats)
    settings = {"n_resamples": n_resamples, "seed": seed, "ci_level": ci_level}
    if level_path is not None:
        if split_path is None:
            raise ValueError("a test cell's metrics need split.csv beside the level table")
        study = study_clusters(split_path, cluster, strategy, part, n_folds)
        metrics = _level_metrics(test, study, replicates, emotions, replicate_key, part, settings)
    else:
        metrics = evaluate_arrays(
            replicates[0].emotions_true,
            [replicate.probs for replicate in replicates],
            emotions,
            replicate_key=replicate_key,
            **settings,
        )
        metrics["bootstrap_unit"] = "interval"
        if repeats > 1:
            metrics["split_repeats"] = int(repeats)
    metrics["part"] = part if level_path is not None else "val"
    metrics["predictions"] = str(paths[0]) if len(paths) == 1 else [str(p) for p in paths]
    metrics.update(_fusion_fields(fusion_info_path))
    if log is not None:
        low, high = metrics["uar_ci"]
        print(
            f"{predictions_path}: UAR {metrics['uar']} [{low}, {high}] on "
            f"{metrics['n_scored']} scored of {metrics['n_intervals']} intervals",
            file=log,
        )
    write_cell_metrics(metrics, metrics_path)
    return metrics


def _fusion_fields(fusion_info_path: str | None) -> dict[str, Any]:
    """A fused cell's ``fusion`` record (its info file, less the weights files) and
    ``optimistic`` flag; other cells are never optimistic."""
    if not fusion_info_path:
        return {"optimistic": False}
    info = json.loads(Path(fusion_info_path).read_text())
    return {
        "fusion": {k: v for k, v in info.items() if k != "weights_file"},
        "optimistic": bool(info.get("optimistic", False)),
    }


def _read_replicates(
    paths: Sequence[str], emotions: Sequence[str], repeats: int
) -> list[PredictionArrays]:
    """The prediction files of one cell's training replicates, which must list the same
    intervals (and true emotions)."""
    replicates = [read_checked(path, emotions, repeats) for path in paths]
    data = replicates[0]
    if not data.interval_ids:
        raise ValueError(f"{paths[0]}: no intervals to evaluate")
    for other in replicates[1:]:
        if other.interval_ids != data.interval_ids or other.emotions_true != data.emotions_true:
            raise ValueError(
                f"{other.path}: lists other intervals (or true emotions) than {data.path}; "
                "the replicates of one cell must predict the same intervals"
            )
    return replicates


def _level_metrics(
    test: LevelTestSet,
    study: StudyClusters,
    replicates: Sequence[PredictionArrays],
    emotions: Sequence[str],
    replicate_key: str,
    part: str,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """A cell's metrics against its level table: the study's shared cluster bootstrap,
    per fold UARs."""
    bootstrap = study.bootstrap([test], settings["n_resamples"], settings["seed"], part)
    metrics = evaluate_arrays(
        test.emotions,
        [aligned_probs(replicate, test) for replicate in replicates],
        emotions,
        units=test.units,
        bootstrap_units=bootstrap.units,
        folds=test.folds,
        replicate_key=replicate_key,
        clusters=(
            None
            if bootstrap.clusters is None
            else dict(zip(bootstrap.units, bootstrap.clusters, strict=True))
        ),
        cluster_kind=bootstrap.cluster_kind,
        **settings,
    )
    metrics["bootstrap_unit"] = "split unit" if test.has_units else "interval"
    if test.repeats > 1:
        # every interval is predicted once per split repeat (n_intervals counts them all)
        metrics["split_repeats"] = test.repeats
    return metrics


def score_cell(
    predictions_path: str | Sequence[str],
    metrics_path: str,
    level_path: str,
    split_path: str,
    emotions: Sequence[str],
    evaluation: Mapping[str, Any],
    seed: int,
    replicate_key: str,
    fusion_info_path: str | None = None,
    log=None,
    part: str = "test",
    n_folds: int = 1,
) -> dict[str, Any]:
    """The metrics of one (system, train level, test level) cell, written by the job that
    made its predictions (one job per cell: no second process start per cell); with
    ``part="val"`` the metrics of the same cell's validation cross-evaluation (``val{j}``).

    ``evaluation`` holds ``bootstrap_resamples``, ``ci_level`` and optionally ``cluster``
    (``evaluation.cluster``, default ``auto``) and ``strategy`` (``split.strategy``);
    ``seed`` is the study's seed, the same for every cell, so that every cell draws the
    same clusters.
    """
    return write_metrics(
        predictions_path=predictions_path,
        metrics_path=metrics_path,
        emotions=emotions,
        n_resamples=evaluation["bootstrap_resamples"],
        ci_level=evaluation["ci_level"],
        seed=seed,
        fusion_info_path=fusion_info_path,
        log=log,
        level_path=level_path,
        split_path=split_path,
        replicate_key=replicate_key,
        cluster=evaluation.get("cluster", "auto"),
        strategy=evaluation.get("strategy", "stratified"),
        part=part,
        n_folds=n_folds,
    )


def score_cell_parts(
    predictions: Sequence[str],
    val_predictions: Sequence[str],
    metrics_path: str,
    val_metrics_path: str,
    level_path: str,
    split_path: str,
    emotions: Sequence[str],
    evaluation: Mapping[str, Any],
    seed: int,
    replicate_key: str,
    n_folds: int = 1,
    fusion_info_path: str | None = None,
    log=None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The metrics a cell job writes after predicting: the test cell's (``test{j}``) and
    its validation cross-evaluation's (``val{j}``), each from its prediction files (one
    per training replicate), with :func:`score_cell`.

    ``fusion_info_path`` (a fused cell) is copied into the test metrics only: the val part
    is always fused with validation-chosen weights, so it is never optimistic.

    Returns:
        ``(test metrics, val metrics)``.
    """
    common = dict(
        level_path=level_path, split_path=split_path, emotions=emotions,
        evaluation=evaluation, seed=seed, replicate_key=replicate_key, log=log,
        n_folds=n_folds,
    )
    test = score_cell(list(predictions), metrics_path, fusion_info_path=fusion_info_path,
                      part="test", **common)
    val = score_cell(list(val_predictions), val_metrics_path, part="val", **common)
    return test, val
