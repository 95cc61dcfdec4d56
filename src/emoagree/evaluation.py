"""File-level evaluation: one prediction file in, one metrics JSON out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emoagree.metrics import evaluate_predictions
from emoagree.predictions import prob_columns, read_predictions

#: How far a scored row's probabilities may sum from one (files keep 6 significant digits).
SUM_TOLERANCE = 0.01


def check_predictions(table: pd.DataFrame, path: str, emotions: Sequence[str]) -> None:
    """Raise a ValueError naming the file and data row (1 = first after the header) of the
    first broken row: a repeated interval, partly empty or negative probabilities, or
    probabilities of a scored row that do not sum to one."""
    duplicated = table["interval_id"].duplicated().to_numpy()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated)[0])
        raise ValueError(
            f"{path}: row {row + 1}: interval_id {table['interval_id'].iloc[row]!r} repeated"
        )
    probs = table[prob_columns(emotions)].to_numpy(dtype=float)
    empty = np.isnan(probs)
    problems = [
        (empty.any(axis=1) & ~empty.all(axis=1), "some probabilities empty, others not"),
        ((probs < 0).any(axis=1), "negative probability"),
        (
            ~empty.any(axis=1) & (np.abs(np.nansum(probs, axis=1) - 1) > SUM_TOLERANCE),
            "probabilities do not sum to 1",
        ),
    ]
    for mask, problem in problems:
        if mask.any():
            row = int(np.flatnonzero(mask)[0])
            raise ValueError(
                f"{path}: row {row + 1} (interval {table['interval_id'].iloc[row]!r}): {problem}"
            )


def load_checked(path: str, emotions: Sequence[str]) -> pd.DataFrame:
    """Read a prediction file and check it (see :func:`check_predictions`)."""
    table = read_predictions(path, emotions)
    check_predictions(table, str(path), emotions)
    return table


def write_metrics(
    predictions_path: str,
    metrics_path: str,
    emotions: Sequence[str],
    n_resamples: int,
    ci_level: float,
    seed: int,
    fusion_info_path: str | None = None,
    log=None,
) -> dict[str, Any]:
    """Evaluate one prediction file and write ``results/metrics/.../*.json``.

    For a fused system the fusion info file of the same cell (which protocol chose the
    weights, how many intervals one modality decided alone) is copied in under ``fusion``.
    """
    table = load_checked(predictions_path, emotions)
    if table.empty:
        raise ValueError(f"{predictions_path}: no intervals to evaluate")
    metrics = evaluate_predictions(table, emotions, n_resamples, seed, ci_level)
    metrics["predictions"] = str(predictions_path)
    if fusion_info_path:
        info = json.loads(Path(fusion_info_path).read_text())
        metrics["fusion"] = {k: v for k, v in info.items() if k != "weights_file"}
        metrics["optimistic"] = bool(info.get("optimistic", False))
    else:
        metrics["optimistic"] = False
    if log is not None:
        uar = metrics["uar"]
        low, high = metrics["uar_ci"]
        print(
            f"{predictions_path}: UAR {uar} [{low}, {high}] on {metrics['n_scored']} scored of "
            f"{metrics['n_intervals']} intervals",
            file=log,
        )
    Path(metrics_path).parent.mkdir(parents=True, exist_ok=True)
    Path(metrics_path).write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics
