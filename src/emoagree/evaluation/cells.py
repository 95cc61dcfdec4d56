"""File-level evaluation: one prediction file in, one metrics JSON out (no pandas).

A test cell's metrics also read the test level's table (each test interval's split unit
and fold) and ``split.csv`` (the unit list of the study's shared bootstrap and the cluster
each unit lies in: session, actor or the unit itself, ``evaluation.cluster``); see
:mod:`emoagree.evaluation.metrics`. Level tables written before the split had units (no ``unit``
or ``fold`` column) still evaluate: each interval is then its own unit, in fold 0.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from emoagree.evaluation.metrics import (
    ClusterBootstrap,
    evaluate_arrays,
    resolve_cluster,
    unit_clusters,
)
from emoagree.levels.split import repeat_columns
from emoagree.predictions import PredictionArrays, read_checked


@dataclass(frozen=True)
class LevelTestSet:
    """The test intervals of one level table: id, true emotion, split unit, test fold.

    ``has_units`` is False for a table without a ``unit`` column (each interval is then
    its own unit, named by its id); a table without ``fold`` has every interval in fold 0.
    ``clusters`` holds each interval's bootstrap cluster (``cluster_kind``: ``session``,
    ``actor`` or ``unit``); ``None``: the units are the clusters. With ``repeats`` R > 1
    split repeats every list holds the part's intervals R times, repeat-major, and
    ``folds`` the global fold id (``r * K + f``) that predicts each in its repeat.
    """

    path: str
    interval_ids: list[str]
    emotions: list[str]
    units: list[str]
    folds: np.ndarray
    has_units: bool
    has_folds: bool
    clusters: list[str] | None = None
    cluster_kind: str = "unit"
    repeats: int = 1


def read_test_intervals(
    path: str | Path, cluster: str = "unit", strategy: str = "stratified"
) -> LevelTestSet:
    """The rows with ``split == "test"`` of a level table (or ``split.csv``).

    ``cluster`` (``evaluation.cluster``) and ``strategy`` (``split.strategy``) say which
    column names each interval's bootstrap cluster
    (:func:`~emoagree.evaluation.metrics.resolve_cluster`).
    """
    return read_part_intervals(path, "test", 1, cluster, strategy)


def read_part_intervals(
    path: str | Path,
    part: str = "test",
    n_folds: int = 1,
    cluster: str = "unit",
    strategy: str = "stratified",
) -> LevelTestSet:
    """The intervals of one part of a level table (or ``split.csv``), each with the fold
    whose model predicts it and its bootstrap cluster.

    ``test``: the rows with ``split == "test"`` and their ``fold``. ``val`` (the
    validation cross-evaluation, rule of :func:`emoagree.levels.split.fold_part_rows`):
    with one fold the rows with ``split == "val"``; with ``n_folds >= 3`` every interval
    (all are tested once), in the validation part of fold ``(fold - 1) % K``.
    ``cluster`` and ``strategy`` as in :func:`read_test_intervals`.

    With split repeats (the table's ``fold_r<r>`` columns) every interval of the part is
    listed once per repeat, repeat-major, with the global id of the fold whose model
    predicts it in that repeat (``r * K + f``; ``val`` needs ``n_folds`` = K).
    """
    if part not in ("test", "val"):
        raise ValueError(f"part {part!r} is not test or val")
    n_folds = int(n_folds)
    pooled_val = part == "val" and n_folds >= 3
    wanted = "test" if pooled_val else part
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in ("interval_id", "emotion", "split") if c not in header]
        if pooled_val and "fold" not in header:
            missing.append("fold")
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}")
        has_units, has_folds = "unit" in header, "fold" in header
        try:
            kind, column = resolve_cluster(cluster, strategy, header)
            repeated = repeat_columns(header) if has_folds else []
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
        ids, emotions, units, folds, clusters = [], [], [], [], []
        repeat_folds: list[list[int]] = [[] for _ in repeated]
        for row in reader:
            if row["split"] != wanted:
                continue
            ids.append(row["interval_id"])
            emotions.append(row["emotion"])
            units.append(row["unit"] if has_units else row["interval_id"])
            fold = int(float(row["fold"])) if has_folds else 0
            folds.append((fold - 1) % n_folds if pooled_val else fold)
            for r, name in enumerate(repeated, start=1):
                fold = int(float(row[name]))  # a global id r * K + f
                base = r * n_folds
                if pooled_val:
                    fold = base + (fold - base - 1) % n_folds
                repeat_folds[r - 1].append(fold)
            if kind != "unit":
                clusters.append(row[column])
    # split repeats: every interval once per repeat, repeat-major (the order of the
    # cell's pooled prediction files, emoagree.levels.split.pool_folds)
    n_repeats = 1 + len(repeated)
    ids, emotions, units = ids * n_repeats, emotions * n_repeats, units * n_repeats
    clusters = clusters * n_repeats
    folds = folds + [f for own in repeat_folds for f in own]
    if kind != "unit":
        empty = [i for i, c in zip(ids, clusters, strict=True) if not c]
        if empty:
            raise ValueError(
                f"{path}: {len(empty)} {part} intervals (e.g. {empty[:3]}) have an empty "
                f"'{column}' (evaluation.cluster: {kind})"
            )
    return LevelTestSet(
        str(path),
        ids,
        emotions,
        units,
        np.asarray(folds, dtype=int),
        has_units,
        has_folds,
        clusters if kind != "unit" else None,
        kind,
        n_repeats,
    )


@dataclass(frozen=True)
class StudyClusters:
    """The shared bootstrap's units and the cluster each lies in, from ``split.csv``."""

    units: list[str]
    clusters: dict[str, str] | None
    kind: str

    def check(self, test: LevelTestSet) -> None:
        """A level table's intervals must sit in the clusters ``split.csv`` gives their
        units (a unit spanning two clusters, or a level that moved one, is an error)."""
        if self.clusters is None or test.clusters is None:
            return
        merged = dict(self.clusters)
        for unit, cluster in zip(test.units, test.clusters, strict=True):
            seen = merged.setdefault(unit, cluster)
            if seen != cluster:
                raise ValueError(
                    f"{test.path}: split unit {unit!r} is in {self.kind} {cluster!r} here and "
                    f"in {seen!r} in split.csv; the units must nest in the bootstrap's "
                    "clusters (evaluation.cluster)"
                )

    def bootstrap(
        self, tests: Sequence[LevelTestSet], n_resamples: int, seed: int, part: str = "test"
    ) -> ClusterBootstrap:
        """The study's one bootstrap over these clusters (the units of ``tests`` checked)."""
        units = shared_units(self.units, list(tests), part)
        for test in tests:
            self.check(test)
        if self.clusters is None:
            return ClusterBootstrap(tuple(units), int(n_resamples), int(seed))
        own = {u: u for t in tests if not t.has_units for u in t.units}  # pre-unit tables
        clusters = tuple(self.clusters.get(u, own.get(u, u)) for u in units)
        return ClusterBootstrap(tuple(units), int(n_resamples), int(seed), clusters, self.kind)


def study_clusters(
    path: str | Path,
    cluster: str = "unit",
    strategy: str = "stratified",
    part: str = "test",
    n_folds: int = 1,
) -> StudyClusters:
    """``split.csv``'s units of ``part`` (sorted) and each unit's cluster (a unit must lie
    in one)."""
    test = read_part_intervals(path, part, n_folds, cluster, strategy)
    units = sorted(set(test.units))
    if test.clusters is None:
        return StudyClusters(units, None, test.cluster_kind)
    mapping = unit_clusters(test.units, test.clusters, str(path))
    return StudyClusters(units, mapping, test.cluster_kind)


def split_units(path: str | Path, part: str = "test", n_folds: int = 1) -> list[str]:
    """The sorted split units of ``split.csv`` that hold any interval of ``part``.

    With K >= 3 folds every interval is tested once (and validated once), so these are
    all units; with one fold, the test (or val) part's units.
    """
    return sorted(set(read_part_intervals(path, part, n_folds).units))


def shared_units(
    units: Sequence[str], tests: Sequence[LevelTestSet], part: str = "test"
) -> list[str]:
    """The bootstrap's unit list: ``split.csv``'s units of the part scored.

    Every test interval of a level table with a ``unit`` column must belong to one of
    them. A table without units adds its own intervals as units (the split predates
    units: the draws are then no longer shared with the other levels' jobs).
    """
    shared = set(units)
    for test in tests:
        if not test.has_units:
            shared.update(test.units)
            continue
        unknown = sorted(set(test.units) - set(units))
        if unknown:
            raise ValueError(
                f"{test.path}: {part} units {unknown[:5]} ({len(unknown)} in all) are not "
                f"{part} units of split.csv"
            )
    return sorted(shared)


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
            each fold's validation part; see :func:`read_part_intervals`). ``val``
            resamples ``split.csv``'s units of the val part (all units with K >= 3 folds,
            so the same draws as the test cells), and ``per_fold`` is keyed by the fold
            whose model predicted the interval.
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
    settings = {"n_resamples": n_resamples, "seed": seed, "ci_level": ci_level}
    if level_path is not None:
        if split_path is None:
            raise ValueError("a test cell's metrics need split.csv beside the level table")
        study = study_clusters(split_path, cluster, strategy, part, n_folds)
        bootstrap = study.bootstrap([test], n_resamples, seed, part)
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
    else:
        metrics = evaluate_arrays(
            data.emotions_true,
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
    if fusion_info_path:
        info = json.loads(Path(fusion_info_path).read_text())
        metrics["fusion"] = {k: v for k, v in info.items() if k != "weights_file"}
        metrics["optimistic"] = bool(info.get("optimistic", False))
    else:
        metrics["optimistic"] = False
    if log is not None:
        uar = metrics["uar"]
        low, high = metrics["uar_ci"]
        print(
            f"{predictions_path}: UAR {uar} [{low}, {high}] on {metrics['n_scored']} scored of "
            f"{metrics['n_intervals']} intervals",
            file=log,
        )
    Path(metrics_path).parent.mkdir(parents=True, exist_ok=True)
    Path(metrics_path).write_text(json.dumps(metrics, indent=2) + "\n")
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
