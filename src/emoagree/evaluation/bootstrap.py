"""The study's cluster bootstrap: clusters, draws, per-cell sums and the resampled UARs.

**One cluster bootstrap for the whole study.** The resampled items are the *clusters*
the split units nest in (``evaluation.cluster``): by default the sessions (units of one
session share a dialogue, its actors and its recording conditions, so they are not
independent), the actors when the split is by actor, or the split units themselves
(``unit``; segments, recordings, sessions or actors, see :mod:`emoagree.levels.split`).
:class:`ClusterBootstrap` draws the clusters with replacement, seeded, and every cell and
system uses the same draws; every unit of a drawn cluster moves with it, and an interval is
carried with the multiplicity of its unit, in every test level, so a level-k interval moves
with the level-1 stretch that contains it. A unit must lie in one cluster
(:func:`unit_clusters` refuses one that spans two). Vectorised: draw counts ``(B, U)``
times per-unit class sums ``(U, K)`` give the weighted support and hits of every resample
at once.

**Training replicates.** A cell may have R prediction arrays, one per training seed;
each resample draws one replicate per (system, train level), seeded, so every test level
of one resample sees the same model.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from emoagree.evaluation.metrics import UNSCORED


def _rng(seed: int, key: str) -> np.random.Generator:
    """A generator for one named random choice, independent of every other one's draws."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(key.encode("utf-8"))])


#: Largest number of (resample x cluster) draw counts held in memory at once.
_DRAW_BLOCK = 500_000


#: What ``evaluation.cluster`` may name; ``auto`` resolves to one of the others.
CLUSTER_KINDS = ("auto", "unit", "session", "actor")


def resolve_cluster(setting: str, strategy: str, columns: Sequence[str]) -> tuple[str, str]:
    """The cluster kind the bootstrap resamples and the table column that names it.

    Args:
        setting: ``evaluation.cluster``: ``auto``, ``unit``, ``session`` or ``actor``.
        strategy: ``split.strategy`` (``actor`` makes ``auto`` resample actors).
        columns: the header of the table the clusters are read from (``split.csv``).

    ``auto`` takes the highest grouping the split units nest in: the actors when the split
    is by actor, else the sessions; only when the table has no ``session`` column does it
    fall back to the units (the answer then names the cluster kind ``unit``). An explicit
    ``session`` or ``actor`` needs its column.
    """
    if setting not in CLUSTER_KINDS:
        raise ValueError(
            f"evaluation.cluster {setting!r} is not one of {', '.join(CLUSTER_KINDS)}"
        )
    columns = list(columns)
    if setting == "auto":
        setting = "actor" if strategy == "actor" else "session"
        if setting == "session" and "session" not in columns:
            setting = "unit"
    if setting != "unit" and setting not in columns:
        raise ValueError(
            f"evaluation.cluster: {setting} needs a '{setting}' column in the split and level "
            f"tables; they have {columns}"
        )
    return setting, setting


def unit_clusters(
    units: Sequence[str], clusters: Sequence[str], where: str = "the split"
) -> dict[str, str]:
    """``unit -> cluster`` from parallel per-interval lists; refuse a unit in two clusters.

    A split unit that spans two clusters (e.g. a segment over two actors' views when the
    clusters are actors) does not nest in them, and resampling the clusters would cut it.
    """
    mapping: dict[str, str] = {}
    for unit, cluster in zip(units, clusters, strict=True):
        unit, cluster = str(unit), str(cluster)
        seen = mapping.setdefault(unit, cluster)
        if seen != cluster:
            raise ValueError(
                f"{where}: split unit {unit!r} spans the clusters {seen!r} and {cluster!r}; "
                "the units must nest in the bootstrap's clusters (evaluation.cluster)"
            )
    return mapping


@dataclass(frozen=True)
class ClusterBootstrap:
    """Seeded resamples of the clusters of split units, the same for every cell and system.

    Attributes:
        units: the unit names, sorted (the columns of every per-unit count array).
        n_resamples: number of resamples B.
        seed: the study's seed.
        clusters: the cluster of each unit (parallel to ``units``); ``None``: every unit is
            its own cluster (the draws are then those of a plain unit bootstrap).
        cluster_kind: what a cluster is (``unit``, ``session``, ``actor``, ``interval``).

    Each resample draws as many clusters as there are, with replacement; every unit of a
    drawn cluster counts once per draw. The draws depend only on (clusters, resamples,
    seed), so every job that builds this object from the same split draws the same.
    """

    units: tuple[str, ...]
    n_resamples: int
    seed: int
    clusters: tuple[str, ...] | None = None
    cluster_kind: str = "unit"

    def __post_init__(self) -> None:
        if not self.units:
            raise ValueError("the bootstrap needs at least one split unit")
        if self.n_resamples < 1:
            raise ValueError(f"bootstrap_resamples must be positive, not {self.n_resamples}")
        if self.clusters is not None and len(self.clusters) != len(self.units):
            raise ValueError(
                f"{len(self.clusters)} cluster names for {len(self.units)} split units"
            )

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def cluster_names(self) -> tuple[str, ...]:
        """The sorted cluster names (the resampled items)."""
        if self.clusters is None:
            return self.units
        return tuple(sorted(set(self.clusters)))

    @property
    def n_clusters(self) -> int:
        return len(self.cluster_names)

    def describe(self) -> dict[str, Any]:
        """``{"kind": ..., "count": ...}``: what the bootstrap resamples and how many."""
        return {"kind": self.cluster_kind, "count": self.n_clusters}

    def _unit_cluster(self) -> np.ndarray | None:
        if self.clusters is None:
            return None
        position = {name: i for i, name in enumerate(self.cluster_names)}
        return np.fromiter((position[c] for c in self.clusters), dtype=np.intp)

    def index(self, units: Sequence[str], where: str = "") -> np.ndarray:
        """Position of each unit name in :attr:`units`; raise on a name outside the list."""
        position = {unit: i for i, unit in enumerate(self.units)}
        unknown = sorted({str(u) for u in units if u not in position})
        if unknown:
            raise ValueError(
                f"{where or 'test intervals'}: split units {unknown[:5]} "
                f"({len(unknown)} in all) are not among the {self.n_units} test units of "
                "the split"
            )
        return np.fromiter((position[u] for u in units), dtype=np.intp, count=len(units))

    def blocks(self) -> Iterator[tuple[slice, np.ndarray]]:
        """Draw counts of consecutive blocks of resamples: ``(rows, (b, U))`` float arrays.

        Each resample draws C clusters with replacement; a unit's count is how often its
        cluster was drawn. The blocks, and so the draws, depend only on (clusters,
        resamples, seed).
        """
        n_clusters = self.n_clusters
        of_unit = self._unit_cluster()
        rng = _rng(self.seed, "bootstrap units")
        step = max(1, _DRAW_BLOCK // n_clusters)
        for start in range(0, self.n_resamples, step):
            rows = min(step, self.n_resamples - start)
            draws = rng.integers(0, n_clusters, size=(rows, n_clusters))
            draws += (np.arange(rows) * n_clusters)[:, None]
            counts = np.bincount(draws.ravel(), minlength=rows * n_clusters)
            counts = counts.reshape(rows, n_clusters).astype(float)
            if of_unit is not None:
                counts = counts[:, of_unit]
            yield slice(start, start + rows), counts

    def counts(self) -> np.ndarray:
        """Every resample's draw counts per unit, ``(B, U)`` (for inspection and tests)."""
        return np.concatenate([block for _, block in self.blocks()])


def replicate_choice(n_resamples: int, n_replicates: int, seed: int, key: str) -> np.ndarray:
    """Which training replicate each resample uses for one (system, train level) ``key``."""
    if n_replicates < 1:
        raise ValueError("a cell needs at least one prediction array")
    if n_replicates == 1:
        return np.zeros(n_resamples, dtype=np.intp)
    return _rng(seed, f"bootstrap replicate {key}").integers(0, n_replicates, size=n_resamples)


@dataclass(frozen=True)
class CellSums:
    """Per-unit class counts of one cell, what the bootstrap weights.

    Attributes:
        total: ``(U, K)`` test intervals of each class in each unit, scored or not.
        scored: ``(R, U, K)`` of them scored by replicate r.
        hits: ``(R, U, K)`` of them scored and predicted right by replicate r.
    """

    total: np.ndarray
    scored: np.ndarray
    hits: np.ndarray

    @property
    def n_replicates(self) -> int:
        return self.scored.shape[0]


def cell_sums(
    unit_index: np.ndarray,
    y_true: np.ndarray,
    y_preds: Sequence[np.ndarray],
    n_units: int,
    n_labels: int,
) -> CellSums:
    """Count each unit's intervals per class (all, scored, right) for R prediction arrays.

    Args:
        unit_index: each interval's position in the bootstrap's unit list.
        y_true: integer true labels ``(n,)``.
        y_preds: R arrays of integer predictions ``(n,)``; ``UNSCORED`` = not scored.
    """
    unit_index = np.asarray(unit_index, dtype=np.intp)
    y_true = np.asarray(y_true, dtype=np.intp)
    flat = unit_index * n_labels + y_true
    size = n_units * n_labels

    def count(mask: np.ndarray | None = None) -> np.ndarray:
        chosen = flat if mask is None else flat[mask]
        return np.bincount(chosen, minlength=size).reshape(n_units, n_labels).astype(float)

    scored, hits = [], []
    for y_pred in y_preds:
        y_pred = np.asarray(y_pred)
        if y_pred.shape != y_true.shape:
            raise ValueError(f"{y_pred.shape[0]} predictions for {y_true.shape[0]} intervals")
        is_scored = y_pred != UNSCORED
        scored.append(count(is_scored))
        hits.append(count(is_scored & (y_pred == y_true)))
    return CellSums(count(), np.stack(scored), np.stack(hits))


def uar_from_sums(total: np.ndarray, scored: np.ndarray, hits: np.ndarray) -> np.ndarray:
    """UAR of weighted class counts ``(..., K)``: the rule of the module docstring.

    Classes with ``total > 0`` count; recall = hits / scored, 0 where a counted class has
    nothing scored; NaN where no class counts or nothing at all is scored.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        present = total > 0
        recall = np.where(scored > 0, hits / np.where(scored > 0, scored, 1.0), 0.0)
        n_present = present.sum(axis=-1)
        sums = np.where(present, recall, 0.0).sum(axis=-1)
        defined = (n_present > 0) & (scored.sum(axis=-1) > 0)
        return np.where(defined, sums / np.maximum(n_present, 1), np.nan)


def point_uars(sums: CellSums) -> np.ndarray:
    """Each replicate's UAR on the test set as it is (every unit once), ``(R,)``."""
    return uar_from_sums(sums.total.sum(axis=0), sums.scored.sum(axis=1), sums.hits.sum(axis=1))


def resampled_uars(
    bootstrap: ClusterBootstrap, cells: Sequence[CellSums], choices: Sequence[np.ndarray]
) -> np.ndarray:
    """UAR of every cell in every resample, ``(B, n_cells)``, from the shared unit draws.

    Args:
        cells: per-unit class counts of each cell (units in ``bootstrap.units`` order).
        choices: per cell, the replicate of each resample (:func:`replicate_choice`).
    """
    out = np.empty((bootstrap.n_resamples, len(cells)))
    for rows, counts in bootstrap.blocks():
        index = np.arange(counts.shape[0])
        for c, (sums, choice) in enumerate(zip(cells, choices, strict=True)):
            pick = np.asarray(choice)[rows]
            total = counts @ sums.total
            scored = (counts @ sums.scored)[pick, index]  # (R, b, K) -> (b, K)
            hits = (counts @ sums.hits)[pick, index]
            out[rows, c] = uar_from_sums(total, scored, hits)
    return out


def jackknife_uars(bootstrap: ClusterBootstrap, cells: Sequence[CellSums]) -> np.ndarray:
    """UAR of every cell with each cluster left out in turn, ``(C, n_cells)``.

    Row c leaves out ``bootstrap.cluster_names[c]`` (every unit of it, in every test
    level) and keeps every other cluster once: the delete-one-cluster jackknife of the
    same statistics the bootstrap resamples. A cell with R replicates gives the mean of
    its replicates' UARs, as its point does. NaN where leaving the cluster out leaves the
    cell without a counted class.
    """
    n_clusters = bootstrap.n_clusters
    of_unit = bootstrap._unit_cluster()
    if of_unit is None:
        of_unit = np.arange(bootstrap.n_units)
    out = np.empty((n_clusters, len(cells)))
    for c, sums in enumerate(cells):
        total = np.zeros((n_clusters, sums.total.shape[-1]))
        np.add.at(total, of_unit, sums.total)
        scored = np.zeros((sums.n_replicates, *total.shape))
        hits = np.zeros_like(scored)
        np.add.at(scored, (slice(None), of_unit), sums.scored)
        np.add.at(hits, (slice(None), of_unit), sums.hits)
        left_out = uar_from_sums(
            total.sum(axis=0) - total,
            scored.sum(axis=1, keepdims=True) - scored,
            hits.sum(axis=1, keepdims=True) - hits,
        )  # (R, C)
        out[:, c] = left_out.mean(axis=0)
    return out


def jackknife_spread(left_out: np.ndarray) -> np.ndarray:
    """Delete-one-cluster jackknife standard error of each column of ``(C, ...)`` values.

    ``sqrt((C - 1) / C * sum_c (x_c - mean)^2)`` over the C leave-one-out values: the
    CV3 cluster-robust standard error, which, unlike the bootstrap's spread (biased low
    by (C - 1) / C in variance and the more so the more one cluster weighs), keeps its
    level with few clusters (MacKinnon, Nielsen and Webb 2023, J. Econometrics 232:
    "Cluster-robust inference: a guide to empirical practice").
    """
    left_out = np.asarray(left_out, dtype=float)
    n = left_out.shape[0]
    if n < 2:
        return np.zeros(left_out.shape[1:])
    deviation = left_out - left_out.mean(axis=0)
    return np.sqrt((n - 1) / n * (deviation**2).sum(axis=0))


def percentile_interval(values: np.ndarray, ci_level: float, axis: int = 0) -> np.ndarray:
    """Percentile bootstrap interval ``[low, high]`` (NaN resamples left out)."""
    alpha = (1.0 - ci_level) / 2.0
    values = np.asarray(values, dtype=float)
    if np.isnan(values).all():
        shape = list(values.shape)
        del shape[axis]
        return np.full([2, *shape], np.nan)
    with np.errstate(invalid="ignore"):
        return np.nanquantile(values, [alpha, 1.0 - alpha], axis=axis)


def probability_best(values: np.ndarray) -> np.ndarray:
    """Share of resamples in which each column is the highest, ``(L,)``; sums to 1.

    Ties share the resample equally; NaN never wins; resamples where every column is NaN
    are left out.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values).all(axis=1)]
    if not len(values):
        return np.full(values.shape[1], np.nan)
    filled = np.where(np.isnan(values), -np.inf, values)
    top = filled.max(axis=1, keepdims=True)
    winners = np.isclose(filled, top, rtol=0.0, atol=1e-12)
    return (winners / winners.sum(axis=1, keepdims=True)).mean(axis=0)


def probability_higher(values: np.ndarray, a: int, b: int) -> float:
    """Share of resamples in which column ``a`` is higher than column ``b`` (ties: no)."""
    values = np.asarray(values, dtype=float)
    valid = ~np.isnan(values[:, [a, b]]).any(axis=1)
    if not valid.any():
        return float("nan")
    return float(np.mean(values[valid, a] > values[valid, b]))


def joint_resamples(values: np.ndarray) -> tuple[np.ndarray, int]:
    """The resamples (rows) in which every column is defined, and how many were dropped.

    A resample that leaves any train row undefined (NaN: e.g. it drew no cluster with a
    test interval of some level) is dropped for every row together, so every row's
    interval, P(best) and paired difference rest on the same resamples.
    """
    values = np.asarray(values, dtype=float)
    keep = ~np.isnan(values).any(axis=1)
    return values[keep], int((~keep).sum())
