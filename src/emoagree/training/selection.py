"""Model selection by grouped inner cross-validation, shared by the classic systems.

The classic models (``audio_svm``, ``audio_lr``, ``video_vggf_rf``) are cheap to fit, so
each chooses its settings the way ``GridSearchCV(cv=GroupKFold)`` does: the fold's
train+val intervals are dealt into inner folds by groups that mimic the outer split
(:func:`inner_cv_groups`: actors, sessions, else split units), every grid point
is fitted on the other inner folds and scored on the held-out one by UAR, and the point
with the best mean UAR wins. Ties go to the point listed first in the grid's order,
which each system states (always the simpler model first). The chosen setting is then
refitted on all of train+val. The test part is never seen.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

log = logging.getLogger(__name__)

#: How a setting was chosen (written into every model report).
INNER_CV, VALIDATION, FIRST_POINT = "inner_cv", "val", "first_grid_point"


def units_of(table: pd.DataFrame) -> np.ndarray:
    """The split unit of every interval: the ``unit`` column, else the interval itself."""
    if "unit" in table.columns:
        return table["unit"].astype(str).to_numpy()
    log.info("the level table has no 'unit' column: every interval is its own unit")
    return table["interval_id"].astype(str).to_numpy()


def uar_score(y_true: Sequence, y_pred: Sequence) -> float:
    """UAR as scikit-learn's ``balanced_accuracy`` scorer: mean recall over the classes
    present in ``y_true`` (what ``GridSearchCV(scoring="balanced_accuracy")`` maximises)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        return float(balanced_accuracy_score(np.asarray(y_true), np.asarray(y_pred)))


def grouped_splits(
    labels: Sequence, groups: Sequence, n_folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Inner folds over the units: ``StratifiedGroupKFold(shuffle=True, random_state=seed)``
    with ``min(n_folds, number of units)`` folds; no unit is on both sides of a split.
    When no class has as many members as folds (a tiny level), stratifying is impossible
    and ``GroupKFold(shuffle=True, random_state=seed)`` deals the units instead.

    Returns an empty list when fewer than two units (or ``n_folds < 2``) leave nothing to
    cross-validate. Splits with an empty side are dropped.
    """
    labels = np.asarray(labels, dtype=object)
    groups = np.asarray(groups, dtype=object)
    n_units = len(pd.unique(groups))
    k = min(int(n_folds), n_units)
    if k < 2:
        return []
    if k < n_folds:
        log.info("inner CV: %d folds requested, %d units: using %d folds", n_folds, n_units, k)
    largest_class = int(pd.Series(labels.astype(str)).value_counts().max())
    if largest_class < k:
        log.info("inner CV: no class has %d members: folds are not stratified", k)
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # small levels have classes with fewer members than folds: stratify as far as it goes
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        splits = list(splitter.split(np.zeros(len(labels)), labels.astype(str), groups))
    return [(train, test) for train, test in splits if len(train) and len(test)]


@dataclass
class Selection:
    """The outcome of a grid search: the chosen point and every point's scores."""

    chosen: Hashable
    method: str
    scores: dict = field(default_factory=dict)  # point -> list of per-fold UARs
    n_folds: int = 0

    def mean(self, point: Hashable) -> float:
        return float(np.mean(self.scores[point]))


def choose(grid: Sequence[Hashable], scores: dict) -> Hashable:
    """The grid point with the highest mean score; ties go to the earliest in ``grid``."""
    best, best_score = None, -np.inf
    for point in grid:
        score = float(np.mean(scores[point]))
        if score > best_score:  # strict: an equal score later in the grid never wins
            best, best_score = point, score
    return best


def select(
    grid: Sequence[Hashable],
    splits: list[tuple[np.ndarray, np.ndarray]],
    score_split: Callable[[np.ndarray, np.ndarray], dict],
    method: str,
) -> Selection:
    """Score every point on every split and choose.

    Args:
        grid: the points, in tie-break order.
        splits: (fit rows, score rows) pairs; empty: the first point, unscored.
        score_split: (fit rows, score rows) -> {point: UAR} for every point of ``grid``
            (one call per split, so a system can share work between points, e.g. one PCA).
        method: what the splits are (``INNER_CV`` or ``VALIDATION``), for the report.
    """
    if len(grid) == 0:
        raise ValueError("the settings grid is empty")
    if not splits:
        log.warning("nothing to validate on: the first grid point %s is used unchosen", grid[0])
        return Selection(grid[0], FIRST_POINT)
    scores: dict = {point: [] for point in grid}
    for fit_rows, score_rows in splits:
        for point, value in score_split(fit_rows, score_rows).items():
            scores[point].append(float(value))
    chosen = choose(grid, scores)
    return Selection(chosen, method, scores, len(splits))


#: Inner-CV groupings, coarsest first (:func:`inner_cv_groups`).
INNER_GROUPINGS = ("actor", "session", "unit")


@dataclass(frozen=True)
class InnerGroups:
    """The inner-CV group of every row of a fold's table, and why this grouping."""

    groups: np.ndarray
    kind: str  # one of INNER_GROUPINGS
    reason: str

    def report(self, rows: np.ndarray | None = None) -> dict:
        groups = self.groups if rows is None else self.groups[rows]
        return {"grouping": self.kind, "reason": self.reason, "n_groups": len(set(groups))}


def sessions_from_units(units: Sequence[str]) -> np.ndarray | None:
    """The session of every unit id that names one (``seg:<session>:<ms>``,
    ``ses:<session>``); ``None`` when any unit names none (recording, interval, actor)."""
    sessions = []
    for unit in units:
        kind, _, rest = str(unit).partition(":")
        if kind == "seg" and ":" in rest:
            sessions.append(rest.rsplit(":", 1)[0])
        elif kind == "ses" and rest:
            sessions.append(rest)
        else:
            return None
    return np.asarray(sessions, dtype=object)


def _nests(units: np.ndarray, sessions: np.ndarray) -> bool:
    """Whether every unit lies in one session."""
    frame = pd.DataFrame({"unit": units, "session": sessions})
    return bool((frame.groupby("unit")["session"].nunique() <= 1).all())


def inner_cv_groups(table: pd.DataFrame, strategy: str) -> InnerGroups:
    """The groups the classic models' inner CV keeps apart, mimicking the outer split.

    ``table`` is one fold's view of a level table (``split`` in train/val/test). In order:

    ``actor``
        when ``split.strategy`` is ``actor``, or when it is ``corpus`` and the given test
        part shares no actor with train + val (a speaker-independent given split): the
        test separates speakers, so the inner CV does too.
    ``session``
        when the units nest in sessions: the ``session`` column of the level table when
        present, else the session named by the unit ids (``seg:<session>:<ms>``,
        ``ses:<session>``). Units of one session share speakers, room and episode, and a
        model chosen on held-out units of a seen session is chosen optimistically.
    ``unit``
        otherwise (no session known, e.g. ``recording`` or ``interval`` units without a
        ``session`` column, or units that span sessions).

    A grouping that leaves fewer than two groups in train + val (nothing to
    cross-validate) gives way to the next finer one; the reason says so.
    """
    units = units_of(table)
    fit = table["split"].astype(str).isin(["train", "val"]).to_numpy()
    options: list[tuple[str, np.ndarray, str]] = []
    if "actor" in table.columns:
        actors = table["actor"].astype(str).to_numpy()
        if strategy == "actor":
            options.append(("actor", actors, "split.strategy actor holds out whole actors"))
        elif strategy == "corpus":
            test_actors = set(actors[table["split"].astype(str).to_numpy() == "test"])
            if test_actors and not test_actors & set(actors[fit]):
                options.append(
                    ("actor", actors, "the corpus's given test part shares no actor with "
                     "train and val")
                )
    if "session" in table.columns:
        sessions = table["session"].astype(str).to_numpy()
        source = "the level table's session column"
    else:
        sessions, source = sessions_from_units(units), "the sessions named by the unit ids"
    if sessions is None:
        fallback = "no session is known (no session column; the unit ids name none)"
    elif not _nests(units, sessions):
        fallback = f"the units do not nest in sessions ({source})"
    else:
        options.append(("session", sessions, f"the units nest in sessions ({source})"))
        fallback = "finest grouping"
    options.append(("unit", units, f"split units: {fallback}"))
    skipped = []
    for number, (kind, groups, reason) in enumerate(options):
        n = len(set(groups[fit]))
        if n < 2 and number < len(options) - 1:  # the units are the last resort
            skipped.append(f"not {kind}: {reason}, but only {n} in train + val")
            continue
        if skipped:
            reason += f" ({'; '.join(skipped)})"
        log.info("inner CV groups: %s (%d in train + val): %s", kind, n, reason)
        return InnerGroups(np.asarray(groups, dtype=object), kind, reason)
    raise ValueError("no inner-CV grouping")  # options always end with the units
