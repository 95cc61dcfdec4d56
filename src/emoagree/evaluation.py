"""File-level evaluation: one prediction file in, one metrics JSON out (no pandas)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emoagree.metrics import evaluate_arrays
from emoagree.predarrays import PredictionArrays, check_arrays, read_checked

if TYPE_CHECKING:
    import pandas as pd


def check_predictions(table: pd.DataFrame, path: str, emotions: Sequence[str]) -> None:
    """Check a prediction table as :func:`emoagree.predarrays.check_arrays` does."""
    probs = table[[f"prob_{e}" for e in emotions]].to_numpy(dtype=float)
    check_arrays(
        PredictionArrays(
            str(path), [str(i) for i in table["interval_id"]], list(table["emotion"]), probs
        )
    )


def load_checked(path: str, emotions: Sequence[str]) -> pd.DataFrame:
    """Read a prediction file into a DataFrame and check it."""
    from emoagree.predictions import read_predictions

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
    data = read_checked(predictions_path, emotions)
    if not data.interval_ids:
        raise ValueError(f"{predictions_path}: no intervals to evaluate")
    metrics = evaluate_arrays(data.emotions_true, data.probs, emotions, n_resamples, seed, ci_level)
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
