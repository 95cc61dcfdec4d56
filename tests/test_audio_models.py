"""Audio systems on a synthetic separable corpus (classes differ in pitch and energy)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from audio_synth import EMOTIONS, make_corpus

from emoagree.audio.classic import fit_classic, pca_components
from emoagree.audio.lld import cache_recording_lld
from emoagree.audio.lstm import (
    LstmClassifier,
    LstmSettings,
    class_weights,
    predict_sequences,
    prepare,
    split_chunks,
    train_lstm,
)
from emoagree.audio.lstm_steps import run_predict_lstm, run_train_lstm
from emoagree.audio.steps import run_functionals, run_predict_classic, run_train_classic
from emoagree.metrics import uar
from emoagree.predictions import prob_columns, read_predictions, scored_mask

MFCC_CONFIG = Path(__file__).resolve().parents[1] / "resources/opensmile/mfcc.conf"
LSTM = {
    "hidden_size": 24,
    "num_layers": 1,
    "bidirectional": False,
    "dropout": 0.0,
    "chunk_frames": 60,
    "batch_size": 16,
    "learning_rate": 0.01,
    "max_epochs": 25,
    "patience": 8,
}
SETTINGS = {
    "min_duration_s": 0.1,
    "pca_components": 300,
    "class_weight": "balanced",
    "svm": {"kernel": "linear", "c_grid": [0.0001, 0.01, 1.0]},
    "lr": {"max_iter": 2000, "c_grid": [0.0001, 0.01, 1.0]},
    "lstm": LSTM,
}


@pytest.fixture(scope="module")
def level(tmp_path_factory):
    """A level file (with one too-short test interval) and its functionals."""
    root = tmp_path_factory.mktemp("models")
    table, paths = make_corpus(root / "wav", {"train": 6, "val": 3, "test": 3}, n_recordings=3)
    short = table[table["split"] == "test"].iloc[[0]].copy()
    short["interval_id"] = "too_short"
    short["end_s"] = short["start_s"] + 0.05
    table = pd.concat([table, short], ignore_index=True)
    csv = root / "level1.csv"
    table.to_csv(csv, index=False)
    npz, counts = root / "functionals.npz", root / "functionals.json"
    run_functionals(str(csv), paths, 1, 0.1, 2, str(npz), str(counts))
    return {"root": root, "csv": str(csv), "npz": str(npz), "json": counts, "paths": paths}


def test_functionals_count_the_too_short_interval(level):
    counts = json.loads(level["json"].read_text())
    assert counts["n_too_short"] == 1
    assert counts["n_ok"] == counts["n_intervals"] - 1 == 6 * 12


def test_uar_on_test(predictions: pd.DataFrame) -> float:
    mask = scored_mask(predictions, EMOTIONS)
    chosen = np.asarray(EMOTIONS)[predictions[prob_columns(EMOTIONS)].to_numpy()[mask].argmax(1)]
    return uar(predictions["emotion"].to_numpy()[mask], chosen, EMOTIONS)


test_uar_on_test.__test__ = False  # a helper, not a test


@pytest.mark.parametrize("system", ["audio_svm", "audio_lr"])
def test_classic_systems_separate_the_classes(level, system, tmp_path):
    model, report, val = tmp_path / "m.joblib", tmp_path / "m.json", tmp_path / "val.csv"
    run_train_classic(system, level["csv"], level["npz"], EMOTIONS, SETTINGS, 7, model, report, val)
    test = tmp_path / "test1.csv"
    run_predict_classic(model, level["csv"], level["npz"], EMOTIONS, test)
    predictions = read_predictions(test, EMOTIONS)
    assert len(predictions) == 3 * 6 + 1
    assert test_uar_on_test(predictions) > 0.9
    # the too-short interval is present with empty probabilities
    short = predictions.set_index("interval_id").loc["too_short", prob_columns(EMOTIONS)]
    assert short.isna().all()
    scored = predictions[scored_mask(predictions, EMOTIONS)]
    np.testing.assert_allclose(scored[prob_columns(EMOTIONS)].sum(axis=1), 1.0, atol=1e-5)
    validation = read_predictions(val, EMOTIONS)
    assert len(validation) == 3 * 6 and scored_mask(validation, EMOTIONS).all()
    selection = json.loads(report.read_text())
    assert selection["chosen_c"] in SETTINGS[system.removeprefix("audio_")]["c_grid"]
    best = max(selection["val_uar"].values())
    assert selection["val_uar"][repr(selection["chosen_c"])] == best
    assert selection["pca_components"] == 6 * 6 - 1  # capped below 36 training samples


@pytest.mark.parametrize("system", ["audio_svm", "audio_lr"])
def test_c_is_chosen_on_val_never_on_test(level, system, tmp_path):
    table = pd.read_csv(level["csv"], dtype={"interval_id": str})
    scrambled = table.copy()
    test_rows = scrambled["split"] == "test"
    rng = np.random.default_rng(0)
    scrambled.loc[test_rows, "emotion"] = rng.choice(EMOTIONS, size=int(test_rows.sum()))
    scrambled.loc[test_rows, "start_s"] = scrambled.loc[test_rows, "start_s"]  # same audio
    csv = tmp_path / "scrambled.csv"
    scrambled.to_csv(csv, index=False)
    runs = {}
    for name, path in {"original": level["csv"], "scrambled": str(csv)}.items():
        out = tmp_path / name
        out.mkdir()
        run_train_classic(
            system,
            path,
            level["npz"],
            EMOTIONS,
            SETTINGS,
            7,
            out / "m.joblib",
            out / "m.json",
            out / "val.csv",
        )
        runs[name] = out
    original = json.loads((runs["original"] / "m.json").read_text())
    scrambled_report = json.loads((runs["scrambled"] / "m.json").read_text())
    assert original["chosen_c"] == scrambled_report["chosen_c"]
    assert original["val_uar"] == scrambled_report["val_uar"]
    assert (runs["original"] / "val.csv").read_text() == (runs["scrambled"] / "val.csv").read_text()


def test_selection_reads_the_validation_labels():
    """Inverting the (two-class) validation labels turns every C's val UAR u into 1 - u,
    and the choice is the arg max of those scores in both cases."""
    rng = np.random.default_rng(3)
    x_train = np.vstack([rng.normal(0, 1, (20, 5)), rng.normal(0.7, 1, (20, 5))])
    y_train = np.array(["Angry"] * 20 + ["Happy"] * 20, dtype=object)
    x_val = np.vstack([rng.normal(0, 1, (10, 5)), rng.normal(0.7, 1, (10, 5))])
    grid = [1e-4, 1e-2, 1.0]
    settings = {**SETTINGS, "pca_components": 5, "lr": {"max_iter": 500, "c_grid": grid}}
    honest = np.array(["Angry"] * 10 + ["Happy"] * 10, dtype=object)
    inverted = np.where(honest == "Angry", "Happy", "Angry").astype(object)
    reports = [
        fit_classic("audio_lr", x_train, y_train, x_val, y, EMOTIONS, settings, 0)[1]
        for y in (honest, inverted)
    ]
    for c in grid:
        assert reports[1]["val_uar"][repr(c)] == pytest.approx(1 - reports[0]["val_uar"][repr(c)])
    for report in reports:
        scores = [report["val_uar"][repr(c)] for c in grid]
        assert report["chosen_c"] == grid[int(np.argmax(scores))]
    assert reports[0]["val_uar"][repr(reports[0]["chosen_c"])] > 0.6


def test_pca_is_capped_below_sample_count_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        assert pca_components(300, 50, 6373) == 49
    assert "300 components requested but only 50 training samples" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert pca_components(300, 1000, 6373) == 300
    assert caplog.text == ""


def test_split_chunks_and_class_weights():
    sequence = np.arange(450)[:, None].astype(np.float32)
    chunks = split_chunks(sequence, 200)
    assert [len(c) for c in chunks] == [150, 150, 150]
    np.testing.assert_array_equal(np.concatenate(chunks), sequence)
    assert [len(c) for c in split_chunks(sequence[:120], 200)] == [120]
    weights = class_weights(np.array([0, 0, 0, 1]), 3)
    np.testing.assert_allclose(weights, [4 / 6, 2.0, 0.0])


def test_interval_prediction_is_the_mean_of_its_chunks():
    torch.manual_seed(0)
    settings = LstmSettings(hidden_size=8, chunk_frames=40)
    model = LstmClassifier(3, 6, settings)
    long = np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32)
    chunks = split_chunks(long, 40)
    assert len(chunks) == 3
    each = predict_sequences(model, chunks, settings, torch.device("cpu"))
    whole = predict_sequences(model, [long], settings, torch.device("cpu"))
    np.testing.assert_allclose(whole[0], each.mean(axis=0), rtol=1e-5)


def test_mean_pooling_averages_the_outputs_of_real_frames_only():
    torch.manual_seed(0)
    settings = LstmSettings(hidden_size=5, pooling="mean", bidirectional=True)
    model = LstmClassifier(3, 6, settings).eval()
    rng = np.random.default_rng(1)
    short, long = (torch.from_numpy(rng.normal(size=(n, 3)).astype(np.float32)) for n in (4, 9))
    padded = torch.nn.utils.rnn.pad_sequence([short, long], batch_first=True)
    with torch.no_grad():
        batched = model(padded, torch.tensor([4, 9]))
        alone = model(short[None], torch.tensor([4]))
        outputs, _ = model.lstm(short[None])  # (1, 4, 2 * hidden): every frame's output
        by_hand = model.head(outputs.mean(dim=1))
    torch.testing.assert_close(batched[0], alone[0])  # the 5 padded frames do not count
    torch.testing.assert_close(alone, by_hand)


def test_last_pooling_uses_the_final_hidden_state():
    torch.manual_seed(0)
    model = LstmClassifier(3, 6, LstmSettings(hidden_size=5, pooling="last")).eval()
    sequence = torch.from_numpy(np.random.default_rng(2).normal(size=(1, 7, 3)).astype(np.float32))
    with torch.no_grad():
        outputs, _ = model.lstm(sequence)
        torch.testing.assert_close(model(sequence, torch.tensor([7])), model.head(outputs[:, -1]))


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match=r"pooling must be one of \('last', 'mean'\), not 'max'"):
        LstmClassifier(3, 6, LstmSettings(pooling="max"))


@pytest.fixture(scope="module")
def lld_paths(level):
    out = level["root"] / "lld"
    return [
        str(cache_recording_lld(wav, out / f"{rec}.npz", MFCC_CONFIG) and out / f"{rec}.npz")
        for rec, wav in level["paths"].items()
    ]


def test_lstm_separates_the_classes(level, lld_paths, tmp_path):
    model, checkpoint, val = tmp_path / "m.pt", tmp_path / "m.ckpt", tmp_path / "val.csv"
    run_train_lstm(
        level["csv"],
        lld_paths,
        level["paths"],
        EMOTIONS,
        SETTINGS,
        3,
        "cpu",
        model,
        checkpoint,
        val,
    )
    assert model.exists() and not checkpoint.exists()
    test = tmp_path / "test1.csv"
    run_predict_lstm(model, level["csv"], lld_paths, level["paths"], 0.1, EMOTIONS, "cpu", test)
    predictions = read_predictions(test, EMOTIONS)
    assert len(predictions) == 3 * 6 + 1
    assert (
        predictions.set_index("interval_id").loc["too_short", prob_columns(EMOTIONS)].isna().all()
    )
    assert test_uar_on_test(predictions) > 0.9
    bundle = torch.load(model, weights_only=False)
    assert bundle["best_val_uar"] == max(h["val_uar"] for h in bundle["history"])


def _toy_sequences(seed: int, n: int):
    rng = np.random.default_rng(seed)
    labels = np.array(EMOTIONS[:3] * n, dtype=object)
    sequences = [
        rng.normal(EMOTIONS.index(label), 0.5, size=(int(rng.integers(20, 90)), 4)).astype(
            np.float32
        )
        for label in labels
    ]
    return sequences, labels


def test_lstm_resumes_from_checkpoint_at_the_next_epoch(tmp_path):
    train, y_train = _toy_sequences(0, 8)
    val, y_val = _toy_sequences(1, 3)
    settings = LstmSettings(hidden_size=8, chunk_frames=30, batch_size=8, max_epochs=5, patience=99)
    args = (train, y_train, val, y_val, EMOTIONS, settings, 11)

    straight = train_lstm(*args, tmp_path / "a.ckpt", torch.device("cpu"))
    assert straight.resumed_from_epoch is None

    class Interrupted(Exception):
        pass

    def stop_after_3(epoch):
        if epoch == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        train_lstm(*args, tmp_path / "b.ckpt", torch.device("cpu"), on_epoch_end=stop_after_3)
    assert (tmp_path / "b.ckpt").exists()
    seen = []
    resumed = train_lstm(*args, tmp_path / "b.ckpt", torch.device("cpu"), on_epoch_end=seen.append)
    assert resumed.resumed_from_epoch == 3
    assert seen == [4, 5]
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4, 5]
    assert resumed.history == straight.history
    for name, value in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], value)
    assert not (tmp_path / "b.ckpt").exists()


def test_lstm_ignores_a_checkpoint_of_other_settings(tmp_path, caplog):
    train, y_train = _toy_sequences(0, 4)
    val, y_val = _toy_sequences(1, 2)
    first = LstmSettings(hidden_size=8, chunk_frames=30, max_epochs=3, patience=99)

    def stop(epoch):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_lstm(
            train,
            y_train,
            val,
            y_val,
            EMOTIONS,
            first,
            0,
            tmp_path / "c.ckpt",
            torch.device("cpu"),
            on_epoch_end=stop,
        )
    other = LstmSettings(hidden_size=8, chunk_frames=30, max_epochs=2, patience=99)
    with caplog.at_level(logging.WARNING):
        result = train_lstm(
            train, y_train, val, y_val, EMOTIONS, other, 0, tmp_path / "c.ckpt", torch.device("cpu")
        )
    assert result.resumed_from_epoch is None
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert "other settings or data; starting afresh" in caplog.text


def test_lstm_stops_early_on_validation_uar(tmp_path):
    train, y_train = _toy_sequences(0, 6)
    val, y_val = _toy_sequences(1, 2)
    settings = LstmSettings(
        hidden_size=8, chunk_frames=30, learning_rate=0.05, max_epochs=40, patience=2
    )
    result = train_lstm(
        train, y_train, val, y_val, EMOTIONS, settings, 0, tmp_path / "d.ckpt", torch.device("cpu")
    )
    epochs = [h["epoch"] for h in result.history]
    assert len(epochs) < 40
    scores = [h["val_uar"] for h in result.history]
    assert result.best_epoch == epochs[int(np.argmax(scores))]
    assert len(epochs) - result.best_epoch == 2  # stopped after `patience` epochs without gain


def test_mean_pooled_regularised_lstm_learns_the_toy_classes(tmp_path):
    train, y_train = _toy_sequences(0, 6)
    val, y_val = _toy_sequences(1, 4)
    settings = LstmSettings(
        hidden_size=8,
        chunk_frames=15,
        pooling="mean",
        dropout=0.3,
        weight_decay=1e-3,
        learning_rate=0.01,
        max_epochs=30,
        patience=5,
    )
    result = train_lstm(
        train, y_train, val, y_val, EMOTIONS, settings, 0, tmp_path / "e.ckpt", torch.device("cpu")
    )
    assert result.best_val_uar == 1.0  # classes differ by 2 noise sds: all separable
    probabilities = predict_sequences(
        result.model, prepare(val, result.normalizer, settings), settings, torch.device("cpu")
    )
    assert (np.asarray(EMOTIONS, dtype=object)[probabilities.argmax(1)] == y_val).all()


def test_prepare_strides_and_standardises_frames():
    from emoagree.audio.lstm import Normalizer

    sequence = np.arange(20, dtype=np.float32).reshape(10, 2)
    normalizer = Normalizer(
        mean=np.array([1.0, 2.0], np.float32), std=np.array([2.0, 4.0], np.float32)
    )
    (out,) = prepare([sequence], normalizer, LstmSettings(frame_stride=3))
    np.testing.assert_allclose(out, (sequence[[0, 3, 6, 9]] - [1, 2]) / [2, 4])


def test_device_is_cuda_when_present_else_cpu(monkeypatch):
    from emoagree.audio.lstm import pick_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("auto").type == "cpu"
    assert pick_device("cpu").type == "cpu"
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        pick_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto").type == "cuda"
    assert pick_device("cpu").type == "cpu"


def test_a_level_without_training_intervals_gives_empty_predictions(level, lld_paths, tmp_path):
    """A small corpus's top level can be empty: the DAG goes on, every row is unscored."""
    table = pd.read_csv(level["csv"], dtype={"interval_id": str})
    csv = tmp_path / "level5.csv"
    table[table["split"] != "train"].to_csv(csv, index=False)
    run_train_classic(
        "audio_lr",
        csv,
        level["npz"],
        EMOTIONS,
        SETTINGS,
        7,
        tmp_path / "m.joblib",
        tmp_path / "m.json",
        tmp_path / "val.csv",
    )
    assert json.loads((tmp_path / "m.json").read_text())["untrained"]
    run_predict_classic(tmp_path / "m.joblib", csv, level["npz"], EMOTIONS, tmp_path / "t.csv")
    run_train_lstm(
        csv,
        lld_paths,
        level["paths"],
        EMOTIONS,
        SETTINGS,
        3,
        "cpu",
        tmp_path / "m.pt",
        tmp_path / "m.ckpt",
        tmp_path / "lstm_val.csv",
    )
    run_predict_lstm(
        tmp_path / "m.pt",
        csv,
        lld_paths,
        level["paths"],
        0.1,
        EMOTIONS,
        "cpu",
        tmp_path / "lstm_t.csv",
    )
    for name, rows in [("val.csv", 18), ("t.csv", 19), ("lstm_val.csv", 18), ("lstm_t.csv", 19)]:
        predictions = read_predictions(tmp_path / name, EMOTIONS)
        assert len(predictions) == rows
        assert not scored_mask(predictions, EMOTIONS).any()
