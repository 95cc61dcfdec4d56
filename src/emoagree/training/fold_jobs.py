"""A training job trains every fold of one (system, train row, replicate) in turn.

Snakemake starts one process per job, and a training process spends seconds importing
its libraries (PyTorch and timm about 3 s, scikit-learn about 1 s) before it fits
anything. One job per fold paid that K times per train row; one job per train row pays it
once. The K models stay separate files (``results/models/<system>/fold<f>/...``) and
their cells read them as before. A job interrupted at fold f resumes there: the networks'
per-fold checkpoints outlive a failed job (they are no Snakemake outputs), so the folds
it had trained resume at their last epoch.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

log = logging.getLogger(__name__)


def each_fold(
    folds: Sequence[int], **paths: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(fold, {name: path})`` for every fold of a training job, in order, where
    each keyword is a list of per-fold paths in the order of ``folds`` (a rule's named
    output or params list). Logs which fold starts, so a long job shows its progress."""
    folds = [int(f) for f in folds]
    for name, values in paths.items():
        if len(values) != len(folds):
            raise ValueError(
                f"{name}: {len(values)} paths for {len(folds)} folds {folds}; a training "
                "job takes one path per fold"
            )
    for i, fold in enumerate(folds):
        log.info("fold %d: %d of %d in this job", fold, i + 1, len(folds))
        yield fold, {name: str(values[i]) for name, values in paths.items()}


def remove_checkpoints(paths: Sequence[str | Path]) -> None:
    """Delete a job's per-fold checkpoints once all its folds are trained (kept until
    then, so that a crash at a later fold does not retrain the earlier ones)."""
    for path in paths:
        Path(path).unlink(missing_ok=True)
