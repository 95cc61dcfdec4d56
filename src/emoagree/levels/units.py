"""Split units: the groups of level-1 intervals that the split never cuts apart.

Every level-1 interval belongs to exactly one unit; the split (and the cross-validation
folds) assign whole units, and every level-k interval inherits the unit of the level-1
interval that contains it. Unit ids are stable strings:

``segment`` (default) ``seg:<session>:<start ms>``
    A stretch of the union of all kept emotions' level-1 intervals over all views
    (recordings) of one session, in which no gap is as long as the guard ``guard_s``
    (config ``split.guard_s``, 2 s by default): intervals that overlap, touch or lie less
    than ``guard_s`` apart are in one segment; a gap of at least ``guard_s`` starts a new
    one. Intervals of different emotions over the same time, and the two actors' views of
    one dialogue, are thus never in different parts, and two parts of one session are
    always at least ``guard_s`` apart: no audio or frame is both trained and tested on,
    and no emotional episode's voice and face context (which outlasts the marked stretch
    by a second or more) reaches across the line. ``<start ms>`` is the segment's start
    in milliseconds (8 digits).
``recording`` ``rec:<recording>``
    One recording (one view). Two views of one session can land in different parts.
``session`` ``ses:<session>``
    All views of one session.
``interval`` ``int:<interval id>``
    Each level-1 interval on its own: the paper's protocol. It LEAKS: intervals of
    different emotions overlap in time, so the same stretch can be in train under one
    emotion and in test under another.
``actor`` ``actor:<actor>`` (``split.strategy: actor``)
    All intervals of one actor (speaker-independent).

A session is given by the optional ``session`` column of ``recordings.csv`` (RAMAS:
``<date>_<scenario>``, both sides of a dialogue); an empty or missing session is the
recording itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from emoagree.constants import SPLIT_UNITS

#: Gaps are compared at microsecond precision (times pass through csv files).
_GAP_DECIMALS = 6

#: Unit kinds: the configurable ones and ``actor`` (strategy actor).
UNIT_KINDS = (*SPLIT_UNITS, "actor")


def sessions_of(recordings: pd.DataFrame) -> pd.Series:
    """``recording -> session``: the ``session`` column where given, else the recording."""
    names = recordings["recording"].astype(str)
    if "session" not in recordings.columns:
        return pd.Series(names.to_numpy(), index=names.to_numpy(), name="session")
    given = recordings["session"].astype(object).where(recordings["session"].notna(), "")
    given = given.astype(str).str.strip()
    session = given.where(given != "", names)
    return pd.Series(session.to_numpy(), index=names.to_numpy(), name="session")


def _unique_ids(ids: pd.Series, order: np.ndarray) -> pd.Series:
    """Add ``b``, ``c``, ... (in ``order``) to ids that would otherwise repeat."""
    if not ids.duplicated().any():
        return ids
    ranked = ids.iloc[order]
    rank = ranked.groupby(ranked, sort=False).cumcount()
    suffix = rank.map(lambda r: "" if r == 0 else chr(ord("a") + r))
    return (ranked + suffix).reindex(ids.index)


def segment_ids(intervals: pd.DataFrame, guard_s: float = 0.0) -> pd.Series:
    """The segment of every interval (columns ``session, start_s, end_s``).

    Within a session, intervals are sorted by start; an interval starts a new segment when
    it starts strictly after the latest end seen so far in the session and the gap to that
    end is at least ``guard_s`` seconds (so overlapping and touching intervals, and those
    closer than the guard, join). The id is ``seg:<session>:<segment start in ms>``.
    """
    guard_s = float(guard_s)
    if not np.isfinite(guard_s) or guard_s < 0:
        raise ValueError(f"split.guard_s must be a number of seconds >= 0, got {guard_s!r}")
    if intervals.empty:
        return pd.Series([], index=intervals.index, dtype=str)
    order = intervals.sort_values(["session", "start_s", "end_s"], kind="stable")
    session = order["session"].astype(str)
    reach = order.groupby(session, sort=False)["end_s"].cummax()
    before = reach.groupby(session, sort=False).shift()
    gap = (order["start_s"] - before).round(_GAP_DECIMALS)
    new = before.isna() | ((gap > 0) & (gap >= guard_s))
    number = new.cumsum()
    segments = pd.DataFrame({"session": session, "start_s": order["start_s"], "number": number})
    segments = segments.groupby("number").agg(
        session=("session", "first"), start_s=("start_s", "min")
    )
    start_ms = np.round(segments["start_s"].to_numpy(dtype=float) * 1000).astype(np.int64)
    ids = pd.Series(
        [f"seg:{s}:{ms:08d}" for s, ms in zip(segments["session"], start_ms, strict=True)],
        index=segments.index,
    )
    ids = _unique_ids(ids, np.argsort(segments["start_s"].to_numpy(), kind="stable"))
    ids = pd.Series(ids.reindex(number.to_numpy()).to_numpy(), index=order.index)
    return ids.reindex(intervals.index).astype(str)


def unit_ids(intervals: pd.DataFrame, kind: str, guard_s: float = 0.0) -> pd.Series:
    """The unit of every level-1 interval for the unit ``kind`` (see the module docstring).

    Args:
        intervals: level-1 intervals with ``interval_id, recording, session, actor,
            start_s, end_s``.
        kind: one of :data:`UNIT_KINDS`.
        guard_s: segments of one session closer than this (seconds) are one unit
            (``segment`` only).
    """
    if kind not in UNIT_KINDS:
        raise ValueError(f"unknown split unit {kind!r}; choose one of {', '.join(SPLIT_UNITS)}")
    if kind == "segment":
        return segment_ids(intervals, guard_s)
    column, prefix = {
        "recording": ("recording", "rec"),
        "session": ("session", "ses"),
        "interval": ("interval_id", "int"),
        "actor": ("actor", "actor"),
    }[kind]
    return (prefix + ":" + intervals[column].astype(str)).astype(str)


def unit_table(intervals: pd.DataFrame) -> pd.DataFrame:
    """One row per unit (index: unit id, sorted): its stratum and size.

    The unit's ``scenario`` and ``emotion`` are those with the most level-1 time in it
    (ties: the first name in sorted order); ``stratum`` is ``"<scenario> x <emotion>"``;
    ``n_intervals`` counts its level-1 intervals.

    Args:
        intervals: level-1 intervals with ``unit, scenario, emotion, duration_s``.
    """
    columns = ["scenario", "emotion", "stratum", "n_intervals"]
    if intervals.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="unit"))

    def dominant(column: str) -> pd.Series:
        time = intervals.groupby(["unit", column])["duration_s"].sum().reset_index()
        time = time.sort_values(["unit", "duration_s", column], ascending=[True, False, True])
        return time.drop_duplicates("unit").set_index("unit")[column].astype(str)

    table = pd.DataFrame({"scenario": dominant("scenario"), "emotion": dominant("emotion")})
    table["stratum"] = table["scenario"] + " x " + table["emotion"]
    table["n_intervals"] = intervals.groupby("unit").size()
    table.index.name = "unit"
    return table[columns].sort_index()
