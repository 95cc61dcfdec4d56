"""Leak check of a split: per fold, the test time that also lies in train or val time.

Rule ``split_overlap`` writes :func:`overlap_summary`; Table 1's notes show it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from emoagree.levels.build import union_of_marks
from emoagree.levels.folds import check_folds, fold_view, global_folds, table_repeats
from emoagree.levels.split import describe_protocol


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

    For every fold f (the parts of :func:`emoagree.levels.folds.fold_view`), the test
    intervals of all levels and emotions and the train + val intervals of all levels and
    emotions are each merged into their union per session (all views of a session share one
    clock), and the time the two unions share is summed over sessions. A split that cannot
    leak gives 0.0 s in every fold. The smallest gap is the shortest distance in time
    between a test stretch and a train or val stretch of the same session (0 where they
    touch or overlap), over all sessions; with segment units it is at least
    ``split.guard_s``. With split repeats every fold of every repeat is checked (one row per
    global fold id ``r * K + f``).

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
    segment units only), ``protocol``
    (:func:`emoagree.levels.split.describe_protocol`), ``test_s`` and ``overlap_s`` summed
    over folds, ``min_gap_s`` (the smallest gap between test and train or val time within
    one session over all folds; None when no fold has one), and ``per_fold`` (one record per
    fold: ``fold, test_s, overlap_s, min_gap_s``). With split repeats (R > 1, read from the
    tables' repeat columns) the folds of every repeat are listed by global id with their
    ``repeat``, and ``repeats`` is R.
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
