"""Training arms: agreement weights, soft targets, curriculum levels and schedules, the arm
table, the classic expansion and the arm loss, on hand-solved cases."""

import numpy as np
import pandas as pd
import pytest

from emoagree.levels.arms import (
    ARM_ROWS,
    agreement_weights,
    arm_of_row,
    arm_table,
    max_levels,
    soft_targets,
)
from emoagree.levels.build import agreement_intervals
from emoagree.levels.curriculum import (
    curriculum_note,
    curriculum_plan,
    curriculum_rows,
    curriculum_schedule,
    is_final_stage,
)
from emoagree.levels.truth import arm_truth_accuracy
from emoagree.training.arm_inputs import arm_inputs, classic_training_set, soft_expand

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]


def marks(rows):
    return pd.DataFrame(rows, columns=["recording", "annotator", "emotion", "start_s", "end_s"])


def level1(annotations):
    table = agreement_intervals(annotations, 1, EMOTIONS)
    table["split"] = "train"
    return table


@pytest.fixture
def three_annotators():
    """r1: Angry 0-2 s by all three; Happy 5-7 s by one (the others mark Neutral there)."""
    return marks(
        [
            ("r1", "a", "Angry", 0.0, 2.0),
            ("r1", "b", "Angry", 0.0, 2.0),
            ("r1", "c", "Angry", 0.0, 2.0),
            ("r1", "a", "Happy", 5.0, 7.0),
            ("r1", "b", "Neutral", 5.0, 7.0),
            ("r1", "c", "Neutral", 5.0, 7.0),
        ]
    )


def test_weights_all_three_and_one_of_three(three_annotators):
    intervals = level1(three_annotators)
    weights = dict(zip(intervals["emotion"], agreement_weights(intervals, three_annotators),
                       strict=True))
    assert weights["Angry"] == pytest.approx(1.0)
    assert weights["Happy"] == pytest.approx(1 / 3)


def test_weight_is_time_averaged():
    """Three annotators over the first half, one over the second: (3 + 1) / 2 / 3."""
    annotations = marks(
        [
            ("r1", "a", "Sad", 0.0, 4.0),
            ("r1", "b", "Sad", 0.0, 2.0),
            ("r1", "c", "Sad", 0.0, 2.0),
        ]
    )
    intervals = level1(annotations)
    assert len(intervals) == 1
    assert agreement_weights(intervals, annotations)[0] == pytest.approx(2 / 3)
    assert max_levels(intervals, annotations)[0] == 3


def test_duplicate_marks_count_once():
    annotations = marks(
        [
            ("r1", "a", "Sad", 0.0, 2.0),
            ("r1", "a", "Sad", 0.0, 2.0),
            ("r1", "a", "Sad", 1.0, 2.0),
            ("r1", "b", "Neutral", 0.0, 2.0),
        ]
    )
    intervals = level1(annotations)
    assert agreement_weights(intervals, annotations)[0] == pytest.approx(0.5)
    assert max_levels(intervals, annotations)[0] == 1


def test_annotators_counted_per_recording():
    """r2 has two annotators, so one of them is a weight of 1/2 there."""
    annotations = marks(
        [
            ("r1", "a", "Angry", 0.0, 1.0),
            ("r1", "b", "Angry", 0.0, 1.0),
            ("r1", "c", "Angry", 0.0, 1.0),
            ("r2", "a", "Angry", 0.0, 1.0),
            ("r2", "b", "Sad", 3.0, 4.0),
        ]
    )
    intervals = level1(annotations)
    got = dict(zip(intervals["recording"] + intervals["emotion"],
                   agreement_weights(intervals, annotations), strict=True))
    assert got == pytest.approx({"r1Angry": 1.0, "r2Angry": 0.5, "r2Sad": 0.5})


def test_soft_target_two_angry_one_sad():
    annotations = marks(
        [
            ("r1", "a", "Angry", 0.0, 3.0),
            ("r1", "b", "Angry", 0.0, 3.0),
            ("r1", "c", "Sad", 0.0, 3.0),
        ]
    )
    intervals = level1(annotations)
    targets = soft_targets(intervals, annotations, EMOTIONS)
    assert list(targets.columns) == [f"target_{e}" for e in EMOTIONS]
    for row in range(2):  # the Angry and the Sad interval cover the same stretch
        expected = {"target_Angry": 2 / 3, "target_Sad": 1 / 3}
        for column in targets.columns:
            assert targets[column].iloc[row] == pytest.approx(expected.get(column, 0.0))


def test_soft_target_ignores_neutral_and_is_time_averaged():
    """Angry by a over 0-4 s; Sad by b over 2-4 s; c marks Neutral everywhere.

    Angry interval 0-4: Angry coverage 1, Sad 0.5 (time-averaged) -> 2/3, 1/3.
    Sad interval 2-4: Angry 1, Sad 1 -> 1/2 each."""
    annotations = marks(
        [
            ("r1", "a", "Angry", 0.0, 4.0),
            ("r1", "b", "Sad", 2.0, 4.0),
            ("r1", "c", "Neutral", 0.0, 4.0),
        ]
    )
    intervals = level1(annotations)
    targets = soft_targets(intervals, annotations, EMOTIONS).set_index(intervals["emotion"])
    assert targets.loc["Angry", "target_Angry"] == pytest.approx(2 / 3)
    assert targets.loc["Angry", "target_Sad"] == pytest.approx(1 / 3)
    assert targets.loc["Sad", "target_Angry"] == pytest.approx(0.5)
    assert targets.loc["Sad", "target_Sad"] == pytest.approx(0.5)
    np.testing.assert_allclose(targets.sum(axis=1), 1.0)


def test_max_level_peaks_inside_the_interval():
    """Angry: a 0-10, b 2-6, c 4-5, d 8-9: peak 3 (4-5 s). Happy elsewhere by one."""
    annotations = marks(
        [
            ("r1", "a", "Angry", 0.0, 10.0),
            ("r1", "b", "Angry", 2.0, 6.0),
            ("r1", "c", "Angry", 4.0, 5.0),
            ("r1", "d", "Angry", 8.0, 9.0),
            ("r1", "a", "Happy", 20.0, 21.0),
        ]
    )
    intervals = level1(annotations).set_index("emotion")
    levels = dict(zip(intervals.index, max_levels(intervals.reset_index(), annotations),
                      strict=True))
    assert levels == {"Angry": 3, "Happy": 1}


def test_max_level_agrees_with_the_level_tables():
    """max_level >= k exactly when a level-k interval of the same recording and emotion
    lies inside (on a random corpus)."""
    rng = np.random.default_rng(0)
    rows = []
    for annotator in "abcde":
        for _ in range(8):
            start = float(rng.uniform(0, 50))
            rows.append(("r1", annotator, str(rng.choice(EMOTIONS[:3])), start,
                         start + float(rng.uniform(0.5, 6))))
    annotations = marks(rows)
    intervals = level1(annotations)
    got = max_levels(intervals, annotations)
    for k in range(1, 6):
        inner = agreement_intervals(annotations, k, EMOTIONS)
        for i, row in intervals.iterrows():
            inside = inner[
                (inner["emotion"] == row["emotion"])
                & (inner["start_s"] >= row["start_s"] - 1e-9)
                & (inner["end_s"] <= row["end_s"] + 1e-9)
            ]
            assert (got[i] >= k) == (len(inside) > 0)


def test_arm_table_is_level_one_plus_columns(three_annotators):
    intervals = level1(three_annotators).assign(unit="u0", fold=0)
    table = arm_table(intervals, three_annotators, EMOTIONS)
    assert list(table.columns[: len(intervals.columns)]) == list(intervals.columns)
    pd.testing.assert_frame_equal(table[intervals.columns], intervals)
    assert set(table.columns) - set(intervals.columns) == {
        "weight", "max_level", *(f"target_{e}" for e in EMOTIONS)
    }
    happy = table[table["emotion"] == "Happy"].iloc[0]
    assert happy["target_Happy"] == pytest.approx(1.0)
    assert happy["max_level"] == 1


def test_schedule_epochs_per_stage():
    section = {"stages": [5, 4, 3, 2, 1], "epochs_per_stage": 2}
    assert curriculum_schedule(12, section) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1]
    assert curriculum_schedule(3, section) == [5, 5, 1]  # the last epoch sees all data
    assert curriculum_schedule(1, section) == [1]


def test_schedule_warmup_fraction():
    # every warm-up stage gets its share when the budget allows the minimum (m = 1 here):
    # 10 epochs at 0.5: B = 5, 5 // 4 = 1 epoch per warm-up stage, the last stage the rest
    section = {"stages": [5, 4, 3, 2, 1], "warmup_fraction": 0.5, "min_epochs_per_stage": 1}
    assert curriculum_schedule(10, section) == [5, 4, 3, 2, 1, 1, 1, 1, 1, 1]
    assert curriculum_schedule(4, {"stages": [3, 1], "warmup_fraction": 0.0}) == [1, 1, 1, 1]


def test_curriculum_plan_gives_every_stage_its_minimum_epochs():
    """Hand-solved: stages 5..1, warm-up 0.5, at least 2 epochs per stage (the default)."""
    section = {"stages": [5, 4, 3, 2, 1], "warmup_fraction": 0.5}
    # 10 epochs (the paper's EfficientNet): B = 5, 5 // 4 = 1 < 2, so the warm-up is
    # thinned to 5 // 2 = 2 stages spread from the top (5 and 2), 5 // 2 = 2 epochs each;
    # stage 1 gets the other 6
    plan = curriculum_plan(10, section)
    assert plan.schedule == [5, 5, 2, 2, 1, 1, 1, 1, 1, 1]
    assert plan.epochs == {5: 2, 2: 2, 1: 6} and not plan.under_trained
    # 15 epochs (the demo LSTM): B = 7 -> 3 stages (5, 3, 2) of 7 // 3 = 2, stage 1 gets 9
    plan = curriculum_plan(15, section)
    assert plan.epochs == {5: 2, 3: 2, 2: 2, 1: 9} and not plan.under_trained
    # 100 epochs (the paper's LSTM): B = 50, 12 per warm-up stage, 52 on all data
    assert curriculum_plan(100, section).epochs == {5: 12, 4: 12, 3: 12, 2: 12, 1: 52}
    # 4 epochs: B = 2 fits one warm-up stage of 2 (the top one) and 2 on all data
    assert curriculum_plan(4, section).schedule == [5, 5, 1, 1]
    assert not curriculum_plan(4, section).under_trained


def test_curriculum_plan_flags_an_under_trained_curriculum():
    section = {"stages": [5, 4, 3, 2, 1], "warmup_fraction": 0.5}
    # 2 epochs (the demo's EfficientNet, and the face corpus of issue 21): B = 1 < 2 fits
    # no warm-up stage: the warm-up spreads over the first half and is flagged
    plan = curriculum_plan(2, section)
    assert plan.schedule == [5, 1] and plan.epochs == {5: 1, 1: 1}
    assert plan.under_trained
    assert curriculum_plan(3, section).schedule == [5, 3, 1]
    assert curriculum_plan(3, section).under_trained
    # an explicit epochs_per_stage below the minimum, or a last stage left with one epoch
    assert curriculum_plan(12, {**section, "epochs_per_stage": 1}).under_trained
    assert curriculum_plan(3, {**section, "epochs_per_stage": 2}).under_trained  # stage 1: 1
    assert not curriculum_plan(3, {**section, "min_epochs_per_stage": 1}).under_trained
    note = curriculum_note("video_effnet", 2, section)
    assert note.startswith("Mc of video_effnet is under-trained: 2 epochs")
    assert "stage 5: 1, stage 1: 1" in note
    assert curriculum_note("audio_lstm", 15, section) is None
    with pytest.raises(ValueError, match="min_epochs_per_stage"):
        curriculum_plan(5, {**section, "min_epochs_per_stage": 0})


def test_schedule_refuses_ascending_stages():
    with pytest.raises(ValueError, match="descending"):
        curriculum_schedule(5, {"stages": [1, 2]})


def test_curriculum_rows_and_final_stage():
    levels = np.array([1, 3, 2, 5, 1])
    assert curriculum_rows(levels, 3).tolist() == [1, 3]
    assert curriculum_rows(levels, 1).tolist() == [0, 1, 2, 3, 4]
    assert curriculum_rows(np.array([1, 2, 2]), 5).tolist() == [1, 2]  # empty stage skipped
    schedule = [5, 3, 1, 1]
    assert [is_final_stage(schedule, e) for e in (1, 2, 3, 4)] == [False, False, True, True]


def test_soft_expand():
    targets = np.array([[2 / 3, 0, 0, 1 / 3, 0, 0], [0, 1, 0, 0, 0, 0]])
    rows, labels, weights = soft_expand(targets, EMOTIONS, weights=np.array([1.0, 0.5]))
    assert rows.tolist() == [0, 0, 1]
    assert labels.tolist() == ["Angry", "Sad", "Happy"]
    np.testing.assert_allclose(weights, [2 / 3, 1 / 3, 0.5])


def test_classic_training_sets(three_annotators):
    table = arm_table(level1(three_annotators), three_annotators, EMOTIONS)
    rows, labels, weights = classic_training_set(table, np.array([0, 1]), None, EMOTIONS)
    assert weights is None and labels.tolist() == table["emotion"].tolist()
    rows, labels, weights = classic_training_set(table, np.array([0, 1]), "weighted", EMOTIONS)
    np.testing.assert_allclose(weights, table["weight"])
    rows, labels, weights = classic_training_set(table, np.array([0, 1]), "soft", EMOTIONS)
    assert rows.tolist() == [0, 1] and labels.tolist() == ["Angry", "Happy"]
    np.testing.assert_allclose(weights, 1.0)
    with pytest.raises(ValueError, match="networks"):
        classic_training_set(table, np.array([0]), "curriculum", EMOTIONS)


def test_arm_inputs_take_and_fingerprint(three_annotators):
    table = arm_table(level1(three_annotators), three_annotators, EMOTIONS)
    soft = arm_inputs(table, np.array([0, 1]), "soft", EMOTIONS)
    assert soft.targets.shape == (2, 6)
    per_chunk = soft.take(np.array([1, 1, 0]))
    np.testing.assert_allclose(per_chunk.targets[0], soft.targets[1])
    weighted = arm_inputs(table, np.array([0, 1]), "weighted", EMOTIONS)
    assert soft.fingerprint() != weighted.fingerprint()
    curriculum = arm_inputs(table, np.array([0, 1]), "curriculum", EMOTIONS,
                            {"stages": [3, 1], "epochs_per_stage": 1})
    assert curriculum.schedule(3) == [3, 1, 1]
    assert arm_inputs(table, np.array([0]), None, EMOTIONS) is None


def test_rows_names():
    assert ARM_ROWS == {"weighted": "Mw", "soft": "Ms", "curriculum": "Mc"}
    assert arm_of_row("Ms") == "soft" and arm_of_row("3") is None


def test_truth_accuracy_of_the_arms():
    """Truth: Angry over 0-2 s only. Angry 0-2 (weight 1, by all three), Sad 0-2 (weight
    1/3, by one). Mw = (1*2 + 1/3*0) / (1*2 + 1/3*2) = 3/4; targets are Angry 3/4, Sad 1/4
    for both intervals: Ms = 2 * (3/4 * 2) / 4 = 3/4; Mc>=3 keeps Angry only (1.0)."""
    annotations = marks(
        [
            ("r1", "a", "Angry", 0.0, 2.0),
            ("r1", "b", "Angry", 0.0, 2.0),
            ("r1", "c", "Angry", 0.0, 2.0),
            ("r1", "a", "Sad", 0.0, 2.0),
        ]
    )
    table = arm_table(level1(annotations), annotations, EMOTIONS)
    truth = pd.DataFrame({"recording": ["r1"], "emotion": ["Angry"], "start_s": [0.0],
                          "end_s": [2.0]})
    got = arm_truth_accuracy(table, truth, EMOTIONS, stages=[3, 1])
    assert got["Mw"] == pytest.approx(0.75)
    assert got["Ms"] == pytest.approx(0.75)
    assert got["Mc>=3"] == pytest.approx(1.0)
    assert got["Mc>=1"] == pytest.approx(0.5)


torch = pytest.importorskip("torch")


def test_loss_with_unit_weights_and_one_hot_targets_is_cross_entropy():
    from emoagree.training.arm_loss import class_weights, one_hot, soft_cross_entropy

    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(7, 6, generator=generator)
    labels = np.array([0, 3, 3, 1, 5, 0, 3])
    class_weight = torch.tensor(class_weights(one_hot(labels, 6).numpy(), 6),
                                dtype=torch.float32)
    targets = one_hot(labels, 6)
    hard = torch.nn.CrossEntropyLoss(weight=class_weight)(logits, torch.as_tensor(labels))
    ours = soft_cross_entropy(logits, targets, class_weight, torch.ones(7))
    assert ours.item() == pytest.approx(hard.item(), rel=1e-6)
    plain = torch.nn.CrossEntropyLoss()(logits, torch.as_tensor(labels))
    assert soft_cross_entropy(logits, targets).item() == pytest.approx(plain.item(), rel=1e-6)


def test_weighted_and_soft_losses():
    from emoagree.training.arm_loss import soft_cross_entropy

    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    log_p = torch.log_softmax(logits, dim=1)
    # sample weights: (1 * -log p00 + 0.5 * -log p11) / 1.5
    got = soft_cross_entropy(logits, torch.eye(2), sample_weight=torch.tensor([1.0, 0.5]))
    expected = -(log_p[0, 0] + 0.5 * log_p[1, 1]) / 1.5
    assert got.item() == pytest.approx(expected.item())
    # soft target (2/3, 1/3) on the first sample only
    got = soft_cross_entropy(logits[:1], torch.tensor([[2 / 3, 1 / 3]]))
    assert got.item() == pytest.approx(-(2 / 3 * log_p[0, 0] + 1 / 3 * log_p[0, 1]).item())


def test_label_accuracy_is_the_truth_tables_level_row():
    from emoagree.levels.truth import label_accuracy, truth_accuracy_table

    intervals = pd.DataFrame({"recording": ["r1", "r1", "r2"], "emotion": ["Angry", "Sad", "Sad"],
                              "start_s": [0.0, 1.0, 0.0], "end_s": [2.0, 4.0, 1.0]})
    truth = pd.DataFrame({"recording": ["r1", "r1", "r2"], "emotion": ["Angry", "Sad", "Happy"],
                          "start_s": [0.5, 3.0, 0.0], "end_s": [3.0, 3.5, 1.0]})
    # Angry 0.5..2 matches 1.5 s, Sad 1..4 matches 0.5 s, r2 Sad matches nothing: 2 of 6 s
    assert label_accuracy(intervals, truth) == pytest.approx(2.0 / 6.0)
    table = truth_accuracy_table({1: intervals}, {}, truth, EMOTIONS)
    assert table.loc[0, "accuracy"] == label_accuracy(intervals, truth)
    assert table.loc[0, "intervals"] == 3
