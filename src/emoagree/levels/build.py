"""Agreement levels: stretches of time where at least k annotators marked the same emotion.

Level k of one recording and one emotion is the set of maximal time stretches in which the
number of *distinct* annotators whose marks of that emotion cover the time is at least k.

- An annotator's own marks of one emotion are first merged into their union, so exact
  duplicates and an annotator overlapping itself count once.
- Marks that touch end to start (one ends at t, the next starts at t) form one continuous
  stretch, both within one annotator and across annotators.
- Stretches of zero length are dropped.
- Marks of different emotions never merge; categories outside the kept emotions (Neutral,
  Domination, ...) are dropped before anything is computed.

A level's table (:func:`level_table`) is its intervals with the ``split``, ``unit`` and
``fold`` columns of the level-1 interval that contains each (the split of
:mod:`emoagree.levels.split`), so every level inherits one split.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from emoagree.contracts.levels import INTERVAL_COLUMNS
from emoagree.levels.folds import repeat_columns
from emoagree.levels.units import sessions_of

log = logging.getLogger(__name__)

LEVEL_COLUMNS = ["recording", "emotion", "level", "start_s", "end_s", "duration_s"]


def union_of_marks(marks: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Merge overlapping or touching ``(start, end)`` marks into disjoint stretches."""
    merged: list[list[float]] = []
    for start, end in sorted((float(s), float(e)) for s, e in marks):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def stretches_with_coverage(
    marks_by_annotator: Sequence[Sequence[tuple[float, float]]], level: int
) -> list[tuple[float, float]]:
    """Maximal stretches covered by at least ``level`` annotators.

    Args:
        marks_by_annotator: one list of ``(start, end)`` marks per distinct annotator.
        level: the minimum number of distinct annotators.
    """
    if level < 1:
        raise ValueError(f"level must be >= 1, got {level}")
    events: list[tuple[float, int]] = []
    for marks in marks_by_annotator:
        for start, end in union_of_marks(marks):
            events.append((start, +1))
            events.append((end, -1))
    if not events:
        return []
    times = np.array([t for t, _ in events])
    deltas = np.array([d for _, d in events])
    # All events at one instant are applied together, so a mark ending at t and another
    # starting at t leave no gap.
    instants, inverse = np.unique(times, return_inverse=True)
    change = np.zeros(len(instants), dtype=int)
    np.add.at(change, inverse, deltas)
    coverage = np.cumsum(change)  # coverage on [instants[i], instants[i+1])
    stretches: list[tuple[float, float]] = []
    start = None
    for index, count in enumerate(coverage):
        if count >= level and start is None:
            start = instants[index]
        elif count < level and start is not None:
            end = instants[index]
            if end > start:
                stretches.append((float(start), float(end)))
            start = None
    return stretches


def agreement_intervals(
    annotations: pd.DataFrame, level: int, emotions: Sequence[str]
) -> pd.DataFrame:
    """Level-``level`` intervals of every recording and kept emotion.

    Args:
        annotations: raw marks with columns ``recording, annotator, emotion, start_s, end_s``.
        level: minimum number of distinct annotators agreeing on the emotion.
        emotions: the kept emotion categories; marks of any other category are dropped.

    Returns:
        Columns ``recording, emotion, level, start_s, end_s, duration_s``, sorted by
        recording, emotion and start.
    """
    missing = [
        c
        for c in ("recording", "annotator", "emotion", "start_s", "end_s")
        if c not in annotations.columns
    ]
    if missing:
        raise ValueError(f"annotations lack the column(s) {missing}")
    if int(level) < 1:
        raise ValueError(f"level must be >= 1, got {level}")
    kept = annotations[annotations["emotion"].isin(list(emotions))]
    rows = []
    for (recording, emotion), marks in kept.groupby(["recording", "emotion"], sort=True):
        by_annotator = [
            list(zip(group["start_s"], group["end_s"], strict=True))
            for _, group in marks.groupby("annotator", sort=True)
        ]
        for start, end in stretches_with_coverage(by_annotator, level):
            rows.append((recording, emotion, int(level), start, end, end - start))
    table = pd.DataFrame(rows, columns=LEVEL_COLUMNS)
    table = table.astype(
        {
            "recording": str,
            "emotion": str,
            "level": int,
            "start_s": float,
            "end_s": float,
            "duration_s": float,
        }
    )
    return table.sort_values(["recording", "emotion", "start_s"], ignore_index=True)


def interval_ids(table: pd.DataFrame) -> pd.Series:
    """Stable, unique ids: ``<recording>_<emotion>_L<level>_<start in ms>``.

    Intervals of one recording, emotion and level are disjoint, so the start identifies them
    and the same corpus and configuration give the same ids. Two starts closer than half a
    millisecond would round to the same id; such ids get a ``b``, ``c``, ... suffix in start
    order, so ids stay unique and deterministic.
    """
    start_ms = np.round(table["start_s"].to_numpy(dtype=float) * 1000).astype(np.int64)
    ids = pd.Series(
        [
            f"{rec}_{emo}_L{lvl}_{ms:08d}"
            for rec, emo, lvl, ms in zip(
                table["recording"], table["emotion"], table["level"], start_ms, strict=True
            )
        ],
        index=table.index,
        dtype=str,
    )
    if ids.duplicated().any():
        order = np.argsort(table["start_s"].to_numpy(dtype=float), kind="stable")
        ranked = ids.iloc[order]
        rank = ranked.groupby(ranked, sort=False).cumcount()
        suffix = rank.map(lambda r: "" if r == 0 else chr(ord("a") + r))
        ids = (ranked + suffix).reindex(ids.index)
    return ids


#: Tolerance (seconds) for a level-k interval to lie inside its level-1 interval; times pass
#: through csv files between the rules.
CONTAINMENT_TOLERANCE_S = 1e-6


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
        split_table: the output of :func:`emoagree.levels.split.make_split`.
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
