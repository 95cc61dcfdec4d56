"""The workflow's audio_lstm steps (training and prediction over cached LLD sequences)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from emoagree.audio.functionals import NAN_FEATURES, NO_AUDIO, OK, audio_status, status_counts
from emoagree.audio.lld import load_lld
from emoagree.audio.lstm import LstmSettings, load_trained, pick_device, predict_sequences, prepare
from emoagree.audio.lstm_train import train_lstm
from emoagree.audio.steps import split_rows, write_rows
from emoagree.contracts.levels import MODEL_COLUMNS, read_level
from emoagree.levels.folds import as_fold_paths, fold_view, pool_folds
from emoagree.shards import recording_caches
from emoagree.training.arm_inputs import arm_inputs

log = logging.getLogger(__name__)


def lld_sequences(
    table: pd.DataFrame,
    lld_paths: Sequence[str],
    audio_paths: Mapping[str, str],
    min_duration_s: float,
) -> tuple[list, np.ndarray]:
    """Per interval its LLD frames (a slice of its recording's cache) and its status."""
    caches = recording_caches(lld_paths)
    status = audio_status(table, audio_paths, min_duration_s)
    status[~table["recording"].isin(caches.keys()).to_numpy() & (status == OK)] = NO_AUDIO
    sequences: list = [None] * len(table)
    for recording, rows in table.groupby("recording", sort=True).indices.items():
        if recording not in caches:
            continue
        cache = load_lld(caches[recording])
        for row in rows:
            if status[row] != OK:
                continue
            frames = cache.slice(float(table["start_s"].iat[row]), float(table["end_s"].iat[row]))
            if len(frames) == 0 or not np.isfinite(frames).all():
                status[row] = NAN_FEATURES
            else:
                sequences[row] = frames
    return sequences, status


def run_train_lstm(
    level_csv: str,
    lld_paths: Sequence[str],
    audio_paths: Mapping[str, str],
    emotions: Sequence[str],
    settings: dict,
    seed: int,
    device: str,
    model_out: str,
    checkpoint: str,
    val_out: str,
    threads: int = 1,
    fold: int = 0,
    n_folds: int = 1,
    arm: str | None = None,
    curriculum: Mapping | None = None,
    keep_checkpoint: bool = False,
) -> None:
    """Train fold ``fold``'s LSTM on the train part of a level (early stopping on its val
    part) and write its val predictions. With a training ``arm`` ``level_csv`` is the arm
    table (:mod:`emoagree.levels.arms`); ``curriculum`` is the ``arms.curriculum`` section.
    ``keep_checkpoint``: leave the checkpoint for the job to remove once all its folds are
    trained (:mod:`emoagree.training.fold_jobs`)."""
    torch.set_num_threads(threads)
    table = fold_view(read_level(level_csv, MODEL_COLUMNS), fold, n_folds)
    sequences, status = lld_sequences(table, lld_paths, audio_paths, settings["min_duration_s"])
    labels = table["emotion"].to_numpy(dtype=object)
    train = [r for r in split_rows(table, "train") if status[r] == OK]
    val_rows = split_rows(table, "val")
    val = [r for r in val_rows if status[r] == OK]
    log.info(
        "audio_lstm on %s: %d train, %d val scorable intervals; not scorable: %s",
        level_csv,
        len(train),
        len(val),
        status_counts(status),
    )
    lstm_settings = LstmSettings.from_config(settings["lstm"])
    Path(model_out).parent.mkdir(parents=True, exist_ok=True)
    if not train:
        reason = "no scorable training intervals"
        log.warning("audio_lstm: %s: no model is trained, every prediction stays empty", reason)
        torch.save({"untrained": reason, "emotions": list(emotions)}, model_out)
        empty = np.full((len(val_rows), len(emotions)), np.nan)
        write_rows(table, val_rows, empty, emotions, val_out)
        return
    torch_device = pick_device(device)
    log.info("audio_lstm: training on %s", torch_device)
    trained = train_lstm(
        [sequences[r] for r in train],
        labels[train],
        [sequences[r] for r in val],
        labels[val],
        emotions,
        lstm_settings,
        seed,
        checkpoint,
        torch_device,
        arm=arm_inputs(table, np.asarray(train, dtype=int), arm, emotions, curriculum),
        keep_checkpoint=keep_checkpoint,
    )
    Path(model_out).parent.mkdir(parents=True, exist_ok=True)
    torch.save({**trained.bundle(), "arm": arm}, model_out)
    probabilities = np.full((len(val_rows), len(emotions)), np.nan)
    scored = np.array([status[r] == OK for r in val_rows], dtype=bool)
    probabilities[scored] = predict_sequences(
        trained.model,
        prepare([sequences[r] for r in val_rows[scored]], trained.normalizer, lstm_settings),
        lstm_settings,
        torch_device,
    )
    write_rows(table, val_rows, probabilities, emotions, val_out)


def run_predict_lstm(
    model_paths: Sequence[str],
    level_csv: str,
    lld_paths: Sequence[str],
    audio_paths: Mapping[str, str],
    min_duration_s: float,
    emotions: Sequence[str],
    device: str,
    out: str,
    threads: int = 1,
    n_folds: int = 1,
    val_out: str | None = None,
) -> None:
    """Test predictions of one cell: each interval by the LSTM of the fold that held it
    out (``model_paths[f]`` is fold ``f``'s model); with ``val_out``, also the level's
    intervals of each fold's validation part by that fold's LSTM (the validation
    cross-evaluation)."""
    torch.set_num_threads(threads)
    model_paths = as_fold_paths(model_paths)
    table = read_level(level_csv, MODEL_COLUMNS)
    sequences, status = lld_sequences(table, lld_paths, audio_paths, min_duration_s)
    torch_device = pick_device(device)
    loaded: dict[int, tuple | None] = {}

    def load(fold: int):
        if fold not in loaded:
            model_path = model_paths[fold]
            if torch.load(model_path, map_location="cpu", weights_only=False).get("untrained"):
                log.warning("%s holds no trained model: its predictions stay empty", model_path)
                loaded[fold] = None
            else:
                trained = load_trained(model_path, torch_device)
                if list(trained[3]) != list(emotions):
                    raise ValueError(
                        f"{model_path}: trained for emotions {trained[3]}, asked for {emotions}"
                    )
                loaded[fold] = trained
        return loaded[fold]

    def predict_fold(fold: int, rows: np.ndarray) -> np.ndarray:
        probabilities = np.full((len(rows), len(emotions)), np.nan)
        trained = load(fold)
        if trained is None:
            return probabilities
        model, normalizer, settings, _ = trained
        scored = status[rows] == OK
        if scored.any():
            probabilities[scored] = predict_sequences(
                model,
                prepare([sequences[r] for r in rows[scored]], normalizer, settings),
                settings,
                torch_device,
            )
        return probabilities

    for part, path in (("test", out), ("val", val_out)):
        if path is None:
            continue
        rows, probabilities = pool_folds(table, n_folds, len(emotions), predict_fold, part)
        log.info("%s intervals of %s: %s", part, level_csv, status_counts(status[rows]))
        write_rows(table, rows, probabilities, emotions, path)
