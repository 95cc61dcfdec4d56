"""The Random Forest step (rule ``video_vggf_rf_train``): choose and fit fold f's forest on
the face embeddings of a train level, score every face frame once. No PyTorch here."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from emoagree.contracts.levels import MODEL_COLUMNS, read_level
from emoagree.levels.folds import fold_view
from emoagree.shards import recording_caches
from emoagree.training.arm_inputs import classic_sample_set
from emoagree.training.selection import inner_cv_groups
from emoagree.video.faces import FaceTrack
from emoagree.video.forest import (
    forest_grid,
    frame_matrix,
    frame_probabilities,
    select_forest,
    selection_report,
    train_forest,
)
from emoagree.video.frames import interval_frames, interval_probabilities
from emoagree.video.steps import (
    load_tracks,
    part_of,
    sample_frames,
    save_frame_scores,
    save_unscored,
    write_level_predictions,
    write_unscored,
)

log = logging.getLogger(__name__)


def _load_embeddings(path: str | Path) -> np.ndarray:
    with np.load(path) as data:
        return data["embeddings"]


def track_scores(forest, tracks: Mapping[str, FaceTrack], embeddings: Mapping[str, np.ndarray],
                 emotions: Sequence[str]) -> dict[str, np.ndarray]:
    """Per recording, every frame's class probabilities from ``forest`` (NaN rows for the
    frames without a face)."""
    scores = {}
    for name, track in tracks.items():
        scores[name] = np.full((len(track.has_face), len(emotions)), np.nan)
        scores[name][track.has_face] = frame_probabilities(
            forest, embeddings[name][track.has_face], emotions)
    return scores


def train_vggf_rf(
    level_csv: str | Path, face_paths: Sequence[str | Path],
    embedding_paths: Sequence[str | Path], cfg: Mapping[str, Any], emotions: Sequence[str],
    seed: int, model_out: str | Path, val_out: str | Path, scores_out: str | Path,
    threads: int = 1, fold: int = 0, n_folds: int = 1, report_out: str | Path | None = None,
    arm: str | None = None, split_strategy: str = "stratified",
    val_scores_out: str | Path | None = None,
) -> None:
    """Choose the forest's settings by grouped inner CV over the fold's train+val intervals
    (groups that mimic the outer split, :func:`emoagree.training.selection.inner_cv_groups`),
    refit on all of train+val and score every face frame once with it (``scores_out``);
    the val predictions come from the chosen setting fitted on the train part only.

    With a training ``arm`` (``weighted``, ``soft``) ``level_csv`` is the arm table: the
    setting is chosen on the hard labels as for level 1, then the forests are fitted with
    each frame taking its interval's weight, or one weighted copy per emotion
    (:func:`emoagree.levels.arms.classic_sample_set`)."""
    table = fold_view(read_level(level_csv, MODEL_COLUMNS), fold, n_folds)
    inner = inner_cv_groups(table, split_strategy)
    table = table.assign(_inner_group=inner.groups)
    tracks = load_tracks(face_paths, crops=False)
    embeddings = {r: _load_embeddings(p) for r, p in recording_caches(embedding_paths).items()}
    cap = cfg.get("max_frames_per_interval")
    train, val = part_of(table, "train"), part_of(table, "val")
    train_frames = sample_frames(train, tracks, cap, seed)
    val_frames = sample_frames(val, tracks, cap, seed)
    frames = pd.concat([train_frames, val_frames], ignore_index=True)
    features = frame_matrix(frames, embeddings)
    log.info("%s, fold %d of %d: %d train intervals (%d face frames), %d val (%d)", level_csv,
             fold, n_folds, len(train), len(train_frames), len(val), len(val_frames))
    if frames.empty:
        # A small level can leave a fold's train and val parts without any face frame:
        # that fold has no forest and its predictions stay empty (not scored), as for the
        # other systems.
        reason = "no train or val frames with a face"
        log.warning("%s, fold %d of %d: %s: no forest is trained; every prediction of this "
                    "fold stays empty", level_csv, fold, n_folds, reason)
        report = {"level_file": str(level_csv), "fold": int(fold), "n_folds": int(n_folds),
                  "arm": arm, "untrained": reason, "n_train": len(train), "n_val": len(val)}
        _save_forest(None, emotions, report, model_out, report_out)
        write_unscored(tracks, val, emotions, scores_out, val_out)
        if val_scores_out is not None:
            save_unscored(tracks, emotions, val_scores_out)
        return
    forest_settings = dict(n_estimators=int(cfg["n_estimators"]),
                           class_weight=cfg.get("class_weight"), seed=seed, n_jobs=threads)
    grid = forest_grid(cfg)
    both = pd.concat([train, val], ignore_index=True)
    selection = select_forest(features, frames, both, both["_inner_group"], emotions, grid,
                              n_folds=int(cfg.get("inner_folds", 3)), **forest_settings)
    chosen = selection.chosen.describe()

    def fit(frame_rows: pd.DataFrame, intervals: pd.DataFrame, matrix: np.ndarray):
        if arm is None:
            return train_forest(matrix, frame_rows["emotion"].tolist(), emotions, **chosen,
                                **forest_settings)
        samples, labels, weights = classic_sample_set(frame_rows["interval_id"], intervals,
                                                      arm, emotions)
        return train_forest(matrix[samples], list(labels), emotions, **chosen,
                            **forest_settings, sample_weight=weights)

    forest = fit(frames, both, features)
    report = {"level_file": str(level_csv), "fold": int(fold), "n_folds": int(n_folds),
              "arm": arm,
              **selection_report(selection, grid),
              "inner_cv_groups": inner.report(np.flatnonzero(table["split"] != "test")),
              "n_train": len(train), "n_val": len(val),
              "n_train_frames": len(train_frames), "n_val_frames": len(val_frames)}
    _save_forest(forest, emotions, report, model_out, report_out)
    save_frame_scores(scores_out, track_scores(forest, tracks, embeddings, emotions), emotions)
    # val predictions out of sample: the chosen setting fitted on the train part only
    train_only = fit(train_frames, train, features[:len(train_frames)]) if len(
        train_frames) else None
    _write_val_part(train_only, val, tracks, embeddings, emotions, val_out, val_scores_out)


def _save_forest(forest, emotions: Sequence[str], report: Mapping[str, Any],
                 model_out: str | Path, report_out: str | Path | None) -> None:
    """The fitted forest (None: a fold without one) with its selection report."""
    Path(model_out).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"forest": forest, "emotions": list(emotions), "selection": report}, model_out)
    if report_out is not None:
        Path(report_out).write_text(json.dumps(report, indent=2) + "\n")


def _write_val_part(train_only, val: pd.DataFrame, tracks: Mapping[str, FaceTrack],
                    embeddings: Mapping[str, np.ndarray], emotions: Sequence[str],
                    val_out: str | Path, val_scores_out: str | Path | None) -> None:
    """Val predictions, and with ``val_scores_out`` every frame's scores, from the forest
    fitted on the train part only (``train_only``; None: no train frame with a face)."""
    val_all = interval_frames(val, tracks)
    probs = np.full((len(val), len(emotions)), np.nan)
    if train_only is not None and len(val_all):
        probs = interval_probabilities(val, val_all, frame_probabilities(
            train_only, frame_matrix(val_all, embeddings), emotions), len(emotions))
    elif len(val):
        log.warning("no train frames with a face: the val predictions stay empty")
    write_level_predictions(val, probs, emotions, val_out)
    if val_scores_out is not None:
        # the train-only forest's frame scores: what the validation cross-evaluation
        # (val{j}) averages, since the saved forest has learnt the val part
        if train_only is None:
            save_unscored(tracks, emotions, val_scores_out)
            return
        save_frame_scores(val_scores_out,
                          track_scores(train_only, tracks, embeddings, emotions), emotions)
