"""Split repeats (``split.repeats: R``): the K-fold split dealt R times with different seeds,
global fold ids ``r * K + f``, cells that pool every repeat, fusion weights cross-fitted
within a repeat, and a plan with R times the model jobs and the same cells."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from levels_fixtures import make_corpus
from study import TINY_CONFIG, planned_jobs, snakemake

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.contracts.levels import INTERVAL_COLUMNS, read_level, write_level
from emoagree.contracts.predictions import pool_prediction_files, read_checked, write_arrays
from emoagree.contracts.split import read_split
from emoagree.evaluation.cells import write_metrics
from emoagree.evaluation.parts import read_part_intervals
from emoagree.fusion.steps import cross_fit_sets, part_folds, run_apply, run_weight_search
from emoagree.levels.build import level_table
from emoagree.levels.folds import fold_part_rows, fold_view, n_repeats, pool_folds
from emoagree.levels.overlap import cross_part_overlap, overlap_summary
from emoagree.levels.split import describe_protocol, make_split, repeat_seed
from emoagree.levels.units import sessions_of

EMOTIONS = list(DEFAULT_EMOTIONS)


def sessions_corpus():
    """The levels fixture's dialogues as sessions (both views share one clock)."""
    recordings, annotations = make_corpus()
    session = recordings["recording"].str.rsplit("_", n=1).str[0]
    return recordings.assign(session=session), annotations


def split_with(corpus, repeats, folds=3, seed=7, guard_s=2.0):
    recordings, annotations = corpus
    return make_split(
        annotations, recordings, EMOTIONS, "stratified", 0.2, 0.2, seed,
        folds=folds, repeats=repeats, guard_s=guard_s,
    )


def partition(units: pd.Series, folds: pd.Series) -> set[frozenset]:
    """The folds as sets of units (fold numbers ignored)."""
    frame = pd.DataFrame({"unit": units, "fold": folds})
    return {frozenset(group["unit"]) for _, group in frame.groupby("fold")}


def test_repeats_are_valid_k_fold_partitions_that_differ_and_keep_repeat_zero():
    corpus = sessions_corpus()
    plain = split_with(corpus, repeats=1)
    split = split_with(corpus, repeats=3)
    assert list(split.columns) == [*INTERVAL_COLUMNS, "fold_r1", "fold_r2"]
    # repeat 0 is the plain split: same columns, same folds (R = 1 outputs unchanged)
    pd.testing.assert_frame_equal(split[list(INTERVAL_COLUMNS)], plain)
    assert list(plain.columns) == list(INTERVAL_COLUMNS)
    partitions = []
    for r, column in enumerate(["fold", "fold_r1", "fold_r2"]):
        folds = split[column]
        # global ids r * K + f: every fold of the repeat holds intervals
        assert sorted(folds.unique()) == [3 * r + f for f in range(3)]
        assert (split.groupby("unit")[column].nunique() == 1).all()  # units never cut
        partitions.append(partition(split["unit"], folds))
    # the repeats deal the units differently
    assert partitions[0] != partitions[1] and partitions[1] != partitions[2]
    assert partitions[0] != partitions[2]
    # seeded: the same config gives the same repeats; repeat 0 keeps the split seed
    pd.testing.assert_frame_equal(split, split_with(corpus, repeats=3))
    assert repeat_seed(7, 0) == 7 and len({repeat_seed(7, r) for r in range(4)}) == 4


def test_every_fold_of_every_repeat_tests_each_interval_once_and_keeps_the_guard():
    corpus = sessions_corpus()
    split = split_with(corpus, repeats=2)
    for r in range(2):
        tested = pd.concat(
            [fold_view(split, 3 * r + f, 3).query("split == 'test'") for f in range(3)]
        )
        assert sorted(tested["interval_id"]) == sorted(split["interval_id"])
        for f in range(3):
            view = fold_view(split, 3 * r + f, 3)
            column = "fold" if r == 0 else f"fold_r{r}"
            assert set(view.loc[view["split"] == "val", column]) == {3 * r + (f + 1) % 3}
    with pytest.raises(ValueError, match=r"outside 0..5"):
        fold_view(split, 6, 3)
    # the split checks hold for every repeat: no shared time, gaps >= guard
    recordings, _ = corpus
    overlap = cross_part_overlap([split], 3, sessions_of(recordings))
    assert overlap["fold"].tolist() == list(range(6))
    assert overlap["overlap_s"].eq(0.0).all()
    assert overlap["min_gap_s"].dropna().ge(2.0).all()
    summary = overlap_summary(
        [split], 3, sessions_of(recordings), strategy="stratified", unit="segment", guard_s=2.0
    )
    assert summary["repeats"] == 2
    assert [r["repeat"] for r in summary["per_fold"]] == [0, 0, 0, 1, 1, 1]
    assert "repeated 2 times" in summary["protocol"]
    plain = overlap_summary(
        [split_with(corpus, 1)], 3, sessions_of(recordings), strategy="stratified",
        unit="segment", guard_s=2.0,
    )
    assert "repeats" not in plain and "repeat" not in plain["per_fold"][0]


def test_level_tables_inherit_every_repeat_and_files_keep_the_columns(tmp_path):
    recordings, annotations = sessions_corpus()
    split = split_with((recordings, annotations), repeats=2)
    level = level_table(annotations, recordings, 3, split, EMOTIONS)
    assert list(level.columns) == [*INTERVAL_COLUMNS, "fold_r1"]
    parents = split.set_index("unit")
    for row in level.itertuples():
        assert row.fold_r1 == parents.loc[[row.unit], "fold_r1"].iloc[0]
    write_level(level, tmp_path / "level3.csv")
    pd.testing.assert_frame_equal(read_level(tmp_path / "level3.csv"), level)


def test_repeats_need_k_folds_and_the_protocol_names_them():
    assert n_repeats({"strategy": "stratified", "folds": 5}) == 1
    assert n_repeats({"strategy": "stratified", "folds": 5, "repeats": 3}) == 3
    with pytest.raises(ValueError, match="split.repeats: 2 needs split.folds >= 3"):
        n_repeats({"strategy": "stratified", "folds": 1, "repeats": 2})
    with pytest.raises(ValueError, match="split.repeats: 2 needs split.folds >= 3"):
        n_repeats({"strategy": "corpus", "repeats": 2})
    with pytest.raises(ValueError, match="at least 1"):
        n_repeats({"strategy": "stratified", "folds": 3, "repeats": 0})
    assert describe_protocol("stratified", "segment", 5) == describe_protocol(
        "stratified", "segment", 5, 1
    )
    assert "5-fold cross-validation repeated 3 times" in describe_protocol(
        "stratified", "segment", 5, 3
    )


def two_repeat_table() -> pd.DataFrame:
    """Six intervals in three folds, dealt twice (repeat 1's global ids 3..5)."""
    return pd.DataFrame(
        {
            "interval_id": [f"i{k}" for k in range(6)],
            "emotion": ["Angry", "Happy", "Sad", "Angry", "Happy", "Sad"],
            "split": ["test"] * 6,
            "unit": [f"u{k}" for k in range(6)],
            "session": ["s0", "s0", "s1", "s1", "s2", "s2"],
            "fold": [0, 1, 2, 0, 1, 2],
            "fold_r1": [5, 3, 4, 4, 5, 3],
        }
    )


def test_pool_folds_predicts_every_interval_once_per_repeat_by_that_repeats_fold():
    table = two_repeat_table()
    assert [f for f, _ in fold_part_rows(table, 3)] == [0, 1, 2, 3, 4, 5]

    def predict_fold(fold, rows):
        return np.tile(np.array([fold, 0.0, 0.0]), (len(rows), 1))

    rows, probs = pool_folds(table, 3, 3, predict_fold)
    assert rows.tolist() == [0, 1, 2, 3, 4, 5] * 2  # repeat-major
    assert probs[:6, 0].tolist() == [0, 1, 2, 0, 1, 2]
    assert probs[6:, 0].tolist() == [5, 3, 4, 4, 5, 3]
    # the val part: fold g validates on the next fold of its own repeat
    rows, probs = pool_folds(table, 3, 3, predict_fold, "val")
    assert rows.tolist() == [0, 1, 2, 3, 4, 5] * 2
    assert probs[:6, 0].tolist() == [2, 0, 1, 2, 0, 1]
    assert probs[6:, 0].tolist() == [4, 5, 3, 3, 4, 5]


def test_a_cell_pools_both_repeats_uar_by_hand(tmp_path):
    """Two repeats of six intervals (two per class); a hand-checked pooled UAR.

    Repeat 0 gets Angry 2/2, Happy 1/2, Sad 0/2 right; repeat 1 Angry 1/2, Happy 2/2,
    Sad 1/2. Pooled recall: Angry 3/4, Happy 3/4, Sad 1/4, so UAR = 7/12 (the mean of
    the two repeats' UARs would be the same here: 1/2 and 2/3; the pooled confusion
    matrix counts every interval twice).
    """
    emotions = ["Angry", "Happy", "Sad"]
    table = two_repeat_table()
    level = tmp_path / "level1.csv"
    table.to_csv(level, index=False)
    # true: A H S A H S; repeat 0 predicts A H A A S A, repeat 1 predicts S H S A H H
    predicted = ["Angry", "Happy", "Angry", "Angry", "Sad", "Angry",
                 "Sad", "Happy", "Sad", "Angry", "Happy", "Happy"]
    probs = np.array([[1.0 if e == p else 0.0 for e in emotions] for p in predicted])
    ids = list(table["interval_id"]) * 2
    truth = list(table["emotion"]) * 2
    cell = tmp_path / "test1.csv"
    write_arrays(cell, ids, truth, probs, emotions)
    test = read_part_intervals(level, "test", 3, "session")
    assert test.repeats == 2 and test.folds.tolist() == [0, 1, 2, 0, 1, 2, 5, 3, 4, 4, 5, 3]
    metrics = write_metrics(
        str(cell), str(tmp_path / "m.json"), emotions, 200, 0.95, 7,
        level_path=str(level), split_path=str(level), cluster="session",
    )
    assert metrics["uar"] == pytest.approx(7 / 12)
    assert metrics["n_intervals"] == 12 and metrics["split_repeats"] == 2
    assert metrics["confusion"]["matrix"] == [[3, 0, 1], [0, 3, 1], [2, 1, 1]]
    assert metrics["cluster"] == {"kind": "session", "count": 3}
    assert set(metrics["per_fold"]) == {str(g) for g in range(6)}
    # every drawn session carries both repeats' predictions of its intervals
    low, high = metrics["uar_ci"]
    assert 0.0 <= low <= 7 / 12 <= high <= 1.0
    # a file that lists an interval once, or in another order of repeats, is refused
    write_arrays(cell, ids[:6], truth[:6], probs[:6], emotions)
    with pytest.raises(ValueError, match="6 rows are not 2 blocks"):
        write_metrics(str(cell), str(tmp_path / "m.json"), emotions, 50, 0.95, 7,
                      level_path=str(level), split_path=str(level))


def test_pooled_val_files_keep_one_block_per_repeat(tmp_path):
    emotions = ["Angry", "Happy", "Sad"]
    paths = []
    for g, ids in enumerate([["b"], ["a"], ["a"], ["b"]]):  # 2 repeats x 2 folds
        path = tmp_path / f"fold{g}.csv"
        write_arrays(path, ids, ["Angry"], np.array([[g / 10, 1 - g / 10, 0.0]]), emotions)
        paths.append(path)
    pooled = pool_prediction_files(paths, tmp_path / "val.csv", emotions, repeats=2)
    assert pooled.interval_ids == ["a", "b", "a", "b"]
    assert pooled.probs[:, 0].tolist() == pytest.approx([0.1, 0.0, 0.2, 0.3])
    with pytest.raises(ValueError, match="must be disjoint"):
        pool_prediction_files(paths, tmp_path / "val.csv", emotions)


def test_fusion_cross_fit_stays_within_a_repeat():
    sets = cross_fit_sets(4, repeats=2)
    assert sets[:4] == cross_fit_sets(4)  # repeat 0 as without repeats
    for g, chosen in enumerate(sets):
        r, f = divmod(g, 4)
        # only folds of the same repeat, never f itself nor f - 1 (whose val part is f's test)
        assert chosen == [4 * r + h for h in range(4) if h not in (f, (f - 1) % 4)]


def fusion_files(tmp_path, table, emotions):
    """Per fold of two repeats of three folds, audio and video val predictions of that
    fold's val part, each fold's audio marked by its global id."""
    audio, video, weights, val = [], [], [], []
    for g in range(6):
        view = fold_view(table, g, 3)
        part = view[view["split"] == "val"]
        n = len(part)
        rng = np.random.default_rng(g)
        for name, store in (("audio", audio), ("video", video)):
            path = tmp_path / f"{name}/fold{g}/val.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            probs = rng.dirichlet(np.ones(len(emotions)), size=n)
            write_arrays(path, list(part["interval_id"]), list(part["emotion"]), probs, emotions)
            store.append(str(path))
        weights.append(str(tmp_path / f"fused/fold{g}.json"))
        val.append(str(tmp_path / f"fused/fold{g}/val.csv"))
    return audio, video, weights, val


def test_fusion_weights_of_fold_f_never_see_fold_fs_val_predictions_of_its_repeat(tmp_path):
    emotions = ["Angry", "Happy", "Sad"]
    table = two_repeat_table()
    audio, video, weights, val = fusion_files(tmp_path, table, emotions)
    settings = {"draws": 20, "concentration": 1.0, "normalisation": "per_class", "selection": "val",
                "shrinkage": [1.0]}
    records = run_weight_search(audio, video, weights, val, emotions, settings, 3, n_folds=3)
    assert len(records) == 6
    for g, record in enumerate(records):
        r, f = divmod(g, 3)
        assert record["repeat"] == r and record["repeats"] == 2
        assert record["selection_folds"] == [3 * r + (f + 1) % 3]
        assert record["audio_predictions"] == [audio[3 * r + (f + 1) % 3]]
        assert audio[g] not in record["audio_predictions"]
        assert record["cross_fit"].endswith("nor on another split repeat's folds")
        saved = json.loads((tmp_path / f"fused/fold{g}.json").read_text())
        assert saved["selection_folds"] == record["selection_folds"]
    # the cell's pooled test file (both repeats) is fused with each repeat's fold weights
    level = tmp_path / "level1.csv"
    table.to_csv(level, index=False)
    assert part_folds(str(level), 3, "test", 1) == dict(zip(table["interval_id"],
                                                            table["fold_r1"], strict=True))
    ids, truth = list(table["interval_id"]) * 2, list(table["emotion"]) * 2
    probs = np.random.default_rng(0).dirichlet(np.ones(3), size=12)
    write_arrays(tmp_path / "a.csv", ids, truth, probs, emotions)
    write_arrays(tmp_path / "v.csv", ids, truth, probs[::-1], emotions)
    info = run_apply(weights, str(tmp_path / "a.csv"), str(tmp_path / "v.csv"),
                     str(tmp_path / "f.csv"), str(tmp_path / "f.json"), emotions, settings, 3,
                     level_csv=str(level), n_folds=3)
    fused = read_checked(tmp_path / "f.csv", emotions, 2)
    assert fused.interval_ids == ids and info["n_intervals"] == 12


def test_dry_run_with_two_repeats_plans_twice_the_models_and_the_same_cells(tmp_path):
    extra = tmp_path / "repeats.yaml"
    extra.write_text(yaml.safe_dump({"levels": [1, 2], "split": {"repeats": 2}}))
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump({"levels": [1, 2]}))
    counts = {}
    for name, files in (("one", (TINY_CONFIG, base)), ("two", (TINY_CONFIG, extra))):
        jobs = planned_jobs(snakemake(tmp_path, "-n", configfiles=files))
        models = [
            o for j in jobs for o in j.outputs
            if re.fullmatch(r"results/models/\w+/fold\d+/train\w+\.(joblib|pt|json)", o)
        ]
        cells = [
            o for j in jobs for o in j.outputs
            if re.fullmatch(r"results/metrics/\w+/train\w+/test\d+\.json", o)
        ]
        folds = {int(m) for o in models for m in re.findall(r"/fold(\d+)/", o)}
        counts[name] = (len(models), len(cells), folds)
    assert counts["one"][2] == {0, 1, 2} and counts["two"][2] == set(range(6))
    assert counts["two"][0] == 2 * counts["one"][0] > 0
    assert counts["two"][1] == counts["one"][1] > 0


@pytest.mark.slow
def test_a_tiny_study_with_two_repeats_answers_over_both(tmp_path):
    """The whole workflow (one audio, one video system and their fusion, levels 1-2) with
    split.repeats: 2, up to the answer and the methods text."""
    extra = tmp_path / "repeats.yaml"
    extra.write_text(
        yaml.safe_dump(
            {
                "levels": [1, 2],
                "split": {"repeats": 2},
                "systems": {
                    "audio": ["audio_lr"],
                    "video": ["video_vggf_rf"],
                    "fusion": [["audio_lr", "video_vggf_rf"]],
                },
            }
        )
    )
    snakemake(
        tmp_path, "--cores", "2", "results/tables/answer.json", "results/tables/methods.md",
        "results/corpus/split_overlap.json", configfiles=(TINY_CONFIG, extra),
    )
    results = tmp_path / "results"
    split = read_split(results / "corpus/split.csv")
    assert sorted(split["fold"].unique()) == [0, 1, 2]
    assert sorted(split["fold_r1"].unique()) == [3, 4, 5]
    overlap = json.loads((results / "corpus/split_overlap.json").read_text())
    assert overlap["repeats"] == 2 and len(overlap["per_fold"]) == 6
    assert overlap["overlap_s"] == 0.0 and overlap["min_gap_s"] >= 2.0
    # models per fold of both repeats; every cell pools both repeats' predictions
    for g in range(6):
        assert (results / f"models/audio_lr/fold{g}/train1.joblib").exists()
        assert (results / f"models/fusion_audio_lr_video_vggf_rf/fold{g}/train2.json").exists()
    level = read_level(results / "corpus/levels/level2.csv")
    for system in ("audio_lr", "video_vggf_rf", "fusion_audio_lr_video_vggf_rf"):
        cell = json.loads((results / f"metrics/{system}/train1/test2.json").read_text())
        assert cell["split_repeats"] == 2 and cell["n_intervals"] == 2 * len(level)
        assert set(cell["per_fold"]) <= {str(g) for g in range(6)}
        predictions = pd.read_csv(results / f"predictions/{system}/train1/test2.csv")
        assert predictions["interval_id"].value_counts().eq(2).all()
        assert set(predictions["interval_id"]) == set(level["interval_id"])
    answer = json.loads((results / "tables/answer.json").read_text())
    assert answer["protocol"]["folds"] == 3 and answer["protocol"]["repeats"] == 2
    assert answer["confidence_set"]
    methods = (results / "tables/methods.md").read_text()
    assert "dealt 2 times with different seeds" in methods


def test_a_thin_training_part_of_any_repeat_is_named(caplog):
    from emoagree.corpus.labels import check_level_emotions

    table = pd.DataFrame(
        {
            "interval_id": [f"i{k}" for k in range(6)],
            "recording": "r1",
            "emotion": ["Angry", "Angry", "Angry", "Sad", "Angry", "Sad"],
            "split": "test",
            "fold": [0, 0, 1, 1, 2, 2],
            # repeat 1: fold 5 (local 2) trains on local fold 1 alone, rows 0-1: Angry only
            "fold_r1": [4, 4, 3, 3, 5, 5],
        }
    )
    with caplog.at_level("WARNING", logger="emoagree.corpus.labels"):
        check_level_emotions(table, 2, EMOTIONS)
    assert "level 2, fold 1: the training part holds 1 emotion(s) (Angry)" in caplog.text
    assert "level 2, fold 5: the training part holds 1 emotion(s) (Angry)" in caplog.text
    assert "fold 3" not in caplog.text and "fold 4" not in caplog.text
