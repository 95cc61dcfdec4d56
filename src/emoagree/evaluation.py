"""File-level evaluation: one prediction file in, one metrics JSON out."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emoagree.metrics import evaluate_predictions
from emoagree.predictions import read_predictions


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
    table = read_predictions(predictions_path, emotions)
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
