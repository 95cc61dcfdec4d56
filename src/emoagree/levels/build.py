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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

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
