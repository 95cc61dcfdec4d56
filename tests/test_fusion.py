"""Per-class weighted fusion: the weighting, the vectorised search, the protocols."""

import json

import numpy as np
import pandas as pd
import pytest

from emoagree.contracts.predictions import make_predictions, read_predictions, write_predictions
from emoagree.evaluation.metrics import batch_uar
from emoagree.fusion.steps import cross_fit_sets, run_apply, run_weight_search
from emoagree.fusion.weighted import (
    Aligned,
    align,
    candidate_weights,
    draw_weights,
    fuse,
    fused_probabilities,
    predictions_per_draw,
    search_weights,
)

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]
SETTINGS = {"draws": 1000, "concentration": 1.0, "normalisation": "joint", "selection": "val"}


def complementary(n_per_class, seed):
    """Audio knows classes 0-2 (and says 'class 3' otherwise); video knows 3-5 ('class 0')."""
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(6), n_per_class)
    audio = rng.uniform(0.0, 0.1, size=(len(codes), 6))
    video = rng.uniform(0.0, 0.1, size=(len(codes), 6))
    for row, c in enumerate(codes):
        if c < 3:
            audio[row, c] += 0.6
            video[row, 0] += 0.6 if c != 0 else 0.0
            video[row, rng.integers(3, 6)] += 0.5
        else:
            video[row, c] += 0.6
            audio[row, 3] += 0.6 if c != 3 else 0.0
            audio[row, rng.integers(0, 3)] += 0.5
    audio /= audio.sum(axis=1, keepdims=True)
    video /= video.sum(axis=1, keepdims=True)
    ids = [f"s{seed}_{n:04d}" for n in range(len(codes))]
    truth = [EMOTIONS[c] for c in codes]
    return (
        make_predictions(ids, truth, audio, EMOTIONS),
        make_predictions(ids, truth, video, EMOTIONS),
    )


def uar_of(probs, truth):
    y = np.array([EMOTIONS.index(e) for e in truth])
    return batch_uar(y, np.argmax(probs, axis=1)[None], 6)[0]


def test_each_modality_weight_multiplies_its_own_class_probability():
    rng = np.random.default_rng(0)
    audio, video = rng.random((4, 6)), rng.random((4, 6))
    weights = rng.random((2, 6))
    fused = fuse(weights, audio, video)
    for n in range(4):
        for c in range(6):
            assert fused[n, c] == pytest.approx(
                weights[0, c] * audio[n, c] + weights[1, c] * video[n, c]
            )
    # only audio's weight on Sad: the fused Sad score is audio's own Sad probability times it
    only = np.zeros((2, 6))
    only[0, 3] = 2.0
    fused = fuse(only, audio, video)
    np.testing.assert_allclose(fused[:, 3], 2.0 * audio[:, 3])
    np.testing.assert_allclose(fused[:, [0, 1, 2, 4, 5]], 0.0)
    # many draws at once give the same as one at a time
    many = rng.random((5, 2, 6))
    stacked = fuse(many, audio, video)
    for d in range(5):
        np.testing.assert_allclose(stacked[d], fuse(many[d], audio, video))


@pytest.mark.parametrize("normalisation", ["joint", "per_class"])
def test_dirichlet_draws_are_seeded_and_normalised(normalisation):
    w = draw_weights(300, 6, 1.0, normalisation, seed=4)
    assert w.shape == (300, 2, 6)
    assert np.all(w > 0)
    if normalisation == "joint":
        np.testing.assert_allclose(w.sum(axis=(1, 2)), 1.0)
    else:
        np.testing.assert_allclose(w.sum(axis=1), 1.0)
    np.testing.assert_array_equal(w, draw_weights(300, 6, 1.0, normalisation, seed=4))
    assert not np.array_equal(w, draw_weights(300, 6, 1.0, normalisation, seed=5))


def test_draw_weights_rejects_unknown_normalisation():
    with pytest.raises(ValueError, match="normalisation"):
        draw_weights(10, 6, 1.0, "softmax", 0)


def test_vectorised_predictions_equal_one_draw_at_a_time():
    audio, video = complementary(5, seed=1)
    data = align(audio, video, EMOTIONS)
    weights = draw_weights(50, 6, 1.0, "joint", 0)
    preds = predictions_per_draw(weights, data)
    for d in range(50):
        np.testing.assert_array_equal(preds[d], np.argmax(fused_probabilities(weights[d], data), 1))


@pytest.mark.parametrize("normalisation", ["joint", "per_class"])
def test_search_beats_both_single_systems_when_modalities_are_complementary(normalisation):
    val_audio, val_video = complementary(20, seed=1)
    test_audio, test_video = complementary(20, seed=2)
    val = align(val_audio, val_video, EMOTIONS)
    weights, summary = search_weights(val, EMOTIONS, 1000, 1.0, normalisation, seed=0)
    assert summary["selection_uar"] > max(summary["audio_alone_uar"], summary["video_alone_uar"])
    assert summary["audio_alone_uar"] < 0.6 and summary["video_alone_uar"] < 0.6
    test = align(test_audio, test_video, EMOTIONS)
    fused = uar_of(fused_probabilities(weights, test), test.emotions_true)
    assert fused > 0.8
    assert fused > uar_of(test.audio, test.emotions_true) + 0.3
    assert fused > uar_of(test.video, test.emotions_true) + 0.3


def test_one_modality_missing_decides_alone_and_is_counted():
    audio = np.array([[0.7, 0.1, 0.1, 0.05, 0.03, 0.02], [np.nan] * 6, [np.nan] * 6])
    video = np.array(
        [[0.1, 0.6, 0.1, 0.1, 0.05, 0.05], [0.1, 0.1, 0.5, 0.1, 0.1, 0.1], [np.nan] * 6]
    )
    data = Aligned(["a", "b", "c"], ["Angry", "Surprised", "Sad"], audio, video)
    weights = np.full((2, 6), 1 / 12)
    fused = fused_probabilities(weights, data)
    np.testing.assert_allclose(fused[1], video[1])  # video alone, its own probabilities
    assert np.isnan(fused[2]).all()  # neither: not scored
    np.testing.assert_allclose(fused[0].sum(), 1.0)
    assert data.counts() == {
        "n_intervals": 3,
        "n_both": 1,
        "n_audio_only": 0,
        "n_video_only": 1,
        "n_neither": 1,
    }


def test_align_rejects_different_intervals_and_conflicting_truth():
    audio, video = complementary(2, seed=1)
    with pytest.raises(ValueError, match="different intervals"):
        align(audio.iloc[1:], video, EMOTIONS, names=("a.csv", "v.csv"))
    bad = video.copy()
    bad.loc[0, "emotion"] = "Sad" if bad.loc[0, "emotion"] != "Sad" else "Angry"
    with pytest.raises(ValueError, match="disagree on the true emotion"):
        align(audio, bad, EMOTIONS)


def write_pair(tmp_path, name, audio, video):
    a, v = tmp_path / f"audio_{name}.csv", tmp_path / f"video_{name}.csv"
    write_predictions(audio, a, EMOTIONS)
    write_predictions(video, v, EMOTIONS)
    return str(a), str(v)


def shuffled_labels(table, seed):
    out = table.copy()
    out["emotion"] = np.random.default_rng(seed).permutation(out["emotion"].to_numpy())
    return out


def test_default_protocol_uses_no_test_label(tmp_path):
    val_a, val_v = write_pair(tmp_path, "val", *complementary(10, seed=1))
    test_audio, test_video = complementary(10, seed=2)
    test_a, test_v = write_pair(tmp_path, "test", test_audio, test_video)
    shuf_a, shuf_v = write_pair(
        tmp_path, "shuffled", shuffled_labels(test_audio, 3), shuffled_labels(test_video, 3)
    )
    weights = tmp_path / "w.json"
    run_weight_search(val_a, val_v, weights, tmp_path / "val_fused.csv", EMOTIONS, SETTINGS, 0)
    infos = []
    for name, (a, v) in {"true": (test_a, test_v), "shuffled": (shuf_a, shuf_v)}.items():
        info = run_apply(
            weights,
            a,
            v,
            tmp_path / f"{name}.csv",
            tmp_path / f"{name}.json",
            EMOTIONS,
            SETTINGS,
            0,
        )
        infos.append(info)
    assert infos[0]["weights"] == infos[1]["weights"]
    assert infos[0]["weights"] == json.loads(weights.read_text())["weights"]
    assert infos[0]["chosen_on"] == "val" and infos[0]["optimistic"] is False
    true_fused = read_predictions(tmp_path / "true.csv", EMOTIONS).set_index("interval_id")
    shuf_fused = read_predictions(tmp_path / "shuffled.csv", EMOTIONS).set_index("interval_id")
    cols = [f"prob_{e}" for e in EMOTIONS]
    pd.testing.assert_frame_equal(true_fused[cols], shuf_fused.loc[true_fused.index, cols])


def test_test_protocol_searches_on_test_labels_and_is_flagged_optimistic(tmp_path):
    settings = {**SETTINGS, "selection": "test"}
    val_a, val_v = write_pair(tmp_path, "val", *complementary(10, seed=1))
    test_audio, test_video = complementary(10, seed=2)
    test_a, test_v = write_pair(tmp_path, "test", test_audio, test_video)
    shuf_a, shuf_v = write_pair(
        tmp_path, "shuffled", shuffled_labels(test_audio, 3), shuffled_labels(test_video, 3)
    )
    weights = tmp_path / "w.json"
    run_weight_search(val_a, val_v, weights, tmp_path / "val_fused.csv", EMOTIONS, settings, 0)
    info = run_apply(
        weights, test_a, test_v, tmp_path / "t.csv", tmp_path / "t.json", EMOTIONS, settings, 0
    )
    shuffled = run_apply(
        weights, shuf_a, shuf_v, tmp_path / "s.csv", tmp_path / "s.json", EMOTIONS, settings, 0
    )
    assert info["optimistic"] is True and info["chosen_on"] == "test"
    assert json.loads((tmp_path / "t.json").read_text())["optimistic"] is True
    assert info["weights"] != shuffled["weights"]  # the test labels chose the weights


def perfect_pair(n_per_class, seed):
    audio, _ = complementary(n_per_class, seed=seed)
    codes = [EMOTIONS.index(e) for e in audio["emotion"]]
    probs = np.eye(6)[codes] * 0.9 + 0.1 / 6
    return make_predictions(audio["interval_id"], audio["emotion"], probs, EMOTIONS)


def test_ties_at_the_best_uar_keep_the_candidate_closest_to_even():
    # both modalities always right and per-class weights summing to one: every candidate
    # reaches UAR 1, all are tied, and the even mix is kept
    perfect = perfect_pair(3, seed=1)
    data = align(perfect, perfect, EMOTIONS)
    weights, summary = search_weights(data, EMOTIONS, 200, 1.0, "per_class", seed=3)
    assert summary["selection_uar"] == 1.0
    assert summary["n_candidates"] == 3 + 200 * 3  # even, two members, 200 draws x 3 lam
    assert summary["n_draws_tied"] == summary["n_candidates"]
    assert summary["candidate"] == "even"
    np.testing.assert_array_equal(weights, np.full((2, 6), 0.5))


def test_candidates_are_the_even_mix_each_member_alone_and_every_draw_shrunk():
    cands = candidate_weights(50, 6, 1.0, "joint", 0, (0.25, 1.0))
    assert cands.weights.shape == (3 + 100, 2, 6)
    assert cands.kinds[:3] == ["even", "audio_alone", "video_alone"]
    np.testing.assert_allclose(cands.weights.sum(axis=(1, 2)), 1.0)  # joint: sums to 1
    raw, shrunk = cands.weights[3 + 50 + 7], cands.weights[3 + 7]
    np.testing.assert_allclose(shrunk, 0.25 * raw + 0.75 / 12)
    assert cands.describe(3 + 7) == {"candidate": "draw", "selected_draw": 7,
                                     "shrinkage": 0.25}
    with pytest.raises(ValueError, match="shrinkage"):
        candidate_weights(5, 6, 1.0, "joint", 0, (0.0,))


@pytest.mark.parametrize("normalisation", ["joint", "per_class"])
def test_search_falls_back_to_the_better_member_alone(normalisation):
    # video is always right but unsure (0.2 on the truth); audio is sure and always wrong
    # (1.0 on the next class): any weight on audio breaks intervals, video alone does not
    n = 60
    codes = np.arange(n) % 6
    video = np.full((n, 6), 0.16)
    video[np.arange(n), codes] = 0.2
    audio = np.zeros((n, 6))
    audio[np.arange(n), (codes + 1) % 6] = 1.0
    truth = [EMOTIONS[c] for c in codes]
    data = Aligned([f"i{k:03d}" for k in range(n)], truth, audio, video)
    weights, summary = search_weights(data, EMOTIONS, 500, 1.0, normalisation, seed=0)
    assert summary["candidate"] == "video_alone"
    assert summary["selection_uar"] == 1.0 and summary["video_alone_uar"] == 1.0
    assert summary["even_uar"] == 0.0
    assert (weights[0] == 0).all() and (weights[1] > 0).all()


def cross_fit_study(tmp_path, n_folds, perturbed=None):
    """K folds' val predictions (complementary modalities, a different draw per fold);
    ``perturbed``: that fold's predictions get shuffled labels and a misleading video."""
    audio_paths, video_paths = [], []
    for fold in range(n_folds):
        audio, video = complementary(6, seed=10 + fold)
        audio["interval_id"] = audio["interval_id"] + f"_f{fold}"
        video["interval_id"] = audio["interval_id"]
        if fold == perturbed:
            audio, video = shuffled_labels(audio, 1), shuffled_labels(video, 1)
            probs = [f"prob_{e}" for e in EMOTIONS]
            video[probs] = video[probs].to_numpy()[:, ::-1]
        a, v = write_pair(tmp_path, f"val_f{fold}", audio, video)
        audio_paths.append(a)
        video_paths.append(v)
    weights = [tmp_path / f"w{fold}.json" for fold in range(n_folds)]
    fused = [tmp_path / f"fused{fold}.csv" for fold in range(n_folds)]
    settings = {**SETTINGS, "draws": 300}
    with open(tmp_path / "log.txt", "w") as log:
        records = run_weight_search(audio_paths, video_paths, weights, fused, EMOTIONS,
                                    settings, 0, log=log)
    return records, (tmp_path / "log.txt").read_text()


def test_fold_weights_never_see_their_own_val_nor_their_test_predictions(tmp_path):
    (tmp_path / "base").mkdir()
    base, log = cross_fit_study(tmp_path / "base", 5)
    # fold f is chosen on folds other than f and f - 1 (whose val part is f's test part)
    assert [r["selection_folds"] for r in base] == [[1, 2, 3], [2, 3, 4], [0, 3, 4],
                                                    [0, 1, 4], [0, 1, 2]]
    assert all(r["cross_fitted"] and r["val_out_of_sample"] for r in base)
    assert base[0]["n_intervals"] == 3 * 36
    assert "chosen on the validation predictions of folds [1, 2, 3]" in log
    (tmp_path / "moved").mkdir()
    moved, _ = cross_fit_study(tmp_path / "moved", 5, perturbed=2)
    # fold 2's val predictions changed: neither fold 2's weights (its own val part) nor
    # fold 3's (fold 2 validates on fold 3's test part) move; the others' do
    for fold in (2, 3):
        assert moved[fold]["weights"] == base[fold]["weights"]
        assert moved[fold]["selection_uar"] == base[fold]["selection_uar"]
    changed = [f for f in (0, 1, 4) if moved[f]["selection_uar"] != base[f]["selection_uar"]]
    assert changed == [0, 1, 4]
    assert any(moved[f]["weights"] != base[f]["weights"] for f in (0, 1, 4))


def test_one_fold_has_nothing_to_cross_fit_and_says_so(tmp_path):
    [record], log = cross_fit_study(tmp_path, 1)
    assert record["cross_fitted"] is False and record["val_out_of_sample"] is False
    assert record["selection_folds"] == [0]
    assert "nothing to cross-fit" in record["cross_fit"] and "in-sample" in log
    stored = json.loads((tmp_path / "w0.json").read_text())
    assert stored["weights"] == record["weights"]


def test_two_folds_are_refused_by_the_cross_fit():
    assert cross_fit_sets(3) == [[1], [2], [0]]
    with pytest.raises(ValueError, match="1 or at least 3"):
        cross_fit_sets(2)
