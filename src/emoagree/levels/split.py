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

Folds (config ``split.folds: K``, see :func:`n_folds`):

``K >= 3`` (default 5)
    The units are dealt into K folds (:func:`deal_folds`); every interval is tested once,
    in fold ``fold``, and its ``split`` column is ``test``. The parts of fold f come only
    from :func:`fold_view`: test = fold f, val = fold (f + 1) % K, train = the rest.
    ``test_fraction`` and ``val_fraction`` are not used.
``K == 1``
    One held-out test part, ``split`` in train/val/test and ``fold`` 0 everywhere.
``K == 2``
    Refused: the validation fold of fold f would be the other fold, leaving no training
    part.

Repeats (config ``split.repeats: R``, default 1, ``K >= 3`` only; see :func:`n_repeats`):
the units are dealt into K folds R times, repeat r with the seed :func:`repeat_seed`
(repeat 0 with the split seed itself, so ``R = 1`` is the plain K-fold split). Folds have
global ids ``g = r * K + f`` (:func:`global_folds`): repeat 0's are 0..K-1 and keep their
column (``fold``) and paths; repeat r >= 1 adds the column ``fold_r<r>`` holding the
global id of the fold that tests the interval in that repeat (:func:`fold_column`). Fold
``g``'s parts are those of fold ``f = g % K`` within repeat ``g // K``. A cell pools every
repeat: each interval is predicted once per repeat (:func:`pool_folds`).

Strategies (config ``split.strategy``) with ``K == 1``:

``stratified`` (default, as in the paper)
    Each stratum's units are shuffled with a generator seeded by the seed and the
    stratum's name (so adding a stratum does not reshuffle the others), and the first
    ``n_test`` go to test:

    - a stratum of 1 unit goes to train;
    - a stratum of n >= 2 units gives ``n_test = round(n * test_fraction)`` clamped to
      ``[1, n - 1]`` units to test, so every stratum that can be split is represented in
      both train and test (small corpora thus get a test share above ``test_fraction``).

    Validation is then carved from what is left, stratified the same way (*val carve*).
    With ``unit: interval`` this is exactly the paper's per-interval split.

``actor``
    Speaker-independent: the units are actors (``actor:<actor>``) and ``split.unit`` only
    sizes the fallback val carve. The actors with intervals are shuffled (seeded) and
    ``round(A * test_fraction)`` clamped to ``[1, A - 1]`` of them go to test (at least 2
    actors are needed). Of the remaining R actors, ``round(R * val_fraction)`` become
    validation actors when that is between 1 and R - 1; otherwise (too few actors)
    validation is a stratified carve of the train actors' ``split.unit`` units. In a
    dyadic corpus a held-out actor's voice can still be heard as crosstalk in the
    partner's recordings (the two views of a session are in different parts).
    With ``K >= 3`` the actors are dealt into folds like any other unit.

``corpus``
    The corpus's own partition: the ``split`` column of ``recordings.csv`` (train, val or
    test per recording) is used as given, always with one fold. Units are formed inside
    each part: the views of a session that the corpus put in different parts are split
    by recording (logged, since such a session shares its clock across parts). Only when
    no recording is ``val`` is validation carved from train by units (stratified).

Val carve: from the train units of each stratum, ``round(N * val_fraction)`` units in
total (N: all train units) are taken, shared among strata by largest remainder (ties by
stratum name), never taking a stratum's last train unit. ``val_fraction: 0`` gives no
validation part.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from emoagree.constants import (
    DEFAULT_FOLDS,
    DEFAULT_GUARD_S,
    INTERVAL_COLUMNS,
    SPLIT_UNITS,
    SPLITS,
)
from emoagree.levels.build import agreement_intervals, interval_ids, union_of_marks
from emoagree.levels.units import sessions_of, unit_ids, unit_table

log = logging.getLogger(__name__)

STRATEGIES = ("stratified", "actor", "corpus")

#: Tolerance (seconds) for a level-k interval to lie inside its level-1 interval; times pass
#: through csv files between the rules.
CONTAINMENT_TOLERANCE_S = 1e-6


def check_folds(folds: int) -> int:
    """``folds`` as an int; 1 or at least 3, else a ValueError that says why."""
    k = int(folds)
    if k == 2:
        raise ValueError(
            "split.folds: 2 is refused: validation of fold f is fold (f + 1) % K, which with "
            "two folds is the other fold and leaves no training part; use 1 or at least 3"
        )
    if k < 1:
        raise ValueError(f"split.folds must be 1 or at least 3, not {k}")
    return k


def n_folds(split_config: Mapping[str, Any]) -> int:
    """The number of folds of a ``split`` config section.

    ``strategy: corpus`` always gives 1 (the corpus's own partition); otherwise
    ``folds`` (default :data:`~emoagree.constants.DEFAULT_FOLDS`), checked by
    :func:`check_folds`.
    """
    if split_config.get("strategy", "stratified") == "corpus":
        return 1
    return check_folds(split_config.get("folds", DEFAULT_FOLDS))


#: The first repeat column's name prefix: ``fold_r<r>`` holds repeat r's global fold id.
REPEAT_COLUMN_PREFIX = "fold_r"


def check_repeats(repeats: int, folds: int) -> int:
    """``repeats`` as an int; at least 1, and 1 unless there are K >= 3 folds."""
    r = int(repeats)
    if r < 1:
        raise ValueError(f"split.repeats must be at least 1, not {r}")
    if r > 1 and int(folds) < 3:
        raise ValueError(
            f"split.repeats: {r} needs split.folds >= 3 (and a strategy other than corpus): "
            "a repeat re-deals the units into K folds so that every interval is tested once "
            "per repeat; with one held-out part most intervals would never be tested"
        )
    return r


def n_repeats(split_config: Mapping[str, Any]) -> int:
    """The number of repeats R of a ``split`` config section (default 1), checked against
    its folds (:func:`check_repeats`)."""
    return check_repeats(split_config.get("repeats", 1), n_folds(split_config))


def repeat_seed(seed: int, repeat: int) -> int:
    """The seed that deals repeat ``repeat``'s folds: the split seed for repeat 0, else a
    32-bit hash of (seed, repeat), so no repeat shares its draws with another seed's."""
    repeat = int(repeat)
    if repeat == 0:
        return int(seed)
    return zlib.crc32(f"split seed {int(seed)} repeat {repeat}".encode())


def fold_column(repeat: int) -> str:
    """The column holding each interval's test fold in repeat ``repeat``: ``fold`` for
    repeat 0 (fold f), ``fold_r<r>`` for repeat r >= 1 (global id r * K + f)."""
    return "fold" if int(repeat) == 0 else f"{REPEAT_COLUMN_PREFIX}{int(repeat)}"


def repeat_columns(columns: Sequence[str]) -> list[str]:
    """The repeat columns ``fold_r1, fold_r2, ...`` among ``columns``, in repeat order;
    they must run from 1 without a gap."""
    found = sorted(
        int(c[len(REPEAT_COLUMN_PREFIX) :])
        for c in columns
        if c.startswith(REPEAT_COLUMN_PREFIX) and c[len(REPEAT_COLUMN_PREFIX) :].isdigit()
    )
    if found != list(range(1, len(found) + 1)):
        raise ValueError(f"repeat columns {found} do not run 1..{len(found)} without a gap")
    return [fold_column(r) for r in found]


def table_repeats(table: pd.DataFrame | Sequence[str]) -> int:
    """R of an interval table (or of its column names): 1 + its repeat columns."""
    columns = table.columns if isinstance(table, pd.DataFrame) else table
    return 1 + len(repeat_columns(list(columns)))


def global_folds(n_folds: int, repeats: int = 1) -> list[int]:
    """Every fold of every repeat, by global id ``r * K + f``: ``range(R * K)``."""
    return list(range(int(repeats) * int(n_folds)))


def describe_protocol(strategy: str, unit: str, folds: int, repeats: int = 1) -> str:
    """One line for tables and reports: how the data were split (and whether it leaks)."""
    folds = int(folds)
    if strategy == "corpus":
        where = "the corpus's own split per recording, one held-out test part"
    elif folds == 1:
        where = "one held-out test part"
    else:
        where = f"{folds}-fold cross-validation, val = the next fold, every interval tested once"
        if int(repeats) > 1:
            where = (
                f"{folds}-fold cross-validation repeated {int(repeats)} times with different "
                f"seeds, val = the next fold, every interval tested once per repeat"
            )
    kind = "actor (speaker-independent)" if strategy == "actor" else unit
    text = f"split unit: {kind}; {where}"
    if strategy != "actor" and unit == "interval":
        text += (
            "; unit interval is the paper's protocol and LEAKS: intervals of different "
            "emotions overlap in time, so test time can also be train time"
        )
    return text


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def _rng(seed: int, key: str) -> np.random.Generator:
    """A generator for one named choice, independent of every other choice's draws."""
    # masked so that any integer seed (negative ones too) is a valid entropy word
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(key.encode("utf-8"))])


def n_test_for_stratum(n: int, test_fraction: float) -> int:
    """How many of a stratum's ``n`` units go to test (the small-strata rule)."""
    if n < 2:
        return 0
    return min(n - 1, max(1, _round_half_up(n * test_fraction)))


def _shuffled(units: pd.DataFrame, seed: int, key: str) -> pd.Index:
    """The units (rows indexed by unit id) in a seeded order that depends only on ``key``."""
    ordered = units.sort_index().index
    return ordered[_rng(seed, key).permutation(len(ordered))]


def _carve_val(units: pd.DataFrame, part: pd.Series, val_fraction: float, seed: int) -> pd.Series:
    """Move a stratified ``val_fraction`` of the train units to val (largest remainder)."""
    part = part.copy()
    train = units[part == "train"]
    if val_fraction <= 0 or train.empty:
        return part
    keys = train["stratum"]
    sizes = keys.value_counts().sort_index()
    quota = sizes.astype(float) * val_fraction
    capacity = sizes - 1
    counts = np.minimum(np.floor(quota).astype(int), capacity)
    target = _round_half_up(len(train) * val_fraction)
    remainder = (quota - np.floor(quota)).to_frame("frac")
    remainder["key"] = remainder.index
    for key in remainder.sort_values(["frac", "key"], ascending=[False, True])["key"]:
        if counts.sum() >= target:
            break
        if counts[key] < capacity[key]:
            counts[key] += 1
    for key, count in counts.items():
        if count > 0:
            members = _shuffled(train[keys == key], seed, f"val {key}")
            part.loc[members[:count]] = "val"
    return part


def _stratified_parts(
    units: pd.DataFrame, test_fraction: float, val_fraction: float, seed: int
) -> pd.Series:
    """``unit -> train/val/test`` by the small-strata rule and the val carve."""
    part = pd.Series("train", index=units.index, dtype=object)
    for key in sorted(units["stratum"].unique()):
        members = _shuffled(units[units["stratum"] == key], seed, f"test {key}")
        part.loc[members[: n_test_for_stratum(len(members), test_fraction)]] = "test"
    return _carve_val(units, part, val_fraction, seed)


def _carve_val_by_units(
    intervals: pd.DataFrame,
    split: pd.Series,
    unit: str,
    val_fraction: float,
    seed: int,
    guard_s: float = 0.0,
) -> pd.Series:
    """Carve val from the train intervals by their ``unit`` units (stratified)."""
    train = intervals[split == "train"]
    if train.empty or val_fraction <= 0:
        return split
    train = train.assign(unit=unit_ids(train, unit, guard_s))
    units = unit_table(train)
    part = _carve_val(
        units, pd.Series("train", index=units.index, dtype=object), val_fraction, seed
    )
    split = split.copy()
    split.loc[train.index] = train["unit"].map(part).to_numpy()
    return split


def _actor_parts(
    intervals: pd.DataFrame,
    test_fraction: float,
    val_fraction: float,
    seed: int,
    unit: str,
    guard_s: float = 0.0,
) -> pd.Series:
    """Per interval train/val/test with whole actors held out (one fold)."""
    actors = np.array(sorted(intervals["actor"].astype(str).unique()))
    actors = actors[_rng(seed, "actor").permutation(len(actors))]
    n_test = min(len(actors) - 1, max(1, _round_half_up(len(actors) * test_fraction)))
    test_actors, rest = list(actors[:n_test]), list(actors[n_test:])
    n_val = _round_half_up(len(rest) * val_fraction)
    val_actors = list(rest[:n_val]) if val_fraction > 0 and 1 <= n_val <= len(rest) - 1 else []
    actor = intervals["actor"].astype(str)
    split = pd.Series("train", index=intervals.index, dtype=object)
    split[actor.isin(test_actors)] = "test"
    split[actor.isin(val_actors)] = "val"
    log.info(
        "actor split: test actors %s, val actors %s",
        sorted(test_actors),
        sorted(val_actors) or f"(none: validation carved from train actors by {unit})",
    )
    if not val_actors:
        split = _carve_val_by_units(intervals, split, unit, val_fraction, seed, guard_s)
    return split


def _given_parts(intervals: pd.DataFrame, recordings: pd.DataFrame) -> pd.Series:
    """The corpus's own part of every interval (its recording's ``split``), checked."""
    if "split" not in recordings.columns:
        raise ValueError(
            "split strategy 'corpus' needs a 'split' column in recordings.csv (train, val or "
            "test per recording); this corpus has none. Use split.strategy: stratified."
        )
    given = recordings["split"].astype(object).where(recordings["split"].notna(), "")
    given = given.astype(str).str.strip()
    bad = ~given.isin(SPLITS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"recordings.csv row {row + 2} (recording {recordings['recording'].iloc[row]}): "
            f"split {given.iloc[row]!r} is not one of {', '.join(SPLITS)}"
        )
    by_recording = dict(zip(recordings["recording"].astype(str), given, strict=True))
    return intervals["recording"].astype(str).map(by_recording).astype(object)


def _sessions_within_parts(intervals: pd.DataFrame, given: pd.Series) -> pd.Series:
    """Sessions, with those that the given split cuts across parts replaced by recordings."""
    cut = given.groupby(intervals["session"]).nunique()
    cut = sorted(cut[cut > 1].index)
    if cut:
        log.warning(
            "the corpus's split puts views of %d session(s) in different parts (e.g. %s): "
            "they share a clock, so time can be in train and test; units of these views "
            "are formed per recording",
            len(cut),
            cut[:3],
        )
    return intervals["session"].where(~intervals["session"].isin(cut), intervals["recording"])


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
        for unit in _shuffled(units[units["stratum"] == stratum], seed, f"fold {stratum}"):
            # lexsort: the last key is the primary one
            fold = int(np.lexsort((np.arange(folds), count, load, own))[0])
            fold_of[unit] = fold
            own[fold] += 1
            load[fold] += int(units.at[unit, "n_intervals"])
            count[fold] += 1
    return fold_of.sort_index()


def attach_recordings(intervals: pd.DataFrame, recordings: pd.DataFrame) -> pd.DataFrame:
    """Add ``actor``, ``scenario`` and ``session`` from the recordings table.

    ``session`` is the recordings' ``session`` column where given, else the recording.
    Unknown recordings fail.
    """
    info = recordings.assign(recording=recordings["recording"].astype(str))
    info = info.set_index("recording")[["actor", "scenario"]].astype(str)
    info["session"] = sessions_of(recordings)
    unknown = sorted(set(intervals["recording"]) - set(info.index))
    if unknown:
        raise ValueError(f"annotations name recordings missing from recordings.csv: {unknown[:5]}")
    return intervals.join(info, on="recording")


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
        ``fold_r1 .. fold_r<R-1>`` (global fold ids ``r * K + f``, :func:`fold_column`).
    """
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
    intervals = attach_recordings(agreement_intervals(annotations, 1, emotions), recordings)
    intervals["interval_id"] = interval_ids(intervals)
    given = _given_parts(intervals, recordings) if strategy == "corpus" else None
    grouping = intervals
    if given is not None:
        grouping = intervals.assign(session=_sessions_within_parts(intervals, given))
    kind = "actor" if strategy == "actor" else unit
    intervals["unit"] = unit_ids(grouping, kind, guard_s)
    intervals["fold"] = 0
    units = unit_table(intervals)
    if intervals.empty:
        intervals["split"] = pd.Series(dtype=str)
    elif folds >= 3:
        fold_of = deal_folds(units, folds, seed, kind)
        intervals["fold"] = intervals["unit"].map(fold_of).astype(int)
        intervals["split"] = "test"
        dealt = [fold_of]
        for repeat in range(1, repeats):
            fold_of = deal_folds(units, folds, repeat_seed(seed, repeat), kind)
            _warn_same_partition(fold_of, dealt, repeat)
            dealt.append(fold_of)
            intervals[fold_column(repeat)] = (
                intervals["unit"].map(fold_of).astype(int) + repeat * folds
            )
    elif strategy == "stratified":
        parts = _stratified_parts(units, test_fraction, val_fraction, seed)
        intervals["split"] = intervals["unit"].map(parts)
    elif strategy == "actor":
        if len(units) < 2:
            raise ValueError(
                f"split strategy 'actor' holds out whole actors and needs at least 2 actors "
                f"with intervals; the corpus has {len(units)} "
                f"({', '.join(u.split(':', 1)[1] for u in units.index) or 'none'}). Use "
                f"split.strategy: stratified for this corpus."
            )
        intervals["split"] = _actor_parts(
            intervals, test_fraction, val_fraction, seed, unit, guard_s
        )
    else:
        intervals["split"] = given
        if "val" not in set(given):
            log.info("the corpus's partition has no val part: carving val from its train part")
            parts = _carve_val(
                units, intervals.groupby("unit")["split"].first(), val_fraction, seed
            )
            intervals["split"] = intervals["unit"].map(parts)
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


def level_table(
    annotations: pd.DataFrame,
    recordings: pd.DataFrame,
    level: int,
    split_table: pd.DataFrame,
    emotions: Sequence[str],
    min_duration_s: float = 0.0,
) -> pd.DataFrame:
    """Level-``level`` intervals with ``split``, ``unit`` and ``fold`` of their level-1 interval.

    Args:
        annotations: raw marks (``recording, annotator, emotion, start_s, end_s``).
        recordings: the recordings table (``recording, actor, scenario, ...``).
        level: the agreement level k.
        split_table: the output of :func:`make_split`.
        emotions: kept emotion categories.
        min_duration_s: intervals shorter than this are dropped (after the split is
            inherited, so the split never depends on this setting).

    Returns:
        Columns ``INTERVAL_COLUMNS`` (and the split table's repeat columns ``fold_r<r>``),
        sorted by recording, emotion and start.

    Raises:
        ValueError: a level-k interval lies in no level-1 interval of ``split_table`` (the
            split was made from other annotations).
    """
    intervals = attach_recordings(agreement_intervals(annotations, level, emotions), recordings)
    repeated = repeat_columns(list(split_table.columns))
    inherited = ["split", "unit", "fold", *repeated]
    parents = (
        split_table[["recording", "emotion", "start_s", "end_s", *inherited]]
        .rename(columns={"start_s": "parent_start_s", "end_s": "parent_end_s"})
        .astype({"recording": str, "emotion": str, "parent_start_s": float, "parent_end_s": float})
    )
    if intervals.empty:
        intervals = intervals.assign(
            split=pd.Series(dtype=str),
            unit=pd.Series(dtype=str),
            fold=pd.Series(dtype=int),
            **{column: pd.Series(dtype=int) for column in repeated},
        )
    else:
        probe = intervals.assign(_probe=intervals["start_s"] + CONTAINMENT_TOLERANCE_S)
        matched = pd.merge_asof(
            probe.sort_values("_probe"),
            parents.sort_values("parent_start_s"),
            left_on="_probe",
            right_on="parent_start_s",
            by=["recording", "emotion"],
            direction="backward",
        ).sort_values(["recording", "emotion", "start_s"], ignore_index=True)
        inside = matched["parent_end_s"].notna() & (
            matched["end_s"] <= matched["parent_end_s"] + CONTAINMENT_TOLERANCE_S
        )
        if not inside.all():
            row = matched[~inside].iloc[0]
            raise ValueError(
                f"level {level} interval {row['recording']} {row['emotion']} "
                f"{row['start_s']:.3f}-{row['end_s']:.3f} s lies in no level-1 interval of "
                f"the split table: the split was made from other annotations; rerun the split"
            )
        intervals = matched.drop(columns=["_probe", "parent_start_s", "parent_end_s"])
    kept = intervals[intervals["duration_s"] >= float(min_duration_s)].copy()
    if len(kept) < len(intervals):
        log.info(
            "level %s: dropped %d of %d intervals shorter than %.3f s",
            level,
            len(intervals) - len(kept),
            len(intervals),
            min_duration_s,
        )
    kept["interval_id"] = interval_ids(kept)
    kept = kept.astype({"split": str, "unit": str, "fold": int, **dict.fromkeys(repeated, int)})
    return kept[[*INTERVAL_COLUMNS, *repeated]].reset_index(drop=True)


def split_counts(table: pd.DataFrame) -> Mapping[str, int]:
    """Number of intervals per part, every part present."""
    counts = table["split"].value_counts()
    return {part: int(counts.get(part, 0)) for part in SPLITS}


def mean_part_counts(table: pd.DataFrame, folds: int, by: Sequence[str] = ()) -> pd.Series:
    """Intervals per part (and per ``by`` columns), as the mean over the ``folds`` folds.

    Each fold's parts come from :func:`fold_view`; with one fold these are the table's own
    counts. Every part in ``SPLITS`` is present (0 where empty). With K folds the three
    means add up to the number of intervals (every fold sees every interval once); with
    split repeats the mean runs over every fold of every repeat.

    Returns:
        Floats indexed by ``split`` (then the ``by`` columns).
    """
    folds = check_folds(folds)
    keys = ["split", *by]
    if table.empty:
        mean = pd.Series(dtype=float)
    else:
        every = global_folds(folds, table_repeats(table) if folds >= 3 else 1)
        counts = [fold_view(table, fold, folds).groupby(keys).size() for fold in every]
        mean = pd.concat(counts, axis=1).fillna(0).mean(axis=1)
    if not by:
        return mean.reindex(list(SPLITS), fill_value=0.0).astype(float).rename_axis("split")
    return mean.astype(float)


def _shared_seconds(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Seconds shared by two sorted lists of disjoint stretches."""
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0.0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _smallest_gap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Seconds between the closest stretches of ``a`` and ``b`` (0 where they meet or
    overlap); NaN when either list is empty."""
    if not a or not b:
        return math.nan
    first, second = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    apart = np.maximum(
        first[:, None, 0] - second[None, :, 1], second[None, :, 0] - first[:, None, 1]
    )
    return float(np.maximum(apart, 0.0).min())


def _stretches(intervals: pd.DataFrame) -> list[tuple[float, float]]:
    """The union of the intervals' ``(start_s, end_s)``, sorted and disjoint."""
    return union_of_marks(zip(intervals["start_s"], intervals["end_s"], strict=True))


def cross_part_overlap(
    level_tables: Sequence[pd.DataFrame] | Mapping[int, pd.DataFrame],
    folds: int,
    sessions: Mapping[str, str] | pd.Series | None = None,
) -> pd.DataFrame:
    """Per fold, the seconds of test time that also lie in train or val intervals, and how
    close test time comes to train or val time.

    For every fold f (the parts of :func:`fold_view`), the test intervals of all levels and
    emotions and the train + val intervals of all levels and emotions are each merged into
    their union per session (all views of a session share one clock), and the time the two
    unions share is summed over sessions. A split that cannot leak gives 0.0 s in every
    fold. The smallest gap is the shortest distance in time between a test stretch and a
    train or val stretch of the same session (0 where they touch or overlap), over all
    sessions; with segment units it is at least ``split.guard_s``. With split repeats
    every fold of every repeat is checked (one row per global fold id ``r * K + f``).

    Args:
        level_tables: the level tables (any levels), with ``recording, start_s, end_s,
            split`` and, for ``folds >= 3``, ``fold``.
        folds: K.
        sessions: ``recording -> session`` (:func:`~emoagree.levels.units.sessions_of`); by
            default the tables' ``session`` column, else every recording is its own session.

    Returns:
        One row per fold: ``fold``, ``test_s`` (test time, union), ``overlap_s`` (of it,
        the time inside train or val intervals), ``min_gap_s`` (the smallest gap; NaN when
        no session holds both test and train or val time).
    """
    tables = (
        list(level_tables.values()) if isinstance(level_tables, Mapping) else list(level_tables)
    )
    combined = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    recording = combined["recording"].astype(str) if len(combined) else pd.Series(dtype=str)
    if sessions is not None:
        session = recording.map(dict(sessions))
    elif "session" in combined.columns:
        session = combined["session"].astype(object).where(combined["session"].notna())
    else:
        session = recording
    combined = combined.assign(_session=session.fillna(recording))
    rows = []
    folds = check_folds(folds)
    repeats = table_repeats(combined) if folds >= 3 else 1
    for fold in global_folds(folds, repeats):
        view = fold_view(combined, fold, folds) if len(combined) else combined
        test_s = overlap_s = 0.0
        gaps = []
        for _, group in view.groupby("_session", sort=True):
            is_test = group["split"] == "test"
            tested = _stretches(group[is_test])
            others = _stretches(group[~is_test])
            test_s += sum(end - start for start, end in tested)
            overlap_s += _shared_seconds(tested, others)
            gaps.append(_smallest_gap(tested, others))
        known = [gap for gap in gaps if not math.isnan(gap)]
        rows.append(
            {
                "fold": fold,
                "test_s": test_s,
                "overlap_s": overlap_s,
                "min_gap_s": min(known) if known else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=["fold", "test_s", "overlap_s", "min_gap_s"])


def overlap_summary(
    level_tables: Sequence[pd.DataFrame] | Mapping[int, pd.DataFrame],
    folds: int,
    sessions: Mapping[str, str] | pd.Series | None = None,
    *,
    strategy: str,
    unit: str,
    guard_s: float | None = None,
) -> dict[str, Any]:
    """:func:`cross_part_overlap` as a JSON-ready record (seconds rounded to microseconds).

    Keys: ``strategy``, ``unit``, ``folds``, ``guard_s`` (``split.guard_s``; it acts on
    segment units only), ``protocol`` (:func:`describe_protocol`), ``test_s`` and
    ``overlap_s`` summed over folds, ``min_gap_s`` (the smallest gap between test and
    train or val time within one session over all folds; None when no fold has one), and
    ``per_fold`` (one record per fold: ``fold, test_s, overlap_s, min_gap_s``). With
    split repeats (R > 1, read from the tables' repeat columns) the folds of every repeat
    are listed by global id with their ``repeat``, and ``repeats`` is R.
    """
    per_fold = cross_part_overlap(level_tables, folds, sessions).round(6)
    tables = (
        list(level_tables.values()) if isinstance(level_tables, Mapping) else list(level_tables)
    )
    repeats = max([table_repeats(t) for t in tables] or [1]) if int(folds) >= 3 else 1

    def seconds(value: float) -> float | None:
        return None if math.isnan(value) else float(value)

    def record(row) -> dict[str, Any]:
        out = {
            "fold": int(row.fold),
            "test_s": float(row.test_s),
            "overlap_s": float(row.overlap_s),
            "min_gap_s": seconds(float(row.min_gap_s)),
        }
        if repeats > 1:
            out["repeat"] = int(row.fold) // int(folds)
        return out

    gaps = per_fold["min_gap_s"].dropna()
    summary = {
        "strategy": strategy,
        "unit": "actor" if strategy == "actor" else unit,
        "folds": int(folds),
        "guard_s": None if guard_s is None else float(guard_s),
        "protocol": describe_protocol(strategy, unit, folds, repeats),
        "test_s": round(float(per_fold["test_s"].sum()), 6),
        "overlap_s": round(float(per_fold["overlap_s"].sum()), 6),
        "min_gap_s": float(gaps.min()) if len(gaps) else None,
        "per_fold": [record(row) for row in per_fold.itertuples()],
    }
    if repeats > 1:
        summary["repeats"] = repeats
    return summary


def fold_view(table: pd.DataFrame, fold: int, n_folds: int, with_val: bool = True) -> pd.DataFrame:
    """The intervals as fold ``fold`` of ``n_folds`` sees them: ``split`` set to its part.

    With one fold the table's own ``split`` column is the partition (``fold`` must be 0).
    With ``K >= 3`` folds the ``fold`` column says in which fold each interval is tested:
    in fold ``f`` the intervals of fold ``f`` are ``test``, those of fold ``(f + 1) % K``
    are ``val`` (validation is carved from the fold's training part by whole folds, so by
    the same split units) and the rest are ``train``; ``with_val=False`` (no validation
    part) leaves them in ``train``. With split repeats, ``fold`` is a global id
    ``r * K + f`` (0 <= fold < R * K): fold f of repeat r, read from the column
    :func:`fold_column` of r. Every consumer of a level table that needs the parts of one
    fold goes through this function.
    """
    fold, n_folds = int(fold), int(n_folds)
    if n_folds < 1 or n_folds == 2:
        raise ValueError(f"split.folds must be 1 or at least 3, not {n_folds}")
    if n_folds == 1:
        if fold != 0:
            raise ValueError(f"fold {fold} is outside 0..0")
        return table
    if "fold" not in table.columns:
        raise ValueError(f"the interval table has no 'fold' column for {n_folds} folds")
    n_global = n_folds * table_repeats(table)
    if not 0 <= fold < n_global:
        raise ValueError(f"fold {fold} is outside 0..{n_global - 1}")
    repeat, local = divmod(fold, n_folds)
    folds = table[fold_column(repeat)].astype(int).to_numpy() - repeat * n_folds
    part = np.where(folds == local, "test", "train").astype(object)
    if with_val:
        part[folds == (local + 1) % n_folds] = "val"
    return table.assign(split=part)


#: The parts a cell's job predicts with each fold's model: the fold's test part (the
#: cell's ``test{j}`` file) and its validation part (the validation cross-evaluation,
#: ``val{j}``).
PREDICTED_PARTS = ("test", "val")


def fold_part_rows(
    table: pd.DataFrame, n_folds: int, part: str = "test"
) -> list[tuple[int, np.ndarray]]:
    """``(fold, rows)`` for every fold: the positions of the intervals in fold's ``part``.

    ``part`` is ``test`` or ``val``. With one fold these are the rows whose ``split`` is
    ``part``; with ``K >= 3`` folds (parts of :func:`fold_view`) fold f tests the rows
    whose ``fold`` is f and validates on those whose ``fold`` is ``(f + 1) % K``. Each
    interval is in at most one fold's rows of one part, so a cell's pooled predictions of
    either part hold every interval once, each predicted by a model that did not train
    on it. With split repeats the folds of every repeat are listed by global id
    (``r * K + f``, repeat-major), and each interval is in one fold's rows per repeat.
    """
    if part not in PREDICTED_PARTS:
        raise ValueError(f"part {part!r} is not one of {', '.join(PREDICTED_PARTS)}")
    n_folds = int(n_folds)
    if n_folds == 1:
        return [(0, np.flatnonzero(table["split"].astype(str).to_numpy() == part))]
    fold_view(table.iloc[:0], 0, n_folds)  # checks n_folds and the fold column
    shift = 0 if part == "test" else 1
    out = []
    for repeat in range(table_repeats(table)):
        folds = table[fold_column(repeat)].astype(int).to_numpy() - repeat * n_folds
        out += [
            (repeat * n_folds + f, np.flatnonzero(folds == (f + shift) % n_folds))
            for f in range(n_folds)
        ]
    return out


def fold_test_rows(table: pd.DataFrame, n_folds: int) -> list[tuple[int, np.ndarray]]:
    """:func:`fold_part_rows` of the test part."""
    return fold_part_rows(table, n_folds, "test")


def pool_folds(
    table: pd.DataFrame, n_folds: int, n_classes: int, predict_fold, part: str = "test"
) -> tuple:
    """Predictions of one part (``test``: the cell; ``val``: its validation
    cross-evaluation) pooled over the folds.

    Args:
        table: the test level's interval table.
        n_folds: K.
        n_classes: number of probability columns.
        predict_fold: ``predict_fold(fold, rows) -> probabilities (len(rows), n_classes)``,
            the model of ``fold`` (a global id with split repeats) applied to those rows of
            ``table`` (NaN rows: not scored).
        part: which part of each fold (:func:`fold_part_rows`).

    Returns:
        ``(rows, probabilities)``: every row of the part once, in table order, and its
        probabilities from the model of the fold whose ``part`` holds it. With R split
        repeats every row of the part appears R times, repeat-major (repeat 0's rows in
        table order, then repeat 1's, ...): the k-th time an interval is listed is its
        prediction in repeat k.
    """
    parts = fold_part_rows(table, n_folds, part)
    by_repeat: dict[int, list[tuple[int, np.ndarray]]] = {}
    for fold, fold_rows in parts:
        by_repeat.setdefault(fold // max(int(n_folds), 1), []).append((fold, fold_rows))
    all_rows, all_probabilities = [np.zeros(0, int)], [np.zeros((0, n_classes))]
    for repeat in sorted(by_repeat):
        own = by_repeat[repeat]
        rows = np.sort(np.concatenate([r for _, r in own]))
        position = {int(r): i for i, r in enumerate(rows)}
        probabilities = np.full((len(rows), n_classes), np.nan)
        for fold, fold_rows in own:
            if len(fold_rows) == 0:
                continue
            values = np.asarray(predict_fold(fold, fold_rows), dtype=float)
            probabilities[[position[int(r)] for r in fold_rows]] = values
        all_rows.append(rows)
        all_probabilities.append(probabilities)
    return np.concatenate(all_rows), np.concatenate(all_probabilities)


def as_fold_paths(paths) -> list:
    """One model file per fold, in fold order; a single path stands for a one-fold study."""
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        return [paths]
    return list(paths)
