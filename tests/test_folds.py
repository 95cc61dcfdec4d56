"""Fold plumbing: the parts of one fold, pooled test predictions, pooled val files and
fusion with per-fold weights (each interval is predicted by the fold that held it out)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from emoagree.contracts.predictions import pool_prediction_files, read_checked, write_arrays
from emoagree.fusion.steps import run_apply
from emoagree.levels.folds import (
    as_fold_paths,
    fold_part_rows,
    fold_test_rows,
    fold_view,
    pool_folds,
)

EMOTIONS = ["Angry", "Happy", "Sad"]


def five_fold_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interval_id": [f"i{k}" for k in range(10)],
            "emotion": ["Angry", "Happy", "Sad", "Angry", "Happy"] * 2,
            "split": ["test"] * 10,
            "fold": [0, 1, 2, 3, 4, 4, 3, 2, 1, 0],
        }
    )


def test_fold_view_tests_its_fold_validates_on_the_next_and_trains_on_the_rest():
    table = five_fold_table()
    view = fold_view(table, 4, 5)
    assert view.loc[table["fold"] == 4, "split"].eq("test").all()
    assert view.loc[table["fold"] == 0, "split"].eq("val").all()  # (4 + 1) % 5
    assert set(view.loc[table["fold"].isin([1, 2, 3]), "split"]) == {"train"}
    no_val = fold_view(table, 4, 5, with_val=False)
    assert set(no_val["split"]) == {"train", "test"}
    assert table["split"].eq("test").all()  # the input is not changed


def test_every_interval_is_tested_by_exactly_one_fold_and_validated_by_one():
    table = five_fold_table()
    tested = np.concatenate([rows for _, rows in fold_test_rows(table, 5)])
    assert sorted(tested.tolist()) == list(range(10))
    validated = [
        np.flatnonzero(fold_view(table, f, 5)["split"].to_numpy() == "val") for f in range(5)
    ]
    assert sorted(np.concatenate(validated).tolist()) == list(range(10))


def test_one_fold_uses_the_split_column_and_two_folds_are_refused():
    table = pd.DataFrame({"split": ["train", "val", "test", "test"], "fold": [0] * 4})
    assert fold_view(table, 0, 1) is table
    [(fold, rows)] = fold_test_rows(table, 1)
    assert fold == 0 and rows.tolist() == [2, 3]
    with pytest.raises(ValueError, match="1 or at least 3"):
        fold_view(table, 0, 2)
    with pytest.raises(ValueError, match="outside 0..4"):
        fold_view(five_fold_table(), 5, 5)
    with pytest.raises(ValueError, match="no 'fold' column"):
        fold_view(table.drop(columns="fold"), 0, 3)


def test_pool_folds_predicts_each_interval_with_the_model_of_its_fold():
    table = five_fold_table()
    calls = []

    def predict_fold(fold, rows):
        calls.append((fold, sorted(rows.tolist())))
        return np.tile(np.array([fold, 0.0, 0.0]), (len(rows), 1))

    rows, probs = pool_folds(table, 5, 3, predict_fold)
    assert rows.tolist() == list(range(10))
    np.testing.assert_array_equal(probs[:, 0], table["fold"].to_numpy())
    assert [c[0] for c in calls] == [0, 1, 2, 3, 4]
    assert calls[0][1] == [0, 9]


def test_val_part_rows_are_those_fold_view_calls_val_each_interval_once():
    table = five_fold_table()
    parts = fold_part_rows(table, 5, "val")
    for fold, rows in parts:
        view = fold_view(table, fold, 5)
        assert rows.tolist() == np.flatnonzero(view["split"].to_numpy() == "val").tolist()
    assert parts[4][1].tolist() == [0, 9]  # fold 4 validates on fold 0's intervals
    assert sorted(np.concatenate([r for _, r in parts]).tolist()) == list(range(10))
    one = pd.DataFrame({"split": ["train", "val", "test", "val"], "fold": [0] * 4})
    assert [(f, r.tolist()) for f, r in fold_part_rows(one, 1, "val")] == [(0, [1, 3])]
    with pytest.raises(ValueError, match="part 'train'"):
        fold_part_rows(table, 5, "train")


def test_pool_folds_val_part_predicts_each_interval_with_the_fold_that_validated_on_it():
    table = five_fold_table()

    def predict_fold(fold, rows):
        return np.tile(np.array([fold, 0.0, 0.0]), (len(rows), 1))

    rows, probs = pool_folds(table, 5, 3, predict_fold, part="val")
    assert rows.tolist() == list(range(10))
    np.testing.assert_array_equal(probs[:, 0], (table["fold"].to_numpy() - 1) % 5)


def test_val_cell_metrics_score_each_folds_val_part_with_the_shared_units(tmp_path):
    from emoagree.evaluation.cells import score_cell

    table = five_fold_table().assign(unit=[f"u{k}" for k in range(10)])
    table.to_csv(tmp_path / "level.csv", index=False)
    table.to_csv(tmp_path / "split.csv", index=False)
    # right on the intervals validated by folds 0-2, wrong on those of folds 3 and 4
    predicting = (table["fold"].to_numpy() - 1) % 5
    codes = np.array([EMOTIONS.index(e) for e in table["emotion"]])
    guess = np.where(predicting <= 2, codes, (codes + 1) % 3)
    write_arrays(tmp_path / "val1.csv", table["interval_id"], table["emotion"],
                 np.eye(3)[guess], EMOTIONS)
    evaluation = {"bootstrap_resamples": 50, "ci_level": 0.95}
    metrics = score_cell(str(tmp_path / "val1.csv"), tmp_path / "val1.json",
                         str(tmp_path / "level.csv"), str(tmp_path / "split.csv"), EMOTIONS,
                         evaluation, 0, "s/train1", part="val", n_folds=5)
    assert metrics["part"] == "val" and metrics["n_intervals"] == 10
    assert {f: v["uar"] for f, v in metrics["per_fold"].items()} == {
        "0": 1.0, "1": 1.0, "2": 1.0, "3": 0.0, "4": 0.0}
    assert metrics["bootstrap_units"] == 10
    saved = json.loads((tmp_path / "val1.json").read_text())
    assert saved["uar"] == metrics["uar"] and "uar_ci" in saved


def test_as_fold_paths_takes_one_path_or_a_list(tmp_path):
    assert as_fold_paths(tmp_path / "m") == [tmp_path / "m"]
    assert as_fold_paths("m") == ["m"]
    assert as_fold_paths(["a", "b"]) == ["a", "b"]


def test_pooled_val_files_are_ordered_and_must_be_disjoint(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_arrays(a, ["i2", "i0"], ["Sad", "Angry"], np.eye(3)[[2, 0]], EMOTIONS)
    write_arrays(b, ["i1"], ["Happy"], np.full((1, 3), np.nan), EMOTIONS)
    pooled = pool_prediction_files([a, b], tmp_path / "pooled.csv", EMOTIONS)
    assert pooled.interval_ids == ["i0", "i1", "i2"]
    back = read_checked(tmp_path / "pooled.csv", EMOTIONS)
    assert back.emotions_true == ["Angry", "Happy", "Sad"]
    assert np.isnan(back.probs[1]).all() and back.probs[2].tolist() == [0, 0, 1]
    with pytest.raises(ValueError, match="both"):
        pool_prediction_files([a, a], tmp_path / "bad.csv", EMOTIONS)


def fold_revealing_fusion(tmp_path):
    """Six Angry intervals in three folds (0, 1, 2, 0, 1, 2); fold 0's weights trust only
    audio, fold 1's and fold 2's only video; audio says Angry and video says Sad
    everywhere, so the fused label reveals the fold whose weights were used.

    Returns:
        (level table, audio predictions, video predictions, the folds' weight files).
    """
    ids = [f"i{k}" for k in range(6)]
    level = pd.DataFrame(
        {"interval_id": ids, "emotion": ["Angry"] * 6, "split": ["test"] * 6,
         "fold": [0, 1, 2, 0, 1, 2]}
    )
    level_csv = tmp_path / "level1.csv"
    level.to_csv(level_csv, index=False)
    audio, video = tmp_path / "a.csv", tmp_path / "v.csv"
    write_arrays(audio, ids, ["Angry"] * 6, np.tile([0.8, 0.1, 0.1], (6, 1)), EMOTIONS)
    write_arrays(video, ids, ["Angry"] * 6, np.tile([0.1, 0.1, 0.8], (6, 1)), EMOTIONS)
    weight_files = []
    for fold, (wa, wv) in enumerate([(1.0, 0.0), (0.0, 1.0), (0.0, 1.0)]):
        path = tmp_path / f"w{fold}.json"
        path.write_text(json.dumps({"weights": {
            "audio": dict.fromkeys(EMOTIONS, wa), "video": dict.fromkeys(EMOTIONS, wv)}}))
        weight_files.append(path)
    return level_csv, audio, video, weight_files


def test_fusion_applies_the_weights_of_the_fold_that_tested_each_interval(tmp_path):
    level_csv, audio, video, weight_files = fold_revealing_fusion(tmp_path)
    settings = {"selection": "val", "draws": 10, "concentration": 1.0,
                "normalisation": "joint"}
    info = run_apply(weight_files, audio, video, tmp_path / "f.csv", tmp_path / "f.json",
                     EMOTIONS, settings, 0, level_csv=level_csv, n_folds=3)
    fused = read_checked(tmp_path / "f.csv", EMOTIONS)
    labels = [EMOTIONS[i] for i in fused.probs.argmax(axis=1)]
    assert labels == ["Angry", "Sad", "Sad", "Angry", "Sad", "Sad"]
    assert len(info["weights_per_fold"]) == 3
    with pytest.raises(ValueError, match="2 fusion weight files for 3 folds"):
        run_apply(weight_files[:2], audio, video, tmp_path / "g.csv", tmp_path / "g.json",
                  EMOTIONS, settings, 0, level_csv=level_csv, n_folds=3)


def test_fused_val_intervals_take_the_weights_of_the_fold_that_validated_on_them(tmp_path):
    # The val{j} intervals of fold f's val part (fold (f + 1) % 3) take fold f's
    # weights: fold 0 (audio, Angry) validates on fold 1's intervals.
    level_csv, audio, video, weight_files = fold_revealing_fusion(tmp_path)
    settings = {"selection": "test", "draws": 10, "concentration": 1.0,
                "normalisation": "joint"}
    info = run_apply(weight_files, audio, video, tmp_path / "f.csv", tmp_path / "f.json",
                     EMOTIONS, settings, 0, level_csv=level_csv, n_folds=3,
                     val_paths=(audio, video, tmp_path / "val1.csv"))
    fused = read_checked(tmp_path / "val1.csv", EMOTIONS)
    labels = [EMOTIONS[i] for i in fused.probs.argmax(axis=1)]
    assert labels == ["Sad", "Angry", "Sad", "Sad", "Angry", "Sad"]
    # the test cell searched on test labels (optimistic); val{j} never does
    assert info["optimistic"] is True and info["val"]["chosen_on"] == "val"


def test_a_fold_model_scores_only_the_frames_of_its_val_and_test_stretches(tmp_path):
    from types import SimpleNamespace

    from emoagree.video.effnet_steps import frames_to_score

    times = np.arange(0.0, 10.0, 1.0) + 0.5  # frames at 0.5, 1.5, ..., 9.5 s
    tracks = {"r": SimpleNamespace(timestamp_s=times, has_face=np.ones(10, dtype=bool))}
    split = pd.DataFrame(
        {"interval_id": ["a", "b", "c"], "recording": ["r"] * 3, "emotion": ["Sad"] * 3,
         "start_s": [0.0, 4.0, 7.0], "end_s": [2.0, 6.0, 10.0], "split": ["test"] * 3,
         "fold": [0, 1, 2]}
    )
    split.to_csv(tmp_path / "split.csv", index=False)
    needed = frames_to_score(tracks, tmp_path / "split.csv", 0, 3)  # test fold 0, val fold 1
    assert np.flatnonzero(needed["r"]).tolist() == [0, 1, 4, 5]
    assert frames_to_score(tracks, None, 0, 3)["r"].all()


def test_fusion_weights_of_a_fold_with_nothing_scored_are_even_and_said_so(tmp_path):
    from emoagree.fusion.steps import run_weight_search

    ids = ["i0", "i1"]
    audio, video = tmp_path / "a.csv", tmp_path / "v.csv"
    write_arrays(audio, ids, ["Angry", "Sad"], np.full((2, 3), np.nan), EMOTIONS)
    write_arrays(video, ids, ["Angry", "Sad"], np.full((2, 3), np.nan), EMOTIONS)
    settings = {"selection": "val", "draws": 10, "concentration": 1.0,
                "normalisation": "joint"}
    with open(tmp_path / "log.txt", "w") as log:
        [record] = run_weight_search(audio, video, tmp_path / "w.json", tmp_path / "val.csv",
                                     EMOTIONS, settings, 0, log=log)
    assert record["unchosen"].startswith("no interval is scored")
    assert record["candidate"] == "even" and record["cross_fitted"] is False
    even = dict.fromkeys(EMOTIONS, pytest.approx(1 / 6))  # joint: 2 x 3 entries summing to 1
    assert record["weights"] == {"audio": even, "video": even}
    assert "WARNING" in (tmp_path / "log.txt").read_text()
    assert not np.isfinite(read_checked(tmp_path / "val.csv", EMOTIONS).probs).any()


def test_fusion_weights_of_a_fold_with_an_empty_val_part_are_even(tmp_path):
    from emoagree.fusion.steps import run_weight_search

    audio, video = tmp_path / "a.csv", tmp_path / "v.csv"
    for path in (audio, video):
        write_arrays(path, [], [], np.zeros((0, 3)), EMOTIONS)
    settings = {"selection": "val", "draws": 10, "concentration": 1.0,
                "normalisation": "joint"}
    [record] = run_weight_search(audio, video, tmp_path / "w.json", tmp_path / "val.csv",
                                 EMOTIONS, settings, 0)
    assert record["unchosen"] and record["n_intervals"] == 0
    assert read_checked(tmp_path / "val.csv", EMOTIONS).interval_ids == []


@pytest.mark.slow
def test_two_replicates_run_end_to_end_and_every_cell_scores_both(tmp_path):
    """replicates: 2 on the tiny corpus (levels 1-2, LR + forest + their fusion): every
    model exists twice, the forest's two seeds give different predictions, each cell's
    metrics carry both replicates' UARs and the answer states R = 2."""
    import yaml
    from study import TINY_CONFIG, snakemake

    small = tmp_path / "small.yaml"
    small.write_text(yaml.safe_dump({
        "levels": [1, 2],
        "replicates": 2,
        "systems": {"audio": ["audio_lr"], "video": ["video_vggf_rf"],
                    "fusion": [["audio_lr", "video_vggf_rf"]]},
    }))
    snakemake(tmp_path, "--cores", "2", configfiles=(TINY_CONFIG, small))
    models = tmp_path / "results/models"
    for system, ext in (("audio_lr", "joblib"), ("video_vggf_rf", "joblib"),
                        ("fusion_audio_lr_video_vggf_rf", "json")):
        for fold in range(3):
            for rep in ("", ".rep1"):
                assert (models / f"{system}/fold{fold}/train1{rep}.{ext}").is_file()
    predictions = tmp_path / "results/predictions/video_vggf_rf/train1"
    assert (predictions / "test2.csv").read_text() != (predictions / "test2.rep1.csv").read_text()
    for system in ("audio_lr", "video_vggf_rf", "fusion_audio_lr_video_vggf_rf"):
        # val1, val2: the validation cross-evaluation, written by the same cell jobs
        for name in ("test1", "test2", "val", "val1", "val2"):
            path = tmp_path / f"results/metrics/{system}/train2/{name}.json"
            cell = json.loads(path.read_text())
            assert cell["replicates"] == 2, (system, name)
            assert len(cell["uar_replicates"]) == 2
            assert cell["uar"] == pytest.approx(sum(cell["uar_replicates"]) / 2, abs=1e-3)
    answer = json.loads((tmp_path / "results/tables/answer.json").read_text())
    assert answer["protocol"]["replicates"] == 2
