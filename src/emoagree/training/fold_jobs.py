"""A training job trains every fold of one (system, train row, replicate).

Snakemake starts one process per job, and a training process spends seconds importing
its libraries (PyTorch and timm about 3 s, scikit-learn about 1 s) before it fits
anything. One job per fold paid that K times per train row; one job per train row pays it
once. The K models stay separate files (``results/models/<system>/fold<f>/...``) and
their cells read them as before. A job interrupted at fold f resumes there: the networks'
per-fold checkpoints outlive a failed job (they are no Snakemake outputs), so the folds
it had trained resume at their last epoch.

A job fits its folds in turn, or side by side in worker processes (:func:`run_folds`)
when the study has fewer training jobs than the machine has cores
(:func:`fold_workers`): a lab's ``levels: [1]`` with one or two classic systems would
otherwise leave all but one or two cores idle while each job fits its folds one by one.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

log = logging.getLogger(__name__)


def fold_paths(folds: Sequence[int], **paths: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """``[(fold, {name: path})]`` for every fold of a training job, in order, where each
    keyword is a list of per-fold paths in the order of ``folds`` (a rule's named output or
    params list)."""
    folds = [int(f) for f in folds]
    for name, values in paths.items():
        if len(values) != len(folds):
            raise ValueError(
                f"{name}: {len(values)} paths for {len(folds)} folds {folds}; a training "
                "job takes one path per fold"
            )
    return [(fold, {name: str(values[i]) for name, values in paths.items()})
            for i, fold in enumerate(folds)]


def each_fold(
    folds: Sequence[int], **paths: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield :func:`fold_paths`' ``(fold, {name: path})`` in order. Logs which fold
    starts, so a long job shows its progress."""
    jobs = fold_paths(folds, **paths)
    for i, (fold, fold_files) in enumerate(jobs):
        log.info("fold %d: %d of %d in this job", fold, i + 1, len(jobs))
        yield fold, fold_files


def fold_workers(n_jobs: int, n_folds: int, cores: int, cap: int) -> int:
    """How many folds each of ``n_jobs`` equal training jobs of ``n_folds`` folds should
    fit side by side on ``cores`` cores (at most ``cap``, at most ``n_folds``).

    With ``w`` workers a job takes ``ceil(n_folds / w)`` rounds of one fold's time and
    ``cores // w`` jobs run at once, so the jobs take ``ceil(n_jobs / (cores // w)) *
    ceil(n_folds / w)`` rounds; the fewest rounds win, ties going to fewer workers (less
    memory, no process start-up). 12 jobs of 5 folds on 2 cores (the demo): 1 worker
    (30 rounds; 2 would take 36). One job on 2 cores: 2 (3 rounds instead of 5). Two jobs
    on 16 cores: 5 (1 round instead of 5).
    """
    most = max(1, min(int(n_folds), int(cores), int(cap)))
    if n_jobs < 1:
        return 1

    def rounds(workers: int) -> int:
        return math.ceil(n_jobs / (cores // workers)) * math.ceil(n_folds / workers)

    return min(range(1, most + 1), key=lambda workers: (rounds(workers), workers))


def run_folds(
    train_fold: Callable[..., object],
    folds: Sequence[int],
    workers: int = 1,
    log_path: str | None = None,
    **paths: Sequence[str],
) -> None:
    """Call ``train_fold(fold=f, **{name: f's path})`` for every fold ``f``.

    With one worker the folds are fitted in turn in this process. With more, they are
    fitted side by side in ``workers`` processes (joblib's loky). Either way each fold runs
    on one BLAS and OpenMP thread (the arithmetic of a one-thread job), so the files
    written are the same whatever ``workers``. ``train_fold`` must be picklable (a
    module-level function or a :func:`functools.partial` of one). The workers start with
    one thread in their environment and append to the job's log ``log_path``, each line
    tagged with its fold. A fold that fails stops the job with its error.
    """
    from threadpoolctl import threadpool_limits

    workers = max(1, min(int(workers), len(folds)))
    if workers == 1:
        with threadpool_limits(limits=1):  # as in the workers (a one-thread job's already)
            for fold, fold_files in each_fold(folds, **paths):
                train_fold(fold=fold, **fold_files)
        return
    from joblib import Parallel, delayed, parallel_config

    jobs = fold_paths(folds, **paths)
    log.info("folds %s: %d side by side in worker processes (one BLAS thread each)",
             [fold for fold, _ in jobs], workers)
    # the workers start with one BLAS/OpenMP thread, as a one-thread job's process does
    with parallel_config(backend="loky", inner_max_num_threads=1):
        Parallel(n_jobs=workers)(
            delayed(_fold_in_worker)(train_fold, fold, fold_files, log_path)
            for fold, fold_files in jobs
        )
    log.info("folds %s: all %d fitted", [fold for fold, _ in jobs], len(jobs))


def _fold_in_worker(
    train_fold: Callable[..., object], fold: int, fold_files: dict[str, str], log_path: str | None
) -> None:
    """One fold in a worker process of :func:`run_folds`."""
    from threadpoolctl import threadpool_limits

    if log_path is not None:
        from emoagree.joblog import log_worker_to

        log_worker_to(log_path, f"fold {fold}")
    with threadpool_limits(limits=1):
        log.info("started in worker process %d", os.getpid())
        train_fold(fold=fold, **fold_files)
        log.info("done")


def remove_checkpoints(paths: Sequence[str | Path]) -> None:
    """Delete a job's per-fold checkpoints once all its folds are trained (kept until
    then, so that a crash at a later fold does not retrain the earlier ones)."""
    for path in paths:
        Path(path).unlink(missing_ok=True)
