"""UAR, coverage, confusion and bootstrap intervals on hand-made predictions."""

import numpy as np
import pandas as pd
import pytest

from emoagree.metrics import (
    UNSCORED,
    batch_uar,
    bootstrap_indices,
    bootstrap_mean_uar,
    bootstrap_uar,
    encode,
    evaluate_predictions,
    paired_bootstrap,
    uar,
)
from emoagree.predictions import make_predictions

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
    y = np.array([0, 1, 2, 3, 4, 5] * 5)
    low, high, uars = bootstrap_uar(y, y, 6, n_resamples=300, seed=5)
    assert (low, high) == (1.0, 1.0)
    low, high, _ = bootstrap_uar(y, (y + 1) % 6, 6, n_resamples=300, seed=5)
    assert (low, high) == (0.0, 0.0)
    assert uars.shape == (300,)


def test_bootstrap_equals_a_loop_over_the_same_resamples_and_is_seeded():
    rng = np.random.default_rng(11)
    y_true = rng.integers(0, 6, size=50)
    y_pred = np.where(rng.random(50) < 0.6, y_true, rng.integers(0, 6, size=50))
    low, high, uars = bootstrap_uar(y_true, y_pred, 6, n_resamples=400, seed=9)
    idx = bootstrap_indices(50, 400, 9)
    loop = [
        uar([EMOTIONS[k] for k in y_true[i]], [EMOTIONS[k] for k in y_pred[i]], EMOTIONS)
        for i in idx
    ]
    np.testing.assert_allclose(uars, loop)
    assert (low, high) == pytest.approx(tuple(np.quantile(loop, [0.025, 0.975])))
    point = batch_uar(y_true, y_pred[None], 6)[0]
    assert low < point < high
    again = bootstrap_uar(y_true, y_pred, 6, n_resamples=400, seed=9)
    assert (again[0], again[1]) == (low, high)


def test_bootstrap_drops_unscored_before_resampling():
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, UNSCORED, 1, UNSCORED, 2, UNSCORED])
    low, high, _ = bootstrap_uar(y_true, y_pred, 6, n_resamples=100, seed=0)
    assert (low, high) == (1.0, 1.0)


def test_paired_bootstrap_probability():
    y = np.array([0, 1, 2, 3, 4, 5] * 4)
    wrong = (y + 1) % 6
    assert paired_bootstrap(y, y, wrong, 6, 200, 0) == 1.0
    assert paired_bootstrap(y, wrong, y, 6, 200, 0) == 0.0
    assert paired_bootstrap(y, y, y, 6, 200, 0) == 0.0  # ties are not wins
    half = y.copy()
    half[::2] = wrong[::2]
    p = paired_bootstrap(y, half, wrong, 6, 500, 1)
    assert p > 0.99


def test_bootstrap_mean_uar_is_paired_and_matches_a_loop():
    rng = np.random.default_rng(2)
    trues = [rng.integers(0, 6, size=n) for n in (20, 30)]
    preds = [np.stack([t, np.where(rng.random(len(t)) < 0.5, t, (t + 1) % 6)]) for t in trues]
    out = bootstrap_mean_uar(trues, preds, 6, n_resamples=50, seed=4)
    assert out.shape == (50, 2)
    assert np.all(out[:, 0] == 1.0)
    rng_ref = np.random.default_rng(4)
    per_test = []
    for t, p in zip(trues, preds, strict=True):
        idx = rng_ref.integers(0, len(t), size=(50, len(t)))
        per_test.append([batch_uar(t[i], p[1][i][None], 6)[0] for i in idx])
    np.testing.assert_allclose(out[:, 1], np.mean(per_test, axis=0))


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
    from emoagree.evaluation import write_metrics
    from emoagree.predictions import write_predictions

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
