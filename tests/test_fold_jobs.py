"""One training job per (system, train row, replicate), its folds in turn or side by side
(emoagree.training.fold_jobs): per-fold paths, progress lines, refusals, worker counts."""

import json
import logging
import os
from pathlib import Path

import pytest

from emoagree.joblog import log_to
from emoagree.training.fold_jobs import each_fold, fold_workers, remove_checkpoints, run_folds


def record_fold(fold: int, out: str) -> None:
    """A fold's stand-in for run_folds: writes its fold, process and BLAS/OpenMP threads."""
    from threadpoolctl import threadpool_info

    logging.getLogger("emoagree.tests").info("fitting fold %d", fold)
    threads = sorted({pool["num_threads"] for pool in threadpool_info()})
    Path(out).write_text(json.dumps({"fold": fold, "pid": os.getpid(), "threads": threads}))


def fail_at_fold_one(fold: int, out: str) -> None:
    if fold == 1:
        raise ValueError(f"fold {fold}: no scorable training interval in {out}")
    Path(out).write_text("done")


def test_each_fold_pairs_every_fold_with_its_paths_in_order(caplog):
    models = ["m/fold0.pt", "m/fold1.pt", "m/fold2.pt"]
    vals = ["p/fold0/val.csv", "p/fold1/val.csv", "p/fold2/val.csv"]
    with caplog.at_level(logging.INFO, logger="emoagree.training.fold_jobs"):
        got = list(each_fold((0, 1, 2), model=models, val=vals))
    assert got == [(0, {"model": "m/fold0.pt", "val": "p/fold0/val.csv"}),
                   (1, {"model": "m/fold1.pt", "val": "p/fold1/val.csv"}),
                   (2, {"model": "m/fold2.pt", "val": "p/fold2/val.csv"})]
    assert [r.getMessage() for r in caplog.records] == [
        "fold 0: 1 of 3 in this job", "fold 1: 2 of 3 in this job", "fold 2: 3 of 3 in this job"]


def test_each_fold_keeps_global_fold_ids_of_split_repeats():
    # with split repeats the folds are global ids (repeat r's fold f is r * K + f)
    got = [fold for fold, _ in each_fold([3, 4, 5], model=["a", "b", "c"])]
    assert got == [3, 4, 5]


def test_each_fold_refuses_a_path_list_of_another_length():
    with pytest.raises(ValueError, match=r"val: 2 paths for 3 folds \[0, 1, 2\]"):
        list(each_fold([0, 1, 2], model=["a", "b", "c"], val=["x", "y"]))


def test_remove_checkpoints_deletes_present_and_skips_absent(tmp_path):
    kept = tmp_path / "fold0.ckpt"
    kept.write_bytes(b"x")
    remove_checkpoints([kept, tmp_path / "fold1.ckpt"])
    assert not kept.exists()


@pytest.mark.parametrize(
    ("n_jobs", "n_folds", "cores", "cap", "expected"),
    [
        (12, 5, 2, 8, 1),  # the demo: 6 x 5 = 30 rounds in turn, 12 x 3 = 36 side by side
        (1, 5, 2, 8, 2),  # one job on 2 cores: 3 rounds instead of 5
        (2, 5, 2, 8, 1),  # two jobs on 2 cores: 5 rounds; 2 workers each would take 6
        (2, 5, 16, 8, 5),  # a lab's levels [1], svm and lr, on 16 cores: 1 round
        (2, 5, 16, 3, 3),  # capped by audio.max_threads
        (1, 3, 16, 8, 3),  # never more workers than folds
        (1, 5, 1, 8, 1),  # one core
        (0, 5, 4, 8, 1),  # no classic training job
    ],
)
def test_fold_workers_takes_the_fewest_rounds(n_jobs, n_folds, cores, cap, expected):
    assert fold_workers(n_jobs, n_folds, cores, cap) == expected


def test_run_folds_in_turn_stays_in_this_process(tmp_path, caplog):
    outs = [str(tmp_path / f"fold{f}.json") for f in range(3)]
    with caplog.at_level(logging.INFO, logger="emoagree.training.fold_jobs"):
        run_folds(record_fold, [0, 1, 2], workers=1, out=outs)
    records = [json.loads(Path(out).read_text()) for out in outs]
    assert [r["fold"] for r in records] == [0, 1, 2]
    assert {r["pid"] for r in records} == {os.getpid()}
    assert "fold 2: 3 of 3 in this job" in caplog.messages


def test_run_folds_side_by_side_on_one_blas_thread_each_logs_to_the_job_log(
    tmp_path, restore_stderr, monkeypatch
):
    """Two worker processes, each on one BLAS/OpenMP thread, append their tagged lines to
    the job's log after what the job wrote (log_to opens it for appending)."""
    # as Snakemake sets them for a 4-thread job: the workers inherit them, and run_folds
    # must still fit each fold on one thread
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "4")
    log_path = tmp_path / "job.log"
    log_to(str(log_path))
    logging.getLogger("emoagree.tests").info("before the folds")
    outs = [str(tmp_path / f"fold{f}.json") for f in range(4)]
    run_folds(record_fold, [0, 1, 2, 3], workers=2, log_path=str(log_path), out=outs)
    logging.getLogger("emoagree.tests").info("after the folds")
    records = [json.loads(Path(out).read_text()) for out in outs]
    assert [r["fold"] for r in records] == [0, 1, 2, 3]
    assert os.getpid() not in {r["pid"] for r in records}
    assert all(r["threads"] in ([], [1]) for r in records), records
    lines = log_path.read_text().splitlines()
    assert "before the folds" in lines[0] and "after the folds" in lines[-1]
    for fold in range(4):
        assert any(f"[fold {fold}] fitting fold {fold}" in line for line in lines), lines


def test_run_folds_side_by_side_stops_at_a_failing_fold_with_its_error(tmp_path):
    outs = [str(tmp_path / f"fold{f}.txt") for f in range(3)]
    with pytest.raises(ValueError, match="fold 1: no scorable training interval in .*fold1.txt"):
        run_folds(fail_at_fold_one, [0, 1, 2], workers=2, out=outs)
