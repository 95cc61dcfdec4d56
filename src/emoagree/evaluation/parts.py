"""The intervals a cell's metrics score, read from a level table or ``split.csv`` (no
pandas): each interval's split unit, the fold whose model predicts it and its bootstrap
cluster; and the study's shared units and clusters (``split.csv``) that every cell's
bootstrap resamples (see :mod:`emoagree.evaluation.metrics`). Level tables written before
the split had units (no ``unit`` or ``fold`` column) still evaluate: each interval is then
its own unit, in fold 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emoagree.contracts.levels import read_rows
from emoagree.evaluation.bootstrap import ClusterBootstrap, resolve_cluster, unit_clusters
from emoagree.levels.folds import part_fold_ids, repeat_columns


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
    (:func:`~emoagree.evaluation.bootstrap.resolve_cluster`).
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
    validation cross-evaluation, rule of :func:`emoagree.levels.folds.fold_part_rows`):
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
    required = ("interval_id", "emotion", "split", *(("fold",) if pooled_val else ()))
    header, rows = read_rows(path, required)
    has_units, has_folds = "unit" in header, "fold" in header
    try:
        kind, column = resolve_cluster(cluster, strategy, header)
        repeated = repeat_columns(header) if has_folds else []
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    rows = [row for row in rows if row["split"] == wanted]
    ids = [row["interval_id"] for row in rows]
    units = [row["unit"] if has_units else row["interval_id"] for row in rows]
    clusters = [row[column] for row in rows] if kind != "unit" else []
    # the test fold of every repeat (a global id r * K + f), and with pooled val the fold
    # whose validation part holds the interval (emoagree.levels.folds.part_fold_ids)
    folds = []
    for r, name in enumerate(["fold", *repeated] if has_folds else []):
        fold = [int(float(row[name])) for row in rows]
        folds += list(part_fold_ids(None, fold, n_folds, "val", r)) if pooled_val else fold
    if not has_folds:
        folds = [0] * len(rows)
    # split repeats: every interval once per repeat, repeat-major (the order of the
    # cell's pooled prediction files, emoagree.levels.folds.pool_folds)
    n_repeats = 1 + len(repeated)
    ids, units, clusters = ids * n_repeats, units * n_repeats, clusters * n_repeats
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
        [row["emotion"] for row in rows] * n_repeats,
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
