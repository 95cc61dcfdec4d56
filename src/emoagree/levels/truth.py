"""Demo only: how well training data match the demo corpus's hidden truth.

:func:`label_accuracy` is the one share of interval time whose label is the true emotion
(the levels' truth figure, each level's row of the arms' truth table);
:func:`arm_truth_accuracy` weighs it by an arm's weights, targets or curriculum stages.
The truth is the generator's ``truth.csv`` (true episodes ``recording, emotion, start_s,
end_s``); any time outside them is neutral, so no emotional label matches it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from emoagree.levels.arms import ARMS, MAX_LEVEL_COLUMN, WEIGHT_COLUMN, target_columns
from emoagree.levels.build import union_of_marks
from emoagree.levels.curriculum import curriculum_settings


def _truth_overlaps(
    intervals: pd.DataFrame, truth: pd.DataFrame, emotions: Sequence[str]
) -> np.ndarray:
    """Seconds of each interval during which the hidden truth is each emotion."""
    episodes = {
        key: union_of_marks(zip(group["start_s"], group["end_s"], strict=True))
        for key, group in truth.astype({"recording": str}).groupby(["recording", "emotion"])
    }
    out = np.zeros((len(intervals), len(emotions)))
    for i, (rec, start, end) in enumerate(
        zip(
            intervals["recording"].astype(str),
            intervals["start_s"].astype(float),
            intervals["end_s"].astype(float),
            strict=True,
        )
    ):
        for j, emotion in enumerate(emotions):
            out[i, j] = sum(
                max(0.0, min(end, e) - max(start, s)) for s, e in episodes.get((rec, emotion), [])
            )
    return out


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
    intervals = intervals.reset_index(drop=True)
    durations = (intervals["end_s"].astype(float) - intervals["start_s"].astype(float)).to_numpy()
    total = float(np.clip(durations, 0, None).sum())
    if total <= 0:
        return float("nan")
    labels = intervals["emotion"].astype(str)
    emotions = sorted(set(labels))
    overlaps = _truth_overlaps(intervals, truth, emotions)
    own = np.array([emotions.index(e) for e in labels], dtype=int)
    return float(overlaps[np.arange(len(intervals)), own].sum() / total)


def arm_truth_accuracy(
    table: pd.DataFrame,
    truth: pd.DataFrame,
    emotions: Sequence[str],
    parts: Sequence[str] | None = None,
    stages: Sequence[int] = (),
) -> dict[str, float]:
    """Demo only: label accuracy of the arms' training data against the hidden truth.

    All shares are of interval time, as :func:`label_accuracy`:

    - ``Mw``: weight-averaged, ``sum_i w_i * m_i / sum_i w_i * d_i`` (m_i: seconds of
      interval i whose true emotion is its label, d_i its duration);
    - ``Ms``: target-averaged, ``sum_i sum_e t_ie * m_ie / sum_i d_i`` (m_ie: seconds whose
      true emotion is e): the expected accuracy of a label drawn from the soft target;
    - ``Mc>=k`` for each curriculum stage k: the plain accuracy of the intervals that
      stage admits (``max_level >= k``).

    Args:
        table: an arm table (:func:`emoagree.levels.arms.arm_table`).
        parts: keep only these ``split`` values (None: every interval).

    Returns:
        Name -> share in [0, 1] (NaN when no interval time).
    """
    emotions = list(emotions)
    if parts is not None:
        table = table[table["split"].astype(str).isin(list(parts))]
    table = table.reset_index(drop=True)
    durations = (table["end_s"].astype(float) - table["start_s"].astype(float)).to_numpy()
    overlaps = _truth_overlaps(table, truth, emotions)
    own = np.array([emotions.index(e) for e in table["emotion"].astype(str)], dtype=int)
    matched = overlaps[np.arange(len(table)), own] if len(table) else np.zeros(0)
    weights = table[WEIGHT_COLUMN].to_numpy(dtype=float)
    targets = table[target_columns(emotions)].to_numpy(dtype=float)

    def share(numerator: float, denominator: float) -> float:
        return float(numerator / denominator) if denominator > 0 else float("nan")

    out = {
        "Mw": share((weights * matched).sum(), (weights * durations).sum()),
        "Ms": share((targets * overlaps).sum(), durations.sum()),
    }
    levels = table[MAX_LEVEL_COLUMN].to_numpy(dtype=int)
    for stage in stages:
        rows = levels >= int(stage)
        out[f"Mc>={int(stage)}"] = share(matched[rows].sum(), durations[rows].sum())
    return out


def truth_accuracy_table(
    levels: Mapping[int, pd.DataFrame],
    arms: Mapping[str, pd.DataFrame],
    truth: pd.DataFrame,
    emotions: Sequence[str],
    curriculum: Mapping | None = None,
) -> pd.DataFrame:
    """Demo only: label accuracy of each train row's data against the hidden truth.

    Rows: every level (plain time share, as the truth figure), then each configured arm
    (``Mw`` weight-averaged, ``Ms`` target-averaged, ``Mc`` per curriculum stage as
    ``Mc>=k``; :func:`arm_truth_accuracy`). Over every interval of the table (all parts),
    as the levels' figure. Columns ``row, data, accuracy, intervals``.
    """
    rows = [
        {
            "row": str(level),
            "data": f"level {level}",
            "accuracy": label_accuracy(table, truth),
            "intervals": len(table),
        }
        for level, table in sorted(levels.items())
    ]
    stages = curriculum_settings(curriculum)["stages"]
    for arm in ARMS:
        if arm not in arms:
            continue
        table = arms[arm]
        shares = arm_truth_accuracy(table, truth, emotions, stages=stages)
        if arm == "weighted":
            rows.append(
                {
                    "row": "Mw",
                    "data": "level 1, weight-averaged",
                    "accuracy": shares["Mw"],
                    "intervals": len(table),
                }
            )
        elif arm == "soft":
            rows.append(
                {
                    "row": "Ms",
                    "data": "level 1, target-averaged",
                    "accuracy": shares["Ms"],
                    "intervals": len(table),
                }
            )
        else:
            for stage in stages:
                admitted = int((table[MAX_LEVEL_COLUMN] >= stage).sum())
                rows.append(
                    {
                        "row": "Mc",
                        "data": f"curriculum stage max_level >= {stage}",
                        "accuracy": shares[f"Mc>={stage}"],
                        "intervals": admitted,
                    }
                )
    return pd.DataFrame(rows, columns=["row", "data", "accuracy", "intervals"])
