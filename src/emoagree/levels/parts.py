"""The held-out parts of a one-fold split (``split.folds: 1``), per strategy, and the
seeded draws the split's dealing shares.

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

import numpy as np
import pandas as pd

from emoagree.constants import SPLITS
from emoagree.levels.units import unit_ids, unit_table

log = logging.getLogger(__name__)


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


def shuffled_units(units: pd.DataFrame, seed: int, key: str) -> pd.Index:
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
            members = shuffled_units(train[keys == key], seed, f"val {key}")
            part.loc[members[:count]] = "val"
    return part


def _stratified_parts(
    units: pd.DataFrame, test_fraction: float, val_fraction: float, seed: int
) -> pd.Series:
    """``unit -> train/val/test`` by the small-strata rule and the val carve."""
    part = pd.Series("train", index=units.index, dtype=object)
    for key in sorted(units["stratum"].unique()):
        members = shuffled_units(units[units["stratum"] == key], seed, f"test {key}")
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


def given_parts(intervals: pd.DataFrame, recordings: pd.DataFrame) -> pd.Series:
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


def sessions_within_parts(intervals: pd.DataFrame, given: pd.Series) -> pd.Series:
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


def held_out_parts(
    intervals: pd.DataFrame,
    units: pd.DataFrame,
    given: pd.Series | None,
    strategy: str,
    test_fraction: float,
    val_fraction: float,
    seed: int,
    unit: str,
    guard_s: float,
) -> pd.Series:
    """Each interval's part (train/val/test) with one fold, by the strategy."""
    if strategy == "stratified":
        parts = _stratified_parts(units, test_fraction, val_fraction, seed)
        return intervals["unit"].map(parts)
    if strategy == "actor":
        if len(units) < 2:
            raise ValueError(
                f"split strategy 'actor' holds out whole actors and needs at least 2 actors "
                f"with intervals; the corpus has {len(units)} "
                f"({', '.join(u.split(':', 1)[1] for u in units.index) or 'none'}). Use "
                f"split.strategy: stratified for this corpus."
            )
        return _actor_parts(intervals, test_fraction, val_fraction, seed, unit, guard_s)
    if "val" in set(given):
        return given
    log.info("the corpus's partition has no val part: carving val from its train part")
    first = intervals.assign(split=given).groupby("unit")["split"].first()
    parts = _carve_val(units, first, val_fraction, seed)
    return intervals["unit"].map(parts)
