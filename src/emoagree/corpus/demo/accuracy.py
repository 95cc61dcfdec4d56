"""How well agreement intervals match the demo corpus's hidden truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from emoagree.levels.build import union_of_marks


def _overlap(intervals: list[tuple[float, float]], start: float, end: float) -> float:
    return float(sum(max(0.0, min(end, e) - max(start, s)) for s, e in intervals))


def label_accuracy(intervals: pd.DataFrame, truth: pd.DataFrame) -> float:
    """Share of interval time whose label matches the hidden truth at that time.

    Args:
        intervals: ``recording, emotion, start_s, end_s`` (e.g. one agreement level).
        truth: the true episodes ``recording, emotion, start_s, end_s``; any time outside
            them is neutral, so no emotional interval label matches it.

    Returns:
        Sum over intervals of the time the true emotion equals the interval's emotion,
        divided by the summed interval duration; NaN when there is no interval time (an
        empty level of a tiny corpus), since the share is undefined there.

    Raises:
        ValueError: a column is missing.
    """
    for name, table in (("intervals", intervals), ("truth", truth)):
        missing = [c for c in ("recording", "emotion", "start_s", "end_s") if c not in table]
        if missing:
            raise ValueError(f"label_accuracy: {name} lacks column(s) {missing}")
    durations = intervals["end_s"].to_numpy(float) - intervals["start_s"].to_numpy(float)
    total = float(np.clip(durations, 0, None).sum())
    if total <= 0:
        return float("nan")
    episodes = {
        key: union_of_marks(zip(group["start_s"], group["end_s"], strict=True))
        for key, group in truth.groupby(["recording", "emotion"], sort=False)
    }
    matched = 0.0
    for rec, emo, start, end in zip(
        intervals["recording"],
        intervals["emotion"],
        intervals["start_s"],
        intervals["end_s"],
        strict=True,
    ):
        matched += _overlap(episodes.get((rec, emo), []), float(start), float(end))
    return matched / total
