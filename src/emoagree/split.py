"""Train/val/test split, fixed once on level-1 intervals and inherited by every level.

The split is made on the level-1 intervals (before any per-level minimum-duration filter)
and every level-k interval takes the split of the level-1 interval that contains it (same
recording and emotion), so a stretch of speech is in the same part at every level.

Strategies (config ``split.strategy``):

``stratified`` (default, as in the paper)
    Strata are scenario x emotion. Each stratum's intervals are shuffled with a generator
    seeded by the seed and the stratum's name (so adding a stratum does not reshuffle the
    others), and the first ``n_test`` go to test:

    - a stratum of 1 interval goes to train;
    - a stratum of n >= 2 intervals gives ``n_test = round(n * test_fraction)`` clamped to
      ``[1, n - 1]`` intervals to test, so every stratum that can be split is represented in
      both train and test (small corpora thus get a test share above ``test_fraction``).

    Validation is then carved from what is left, stratified the same way (see *val carve*).

``actor``
    Speaker-independent: whole actors are held out. The actors with intervals are shuffled
    (seeded) and ``round(A * test_fraction)`` clamped to ``[1, A - 1]`` of them go to test
    (at least 2 actors are needed; fewer is an error). Of the remaining R actors,
    ``round(R * val_fraction)`` become validation actors when that is between 1 and R - 1;
    otherwise (too few actors) validation is a stratified carve from the train actors'
    intervals. Note that in a dyadic corpus a held-out actor's voice can still be heard as
    crosstalk in the partner's recordings.

``corpus``
    The corpus's own partition: the ``split`` column of ``recordings.csv`` (train, val or
    test per recording) is used as given. Only when no recording is ``val`` is validation
    carved from train (stratified).

Val carve (all strategies): from the train intervals of each scenario x emotion stratum,
``round(N * val_fraction)`` intervals in total (N: all train intervals) are taken, shared
among strata by largest remainder (ties by stratum name), never taking a stratum's last
train interval. ``val_fraction: 0`` gives no validation part.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from emoagree.constants import INTERVAL_COLUMNS, SPLITS
from emoagree.levels import agreement_intervals, interval_ids

log = logging.getLogger(__name__)

STRATEGIES = ("stratified", "actor", "corpus")

#: Tolerance (seconds) for a level-k interval to lie inside its level-1 interval; times pass
#: through csv files between the rules.
CONTAINMENT_TOLERANCE_S = 1e-6


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))


def _rng(seed: int, key: str) -> np.random.Generator:
    """A generator for one named choice, independent of every other choice's draws."""
    # masked so that any integer seed (negative ones too) is a valid entropy word
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(key.encode("utf-8"))])


def _stratum_keys(intervals: pd.DataFrame) -> pd.Series:
    return intervals["scenario"].astype(str) + " x " + intervals["emotion"].astype(str)


def n_test_for_stratum(n: int, test_fraction: float) -> int:
    """How many of a stratum's ``n`` intervals go to test (the small-strata rule)."""
    if n < 2:
        return 0
    return min(n - 1, max(1, _round_half_up(n * test_fraction)))


def _shuffled(intervals: pd.DataFrame, seed: int, key: str) -> pd.Index:
    ordered = intervals.sort_values("interval_id").index
    return ordered[_rng(seed, key).permutation(len(ordered))]


def _carve_val(
    intervals: pd.DataFrame, split: pd.Series, val_fraction: float, seed: int
) -> pd.Series:
    """Move a stratified ``val_fraction`` of the train intervals to val (largest remainder)."""
    split = split.copy()
    train = intervals[split == "train"]
    if val_fraction <= 0 or train.empty:
        return split
    keys = _stratum_keys(train)
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
            split.loc[members[:count]] = "val"
    return split


def _stratified(
    intervals: pd.DataFrame, test_fraction: float, val_fraction: float, seed: int
) -> pd.Series:
    split = pd.Series("train", index=intervals.index, dtype=object)
    keys = _stratum_keys(intervals)
    for key in sorted(keys.unique()):
        members = _shuffled(intervals[keys == key], seed, f"test {key}")
        split.loc[members[: n_test_for_stratum(len(members), test_fraction)]] = "test"
    return _carve_val(intervals, split, val_fraction, seed)


def _by_actor(
    intervals: pd.DataFrame, test_fraction: float, val_fraction: float, seed: int
) -> pd.Series:
    actors = np.array(sorted(intervals["actor"].astype(str).unique()))
    if len(actors) < 2:
        raise ValueError(
            f"split strategy 'actor' holds out whole actors and needs at least 2 actors with "
            f"intervals; the corpus has {len(actors)} ({', '.join(actors) or 'none'}). Use "
            f"split.strategy: stratified for this corpus."
        )
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
        sorted(val_actors) or "(none: validation carved from train actors)",
    )
    if not val_actors:
        split = _carve_val(intervals, split, val_fraction, seed)
    return split


def _from_corpus(
    intervals: pd.DataFrame, recordings: pd.DataFrame, val_fraction: float, seed: int
) -> pd.Series:
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
    split = intervals["recording"].astype(str).map(by_recording).astype(object)
    if "val" not in set(given):
        log.info("the corpus's partition has no val part: carving val from its train part")
        split = _carve_val(intervals, split, val_fraction, seed)
    return split


def attach_recordings(intervals: pd.DataFrame, recordings: pd.DataFrame) -> pd.DataFrame:
    """Add ``actor`` and ``scenario`` from the recordings table; unknown recordings fail."""
    info = recordings.assign(recording=recordings["recording"].astype(str))
    info = info.set_index("recording")[["actor", "scenario"]].astype(str)
    unknown = sorted(set(intervals["recording"]) - set(info.index))
    if unknown:
        raise ValueError(f"annotations name recordings missing from recordings.csv: {unknown[:5]}")
    joined = intervals.join(info, on="recording")
    return joined


def make_split(
    annotations: pd.DataFrame,
    recordings: pd.DataFrame,
    emotions: Sequence[str],
    strategy: str,
    test_fraction: float,
    val_fraction: float,
    seed: int,
) -> pd.DataFrame:
    """Split the level-1 intervals (no minimum-duration filter).

    Returns:
        The level-1 intervals in the columns of ``INTERVAL_COLUMNS`` (``level`` = 1) with
        ``split`` in train, val, test.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown split strategy {strategy!r}; choose one of {STRATEGIES}")
    if not 0 < test_fraction < 1 or not 0 <= val_fraction < 1:
        raise ValueError(
            f"split fractions out of range: test_fraction={test_fraction} must be in (0, 1), "
            f"val_fraction={val_fraction} in [0, 1)"
        )
    intervals = attach_recordings(agreement_intervals(annotations, 1, emotions), recordings)
    intervals["interval_id"] = interval_ids(intervals)
    if intervals.empty:
        intervals["split"] = pd.Series(dtype=str)
    elif strategy == "stratified":
        intervals["split"] = _stratified(intervals, test_fraction, val_fraction, seed)
    elif strategy == "actor":
        intervals["split"] = _by_actor(intervals, test_fraction, val_fraction, seed)
    else:
        intervals["split"] = _from_corpus(intervals, recordings, val_fraction, seed)
    intervals["split"] = intervals["split"].astype(str)
    counts = intervals["split"].value_counts()
    log.info(
        "split (%s) of %d level-1 intervals: %s",
        strategy,
        len(intervals),
        {part: int(counts.get(part, 0)) for part in SPLITS},
    )
    for part in ("val", "test"):
        if counts.get(part, 0) == 0 and not (part == "val" and val_fraction == 0):
            log.warning("the %s part is empty: the corpus is too small to fill it", part)
    return intervals[list(INTERVAL_COLUMNS)].reset_index(drop=True)


def level_table(
    annotations: pd.DataFrame,
    recordings: pd.DataFrame,
    level: int,
    split_table: pd.DataFrame,
    emotions: Sequence[str],
    min_duration_s: float = 0.0,
) -> pd.DataFrame:
    """Level-``level`` intervals with the split inherited from their level-1 interval.

    Args:
        annotations: raw marks (``recording, annotator, emotion, start_s, end_s``).
        recordings: the recordings table (``recording, actor, scenario, ...``).
        level: the agreement level k.
        split_table: the output of :func:`make_split`.
        emotions: kept emotion categories.
        min_duration_s: intervals shorter than this are dropped (after the split is
            inherited, so the split never depends on this setting).

    Returns:
        Columns ``INTERVAL_COLUMNS``, sorted by recording, emotion and start.

    Raises:
        ValueError: a level-k interval lies in no level-1 interval of ``split_table`` (the
            split was made from other annotations).
    """
    intervals = attach_recordings(agreement_intervals(annotations, level, emotions), recordings)
    parents = (
        split_table[["recording", "emotion", "start_s", "end_s", "split"]]
        .rename(columns={"start_s": "parent_start_s", "end_s": "parent_end_s"})
        .astype({"recording": str, "emotion": str, "parent_start_s": float, "parent_end_s": float})
    )
    if intervals.empty:
        intervals["split"] = pd.Series(dtype=str)
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
    kept["split"] = kept["split"].astype(str)
    return kept[list(INTERVAL_COLUMNS)].reset_index(drop=True)


def split_counts(table: pd.DataFrame) -> Mapping[str, int]:
    """Number of intervals per part, every part present."""
    counts = table["split"].value_counts()
    return {part: int(counts.get(part, 0)) for part in SPLITS}


def fold_view(table: pd.DataFrame, fold: int, n_folds: int, with_val: bool = True) -> pd.DataFrame:
    """The intervals as fold ``fold`` of ``n_folds`` sees them: ``split`` set to its part.

    With one fold the table's own ``split`` column is the partition (``fold`` must be 0).
    With ``K >= 3`` folds the ``fold`` column says in which fold each interval is tested:
    in fold ``f`` the intervals of fold ``f`` are ``test``, those of fold ``(f + 1) % K``
    are ``val`` (validation is carved from the fold's training part by whole folds, so by
    the same split units) and the rest are ``train``; ``with_val=False`` (no validation
    part) leaves them in ``train``. Every consumer of a level table that needs the parts
    of one fold goes through this function.
    """
    fold, n_folds = int(fold), int(n_folds)
    if n_folds < 1 or n_folds == 2:
        raise ValueError(f"split.folds must be 1 or at least 3, not {n_folds}")
    if not 0 <= fold < n_folds:
        raise ValueError(f"fold {fold} is outside 0..{n_folds - 1}")
    if n_folds == 1:
        return table
    if "fold" not in table.columns:
        raise ValueError(f"the interval table has no 'fold' column for {n_folds} folds")
    folds = table["fold"].astype(int).to_numpy()
    part = np.where(folds == fold, "test", "train").astype(object)
    if with_val:
        part[folds == (fold + 1) % n_folds] = "val"
    return table.assign(split=part)


def fold_test_rows(table: pd.DataFrame, n_folds: int) -> list[tuple[int, np.ndarray]]:
    """``(fold, rows)`` for every fold: the positions of the intervals that fold tests.

    With one fold these are the rows whose ``split`` is ``test``; with ``K >= 3`` folds
    the rows whose ``fold`` is ``f``. Each interval is in at most one fold's rows, so the
    pooled test predictions of a cell hold every interval once, predicted by the model
    that did not see it.
    """
    n_folds = int(n_folds)
    if n_folds == 1:
        return [(0, np.flatnonzero(table["split"].astype(str).to_numpy() == "test"))]
    fold_view(table.iloc[:0], 0, n_folds)  # checks n_folds and the fold column
    folds = table["fold"].astype(int).to_numpy()
    return [(f, np.flatnonzero(folds == f)) for f in range(n_folds)]


def pool_folds(table: pd.DataFrame, n_folds: int, n_classes: int, predict_fold) -> tuple:
    """Test predictions of a cell pooled over the folds.

    Args:
        table: the test level's interval table.
        n_folds: K.
        n_classes: number of probability columns.
        predict_fold: ``predict_fold(fold, rows) -> probabilities (len(rows), n_classes)``,
            the model of ``fold`` applied to those rows of ``table`` (NaN rows: not scored).

    Returns:
        ``(rows, probabilities)``: every tested row once, in table order, and its
        probabilities from the model of the fold that held it out.
    """
    parts = fold_test_rows(table, n_folds)
    rows = np.sort(np.concatenate([r for _, r in parts])) if parts else np.zeros(0, int)
    position = {int(r): i for i, r in enumerate(rows)}
    probabilities = np.full((len(rows), n_classes), np.nan)
    for fold, fold_rows in parts:
        if len(fold_rows) == 0:
            continue
        values = np.asarray(predict_fold(fold, fold_rows), dtype=float)
        probabilities[[position[int(r)] for r in fold_rows]] = values
    return rows, probabilities


def as_fold_paths(paths) -> list:
    """One model file per fold, in fold order; a single path stands for a one-fold study."""
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        return [paths]
    return list(paths)
