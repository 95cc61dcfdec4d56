"""The training arms inside the trainers: LSTM and EfficientNet take weights, soft targets
and a curriculum; with all weights 1 (or one-hot targets) they train exactly as without an
arm; the arm enters the checkpoint's fingerprint; the classic fits take sample weights."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from emoagree.audio.classic import GridPoint, fit_classic, fit_pipeline
from emoagree.audio.lstm import LstmSettings
from emoagree.audio.lstm_train import train_lstm
from emoagree.training.arm_inputs import ArmInputs
from emoagree.video.effnet import TrainSettings, build_model, train_classifier
from emoagree.video.forest import train_forest

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]
CPU = torch.device("cpu")


def toy_sequences(seed: int, n: int):
    rng = np.random.default_rng(seed)
    labels = np.array(EMOTIONS[:3] * n, dtype=object)
    sequences = [
        rng.normal(EMOTIONS.index(label), 0.5, size=(int(rng.integers(20, 90)), 4)).astype(
            np.float32
        )
        for label in labels
    ]
    return sequences, labels


def one_hot_targets(labels):
    targets = np.zeros((len(labels), len(EMOTIONS)))
    targets[np.arange(len(labels)), [EMOTIONS.index(e) for e in labels]] = 1
    return targets


@pytest.fixture
def lstm_data():
    train, y_train = toy_sequences(0, 6)
    val, y_val = toy_sequences(1, 2)
    settings = LstmSettings(hidden_size=8, chunk_frames=30, batch_size=8, max_epochs=3, patience=99)
    return train, y_train, val, y_val, settings


def same_model(a, b):
    for name, value in a.model.state_dict().items():
        torch.testing.assert_close(b.model.state_dict()[name], value)


@pytest.mark.parametrize("arm", ["weighted", "soft"])
def test_lstm_unit_weights_and_one_hot_targets_train_as_without_an_arm(lstm_data, arm, tmp_path):
    train, y_train, val, y_val, settings = lstm_data
    plain = train_lstm(train, y_train, val, y_val, EMOTIONS, settings, 5, tmp_path / "a", CPU)
    inputs = (
        ArmInputs("weighted", weights=np.ones(len(train))) if arm == "weighted"
        else ArmInputs("soft", targets=one_hot_targets(y_train))
    )
    armed = train_lstm(train, y_train, val, y_val, EMOTIONS, settings, 5, tmp_path / "b", CPU,
                       arm=inputs)
    assert [h["train_loss"] for h in armed.history] == pytest.approx(
        [h["train_loss"] for h in plain.history], rel=1e-5
    )
    same_model(plain, armed)


def test_lstm_weights_change_the_training(lstm_data, tmp_path):
    train, y_train, val, y_val, settings = lstm_data
    plain = train_lstm(train, y_train, val, y_val, EMOTIONS, settings, 5, tmp_path / "a", CPU)
    weights = np.linspace(0.2, 1.0, len(train))
    armed = train_lstm(train, y_train, val, y_val, EMOTIONS, settings, 5, tmp_path / "b", CPU,
                       arm=ArmInputs("weighted", weights=weights))
    assert armed.history[0]["train_loss"] != pytest.approx(plain.history[0]["train_loss"])


def test_lstm_curriculum_adds_lower_levels_and_stops_only_in_the_last_stage(lstm_data, tmp_path):
    train, y_train, val, y_val, _ = lstm_data
    settings = LstmSettings(hidden_size=8, chunk_frames=30, batch_size=8, max_epochs=5, patience=1)
    max_level = np.array([3, 1, 2] * (len(train) // 3))
    inputs = ArmInputs("curriculum", max_level=max_level,
                       curriculum={"stages": [3, 2, 1], "epochs_per_stage": 1})
    result = train_lstm(train, y_train, val, y_val, EMOTIONS, settings, 5, tmp_path / "c", CPU,
                        arm=inputs)
    stages = [h["stage"] for h in result.history]
    chunks = [h["train_chunks"] for h in result.history]
    assert stages[:3] == [3, 2, 1]
    assert chunks[0] < chunks[1] < chunks[2]
    assert len(result.history) >= 3  # patience counts only epochs of the last stage (from 3)


def test_lstm_checkpoint_of_another_arm_is_not_resumed(lstm_data, tmp_path, caplog):
    train, y_train, val, y_val, settings = lstm_data

    def stop(epoch):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_lstm(train, y_train, val, y_val, EMOTIONS, settings, 0, tmp_path / "k", CPU,
                   on_epoch_end=stop, arm=ArmInputs("weighted", weights=np.ones(len(train))))
    with caplog.at_level(logging.WARNING):
        result = train_lstm(train, y_train, val, y_val, EMOTIONS, settings, 0, tmp_path / "k",
                            CPU, arm=ArmInputs("soft", targets=one_hot_targets(y_train)))
    assert result.resumed_from_epoch is None
    assert "starting afresh" in caplog.text


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return build_model("test_efficientnet", len(EMOTIONS), {"source": "random"}, hidden=32)


def tiny_data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(EMOTIONS), n)
    crops = rng.integers(0, 60, (n, 24, 24, 3)).astype(np.uint8)
    return crops, labels


@pytest.mark.parametrize("arm", ["weighted", "soft"])
def test_effnet_unit_weights_and_one_hot_targets_train_as_without_an_arm(arm):
    crops, labels = tiny_data()
    settings = TrainSettings(epochs=2, batch_size=8, image_size=32, seed=1)
    plain = train_classifier(tiny_model(), crops, labels, settings, emotions=EMOTIONS)
    inputs = (
        ArmInputs("weighted", weights=np.ones(len(labels))) if arm == "weighted"
        else ArmInputs("soft", targets=one_hot_targets(np.asarray(EMOTIONS)[labels]))
    )
    armed = train_classifier(tiny_model(), crops, labels, settings, emotions=EMOTIONS, arm=inputs)
    assert [h["loss"] for h in armed.history] == pytest.approx(
        [h["loss"] for h in plain.history], rel=1e-5
    )


def test_effnet_curriculum_trains_on_the_admitted_frames(caplog, tmp_path):
    crops, labels = tiny_data()
    max_level = np.array([2, 1] * (len(labels) // 2))
    settings = TrainSettings(epochs=2, batch_size=8, image_size=32, seed=1)
    inputs = ArmInputs("curriculum", max_level=max_level,
                       curriculum={"stages": [2, 1], "epochs_per_stage": 1})
    with caplog.at_level(logging.INFO):
        train_classifier(tiny_model(), crops, labels, settings, emotions=EMOTIONS, arm=inputs,
                         checkpoint=tmp_path / "c.pt")
    assert "curriculum stage 2: 12 of 24 training frames" in caplog.text
    assert "curriculum stage 1: 24 of 24 training frames" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO):  # same settings, no arm: the checkpoint is not reused
        train_classifier(tiny_model(), crops, labels, settings, emotions=EMOTIONS,
                         checkpoint=tmp_path / "c.pt")
    assert "training from scratch" in caplog.text


def test_classic_fits_take_sample_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    y = np.array(EMOTIONS[:3] * 20, dtype=object)
    x[:, 0] += np.array([EMOTIONS.index(e) for e in y])
    settings = {"pca_grid": [3], "inner_folds": 3, "class_weight": None,
                "svm": {"kernel": "linear", "c_grid": [1.0], "probability": "decision"},
                "lr": {"max_iter": 500, "c_grid": [1.0]}}
    units = np.array([f"u{k % 12}" for k in range(60)], dtype=object)
    for system in ("audio_svm", "audio_lr"):
        point = GridPoint(pca=3, c=1.0)
        plain = fit_pipeline(system, point, x, y, settings, 0)
        ones = fit_pipeline(system, point, x, y, settings, 0, sample_weight=np.ones(len(y)))
        np.testing.assert_allclose(plain.predict_proba(x), ones.predict_proba(x), atol=1e-6)
        weighted = fit_pipeline(system, point, x, y, settings, 0,
                                sample_weight=np.linspace(0.1, 1, len(y)))
        assert not np.allclose(plain.predict_proba(x), weighted.predict_proba(x))
        # an arm's samples are what the chosen setting is fitted on (train+val refit and
        # the train-only val model); the choice itself is the hard labels'
        hard = fit_classic(system, x[:48], y[:48], units[:48], x[48:], y[48:], units[48:],
                           settings, 0)
        arm = fit_classic(system, x[:48], y[:48], units[:48], x[48:], y[48:], units[48:],
                          settings, 0, arm_train=(x[:48], y[:48], np.linspace(0.1, 1, 48)),
                          arm_val=(x[48:], y[48:], np.ones(12)))
        assert hard.report["chosen"] == arm.report["chosen"]
        assert not np.allclose(hard.val_model.predict_proba(x), arm.val_model.predict_proba(x))
    # (scikit-learn's forest draws its bootstrap differently once weights are given, so
    # only the weights' effect is checked: a class weighted ~0 is never predicted)
    forest = dict(n_estimators=5, max_depth=3, class_weight=None, seed=0, n_jobs=1)
    weights = np.where(y == "Surprised", 1e-9, 1.0)
    model = train_forest(x, y, EMOTIONS, sample_weight=weights, **forest)
    assert "Surprised" not in set(model.predict(x))
