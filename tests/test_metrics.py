"""UAR, coverage, confusion and bootstrap intervals on hand-made predictions."""

import numpy as np
import pandas as pd
import pytest

from emoagree.contracts.predictions import make_predictions
from emoagree.evaluation.bootstrap import (
    ClusterBootstrap,
    cell_sums,
    point_uars,
    probability_best,
    probability_higher,
    replicate_choice,
    resampled_uars,
    uar_from_sums,
)
from emoagree.evaluation.metrics import UNSCORED, batch_uar, encode, uar
from emoagree.evaluation.scores import evaluate_arrays, evaluate_predictions

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]


def one_hot_probs(predicted):
    probs = np.full((len(predicted), len(EMOTIONS)), 0.02)
    for row, emotion in enumerate(predicted):
        if emotion is None:
            probs[row] = np.nan
        else:
            probs[row, EMOTIONS.index(emotion)] = 0.9
    return probs


def table(true, predicted):
    ids = [f"i{n}" for n in range(len(true))]
    return make_predictions(ids, true, one_hot_probs(predicted), EMOTIONS)


def test_uar_known_case_excludes_unscored_and_counts_coverage():
    # Angry: 3 of 4 right; Happy: 1 of 2 right; one Happy interval not scored.
    true = ["Angry"] * 4 + ["Happy"] * 3
    pred = ["Angry", "Angry", "Angry", "Happy", "Happy", "Angry", None]
    metrics = evaluate_predictions(table(true, pred), EMOTIONS, n_resamples=50, seed=1)
    assert metrics["uar"] == pytest.approx((3 / 4 + 1 / 2) / 2)
    assert metrics["recall"]["Angry"] == pytest.approx(0.75)
    assert metrics["recall"]["Happy"] == pytest.approx(0.5)
    assert metrics["recall"]["Sad"] is None  # absent from the test set
    assert metrics["classes"] == ["Angry", "Happy"]
    assert metrics["absent_classes"] == ["Surprised", "Sad", "Disgusted", "Scared"]
    assert metrics["unscored_classes"] == []
    assert metrics["n_intervals"] == 7
    assert metrics["n_scored"] == 6
    assert metrics["n_not_scored"] == 1
    assert metrics["coverage"] == pytest.approx(6 / 7)
    matrix = np.array(metrics["confusion"]["matrix"])
    assert matrix[0, 0] == 3 and matrix[0, 1] == 1  # Angry row
    assert matrix[1, 1] == 1 and matrix[1, 0] == 1  # Happy row: the unscored one absent
    assert matrix.sum() == 6
    assert metrics["support"]["Happy"] == 2


def test_skipping_hard_intervals_raises_uar_but_lowers_coverage():
    true = ["Angry", "Angry", "Happy", "Happy"]
    all_scored = evaluate_predictions(
        table(true, ["Angry", "Happy", "Happy", "Angry"]), EMOTIONS, 20, 0
    )
    skipped = evaluate_predictions(table(true, ["Angry", None, "Happy", None]), EMOTIONS, 20, 0)
    assert all_scored["uar"] == pytest.approx(0.5)
    assert skipped["uar"] == pytest.approx(1.0)
    assert skipped["coverage"] == pytest.approx(0.5)
    assert all_scored["coverage"] == pytest.approx(1.0)


def test_nothing_scored_gives_null_uar_and_zero_coverage():
    metrics = evaluate_predictions(table(["Angry", "Sad"], [None, None]), EMOTIONS, 20, 0)
    assert metrics["uar"] is None
    assert metrics["uar_ci"] == [None, None]
    assert metrics["coverage"] == 0


def test_batch_uar_matches_reference_uar_rowwise():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 6, size=40)
    y_pred = rng.integers(0, 6, size=(25, 40))
    y_pred[:, :5] = UNSCORED
    got = batch_uar(y_true, y_pred, 6)
    for row in range(25):
        keep = y_pred[row] != UNSCORED
        expected = uar(
            [EMOTIONS[k] for k in y_true[keep]],
            [EMOTIONS[k] for k in y_pred[row][keep]],
            EMOTIONS,
        )
        assert got[row] == pytest.approx(expected)


def test_bootstrap_perfect_and_hopeless_predictions_have_degenerate_intervals():
    y = [EMOTIONS[k] for k in [0, 1, 2, 3, 4, 5] * 5]
    perfect = evaluate_arrays(y, one_hot_probs(y), EMOTIONS, 300, 5)
    assert perfect["uar_ci"] == [1.0, 1.0]
    hopeless = one_hot_probs([EMOTIONS[(EMOTIONS.index(e) + 1) % 6] for e in y])
    assert evaluate_arrays(y, hopeless, EMOTIONS, 300, 5)["uar_ci"] == [0.0, 0.0]


def unit_study(seed=0, n_units=12, per_unit=4):
    """Labels, predictions and units of a small test set: ``per_unit`` intervals a unit."""
    rng = np.random.default_rng(seed)
    n = n_units * per_unit
    y_true = rng.integers(0, 6, size=n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, 6, size=n))
    y_pred[rng.random(n) < 0.1] = UNSCORED
    units = np.repeat(np.arange(n_units), per_unit)
    return y_true, y_pred, units


def reference_uar(y_true, y_pred, weights):
    """The UAR rule spelt out: every interval repeated ``weight`` times."""
    true = np.repeat(y_true, weights)
    pred = np.repeat(y_pred, weights)
    recalls = []
    for label in range(6):
        if not (true == label).any():
            continue
        scored = (true == label) & (pred != UNSCORED)
        recalls.append(float(np.mean(pred[scored] == label)) if scored.any() else 0.0)
    return np.mean(recalls) if recalls else np.nan


def test_unit_draws_are_seeded_shared_and_count_every_draw():
    boot = ClusterBootstrap(tuple(f"u{k:02d}" for k in range(30)), 250, 7)
    counts = boot.counts()
    assert counts.shape == (250, 30)
    assert np.all(counts.sum(axis=1) == 30)  # each resample draws U units
    np.testing.assert_array_equal(counts, ClusterBootstrap(boot.units, 250, 7).counts())
    assert not np.array_equal(counts, ClusterBootstrap(boot.units, 250, 8).counts())
    assert boot.index(["u03", "u00"]).tolist() == [3, 0]
    with pytest.raises(ValueError, match="u99"):
        boot.index(["u99"], "level3.csv")


def test_weighted_uar_with_every_unit_drawn_once_is_the_plain_uar():
    y_true, y_pred, units = unit_study()
    sums = cell_sums(units, y_true, [y_pred], 12, 6)
    ones = np.ones((1, 12))
    weighted = uar_from_sums(ones @ sums.total, (ones @ sums.scored)[0], (ones @ sums.hits)[0])
    plain = batch_uar(y_true, y_pred[None], 6)[0]  # every class here has scored intervals
    assert weighted[0] == pytest.approx(plain)
    assert point_uars(sums)[0] == pytest.approx(plain)


def test_resampled_uars_carry_each_interval_with_its_units_multiplicity():
    y_true, y_pred, units = unit_study(seed=3)
    boot = ClusterBootstrap(tuple(f"u{k:02d}" for k in range(12)), 60, 4)
    sums = cell_sums(units, y_true, [y_pred], 12, 6)
    got = resampled_uars(boot, [sums], [replicate_choice(60, 1, 4, "x")])[:, 0]
    for b, counts in enumerate(boot.counts().astype(int)):
        assert got[b] == pytest.approx(reference_uar(y_true, y_pred, counts[units]))


def test_intervals_of_one_unit_move_together_across_test_levels():
    # level 1 and level 2 test sets share units and are resampled by the same draws
    units = ("u00", "u01", "u02")
    boot = ClusterBootstrap(units, 400, 1)
    level1 = (np.array([0, 0, 1, 1, 1, 0]), np.array([0, 1, 1, 2, 2, 2]))  # true, unit
    level2 = (np.array([0, 1]), np.array([1, 2]))
    cells = []
    for true, unit in (level1, level2):
        pred = np.where(unit == 1, true, (true + 1) % 6)
        cells.append(cell_sums(unit, true, [pred], 3, 6))
    choice = replicate_choice(400, 1, 1, "x")
    out = resampled_uars(boot, cells, [choice, choice])
    drawn = boot.counts()[:, 1] > 0
    # in both levels the system is right only on u01's intervals: some recall exactly in
    # the resamples that draw u01 (a level 2 resample of u00 alone has no interval: NaN)
    for column in (0, 1):
        np.testing.assert_array_equal(np.nan_to_num(out[:, column]) > 0, drawn)
    assert np.isnan(out[:, 1]).any() and not np.isnan(out[:, 0]).any()


def test_replicates_are_drawn_one_per_resample_and_seeded():
    y_true, y_pred, units = unit_study(seed=5)
    perfect = y_true.copy()
    sums = cell_sums(units, y_true, [y_pred, perfect], 12, 6)
    assert sums.n_replicates == 2
    choice = replicate_choice(200, 2, 9, "fusion_x/train2")
    np.testing.assert_array_equal(choice, replicate_choice(200, 2, 9, "fusion_x/train2"))
    assert 0.3 < choice.mean() < 0.7
    boot = ClusterBootstrap(tuple(f"u{k:02d}" for k in range(12)), 200, 9)
    out = resampled_uars(boot, [sums], [choice])[:, 0]
    assert np.all((out == 1.0) == (choice == 1))
    metrics = evaluate_arrays(
        [EMOTIONS[k] for k in y_true],
        [np.eye(6)[np.where(y_pred < 0, 0, y_pred)], np.eye(6)[perfect]],
        EMOTIONS,
        100,
        0,
        replicate_key="fusion_x/train2",
    )
    assert metrics["replicates"] == 2
    assert metrics["uar"] == pytest.approx(np.mean(metrics["uar_replicates"]))


def test_cell_metrics_use_split_units_and_report_per_fold_and_absent_classes():
    truth = ["Angry", "Angry", "Happy", "Happy", "Sad", "Sad"]
    pred = ["Angry", "Happy", "Happy", "Happy", "Sad", None]
    metrics = evaluate_arrays(
        truth,
        one_hot_probs(pred),
        EMOTIONS,
        200,
        3,
        units=["a", "a", "b", "b", "c", "c"],
        bootstrap_units=["a", "b", "c", "d"],  # d holds no interval of this level
        folds=[0, 0, 0, 1, 1, 1],
    )
    assert metrics["uar"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert metrics["bootstrap_units"] == 4
    assert metrics["absent_classes"] == ["Surprised", "Disgusted", "Scared"]
    assert metrics["per_fold"]["0"] == {"uar": pytest.approx(0.75), "n": 3, "n_scored": 3}
    assert metrics["per_fold"]["1"] == {"uar": pytest.approx(1.0), "n": 3, "n_scored": 2}
    with pytest.raises(ValueError, match=r"\['z'\]"):
        evaluate_arrays(
            truth, one_hot_probs(pred), EMOTIONS, 10, 0, units=["z"] * 6, bootstrap_units=["a"]
        )


def test_a_present_class_with_nothing_scored_recalls_zero():
    truth = ["Angry", "Angry", "Sad", "Sad"]
    metrics = evaluate_arrays(truth, one_hot_probs(["Angry", "Angry", None, None]), EMOTIONS, 50, 0)
    assert metrics["uar"] == pytest.approx(0.5)  # Angry 1, Sad 0: chance stays 1/2
    assert metrics["recall"]["Sad"] == 0.0
    assert metrics["unscored_classes"] == ["Sad"]
    assert metrics["coverage"] == pytest.approx(0.5)


def test_probability_best_sums_to_one_and_shares_ties():
    rng = np.random.default_rng(0)
    values = rng.random((500, 4))
    p = probability_best(values)
    assert p.sum() == pytest.approx(1.0)
    tied = np.tile([0.5, 0.5, 0.2], (10, 1))
    np.testing.assert_allclose(probability_best(tied), [0.5, 0.5, 0.0])
    with_nan = np.array([[np.nan, 0.3], [np.nan, np.nan], [0.4, 0.1]])
    np.testing.assert_allclose(probability_best(with_nan), [0.5, 0.5])
    assert probability_higher(np.array([[1, 0], [0, 1], [1, 1]]), 0, 1) == pytest.approx(1 / 3)


def test_encode_names_unknown_emotions():
    with pytest.raises(ValueError, match="Neutral"):
        encode(["Angry", "Neutral"], EMOTIONS, what="true emotion")


def test_evaluate_rejects_unknown_true_emotion():
    frame = table(["Angry"], ["Angry"])
    frame.loc[0, "emotion"] = "Calm"
    with pytest.raises(ValueError, match="Calm"):
        evaluate_predictions(pd.DataFrame(frame), EMOTIONS, 10, 0)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ([0.5, 0.5, np.nan, 0, 0, 0], "some probabilities empty"),
        ([1.2, -0.2, 0, 0, 0, 0], "negative probability"),
        ([0.5, 0.2, 0, 0, 0, 0], "probabilities do not sum to 1"),
    ],
)
def test_broken_prediction_rows_are_named_by_file_and_row(tmp_path, row, problem):
    from emoagree.contracts.predictions import write_predictions
    from emoagree.evaluation.cells import write_metrics

    probs = one_hot_probs(["Angry", "Sad", "Happy"])
    probs = probs / probs.sum(axis=1, keepdims=True)
    probs[1] = row
    path = tmp_path / "test1.csv"
    write_predictions(
        make_predictions(["a", "b", "c"], ["Angry", "Sad", "Happy"], probs, EMOTIONS),
        path,
        EMOTIONS,
    )
    with pytest.raises(ValueError, match=rf"test1.csv: row 2 \(interval 'b'\): {problem}"):
        write_metrics(str(path), str(tmp_path / "m.json"), EMOTIONS, 10, 0.95, 0)


def level_csv(path, rows, units=True):
    """A level table (only the columns evaluation reads): id, emotion, split[, unit, fold]."""
    header = "interval_id,emotion,split" + (",unit,fold" if units else "")
    lines = [header]
    for interval, emotion, split, unit, fold in rows:
        lines.append(f"{interval},{emotion},{split}" + (f",{unit},{fold}" if units else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_write_metrics_reads_units_and_folds_from_the_level_table(tmp_path):
    import json

    from emoagree.contracts.predictions import write_predictions
    from emoagree.evaluation.cells import write_metrics

    # three folds (every interval tested once); units u0..u3, u3 only at level 1
    split = level_csv(
        tmp_path / "split.csv",
        [(f"s{k}", "Angry", "test", f"u{k}", k % 3) for k in range(4)],
    )
    rows = [
        ("a", "Angry", "test", "u0", 0),
        ("b", "Sad", "test", "u0", 0),
        ("c", "Angry", "test", "u1", 1),
        ("d", "Sad", "test", "u2", 2),
    ]
    level = level_csv(tmp_path / "level2.csv", rows)
    predictions = tmp_path / "test2.csv"
    pred = ["Angry", "Angry", "Angry", "Sad"]
    write_predictions(
        make_predictions(
            ["d", "c", "b", "a"],
            ["Sad", "Angry", "Sad", "Angry"],
            one_hot_probs(pred[::-1]),
            EMOTIONS,
        ),
        predictions,
        EMOTIONS,
    )
    out = tmp_path / "m.json"
    write_metrics(
        str(predictions),
        str(out),
        EMOTIONS,
        100,
        0.95,
        1,
        level_path=str(level),
        split_path=str(split),
        replicate_key="s/train1",
    )
    metrics = json.loads(out.read_text())
    assert metrics["bootstrap_units"] == 4 and metrics["bootstrap_unit"] == "split unit"
    assert metrics["uar"] == pytest.approx((1.0 + 0.5) / 2)
    assert metrics["per_fold"] == {
        "0": {"uar": 0.5, "n": 2, "n_scored": 2},
        "1": {"uar": 1.0, "n": 1, "n_scored": 1},
        "2": {"uar": 1.0, "n": 1, "n_scored": 1},
    }
    assert metrics["absent_classes"] == ["Happy", "Surprised", "Disgusted", "Scared"]
    # a prediction file that misses a test interval of the level is an error
    write_predictions(
        make_predictions(["a", "b"], ["Angry", "Sad"], one_hot_probs(["Angry", "Sad"]), EMOTIONS),
        predictions,
        EMOTIONS,
    )
    with pytest.raises(ValueError, match="2 of them missing"):
        write_metrics(
            str(predictions),
            str(out),
            EMOTIONS,
            10,
            0.95,
            1,
            level_path=str(level),
            split_path=str(split),
        )


def test_write_metrics_accepts_level_tables_without_units(tmp_path):
    import json

    from emoagree.contracts.predictions import write_predictions
    from emoagree.evaluation.cells import write_metrics

    rows = [
        ("a", "Angry", "test", "", 0),
        ("b", "Sad", "test", "", 0),
        ("t", "Sad", "train", "", 0),
    ]
    split = level_csv(tmp_path / "split.csv", rows, units=False)
    level = level_csv(tmp_path / "level1.csv", rows, units=False)
    predictions = tmp_path / "test1.csv"
    write_predictions(
        make_predictions(["a", "b"], ["Angry", "Sad"], one_hot_probs(["Angry", "Sad"]), EMOTIONS),
        predictions,
        EMOTIONS,
    )
    out = tmp_path / "m.json"
    write_metrics(
        str(predictions),
        str(out),
        EMOTIONS,
        50,
        0.95,
        1,
        level_path=str(level),
        split_path=str(split),
    )
    metrics = json.loads(out.read_text())
    assert metrics["bootstrap_unit"] == "interval" and metrics["bootstrap_units"] == 2
    assert metrics["uar"] == 1.0 and list(metrics["per_fold"]) == ["0"]


def test_replicate_suffixes_seeds_and_split():
    from emoagree.training.replicates import (
        REPLICATE_SEED_STEP,
        by_replicate,
        replicate_index,
        replicate_seed,
        replicate_suffixes,
    )

    assert replicate_suffixes(1) == [""]
    assert replicate_suffixes(3) == ["", ".rep1", ".rep2"]
    assert [replicate_index(s) for s in replicate_suffixes(3)] == [0, 1, 2]
    assert replicate_seed(2021, "") == 2021
    assert replicate_seed(2021, ".rep2") == 2021 + 2 * REPLICATE_SEED_STEP
    assert by_replicate(["a0", "a1", "b0", "b1"], 2) == [["a0", "a1"], ["b0", "b1"]]
    with pytest.raises(ValueError, match="at least 1"):
        replicate_suffixes(0)
    with pytest.raises(ValueError, match="not a replicate suffix"):
        replicate_index(".rep0")
    with pytest.raises(ValueError, match="3 files cannot be split into 2"):
        by_replicate(["a", "b", "c"], 2)


def test_a_cell_with_two_replicate_files_is_scored_on_both(tmp_path):
    """Replicate 0 right on every interval, replicate 1 always wrong: UAR 0.5 (their mean),
    both replicate UARs listed; a file with other intervals is refused by name."""
    from emoagree.evaluation.cells import write_metrics

    emotions = ["Angry", "Sad"]
    truth = ["Angry", "Sad", "Angry", "Sad"]
    right = tmp_path / "test1.csv"
    wrong = tmp_path / "test1.rep1.csv"
    for path, flip in ((right, False), (wrong, True)):
        rows = ["interval_id,emotion,prob_Angry,prob_Sad"]
        for k, emotion in enumerate(truth):
            hit = (emotion == "Angry") != flip
            rows.append(f"i{k},{emotion},{0.9 if hit else 0.1},{0.1 if hit else 0.9}")
        path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "m.json"
    metrics = write_metrics([str(right), str(wrong)], str(out), emotions, 100, 0.95, seed=1)
    assert metrics["replicates"] == 2
    assert metrics["uar_replicates"] == [1.0, 0.0]
    assert metrics["uar"] == pytest.approx(0.5)
    other = tmp_path / "other.rep1.csv"
    other.write_text("interval_id,emotion,prob_Angry,prob_Sad\nx,Angry,0.9,0.1\n")
    with pytest.raises(ValueError, match="other.rep1.csv: lists other intervals"):
        write_metrics([str(right), str(other)], str(out), emotions, 100, 0.95, seed=1)


def test_cluster_bootstrap_moves_every_unit_of_a_drawn_session_together():
    from emoagree.evaluation.bootstrap import unit_clusters

    units = ("a1", "a2", "b1", "c1", "c2", "c3")
    sessions = ("A", "A", "B", "C", "C", "C")
    boot = ClusterBootstrap(units, 400, 3, sessions, "session")
    assert boot.describe() == {"kind": "session", "count": 3}
    counts = boot.counts()
    assert counts.shape == (400, 6)
    # the units of a session are drawn together, as often as their session
    assert np.array_equal(counts[:, 0], counts[:, 1])
    assert np.array_equal(counts[:, 3], counts[:, 4]) and np.array_equal(counts[:, 3], counts[:, 5])
    # each resample draws as many sessions as there are: 3
    assert np.all(counts[:, 0] + counts[:, 2] + counts[:, 3] == 3)
    assert (counts[:, 0] == 0).any() and (counts[:, 0] == 3).any()
    # the same seed gives the same draws; every unit its own cluster is the unit bootstrap
    assert np.array_equal(counts, ClusterBootstrap(units, 400, 3, sessions, "session").counts())
    assert np.array_equal(
        ClusterBootstrap(units, 50, 3, units).counts(), ClusterBootstrap(units, 50, 3).counts()
    )
    assert unit_clusters(["u1", "u2", "u1"], ["s1", "s1", "s1"]) == {"u1": "s1", "u2": "s1"}
    with pytest.raises(ValueError, match="split unit 'u1' spans the clusters 's1' and 's2'"):
        unit_clusters(["u1", "u1"], ["s1", "s2"], "split.csv")


def test_resolve_cluster_follows_the_split():
    from emoagree.evaluation.bootstrap import resolve_cluster

    header = ["interval_id", "unit", "actor", "session"]
    assert resolve_cluster("auto", "stratified", header) == ("session", "session")
    assert resolve_cluster("auto", "actor", header) == ("actor", "actor")
    assert resolve_cluster("auto", "stratified", header[:3]) == ("unit", "unit")
    assert resolve_cluster("unit", "actor", header) == ("unit", "unit")
    with pytest.raises(ValueError, match="needs a 'session' column"):
        resolve_cluster("session", "stratified", header[:3])
    with pytest.raises(ValueError, match="not one of auto, unit, session, actor"):
        resolve_cluster("speaker", "stratified", header)


def test_cell_metrics_resample_sessions_and_refuse_a_unit_in_two(tmp_path):
    import json

    from emoagree.contracts.predictions import write_predictions
    from emoagree.evaluation.cells import write_metrics

    def table(path, rows):
        lines = ["interval_id,emotion,split,unit,fold,session"]
        lines += [",".join(map(str, row)) for row in rows]
        path.write_text("\n".join(lines) + "\n")
        return path

    units = [("s0", "u0", "A"), ("s1", "u1", "A"), ("s2", "u2", "B"), ("s3", "u3", "B")]
    split = table(tmp_path / "split.csv",
                  [(i, "Angry", "test", u, k % 3, s) for k, (i, u, s) in enumerate(units)])
    level = table(tmp_path / "level1.csv",
                  [("a", "Angry", "test", "u0", 0, "A"), ("b", "Sad", "test", "u2", 2, "B")])
    predictions = tmp_path / "test1.csv"
    write_predictions(make_predictions(["a", "b"], ["Angry", "Sad"],
                                       one_hot_probs(["Angry", "Angry"]), EMOTIONS),
                      predictions, EMOTIONS)
    out = tmp_path / "m.json"
    args = (str(predictions), str(out), EMOTIONS, 200, 0.95, 1)
    write_metrics(*args, level_path=str(level), split_path=str(split), cluster="auto")
    metrics = json.loads(out.read_text())
    assert metrics["cluster"] == {"kind": "session", "count": 2}
    assert metrics["bootstrap_units"] == 4
    # with 2 sessions a resample draws A twice (UAR 1.0 on Angry only), B twice (0.0 on
    # Sad only) or each once (0.5): the interval spans all three
    assert metrics["uar_ci"] == [0.0, 1.0]
    write_metrics(*args, level_path=str(level), split_path=str(split), cluster="unit")
    assert json.loads(out.read_text())["cluster"] == {"kind": "unit", "count": 4}
    moved = table(tmp_path / "level2.csv",
                  [("a", "Angry", "test", "u0", 0, "B"), ("b", "Sad", "test", "u2", 2, "B")])
    with pytest.raises(ValueError, match="level2.csv: split unit 'u0' is in session 'B'"):
        write_metrics(*args, level_path=str(moved), split_path=str(split), cluster="auto")


def test_joint_resamples_drop_a_resample_for_every_row():
    from emoagree.evaluation.bootstrap import joint_resamples

    values = np.array([[0.5, 0.6], [np.nan, 0.7], [0.4, 0.5], [0.3, np.nan]])
    kept, dropped = joint_resamples(values)
    assert dropped == 2
    assert kept.tolist() == [[0.5, 0.6], [0.4, 0.5]]


def two_rows(leads):
    """Row 0 constant at 0.5, row 1 = 0.5 + lead in each resample; on the data 0.5 / 0.6."""
    values = np.column_stack([np.full(len(leads), 0.5), 0.5 + np.asarray(leads)])
    return values, np.array([0.5, 0.6])


def test_confidence_set_on_a_hand_solved_resample_matrix():
    """With 20 resamples both quantiles (0.995 and 0.955, next higher resample) are the
    largest resample, so row 0 leaves the set exactly when row 1 leads in every resample
    (the smallest lead is the lower bound), and row 1, never behind, cannot leave."""
    from emoagree.evaluation.best_row import best_row_tests, confidence_set_for_best

    leads = 0.01 * np.arange(1, 21)  # 0.01 .. 0.20: row 1 ahead in all 20
    values, point = two_rows(leads)
    assert confidence_set_for_best(values, point).tolist() == [False, True]
    tests = best_row_tests(values, point)
    spread = leads.std()
    assert tests["statistic"][0] == pytest.approx(0.1 / spread)
    # critical = (lead - smallest resampled lead) / spread, no slack (row 1 may be ahead)
    assert tests["critical"][0] == pytest.approx((0.1 - 0.01) / spread)
    leads[0] = -0.01  # one resample where row 0 is ahead: it stays
    values, point = two_rows(leads)
    assert confidence_set_for_best(values, point).tolist() == [True, True]
    # identical rows stay together; a row ahead by a constant removes the other
    same = np.tile(np.linspace(0.4, 0.6, 20)[:, None], (1, 2))
    assert confidence_set_for_best(same, np.array([0.5, 0.5])).tolist() == [True, True]
    shifted = same + np.array([0.0, 0.05])
    assert confidence_set_for_best(shifted, np.array([0.5, 0.55])).tolist() == [False, True]


def test_confidence_set_bounds_are_simultaneous_and_ignore_rows_far_below():
    from emoagree.evaluation.best_row import best_row_tests, confidence_set_for_best

    rng = np.random.default_rng(0)
    draws = rng.normal(size=(4000, 4))
    point = np.zeros(4)
    one = best_row_tests(draws[:, :2], point[:2])["critical"][0]
    four = best_row_tests(draws, point)["critical"][0]
    # one comparison: the one-sided 95.5% normal quantile (the first step takes 0.5%)
    assert one == pytest.approx(1.695, abs=0.08)
    # three comparisons with r at once (correlated 0.5 through r): a higher bound
    assert four > one + 0.3
    # rows far below r (here 20 standard deviations) do not widen r's bound
    far = draws.copy()
    far[:, 2:] -= 20.0
    low_point = np.array([0.0, 0.0, -20.0, -20.0])
    assert best_row_tests(far, low_point)["critical"][0] == pytest.approx(one, abs=0.05)
    assert confidence_set_for_best(far, low_point).tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="every row defined"):
        confidence_set_for_best(np.array([[np.nan, 0.5]]), np.array([0.5, 0.5]))


def test_jackknife_leaves_each_cluster_out_of_every_unit_it_holds():
    """Three units in two clusters; UAR with each cluster left out, solved by hand."""
    from emoagree.evaluation.bootstrap import (
        ClusterBootstrap,
        cell_sums,
        jackknife_spread,
        jackknife_uars,
    )

    boot = ClusterBootstrap(("u1", "u2", "u3"), 10, 0, ("s1", "s1", "s2"), "session")
    # classes 0/1; u1: (0 right, 1 wrong), u2: (0 right), u3: (1 right, 0 wrong)
    unit = np.array([0, 0, 1, 2, 2])
    truth = np.array([0, 1, 0, 1, 0])
    pred = np.array([0, 0, 0, 1, 1])
    sums = cell_sums(unit, truth, [pred], 3, 2)
    left_out = jackknife_uars(boot, [sums])
    # without s1 (u1, u2): u3 alone: recall 0 = 0/1, recall 1 = 1/1 -> 0.5
    # without s2 (u3): class 0 2/2, class 1 0/1 -> 0.5
    assert left_out[:, 0].tolist() == [0.5, 0.5]
    # a second cell whose class 1 lives only in s2: leaving s2 out drops the class
    sums2 = cell_sums(np.array([0, 2]), np.array([0, 1]), [np.array([1, 1])], 3, 2)
    assert jackknife_uars(boot, [sums, sums2])[:, 1].tolist() == [1.0, 0.0]
    # CV3 spread: sqrt((C - 1) / C * sum of squared deviations): values 1 and 0 -> 0.5
    assert jackknife_spread(np.array([[1.0], [0.0]]))[0] == pytest.approx(0.5)
    assert jackknife_spread(np.array([[0.3]]))[0] == 0.0  # one cluster: no spread


def test_few_clusters_move_critical_values_to_student_t():
    """With C clusters left out the critical value is the t (C - 1 df) value of the same
    tail, and the comparisons are standardised by the jackknife's spread."""
    from scipy.stats import norm, t

    from emoagree.evaluation.best_row import best_row_tests, confidence_set_for_best

    rng = np.random.default_rng(1)
    draws = rng.normal(size=(4000, 2))
    point = np.zeros(2)
    normal = best_row_tests(draws, point)
    # 6 clusters: leave-one-out values with a known jackknife spread of the difference
    left_out = np.zeros((6, 2))
    left_out[:, 1] = [0.1, -0.1, 0.1, -0.1, 0.1, -0.1]
    small = best_row_tests(draws, point, left_out=left_out)
    assert small["df"] == 5
    tail = norm.sf(normal["critical"][0])
    assert small["critical"][0] == pytest.approx(t.isf(tail, 5))
    assert small["critical"][0] > normal["critical"][0] + 0.3
    # a lead of 2 jackknife standard errors: out with the normal form, kept with t (5 df)
    spread = np.sqrt(5 / 6 * 6 * 0.1**2)
    ahead = np.array([0.0, 2.0 * spread])
    assert small["critical"][0] > 2.0 > normal["critical"][0]
    lone = np.column_stack([np.zeros(len(draws)), ahead[1] + draws[:, 1] * spread])
    assert confidence_set_for_best(lone, ahead).tolist() == [False, True]
    assert confidence_set_for_best(lone, ahead, left_out=left_out).tolist() == [True, True]
    # a cluster whose removal leaves a row undefined drops out (df counts the rest)
    left_out[0, 0] = np.nan
    assert best_row_tests(draws, point, left_out=left_out)["df"] == 4
