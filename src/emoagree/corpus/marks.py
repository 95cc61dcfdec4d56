"""Checks shared by the adapters: recording ids and the times of annotator marks."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Marks may end up to this many seconds past the end of their recording (annotation tools
#: round times, and a recording's media may end a frame apart); such ends are clipped to
#: the recording's duration. Anything later is an error.
DEFAULT_TOLERANCE_S = 0.01

#: Recording ids name files (feature caches) and are a Snakemake wildcard, so they are
#: restricted to these characters and may not start with a dot: ``.`` and ``..`` name
#: folders, not files, and a leading dot hides a file (the same constraint as in
#: workflow/rules/common.smk and :data:`emoagree.shards.SAFE_NAME`).
RECORDING_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]*$")


def recording_id_problem(recording: str) -> str | None:
    """Why ``recording`` cannot be a recording id, or ``None`` when it can."""
    if recording == "":
        return "the recording id is empty"
    if set(recording) == {"."}:
        return (
            f"recording id {recording!r} names a folder, not a file (ids name result files; "
            "use A-Z a-z 0-9 _ . - and do not start with a dot)"
        )
    if not RECORDING_ID.match(recording):
        if recording.startswith(".") and re.match(r"^[A-Za-z0-9_.-]+$", recording):
            return (
                f"recording id {recording!r} starts with a dot (it would name a hidden file; "
                "ids name result files)"
            )
        return (
            f"recording id {recording!r} has characters outside A-Z a-z 0-9 _ . - "
            "(ids name result files; a path is not an id)"
        )
    return None


def check_mark_times(
    start: pd.Series,
    end: pd.Series,
    duration: pd.Series,
    where: pd.Series,
    problems: list[str],
    *,
    tolerance_s: float = DEFAULT_TOLERANCE_S,
    zero_length_is_error: bool = True,
) -> tuple[pd.Series, pd.Series]:
    """Check mark times against each other and against their recording's duration.

    Args:
        start, end: mark times in seconds (finite; NaN rows are skipped, already reported).
        duration: the duration of each mark's recording (NaN: unknown recording, skipped).
        where: how a problem names each mark, e.g. ``"data row 3 (line 4)"``.
        problems: list the problems are appended to.
        tolerance_s: see :data:`DEFAULT_TOLERANCE_S`.
        zero_length_is_error: ``start == end`` is an error; otherwise such marks are only
            dropped (they cover no time, and the level definition drops zero-length
            stretches anyway).

    Returns:
        A mask of the marks to keep and the end times clipped to the recording duration
        (within the tolerance).
    """
    keep = pd.Series(True, index=start.index)
    known = start.notna() & end.notna()
    for index in start.index[known & (start < 0)]:
        problems.append(f"{where[index]}: negative start time {start[index]:g} s")
    for index in start.index[known & (end < 0)]:
        problems.append(f"{where[index]}: negative end time {end[index]:g} s")
    reversed_ = known & (start > end) if not zero_length_is_error else known & (start >= end)
    for index in start.index[reversed_]:
        problems.append(
            f"{where[index]}: start {start[index]:g} s is not before end {end[index]:g} s"
        )
    if not zero_length_is_error:
        keep &= ~(known & (start == end))
    late = known & duration.notna() & (end > duration + tolerance_s)
    for index in start.index[late]:
        problems.append(
            f"{where[index]}: mark ends at {end[index]:g} s, past the recording's duration "
            f"{duration[index]:g} s (tolerance {tolerance_s:g} s)"
        )
    clipped = pd.Series(np.where(duration.notna(), np.minimum(end, duration), end), end.index)
    return keep, clipped
