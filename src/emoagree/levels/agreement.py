"""Krippendorff's alpha (nominal) of the annotators' frame labels inside a level's intervals.

Unit definition (the same text is in the README):

- **Units** are frames on a fixed grid of each recording, with centers at
  ``(j + 0.5) * frame_step_s`` (``agreement.frame_step_s`` in the config). Every level-k
  interval ``[start, end)`` contributes one unit per frame center inside it; an interval too
  short to hold a frame center contributes one unit at its midpoint. A unit is the pair
  (interval, frame): where intervals of two emotions overlap in time, the frame is a unit of
  each of them.
- **Coders** are the distinct annotator ids of the corpus (rows of the reliability matrix;
  an annotator who did not annotate a recording is missing on its units).
- **Value** of an annotator for a unit: the interval's emotion if the annotator marked that
  emotion over the frame center; otherwise another kept emotion the annotator marked over it
  (the first in the configured emotion order); otherwise missing (the annotator gave no
  emotional label there: no mark, or only Neutral / a dropped category). Marks are half-open
  ``[start, end)``; an annotator's duplicate and overlapping marks count once.
- Alpha is computed by ``krippendorff.alpha(level_of_measurement="nominal")`` from the
  units' value counts (identical to passing the annotators x units matrix); only *pairable*
  units (at least two annotators with a value) enter the statistic.
- When no unit is pairable, or every pairable value is the same emotion (no variation:
  alpha is undefined), alpha is reported as NaN.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import krippendorff
import numpy as np
import pandas as pd

from emoagree.levels.build import union_of_marks


@dataclass(frozen=True)
class AgreementResult:
    """Alpha of one level and the size of the data behind it."""

    alpha: float
    n_intervals: int
    n_units: int
    n_pairable_units: int
    n_annotators: int
    frame_step_s: float

    def to_dict(self) -> dict:
        values = asdict(self)
        values["alpha"] = None if math.isnan(self.alpha) else float(self.alpha)
        return values


def frame_units(
    starts: np.ndarray, ends: np.ndarray, frame_step_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Frame-center units of intervals.

    Returns:
        ``(owner, time)``: for each unit, the index of its interval and the frame center (s).
    """
    starts = np.asarray(starts, dtype=float)
    ends = np.asarray(ends, dtype=float)
    first = np.ceil(starts / frame_step_s - 0.5).astype(np.int64)
    stop = np.ceil(ends / frame_step_s - 0.5).astype(np.int64)
    counts = np.maximum(stop - first, 0)
    per_interval = np.maximum(counts, 1)  # a short interval still gives one unit
    owner = np.repeat(np.arange(len(starts)), per_interval)
    block_start = np.cumsum(per_interval) - per_interval
    offsets = np.arange(len(owner)) - block_start[owner]  # 0, 1, ... within each interval
    time = (first[owner] + offsets + 0.5) * frame_step_s
    short = counts[owner] == 0
    time[short] = (starts[owner[short]] + ends[owner[short]]) / 2
    return owner, time


def _covered(marks: list[tuple[float, float]], times: np.ndarray) -> np.ndarray:
    """Which ``times`` lie in the union of ``marks`` (half-open)."""
    union = union_of_marks(marks)
    if not union:
        return np.zeros(len(times), dtype=bool)
    starts = np.array([s for s, _ in union])
    ends = np.array([e for _, e in union])
    index = np.searchsorted(starts, times, side="right") - 1
    return (index >= 0) & (times < ends[np.clip(index, 0, None)])


def value_counts(
    intervals: pd.DataFrame,
    annotations: pd.DataFrame,
    emotions: Sequence[str],
    frame_step_s: float,
) -> np.ndarray:
    """Units x emotions matrix: how many annotators gave each emotion to each unit."""
    emotions = list(emotions)
    code = {emotion: i for i, emotion in enumerate(emotions)}
    unknown = sorted(set(intervals["emotion"]) - set(code))
    if unknown:
        raise ValueError(f"intervals carry emotions outside the configured list: {unknown}")
    blocks = []
    marks_by_recording = dict(tuple(annotations.groupby(annotations["recording"].astype(str))))
    for recording, block in intervals.groupby(intervals["recording"].astype(str), sort=True):
        owner, times = frame_units(
            block["start_s"].to_numpy(), block["end_s"].to_numpy(), frame_step_s
        )
        target = block["emotion"].map(code).to_numpy()[owner]
        counts = np.zeros((len(times), len(emotions)), dtype=np.int64)
        marks = marks_by_recording.get(recording)
        if marks is not None:
            for _, own in marks.groupby("annotator", sort=True):
                # cover[e, u]: the annotator marked emotion e over unit u's frame center
                cover = np.zeros((len(emotions), len(times)), dtype=bool)
                for emotion, rows in own.groupby("emotion", sort=False):
                    if emotion in code:
                        pairs = list(zip(rows["start_s"], rows["end_s"], strict=True))
                        cover[code[emotion]] = _covered(pairs, times)
                units = np.arange(len(times))
                on_target = cover[target, units]
                any_label = cover.any(axis=0)
                value = np.where(on_target, target, cover.argmax(axis=0))
                np.add.at(counts, (units[any_label], value[any_label]), 1)
        blocks.append(counts)
    if not blocks:
        return np.zeros((0, len(emotions)), dtype=np.int64)
    return np.concatenate(blocks)


def level_alpha(
    intervals: pd.DataFrame,
    annotations: pd.DataFrame,
    emotions: Sequence[str],
    frame_step_s: float,
) -> AgreementResult:
    """Krippendorff's alpha (nominal) inside one level's intervals (see module docstring).

    Args:
        intervals: the level's intervals (``recording, emotion, start_s, end_s``).
        annotations: the raw marks (``recording, annotator, emotion, start_s, end_s``).
        emotions: kept emotions, in the configured order (the tie-break of other labels).
        frame_step_s: frame grid step in seconds.
    """
    if frame_step_s <= 0:
        raise ValueError(f"frame_step_s must be > 0, got {frame_step_s}")
    counts = value_counts(intervals, annotations, emotions, frame_step_s)
    pairable = counts.sum(axis=1) >= 2
    used = counts[pairable]
    if not pairable.any() or np.count_nonzero(used.sum(axis=0)) < 2:
        alpha = float("nan")
    else:
        alpha = float(krippendorff.alpha(value_counts=used, level_of_measurement="nominal"))
    return AgreementResult(
        alpha=alpha,
        n_intervals=int(len(intervals)),
        n_units=int(len(counts)),
        n_pairable_units=int(pairable.sum()),
        n_annotators=int(annotations["annotator"].nunique()),
        frame_step_s=float(frame_step_s),
    )
