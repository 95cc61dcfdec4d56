"""The workflow's audio steps, one function per Snakemake script (scripts stay thin)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from emoagree.audio.functionals import (
    NAN_FEATURES,
    NO_AUDIO,
    OK,
    audio_status,
    extract_level_functionals,
    load_functionals,
    save_functionals,
    status_counts,
    write_status_counts,
)
from emoagree.audio.lld import load_lld
from emoagree.predictions import make_predictions, write_predictions

log = logging.getLogger(__name__)

LEVEL_DTYPES = {"interval_id": str, "recording": str, "emotion": str, "split": str}


def read_level(path: str | Path) -> pd.DataFrame:
    """A ``level{k}.csv`` table, checked for the columns the audio branch needs."""
    table = pd.read_csv(path, dtype=LEVEL_DTYPES)
    needed = ["interval_id", "recording", "emotion", "start_s", "end_s", "split"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return table


def _split_rows(table: pd.DataFrame, split: str) -> np.ndarray:
    return np.flatnonzero(table["split"].to_numpy() == split)


def _write(
    table: pd.DataFrame,
    rows: np.ndarray,
    probabilities: np.ndarray,
    emotions: Sequence[str],
    out: str | Path,
) -> None:
    predictions = make_predictions(
        table["interval_id"].to_numpy()[rows],
        table["emotion"].to_numpy()[rows],
        probabilities,
        emotions,
    )
    write_predictions(predictions, out, emotions)
    n_scored = int(np.isfinite(probabilities).all(axis=1).sum())
    log.info(
        "predictions: %d intervals, %d scored, %d not scorable -> %s",
        len(rows),
        n_scored,
        len(rows) - n_scored,
        out,
    )


# --- per-recording LLDs and per-level functionals ------------------------------------


def run_functionals(
    level_csv: str,
    audio_paths: Mapping[str, str],
    level: int | str,
    min_duration_s: float,
    threads: int,
    out_npz: str,
    out_json: str,
) -> None:
    table = read_level(level_csv)
    result = extract_level_functionals(table, audio_paths, min_duration_s, threads=threads)
    save_functionals(result, out_npz)
    report = write_status_counts(result.status, level, min_duration_s, out_json)
    log.info("level %s: %s", level, report)


def _aligned_functionals(table: pd.DataFrame, npz: str) -> tuple[np.ndarray, np.ndarray]:
    """Features and status in the row order of ``table`` (the level file)."""
    functionals = load_functionals(npz)
    position = pd.Series(np.arange(len(functionals.interval_ids)), index=functionals.interval_ids)
    missing = ~table["interval_id"].isin(position.index)
    if missing.any():
        raise ValueError(
            f"{npz}: no features for intervals {table['interval_id'][missing].tolist()[:5]} "
            "(features older than the level file?)"
        )
    rows = position.loc[table["interval_id"]].to_numpy()
    return functionals.features[rows], functionals.status[rows]


# --- audio_svm / audio_lr -------------------------------------------------------------


def run_train_classic(
    system: str,
    level_csv: str,
    functionals_npz: str,
    emotions: Sequence[str],
    settings: dict,
    seed: int,
    model_out: str,
    report_out: str,
    val_out: str,
) -> None:
    from emoagree.audio.classic import fit_classic, full_probabilities

    table = read_level(level_csv)
    features, status = _aligned_functionals(table, functionals_npz)
    ok = status == OK
    train = np.intersect1d(_split_rows(table, "train"), np.flatnonzero(ok))
    val_rows = _split_rows(table, "val")
    val = np.intersect1d(val_rows, np.flatnonzero(ok))
    labels = table["emotion"].to_numpy(dtype=object)
    log.info(
        "%s on %s: %d train, %d val scorable intervals", system, level_csv, len(train), len(val)
    )
    model, report = fit_classic(
        system, features[train], labels[train], features[val], labels[val], emotions, settings, seed
    )
    Path(model_out).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, model_out)
    report.update(
        system=system,
        level_file=level_csv,
        not_scorable_train=status_counts(status[_split_rows(table, "train")]),
    )
    Path(report_out).write_text(json.dumps(report, indent=2, default=float) + "\n")
    probabilities = np.full((len(val_rows), len(emotions)), np.nan)
    scored = ok[val_rows]
    probabilities[scored] = full_probabilities(model, features[val_rows[scored]], emotions)
    _write(table, val_rows, probabilities, emotions, val_out)


def run_predict_classic(
    model_path: str, level_csv: str, functionals_npz: str, emotions: Sequence[str], out: str
) -> None:
    from emoagree.audio.classic import full_probabilities

    table = read_level(level_csv)
    features, status = _aligned_functionals(table, functionals_npz)
    rows = _split_rows(table, "test")
    scored = status[rows] == OK
    log.info("test intervals of %s: %s", level_csv, status_counts(status[rows]))
    model = joblib.load(model_path)
    probabilities = np.full((len(rows), len(emotions)), np.nan)
    probabilities[scored] = full_probabilities(model, features[rows[scored]], emotions)
    _write(table, rows, probabilities, emotions, out)


# --- audio_lstm -----------------------------------------------------------------------


def lld_sequences(
    table: pd.DataFrame,
    lld_paths: Sequence[str],
    audio_paths: Mapping[str, str],
    min_duration_s: float,
) -> tuple[list, np.ndarray]:
    """Per interval its LLD frames (a slice of its recording's cache) and its status."""
    caches = {Path(p).name.removesuffix(".npz"): p for p in lld_paths}
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
) -> None:
    import torch  # the LSTM steps alone need PyTorch (slow to import)

    from emoagree.audio.lstm import (
        LstmSettings,
        pick_device,
        predict_sequences,
        prepare,
        train_lstm,
    )

    torch.set_num_threads(threads)
    table = read_level(level_csv)
    sequences, status = lld_sequences(table, lld_paths, audio_paths, settings["min_duration_s"])
    labels = table["emotion"].to_numpy(dtype=object)
    train = [r for r in _split_rows(table, "train") if status[r] == OK]
    val_rows = _split_rows(table, "val")
    val = [r for r in val_rows if status[r] == OK]
    log.info(
        "audio_lstm on %s: %d train, %d val scorable intervals; not scorable: %s",
        level_csv,
        len(train),
        len(val),
        status_counts(status),
    )
    lstm_settings = LstmSettings.from_config(settings["lstm"])
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
    )
    Path(model_out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(trained.bundle(), model_out)
    probabilities = np.full((len(val_rows), len(emotions)), np.nan)
    scored = np.array([status[r] == OK for r in val_rows], dtype=bool)
    probabilities[scored] = predict_sequences(
        trained.model,
        prepare([sequences[r] for r in val_rows[scored]], trained.normalizer, lstm_settings),
        lstm_settings,
        torch_device,
    )
    _write(table, val_rows, probabilities, emotions, val_out)


def run_predict_lstm(
    model_path: str,
    level_csv: str,
    lld_paths: Sequence[str],
    audio_paths: Mapping[str, str],
    min_duration_s: float,
    emotions: Sequence[str],
    device: str,
    out: str,
    threads: int = 1,
) -> None:
    import torch

    from emoagree.audio.lstm import load_trained, pick_device, predict_sequences, prepare

    torch.set_num_threads(threads)
    table = read_level(level_csv)
    sequences, status = lld_sequences(table, lld_paths, audio_paths, min_duration_s)
    rows = _split_rows(table, "test")
    log.info("test intervals of %s: %s", level_csv, status_counts(status[rows]))
    torch_device = pick_device(device)
    model, normalizer, settings, model_emotions = load_trained(model_path, torch_device)
    if list(model_emotions) != list(emotions):
        raise ValueError(
            f"{model_path}: trained for emotions {model_emotions}, asked for {emotions}"
        )
    scored = status[rows] == OK
    probabilities = np.full((len(rows), len(emotions)), np.nan)
    probabilities[scored] = predict_sequences(
        model,
        prepare([sequences[r] for r in rows[scored]], normalizer, settings),
        settings,
        torch_device,
    )
    _write(table, rows, probabilities, emotions, out)
