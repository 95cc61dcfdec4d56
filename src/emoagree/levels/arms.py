"""Training arms: train on all level-1 intervals together with their agreement.

The paper answers the trade-off by hard filtering (train on level k, discard the rest).
The arms keep every level-1 interval and use the annotators' agreement in training:

``weighted`` (row ``Mw``)
    Each interval's sample weight is its *agreement weight* (:func:`agreement_weights`).
``soft`` (row ``Ms``)
    Each interval's target is the annotators' distribution over the configured emotions
    (:func:`soft_targets`); networks train with soft cross-entropy, the classic models on
    one weighted copy of the sample per emotion
    (:func:`emoagree.training.arm_inputs.soft_expand`).
``curriculum`` (row ``Mc``, networks only)
    Epochs start with the intervals that reach the highest level and add lower levels as
    training proceeds (:func:`max_levels`,
    :func:`emoagree.levels.curriculum.curriculum_schedule`).

An arm's training table (:func:`arm_table`) *is* the level-1 table (same rows, ids,
split, units and folds) with the columns ``weight``, ``target_<Emotion>`` and
``max_level`` added, so arms use the same split units, folds, validation and statistics
as the levels, and level 1's features serve them. The curriculum's schedule is planned in
:mod:`emoagree.levels.curriculum`; what a trainer takes from an arm table in
:mod:`emoagree.training.arm_inputs`; the demo's label accuracy of each arm's data in
:mod:`emoagree.levels.truth`.

Definitions (all from the raw marks, ``results/corpus/annotations.csv``):

- *Coverage* of emotion E at time t in a recording: the number of distinct annotators
  whose marks of E cover t. An annotator's own marks of one emotion are merged first
  (duplicates and self-overlaps count once), as in :mod:`emoagree.levels.build`; marks are
  half-open ``[start, end)``.
- *Annotators of a recording*: the distinct annotators with at least one mark of any
  category (Neutral and dropped categories included) in that recording. An annotator who
  left no mark at all in a recording is invisible in the marks and is not counted.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from emoagree.levels.build import union_of_marks

log = logging.getLogger(__name__)

#: The arms in their canonical order, and the name of each one's row in the grids.
ARMS = ("weighted", "soft", "curriculum")
ARM_ROWS = {"weighted": "Mw", "soft": "Ms", "curriculum": "Mc"}
ROW_ARMS = {row: arm for arm, row in ARM_ROWS.items()}
#: Arms only the networks (per-epoch training) can follow.
NETWORK_ONLY_ARMS = ("curriculum",)

#: Columns an arm table adds to the level-1 table.
WEIGHT_COLUMN = "weight"
MAX_LEVEL_COLUMN = "max_level"
TARGET_PREFIX = "target_"


def target_columns(emotions: Sequence[str]) -> list[str]:
    return [f"{TARGET_PREFIX}{e}" for e in emotions]


def arm_of_row(row: str) -> str | None:
    """``"weighted"`` for ``"Mw"`` etc.; ``None`` for an agreement level such as ``"3"``."""
    return ROW_ARMS.get(str(row))


# --- coverage step functions -----------------------------------------------------------


def _steps(unions: Sequence[Sequence[tuple[float, float]]]) -> tuple[np.ndarray, np.ndarray]:
    """Coverage as a step function: ``counts[i]`` holds on ``[instants[i], instants[i+1])``."""
    starts = [s for union in unions for s, _ in union]
    ends = [e for union in unions for _, e in union]
    if not starts:
        return np.zeros(1), np.zeros(0, dtype=int)
    times = np.array(starts + ends, dtype=float)
    deltas = np.array([1] * len(starts) + [-1] * len(ends))
    instants, inverse = np.unique(times, return_inverse=True)
    change = np.zeros(len(instants), dtype=int)
    np.add.at(change, inverse, deltas)
    return instants, np.cumsum(change)[:-1]


def _window(instants: np.ndarray, counts: np.ndarray, start: float, end: float):
    """Lengths of the steps inside ``[start, end)`` and their counts."""
    if len(counts) == 0:
        return np.zeros(0), counts
    lengths = np.clip(np.minimum(instants[1:], end) - np.maximum(instants[:-1], start), 0, None)
    return lengths, counts


def _unions(annotations: pd.DataFrame) -> dict[tuple[str, str], list[list[tuple[float, float]]]]:
    """(recording, emotion) -> one merged list of marks per distinct annotator."""
    out: dict[tuple[str, str], list[list[tuple[float, float]]]] = {}
    marks = annotations.astype({"recording": str, "emotion": str})
    for (recording, emotion), group in marks.groupby(["recording", "emotion"], sort=True):
        out[(recording, emotion)] = [
            union_of_marks(zip(g["start_s"], g["end_s"], strict=True))
            for _, g in group.groupby("annotator", sort=True)
        ]
    return out


def annotators_per_recording(annotations: pd.DataFrame) -> pd.Series:
    """Distinct annotators with any mark (any category) per recording."""
    marks = annotations.astype({"recording": str})
    return marks.groupby("recording")["annotator"].nunique()


def _check(intervals: pd.DataFrame, annotations: pd.DataFrame) -> None:
    for name, table, columns in (
        ("intervals", intervals, ("recording", "emotion", "start_s", "end_s")),
        ("annotations", annotations, ("recording", "annotator", "emotion", "start_s", "end_s")),
    ):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ValueError(f"{name} lack the column(s) {missing}")


# --- weights, targets, levels ----------------------------------------------------------


def _coverage_steps(intervals: pd.DataFrame, annotations: pd.DataFrame):
    """For each interval: ``(row, start, end, instants, counts)``, the step function of the
    coverage of its own emotion in its recording (no marks: coverage 0 everywhere)."""
    _check(intervals, annotations)
    steps = {key: _steps(value) for key, value in _unions(annotations).items()}
    for i, (rec, emo, start, end) in enumerate(
        zip(
            intervals["recording"].astype(str),
            intervals["emotion"].astype(str),
            intervals["start_s"].astype(float),
            intervals["end_s"].astype(float),
            strict=True,
        )
    ):
        instants, counts = steps.get((rec, emo), (np.zeros(1), np.zeros(0, dtype=int)))
        yield i, start, end, instants, counts


def mean_coverage(intervals: pd.DataFrame, annotations: pd.DataFrame) -> np.ndarray:
    """Coverage of each interval's own emotion averaged over the interval's time
    (``integral of coverage over [start, end) / (end - start)``; a zero-length interval
    takes the coverage at its start)."""
    out = np.zeros(len(intervals))
    for i, start, end, instants, counts in _coverage_steps(intervals, annotations):
        if end > start:
            lengths, counts = _window(instants, counts, start, end)
            out[i] = float((lengths * counts).sum()) / (end - start)
        else:
            position = np.searchsorted(instants, start, side="right") - 1
            out[i] = float(counts[position]) if 0 <= position < len(counts) else 0.0
    return out


def agreement_weights(intervals: pd.DataFrame, annotations: pd.DataFrame) -> np.ndarray:
    """Agreement weight of each (level-1) interval, in (0, 1].

    weight = (coverage of the interval's emotion averaged over its time) / (number of
    annotators of its recording). Inside a level-1 interval the coverage is at least 1, so
    the weight is at least 1 / annotators; it is 1 where every annotator marked the
    emotion over the whole interval. Example: 3 annotators; a stretch marked by all three
    has weight 1, a stretch marked by one has 1/3; an interval marked by three over its
    first half and by one over its second half has (3 + 1) / 2 / 3 = 2/3.

    Raises:
        ValueError: an interval's recording has no annotator, or a weight falls outside
            (0, 1] (the interval is not a level-1 interval of these marks).
    """
    coverage = mean_coverage(intervals, annotations)
    per_recording = annotators_per_recording(annotations)
    n = intervals["recording"].astype(str).map(per_recording).to_numpy(dtype=float)
    if np.isnan(n).any():
        missing = intervals["recording"].astype(str)[np.isnan(n)].iloc[0]
        raise ValueError(f"recording {missing} has intervals but no annotator marks")
    weights = coverage / n
    bad = ~((weights > 0) & (weights <= 1 + 1e-9))
    if bad.any():
        row = intervals.iloc[int(np.flatnonzero(bad)[0])]
        raise ValueError(
            f"interval {row['recording']} {row['emotion']} {row['start_s']}-{row['end_s']} s "
            f"has agreement weight {weights[bad][0]:.4g}, outside (0, 1]: it is not a "
            "level-1 interval of these annotations"
        )
    return np.minimum(weights, 1.0)


def soft_targets(
    intervals: pd.DataFrame, annotations: pd.DataFrame, emotions: Sequence[str]
) -> pd.DataFrame:
    """Soft target of each interval: the annotators' shares of the configured emotions.

    For each configured emotion E the raw score is the coverage of E averaged over the
    interval's time (annotators marking E, time-averaged); the target is the raw scores
    divided by their sum over the configured emotions, so it sums to 1. Consequences:

    - Time where an annotator marked nothing, Neutral or a dropped category adds to no
      emotion: the target is the distribution *among the emotional votes*, not a share
      of all annotators (a stretch marked Angry by one of five annotators and by nobody
      else is 100 % Angry; its agreement weight carries the 1/5).
    - An annotator who marked two kept emotions over the same time votes for both.
    - The interval's own emotion always has a positive share (it is a level-1 interval).

    Example: a stretch marked Angry by two annotators and Sad by one has target
    Angry 2/3, Sad 1/3 (and 0 for the other emotions).

    Returns:
        Columns ``target_<Emotion>`` in ``emotions`` order, indexed like ``intervals``.
    """
    _check(intervals, annotations)
    emotions = list(emotions)
    kept = annotations[annotations["emotion"].astype(str).isin(emotions)]
    raw = (
        np.column_stack(
            [mean_coverage(intervals.assign(emotion=emotion), kept) for emotion in emotions]
        )
        if len(intervals)
        else np.zeros((0, len(emotions)))
    )
    totals = raw.sum(axis=1)
    empty = totals <= 0
    if empty.any():
        row = intervals.iloc[int(np.flatnonzero(empty)[0])]
        raise ValueError(
            f"interval {row['recording']} {row['emotion']} {row['start_s']}-{row['end_s']} s "
            "has no emotional mark over its time: it is not a level-1 interval of these marks"
        )
    return pd.DataFrame(
        raw / np.where(empty, 1, totals)[:, None],
        columns=target_columns(emotions),
        index=intervals.index,
    )


def max_levels(intervals: pd.DataFrame, annotations: pd.DataFrame) -> np.ndarray:
    """Highest agreement level each (level-1) interval reaches.

    The largest k such that some level-k interval of the same recording and emotion lies
    inside the interval, i.e. the peak number of distinct annotators marking the
    interval's emotion over a stretch of positive length inside it. Computed from the
    marks, so it is not capped by the configured levels and ignores the per-level
    ``min_duration_s`` filter (a level-k stretch shorter than that still counts).
    """
    out = np.zeros(len(intervals), dtype=int)
    for i, start, end, instants, counts in _coverage_steps(intervals, annotations):
        lengths, counts = _window(instants, counts, start, end)
        inside = counts[lengths > 0]
        out[i] = int(inside.max()) if len(inside) else 0
    return out


def arm_table(
    level1: pd.DataFrame, annotations: pd.DataFrame, emotions: Sequence[str]
) -> pd.DataFrame:
    """The level-1 table (every column and row kept, in order) plus ``weight``,
    ``target_<Emotion>`` per configured emotion and ``max_level``."""
    table = level1.reset_index(drop=True).copy()
    table[WEIGHT_COLUMN] = agreement_weights(table, annotations)
    targets = soft_targets(table, annotations, emotions)
    for column in targets.columns:
        table[column] = targets[column].to_numpy()
    table[MAX_LEVEL_COLUMN] = max_levels(table, annotations)
    return table


def read_arm_columns(table: pd.DataFrame, emotions: Sequence[str]) -> None:
    """Check that ``table`` carries the arm columns (raises ValueError naming them)."""
    needed = [WEIGHT_COLUMN, MAX_LEVEL_COLUMN, *target_columns(emotions)]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"the training table lacks the arm column(s) {missing}: not an arm table")


# --- the workflow's steps (the scripts stay thin) ----------------------------------------


def run_arm_table(
    level1_csv: str, annotations_csv: str, emotions: Sequence[str], arm: str, out: str
) -> pd.DataFrame:
    """Rule arm_table: ``results/corpus/arms/{arm}.csv`` from level 1 and the marks.

    Every arm's file holds the same columns (the level-1 table, ``weight``,
    ``target_<Emotion>``, ``max_level``); each arm's training reads its own file, so
    adding an arm plans only its own jobs.
    """
    from emoagree.contracts.corpus import read_annotations
    from emoagree.contracts.levels import read_level, write_arm_table

    if arm not in ARMS:
        raise ValueError(f"unknown training arm {arm!r}; choose one of {ARMS}")
    table = arm_table(read_level(level1_csv), read_annotations(annotations_csv), emotions)
    write_arm_table(table, out, [WEIGHT_COLUMN, *target_columns(emotions), MAX_LEVEL_COLUMN])
    log.info(
        "arm %s (%s): %d level-1 intervals; weight mean %.3f (min %.3f); max_level counts %s",
        arm,
        ARM_ROWS[arm],
        len(table),
        float(table[WEIGHT_COLUMN].mean()) if len(table) else float("nan"),
        float(table[WEIGHT_COLUMN].min()) if len(table) else float("nan"),
        table[MAX_LEVEL_COLUMN].value_counts().sort_index().to_dict(),
    )
    return table
