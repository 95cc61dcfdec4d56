"""The cell metrics: ``results/metrics/{system}/train{i}/{part}.json``, their one reader
and writer (no pandas).

``part`` is ``test{j}`` (the model of train row i scored on test level j), ``val`` (on
its own validation set, pooled over folds) or ``val{j}`` (the validation
cross-evaluation). The keys are :func:`emoagree.evaluation.scores.evaluate_arrays`'s
(``uar``, ``uar_ci``, ``recall``, ``coverage``, ``n_intervals``, ``n_scored``, ...) and
those :func:`emoagree.evaluation.cells.write_metrics` adds (``part``, ``predictions``,
``optimistic``, a fused cell's ``fusion``); every reader needs :data:`REQUIRED_KEYS`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emoagree.contracts._tables import ContractError

#: The keys every reader of a metrics file needs.
REQUIRED_KEYS = ("uar",)


def write_metrics(metrics: Mapping[str, Any], path: str | Path) -> None:
    """Write one cell's metrics (indented JSON, one trailing newline)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(metrics, indent=2) + "\n")


def read_metrics(path: str | Path) -> dict[str, Any]:
    """One cell's metrics.

    Raises:
        ContractError: naming the file: not valid JSON, not an object, or a missing key.
    """
    try:
        metrics = json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise ContractError(f"{path}: not valid JSON ({error})") from error
    if not isinstance(metrics, dict):
        raise ContractError(f"{path}: not a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in metrics]
    if missing:
        raise ContractError(f"{path}: missing key(s) {missing}")
    return metrics
