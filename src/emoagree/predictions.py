"""The prediction-file contract between models, fusion and evaluation.

``results/predictions/{system}/train{i}/test{j}.csv`` (and ``val.csv``) hold one row per
interval of the evaluated set: ``interval_id, emotion, prob_<E>...``. An interval that a
system cannot score (audio too short, no face found) is present with empty probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd


def prob_columns(emotions: Sequence[str]) -> list[str]:
    return [f"prob_{e}" for e in emotions]


def make_predictions(
    interval_ids: Sequence[str],
    true_emotions: Sequence[str],
    probabilities: np.ndarray,
    emotions: Sequence[str],
) -> pd.DataFrame:
    """Build a prediction table; rows of ``probabilities`` that are all NaN mean 'not scored'."""
    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape != (len(interval_ids), len(emotions)):
        raise ValueError(
            f"probabilities have shape {probabilities.shape}, expected "
            f"({len(interval_ids)}, {len(emotions)})"
        )
    table = pd.DataFrame({"interval_id": list(interval_ids), "emotion": list(true_emotions)})
    for column, values in zip(prob_columns(emotions), probabilities.T, strict=True):
        table[column] = values
    return table


def write_predictions(table: pd.DataFrame, path: str | Path, emotions: Sequence[str]) -> None:
    columns = ["interval_id", "emotion", *prob_columns(emotions)]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"prediction table for {path} lacks columns {missing}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table[columns].to_csv(path, index=False, float_format="%.6g")


def read_predictions(path: str | Path, emotions: Sequence[str]) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"interval_id": str, "emotion": str})
    columns = ["interval_id", "emotion", *prob_columns(emotions)]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return table[columns]


def scored_mask(table: pd.DataFrame, emotions: Sequence[str]) -> np.ndarray:
    """Rows whose probabilities are present (an interval the system could score)."""
    return table[prob_columns(emotions)].notna().all(axis=1).to_numpy()
