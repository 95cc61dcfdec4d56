"""Classification metrics in the paper's terms: UAR (unweighted average recall).

**Which classes count.** A cell's UAR averages the recall of the configured emotions
present among the test level's test intervals, scored or not (with folds every class is
present). A configured emotion absent from the test level is listed (``absent_classes``),
not silently dropped. Recall is computed on the intervals a system scored; the intervals
it could not score are counted separately (``coverage``), so skipping hard intervals
cannot hide. A present class of which the system scored no interval at all recalls
nothing: its recall is 0 (listed in ``unscored_classes``), so the number of classes, and
chance, is the same for every system tested on that level. A system that scored no
interval at all has no UAR (null).

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

**The best train row.** :func:`confidence_set_for_best` turns the shared resamples of
the train rows' mean UARs into a confidence set for the best row (multiple comparisons
with the best); :func:`probability_best` stays as a description.

**Training replicates.** A cell may have R prediction arrays, one per training seed;
each resample draws one replicate per (system, train level), seeded, so every test level
of one resample sees the same model.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


#: Below this a bootstrap standard deviation counts as zero (a difference that never moves).
_NO_SPREAD = 1e-12


def _standardised(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``values / scale`` per column; where the scale is zero: +inf, 0 or -inf by sign."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = values / np.where(scale > _NO_SPREAD, scale, 1.0)
    signs = np.where(values > _NO_SPREAD, np.inf, np.where(values < -_NO_SPREAD, -np.inf, 0.0))
    return np.where(scale > _NO_SPREAD, ratio, signs)


def _t_critical(normal_critical: float, df: float | None) -> float:
    """The critical value of the same tail probability under Student's t with ``df``
    degrees of freedom (``None``: the normal one unchanged)."""
    if df is None or not np.isfinite(normal_critical):
        return float(normal_critical)
    from scipy.stats import norm, t  # scipy comes with scikit-learn; lazy like pandas

    return float(t.isf(norm.sf(normal_critical), df))


def best_row_tests(
    values: np.ndarray,
    point: np.ndarray,
    alpha: float = 0.05,
    beta: float | None = None,
    left_out: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Test, for every row r, "r is a best row" against the others (see
    :func:`confidence_set_for_best`, which keeps the rows not rejected).

    Args:
        values: ``(B, L)`` resampled statistics of the L rows (no NaN; the same resamples
            for every row).
        point: ``(L,)`` the statistics on the data as they are.
        alpha: the error rate (1 - confidence).
        beta: the first step's share of ``alpha`` (default ``alpha / 10``).
        left_out: ``(C, L)`` the statistics with each of the C clusters left out
            (:func:`jackknife_uars`); given, the paired differences' standard errors are
            the jackknife's and the critical values follow Student's t with C - 1
            degrees of freedom (the small-cluster form the answer uses); None: the
            bootstrap's spread and its own quantiles (the large-sample form).

    Returns ``statistic`` (``(L,)``: the largest standardised lead of another row over r),
    ``critical`` (``(L,)``: its simultaneous critical value), ``rejected`` (bool) and
    ``df`` (the t degrees of freedom, NaN for the large-sample form).
    """
    values = np.asarray(values, dtype=float)
    point = np.asarray(point, dtype=float)
    n_resamples, n_rows = values.shape
    if n_resamples < 1 or np.isnan(values).any() or np.isnan(point).any():
        raise ValueError("the confidence set needs resamples with every row defined")
    beta = alpha / 10.0 if beta is None else float(beta)
    if not 0 < beta < alpha < 1:
        raise ValueError(f"need 0 < beta < alpha < 1, got alpha={alpha}, beta={beta}")
    df = None
    if left_out is not None:
        left_out = np.asarray(left_out, dtype=float)
        if left_out.ndim != 2 or left_out.shape[1] != n_rows:
            raise ValueError(f"left_out must be (clusters, {n_rows}), not {left_out.shape}")
        # a cluster whose removal leaves some row undefined drops out for all rows
        left_out = left_out[~np.isnan(left_out).any(axis=1)]
        df = max(left_out.shape[0] - 1, 1)
    statistic = np.full(n_rows, -np.inf)
    critical = np.full(n_rows, np.inf)
    for r in range(n_rows):
        others = [t for t in range(n_rows) if t != r]
        if not others:
            continue
        lead = point[others] - point[r]  # (T,) observed lead of each other row over r
        resampled = values[:, others] - values[:, [r]]  # (B, T)
        shape = resampled.std(axis=0)  # the bootstrap's spread: standardises its draws
        spread = shape if left_out is None else jackknife_spread(
            left_out[:, others] - left_out[:, [r]]
        )
        # the stand-in for the estimation error lead - true lead (percentile form)
        error = _standardised(lead[None, :] - resampled, shape)
        # step 1: a (1 - beta) simultaneous upper bound of each true lead; a row whose
        # bound is below 0 is surely worse than r, its slack lowers its weight in step 2
        upper_crit = _t_critical(
            np.quantile((-error).max(axis=1), 1.0 - beta, method="higher"), df
        )
        slack = np.minimum(lead + upper_crit * spread, 0.0)
        slack = np.where(spread > _NO_SPREAD, slack, np.minimum(lead, 0.0))
        # step 2: the (1 - alpha + beta) quantile of the largest recentred lead
        with np.errstate(invalid="ignore"):
            shifted = error + _standardised(slack, spread)[None, :]
        shifted = np.where(np.isnan(shifted), -np.inf, shifted).max(axis=1)
        critical[r] = _t_critical(np.quantile(shifted, 1.0 - alpha + beta, method="higher"), df)
        statistic[r] = _standardised(lead, spread).max()
    return {
        "statistic": statistic,
        "critical": critical,
        "rejected": statistic > critical,
        "df": np.nan if df is None else float(df),
    }


def confidence_set_for_best(
    values: np.ndarray,
    point: np.ndarray,
    alpha: float = 0.05,
    beta: float | None = None,
    left_out: np.ndarray | None = None,
) -> np.ndarray:
    """A (1 - alpha) confidence set for the best row: multiple comparisons with the best.

    Args:
        values: ``(B, L)`` resampled statistics of the L rows (the train rows' mean UAR over
            test levels), on shared resamples with no NaN (:func:`joint_resamples`).
        point: ``(L,)`` the statistics on the data as they are.
        alpha, beta, left_out: see :func:`best_row_tests`.

    Returns a boolean mask of the rows kept.

    **Construction.** For each row r the hypothesis H_r "r is a best row" says that every
    true lead mu_t = theta_t - theta_r of another row t is <= 0: a set of moment
    inequalities. Its statistic is the largest standardised observed lead,
    T_r = max_t d_t / s_t (d_t = point_t - point_r, s_t the bootstrap standard deviation of
    the paired difference over the shared resamples). The estimation error d_t - mu_t is
    stood in for by d_t - d*_t (d*_t the paired difference in a resample; the percentile
    form, so with two rows r is out exactly when the one-sided (1 - alpha) percentile
    bound of the other row's lead is above 0, as the answer's percentile intervals read).
    Under H_r, d_t <= (d_t - mu_t), so the (1 - alpha) quantile of the largest standardised
    error over t bounds T_r simultaneously over the comparisons: row r stays unless some
    other row beats it by more than that simultaneous bound.

    Rows far below r would still widen that maximum while being unable to remove r, which
    costs power when a clear winner sits above several poor rows. The two-step method of
    Romano, Shaikh and Wolf (2014, Econometrica 82: "A practical two-step method for
    testing moment inequalities") removes this: a first (1 - beta) simultaneous upper
    bound U_t = d_t + c1 s_t of each lead; where U_t < 0 the comparison is slack and its
    error is shifted down by U_t before the second step's (1 - alpha + beta) quantile is
    taken. Their result: the test of H_r has size at most alpha (asymptotically). Quantiles
    use the next higher resample (conservative with few resamples).

    **Few clusters.** Asymptotics in the number of clusters C do not hold at a corpus of
    16-60 sessions: the bootstrap's spread of a paired difference is biased low (by
    (C - 1) / C in variance, more where one cluster weighs more), and a difference divided
    by an estimated spread has heavier tails than the normal. With ``left_out`` (the
    statistics with each cluster left out), each comparison is standardised by its
    delete-one-cluster jackknife standard error (CV3) and each critical value, read from
    the bootstrap's standardised maximum, is moved to the same tail probability of
    Student's t with C - 1 degrees of freedom: the small-cluster practice of MacKinnon,
    Nielsen and Webb (2023). The bootstrap still gives the joint shape of the comparisons
    (their correlation through the shared row r and the shared resamples). On simulated
    studies with the demo's structure this brings the per-row error of the least
    favourable case (all rows equal) from 7-9 % to at most 5 % (``bench/answer_calibration.py``).

    **Why this is a confidence set for the best.** Let r* be the best row. H_{r*} is true,
    so P(r* rejected) <= alpha: the set holds r* with probability >= 1 - alpha. No
    multiplicity correction over r is needed because only the true best's test has to
    hold. Naming a single row needs every other row rejected; when all rows are equally
    good every H_r is true, so a row is named only when L - 1 true hypotheses are rejected
    together, which happens in at most about alpha of studies
    (``bench/answer_calibration.py`` measures it).
    """
    return ~best_row_tests(values, point, alpha, beta, left_out)["rejected"]


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
    n_labels = len(emotions)
    if isinstance(probs, np.ndarray) and probs.ndim == 2:
        probs = [probs]
    y_true = encode(emotions_true, emotions, what="true emotion")
    y_preds = [argmax_codes(p) for p in probs]
    n_total = len(y_true)
    if cluster_kind is None:
        cluster_kind = "interval" if units is None else "unit"
    if units is None:
        units = [f"{k:09d}" for k in range(n_total)]
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
    sums = cell_sums(bootstrap.index(units), y_true, y_preds, bootstrap.n_units, n_labels)
    replicate_uars = point_uars(sums)
    value = float(np.mean(replicate_uars))
    choice = replicate_choice(bootstrap.n_resamples, len(y_preds), bootstrap.seed, replicate_key)
    low, high = percentile_interval(resampled_uars(bootstrap, [sums], [choice])[:, 0], ci_level)

    present = sums.total.sum(axis=0) > 0
    scored_support = sums.scored.sum(axis=1)  # (R, K)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(
            scored_support > 0, sums.hits.sum(axis=1) / np.maximum(scored_support, 1), 0.0
        ).mean(axis=0)
    recall = np.where(present, recall, np.nan)
    confusion = np.zeros((n_labels, n_labels), dtype=int)
    for y_pred in y_preds:
        keep = y_pred != UNSCORED
        np.add.at(confusion, (y_true[keep], y_pred[keep]), 1)
    n_scored = float(np.mean([(y != UNSCORED).sum() for y in y_preds]))
    metrics = {
        "uar": _num(value),
        "uar_ci": [_num(low), _num(high)],
        "ci_level": ci_level,
        "bootstrap_resamples": int(n_resamples),
        "seed": int(seed),
        "bootstrap_units": bootstrap.n_units,
        "cluster": bootstrap.describe(),
        "replicates": len(y_preds),
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
        "per_fold": per_fold_uars(y_true, y_preds, folds, n_labels),
        "n_intervals": int(n_total),
        "n_scored": _count(n_scored),
        "n_not_scored": _count(n_total - n_scored),
        "coverage": (n_scored / n_total) if n_total else float("nan"),
    }
    if len(y_preds) > 1:
        metrics["uar_replicates"] = [_num(u) for u in replicate_uars]
    return metrics


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
