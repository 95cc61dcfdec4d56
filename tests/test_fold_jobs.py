"""One training job per (system, train row, replicate), its folds in turn
(emoagree.training.fold_jobs): per-fold paths, progress lines, refusals."""

import logging

import pytest

from emoagree.training.fold_jobs import each_fold, remove_checkpoints


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
