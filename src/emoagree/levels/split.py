"""Train/val/test split and cross-validation folds, fixed once on level-1 split units.

The split is made on the level-1 intervals (before any per-level minimum-duration filter),
grouped into *split units* (:mod:`emoagree.levels.units`: ``segment`` by default, whose
segments of one session closer than ``split.guard_s`` are one unit, or ``recording``,
``session``, ``interval``; ``actor`` with ``strategy: actor``). Whole units
go to one part or fold, and every level-k interval inherits the ``split``, ``unit`` and
``fold`` of the level-1 interval that contains it (same recording and emotion), so a
stretch of time is in the same part at every level and, with segments, for every emotion
and every view of its session.

Each unit has a stratum: ``<scenario> x <emotion>``, the scenario and emotion with the
most level-1 time in the unit (ties: the first name in sorted order).

Folds and repeats (``split.folds: K``, ``split.repeats: R``) and the parts each fold sees
are described in :mod:`emoagree.levels.folds`; with K >= 3 the units are dealt into folds
(:func:`deal_folds`), R times with the seeds of :func:`repeat_seed`.

The parts of a one-fold split, per ``split.strategy`` (stratified, actor, corpus), are
made in :mod:`emoagree.levels.parts`.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from emoagree.constants import DEFAULT_GUARD_S, SPLIT_UNITS
from emoagree.contracts.levels import INTERVAL_COLUMNS
from emoagree.levels.build import agreement_intervals, attach_recordings, interval_ids
from emoagree.levels.folds import check_folds, check_repeats, fold_column, split_counts
from emoagree.levels.parts import (
    given_parts,
    held_out_parts,
    sessions_within_parts,
    shuffled_units,
)
from emoagree.levels.units import unit_ids, unit_table
from emoagree.plan.protocol import describe_protocol  # noqa: F401 (the one description)

log = logging.getLogger(__name__)

STRATEGIES = ("stratified", "actor", "corpus")


def repeat_seed(seed: int, repeat: int) -> int:
    """The seed that deals repeat ``repeat``'s folds: the split seed for repeat 0, else a
    32-bit hash of (seed, repeat), so no repeat shares its draws with another seed's."""
    repeat = int(repeat)
    if repeat == 0:
        return int(seed)
    return zlib.crc32(f"split seed {int(seed)} repeat {repeat}".encode())


def deal_folds(units: pd.DataFrame, folds: int, seed: int, kind: str = "split") -> pd.Series:
    """Deal the units into ``folds`` folds, grouped and stratified: ``unit -> fold``.

    Strata are taken largest first (ties by name); a stratum's units are sorted by id and
    shuffled with a generator seeded by ``seed`` and the stratum. Each unit goes to the
    fold with, in this order, the fewest units of its stratum, the fewest level-1
    intervals, the fewest units, the lowest number. So every stratum's units are spread
    evenly (counts differ by at most 1 between folds), small strata never fail, and while
    a fold is empty the next unit goes there (no fold is empty).

    Args:
        units: :func:`~emoagree.levels.units.unit_table` (``stratum``, ``n_intervals``).
        folds: K >= 3.
        seed: the split seed.
        kind: the unit kind, for the error message.

    Raises:
        ValueError: fewer units than folds.
    """
    if len(units) < folds:
        raise ValueError(
            f"split.folds: {folds} needs at least {folds} split units (one per fold), but the "
            f"corpus has {len(units)} {kind} unit(s) holding {int(units['n_intervals'].sum())} "
            f"level-1 intervals; lower split.folds or choose a finer split.unit"
        )
    sizes = units["stratum"].value_counts()
    strata = sorted(sizes.index, key=lambda s: (-sizes[s], s))
    fold_of = pd.Series(-1, index=units.index, dtype=int)
    load = np.zeros(folds, dtype=int)
    count = np.zeros(folds, dtype=int)
    for stratum in strata:
        own = np.zeros(folds, dtype=int)
        for unit in shuffled_units(units[units["stratum"] == stratum], seed, f"fold {stratum}"):
            # lexsort: the last key is the primary one
            fold = int(np.lexsort((np.arange(folds), count, load, own))[0])
            fold_of[unit] = fold
            own[fold] += 1
            load[fold] += int(units.at[unit, "n_intervals"])
            count[fold] += 1
    return fold_of.sort_index()


def _checked_settings(
    strategy: str,
    unit: str,
    folds: int,
    repeats: int,
    test_fraction: float,
    val_fraction: float,
) -> tuple[int, int]:
    """``(folds, repeats)`` as ints, after checking every split setting (ValueError)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown split strategy {strategy!r}; choose one of {STRATEGIES}")
    if unit not in SPLIT_UNITS:
        raise ValueError(f"unknown split unit {unit!r}; choose one of {', '.join(SPLIT_UNITS)}")
    folds = check_folds(folds)
    repeats = check_repeats(repeats, folds)
    if strategy == "corpus" and folds != 1:
        raise ValueError(
            f"split strategy 'corpus' uses the corpus's own split, one fold; got folds={folds}"
        )
    if not 0 < test_fraction < 1 or not 0 <= val_fraction < 1:
        raise ValueError(
            f"split fractions out of range: test_fraction={test_fraction} must be in (0, 1), "
            f"val_fraction={val_fraction} in [0, 1)"
        )
    return folds, repeats


def _deal_repeats(
    intervals: pd.DataFrame,
    units: pd.DataFrame,
    folds: int,
    repeats: int,
    seed: int,
    kind: str,
) -> None:
    """Deal the units into K folds once per repeat; sets ``fold``, ``split`` (``test``) and
    the repeat columns of ``intervals`` in place."""
    fold_of = deal_folds(units, folds, seed, kind)
    intervals["fold"] = intervals["unit"].map(fold_of).astype(int)
    intervals["split"] = "test"
    dealt = [fold_of]
    for repeat in range(1, repeats):
        fold_of = deal_folds(units, folds, repeat_seed(seed, repeat), kind)
        _warn_same_partition(fold_of, dealt, repeat)
        dealt.append(fold_of)
        intervals[fold_column(repeat)] = intervals["unit"].map(fold_of).astype(int) + repeat * folds


def make_split(
    annotations: pd.DataFrame,
    recordings: pd.DataFrame,
    emotions: Sequence[str],
    strategy: str,
    test_fraction: float,
    val_fraction: float,
    seed: int,
    *,
    unit: str = "segment",
    folds: int = 1,
    guard_s: float = DEFAULT_GUARD_S,
    repeats: int = 1,
) -> pd.DataFrame:
    """Split the level-1 intervals (no minimum-duration filter) by units, into parts or folds.

    Args:
        annotations: raw marks.
        recordings: the recordings table (``recording, actor, scenario``, optionally
            ``session`` and, for ``strategy: corpus``, ``split``).
        emotions: kept emotion categories.
        strategy: stratified, actor or corpus (see the module docstring).
        test_fraction, val_fraction: the held-out shares of units (``folds == 1`` only).
        seed: the split seed.
        unit: the split unit (segment, recording, session, interval).
        folds: K; 1 or at least 3 (``strategy: corpus`` needs 1).
        guard_s: segments of one session closer than this (seconds) are one unit
            (``unit: segment`` only; config ``split.guard_s``).
        repeats: R (``split.repeats``): the units are dealt into K folds R times (the
            same units, so the guard holds in every repeat), repeat r with
            :func:`repeat_seed`; ``R > 1`` needs ``K >= 3``.

    Returns:
        The level-1 intervals in the columns of ``INTERVAL_COLUMNS`` (``level`` = 1):
        with one fold ``split`` in train/val/test and ``fold`` 0; with K folds ``split``
        ``test`` and ``fold`` the fold that tests the interval; with R > 1 repeats also
        ``fold_r1 .. fold_r<R-1>`` (global fold ids ``r * K + f``,
        :func:`emoagree.levels.folds.fold_column`).
    """
    folds, repeats = _checked_settings(strategy, unit, folds, repeats, test_fraction, val_fraction)
    intervals = attach_recordings(agreement_intervals(annotations, 1, emotions), recordings)
    intervals["interval_id"] = interval_ids(intervals)
    given = given_parts(intervals, recordings) if strategy == "corpus" else None
    grouping = intervals
    if given is not None:
        grouping = intervals.assign(session=sessions_within_parts(intervals, given))
    kind = "actor" if strategy == "actor" else unit
    intervals["unit"] = unit_ids(grouping, kind, guard_s)
    intervals["fold"] = 0
    units = unit_table(intervals)
    if intervals.empty:
        intervals["split"] = pd.Series(dtype=str)
    elif folds >= 3:
        _deal_repeats(intervals, units, folds, repeats, seed, kind)
    else:
        intervals["split"] = held_out_parts(
            intervals, units, given, strategy, test_fraction, val_fraction, seed, unit, guard_s
        )
    intervals["split"] = intervals["split"].astype(str)
    intervals["fold"] = intervals["fold"].astype(int)
    _log_split(intervals, strategy, kind, folds, val_fraction)
    columns = [*INTERVAL_COLUMNS, *(fold_column(r) for r in range(1, repeats))]
    return intervals[columns].reset_index(drop=True)


def _partition(fold_of: pd.Series) -> frozenset:
    """The folds of ``unit -> fold`` as a set of unit sets (fold numbers ignored)."""
    return frozenset(frozenset(group.index) for _, group in fold_of.groupby(fold_of))


def _warn_same_partition(fold_of: pd.Series, earlier: Sequence[pd.Series], repeat: int) -> None:
    """Log a warning when repeat ``repeat`` dealt the units as an earlier repeat did (too
    few units per stratum to deal them differently: the repeat adds no split variance)."""
    mine = _partition(fold_of)
    same = [r for r, other in enumerate(earlier) if _partition(other) == mine]
    if same:
        log.warning(
            "split repeat %d deals the units into the same folds as repeat %d (too few units "
            "to deal them otherwise): it adds models but no split variance",
            repeat,
            same[0],
        )


def _log_split(
    intervals: pd.DataFrame, strategy: str, kind: str, folds: int, val_fraction: float
) -> None:
    n_units = intervals["unit"].nunique()
    if folds >= 3:
        per_fold = intervals.groupby("fold").agg(
            units=("unit", "nunique"), intervals=("unit", "size")
        )
        log.info(
            "split (%s, unit %s) of %d level-1 intervals in %d units into %d folds: %s",
            strategy,
            kind,
            len(intervals),
            n_units,
            folds,
            per_fold.to_dict("index"),
        )
        return
    counts = split_counts(intervals)
    log.info(
        "split (%s, unit %s) of %d level-1 intervals in %d units: %s",
        strategy,
        kind,
        len(intervals),
        n_units,
        counts,
    )
    for part in ("val", "test"):
        if counts[part] == 0 and not (part == "val" and val_fraction == 0):
            log.warning("the %s part is empty: the corpus is too small to fill it", part)
