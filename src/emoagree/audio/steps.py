"""The workflow's audio steps, one function per Snakemake script (scripts stay thin).

Feature extraction and the classic systems live here; the LSTM steps, which need PyTorch,
are in :mod:`emoagree.audio.lstm_steps`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from emoagree.audio.functionals import (
    OK,
    extract_level_functionals,
    load_functionals,
    save_functionals,
    status_counts,
    write_status_counts,
)
from emoagree.audio.stretches import (
    assemble_level_functionals,
    extract_shard_stretches,
    needed_stretches,
)
from emoagree.contracts.levels import MODEL_COLUMNS, read_level
from emoagree.contracts.predictions import make_predictions, write_predictions

log = logging.getLogger(__name__)


def split_rows(table: pd.DataFrame, split: str) -> np.ndarray:
    return np.flatnonzero(table["split"].to_numpy() == split)


def write_rows(
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
    table = read_level(level_csv, MODEL_COLUMNS)
    result = extract_level_functionals(table, audio_paths, min_duration_s, threads=threads)
    save_functionals(result, out_npz)
    report = write_status_counts(result.status, level, min_duration_s, out_json)
    log.info("level %s: %s", level, report)


def run_functionals_shard(
    level_csvs: Mapping[str, str],
    min_duration_s: Mapping[str, float],
    wavs: Mapping[str, str],
    cache_dir: str,
    threads: int,
    out_json: str,
) -> dict:
    """Rule audio_functionals_shard: extract the shard's stretches not yet cached.

    ``level_csvs``: level -> its table; ``wavs``: the shard's recordings -> wav. Writes
    the shard's manifest (stretch counts) to ``out_json``.
    """
    levels = {level: read_level(path, MODEL_COLUMNS) for level, path in level_csvs.items()}
    stretches = needed_stretches(levels, wavs, min_duration_s, recordings=list(wavs))
    counts = extract_shard_stretches(stretches, wavs, cache_dir, threads=threads)
    report = {"levels": [str(level) for level in level_csvs], "recordings": len(wavs),
              **counts}
    Path(out_json).parent.mkdir(parents=True, exist_ok=True)
    Path(out_json).write_text(json.dumps(report, indent=2) + "\n")
    return report


def run_assemble_functionals(
    level_csv: str,
    audio_paths: Mapping[str, str],
    level: int | str,
    min_duration_s: float,
    cache_dir: str,
    out_npz: str,
    out_json: str,
) -> None:
    """Rule audio_functionals: a level's functionals table, read from the stretch cache."""
    table = read_level(level_csv, MODEL_COLUMNS)
    result = assemble_level_functionals(table, audio_paths, min_duration_s, cache_dir)
    save_functionals(result, out_npz)
    report = write_status_counts(result.status, level, min_duration_s, out_json)
    log.info("level %s (from the stretch cache %s): %s", level, cache_dir, report)


def aligned_functionals(table: pd.DataFrame, npz: str) -> tuple[np.ndarray, np.ndarray]:
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


def _arm_samples(
    table: pd.DataFrame,
    features: np.ndarray,
    train: np.ndarray,
    val: np.ndarray,
    arm: str | None,
    emotions: Sequence[str],
) -> dict[str, tuple]:
    """``arm_train`` and ``arm_val`` of :func:`emoagree.audio.classic.fit_classic`: each
    part's ``(features, labels, sample_weight)`` under a training arm (none without)."""
    if arm is None:
        return {}
    from emoagree.training.arm_inputs import classic_training_set

    samples = {}
    for part, rows in (("arm_train", train), ("arm_val", val)):
        fit_rows, fit_labels, weights = classic_training_set(table, rows, arm, emotions)
        samples[part] = (features[fit_rows], fit_labels, weights)
    return samples


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
    fold: int = 0,
    n_folds: int = 1,
    arm: str | None = None,
    split_strategy: str = "stratified",
    val_model_out: str | None = None,
) -> None:
    """Train ``system`` for one fold of one level (see :mod:`emoagree.audio.classic`).

    Writes the model refitted on the fold's train+val part with the setting chosen by
    grouped inner CV, its JSON report (the choice and every grid point's UAR), and the val
    predictions of the chosen setting fitted on the train part only (that model too, to
    ``val_model_out``). With a training ``arm`` (``weighted`` or ``soft``) ``level_csv`` is
    the arm table and the fits take its weights or soft targets
    (:func:`emoagree.training.arm_inputs.classic_training_set`). The inner CV's groups
    follow the outer split (``split_strategy``;
    :func:`emoagree.training.selection.inner_cv_groups`), named in the report and the log.
    """
    from emoagree.audio.classic import fit_classic, full_probabilities
    from emoagree.levels.folds import fold_view
    from emoagree.training.selection import inner_cv_groups

    table = fold_view(read_level(level_csv, MODEL_COLUMNS), fold, n_folds)
    features, status = aligned_functionals(table, functionals_npz)
    ok = status == OK
    inner = inner_cv_groups(table, split_strategy)
    units = inner.groups
    train = np.intersect1d(split_rows(table, "train"), np.flatnonzero(ok))
    val_rows = split_rows(table, "val")
    val = np.intersect1d(val_rows, np.flatnonzero(ok))
    labels = table["emotion"].to_numpy(dtype=object)
    n_groups = len(set(units[np.concatenate([train, val])]))
    log.info(
        "%s on %s, fold %d of %d: %d train, %d val scorable intervals in %d inner-CV groups "
        "(%s)", system, level_csv, fold, n_folds, len(train), len(val), n_groups, inner.kind,
    )  # fmt: skip
    arm_samples = _arm_samples(table, features, train, val, arm, emotions)
    fitted = fit_classic(
        system,
        features[train],
        labels[train],
        units[train],
        features[val],
        labels[val],
        units[val],
        settings,
        seed,
        **arm_samples,
    )
    Path(model_out).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(fitted.model, model_out)
    if val_model_out is not None:
        # the chosen setting fitted on the train part alone (val.csv's and the val cross-eval's)
        joblib.dump(fitted.val_model, val_model_out)
    report = {
        "system": system,
        "level_file": str(level_csv),
        "fold": int(fold),
        "n_folds": int(n_folds),
        "arm": arm,
        **fitted.report,
        "inner_cv_groups": inner.report(np.concatenate([train, val])),
        "not_scorable_train": status_counts(status[split_rows(table, "train")]),
    }
    Path(report_out).write_text(json.dumps(report, indent=2, default=float) + "\n")
    probabilities = np.full((len(val_rows), len(emotions)), np.nan)
    scored = ok[val_rows]
    probabilities[scored] = full_probabilities(
        fitted.val_model, features[val_rows[scored]], emotions
    )
    write_rows(table, val_rows, probabilities, emotions, val_out)


def run_predict_classic(
    model_paths: Sequence[str],
    level_csv: str,
    functionals_npz: str,
    emotions: Sequence[str],
    out: str,
    n_folds: int = 1,
    val_out: str | None = None,
    val_model_paths: Sequence[str] | None = None,
) -> None:
    """Test predictions of one cell: each interval by the model of the fold that held it
    out (``model_paths[f]`` is fold ``f``'s model); with ``val_out``, also the level's
    intervals of each fold's validation part by that fold's ``val_model_paths[f]`` (the
    validation cross-evaluation: the chosen setting fitted on the fold's train part
    alone, as its ``val.csv``; the saved model has learnt the val part)."""
    from functools import cache

    from emoagree.audio.classic import full_probabilities
    from emoagree.levels.folds import as_fold_paths, pool_folds

    paths = {"test": as_fold_paths(model_paths)}
    if val_out is not None:
        if val_model_paths is None:
            raise ValueError("the validation cross-evaluation needs the train-only models")
        paths["val"] = as_fold_paths(val_model_paths)
    table = read_level(level_csv, MODEL_COLUMNS)
    features, status = aligned_functionals(table, functionals_npz)
    load = cache(lambda part, fold: joblib.load(paths[part][fold]))

    for part, path in (("test", out), ("val", val_out)):
        if path is None:
            continue

        def predict_fold(fold: int, rows: np.ndarray, part: str = part) -> np.ndarray:
            probabilities = np.full((len(rows), len(emotions)), np.nan)
            scored = status[rows] == OK
            if scored.any():
                probabilities[scored] = full_probabilities(
                    load(part, fold), features[rows[scored]], emotions
                )
            return probabilities

        rows, probabilities = pool_folds(table, n_folds, len(emotions), predict_fold, part)
        log.info("%s intervals of %s: %s", part, level_csv, status_counts(status[rows]))
        write_rows(table, rows, probabilities, emotions, path)
