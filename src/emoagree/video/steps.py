"""What every video step shares: the level table, face caches and frame scores, and the
prediction of a cell (rule ``video_predict``) from the frame scores its models saved.

The steps of the other rules are :mod:`~emoagree.video.face_steps` (face detection and
coverage), :mod:`~emoagree.video.embed_steps` (embeddings), :mod:`~emoagree.video.forest_steps`
(the Random Forest) and :mod:`~emoagree.video.effnet_steps` (EfficientNet fine-tuning).
Each reads its inputs, calls the small functions of this package and writes its outputs;
settings come in explicitly (the rule's params), never from a global config. Only the
embedding and EfficientNet steps import PyTorch and timm (importing timm takes seconds,
and the detection, Random Forest and prediction jobs are many and short).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from emoagree.atomic import save_npz_atomic
from emoagree.contracts.levels import MODEL_COLUMNS, read_level
from emoagree.contracts.predictions import make_predictions, write_predictions
from emoagree.levels.folds import as_fold_paths, pool_folds
from emoagree.shards import recording_caches
from emoagree.video.faces import FaceTrack
from emoagree.video.frames import interval_frames, interval_probabilities

log = logging.getLogger(__name__)


def load_tracks(paths: Sequence[str | Path], crops: bool = True) -> dict[str, FaceTrack]:
    """Face caches by recording, from the face stage's shard folders (or .npz files)."""
    return {r: FaceTrack.load(p, crops=crops) for r, p in recording_caches(paths).items()}


def save_frame_scores(path: str | Path, scores: Mapping[str, np.ndarray],
                      emotions: Sequence[str]) -> None:
    """Class probabilities of every sampled frame of every recording (NaN rows: no face).

    A trained model scores all face frames once; the prediction jobs of its 5 test levels
    only average the frames of their intervals, without loading a model or torch.
    """
    save_npz_atomic(path, compressed=True, __emotions__=np.asarray(list(emotions)),
                    **{f"rec_{name}": values for name, values in scores.items()})


def load_frame_scores(path: str | Path, emotions: Sequence[str]) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        saved = [str(e) for e in data["__emotions__"]]
        if saved != list(emotions):
            raise ValueError(f"{path}: scores are for emotions {saved}, not {list(emotions)}")
        return {k.removeprefix("rec_"): data[k] for k in data.files if k.startswith("rec_")}


def interval_scores(intervals: pd.DataFrame, tracks: Mapping[str, FaceTrack],
                    scores: Mapping[str, np.ndarray], n_classes: int) -> np.ndarray:
    """Mean frame probability of each interval over all its face frames (NaN: none)."""
    frames = interval_frames(intervals, tracks)
    frame_probs = (
        np.stack([scores[r][i] for r, i in zip(frames["recording"], frames["row"], strict=True)])
        if len(frames) else np.zeros((0, n_classes))
    )
    return interval_probabilities(intervals, frames, frame_probs, n_classes)


def sample_frames(intervals, tracks, cap, seed):
    return interval_frames(intervals, tracks, max_frames=cap, seed=seed)


def part_of(table: pd.DataFrame, split: str) -> pd.DataFrame:
    return table[table["split"] == split].reset_index(drop=True)


def write_level_predictions(intervals, probs, emotions, path):
    write_predictions(make_predictions(intervals["interval_id"], intervals["emotion"], probs,
                                       emotions), path, emotions)
    unscored = int(np.isnan(probs).any(axis=1).sum())
    log.info("%s: %d intervals, %d without a face frame (empty probabilities)", path,
             len(intervals), unscored)


def save_unscored(tracks, emotions, scores_out) -> None:
    save_frame_scores(scores_out, {
        name: np.full((len(track.has_face), len(emotions)), np.nan)
        for name, track in tracks.items()
    }, emotions)


def write_unscored(tracks, val, emotions, scores_out, val_out) -> None:
    """A fold without a model: every frame score and val prediction stays empty (NaN)."""
    save_unscored(tracks, emotions, scores_out)
    write_level_predictions(val, np.full((len(val), len(emotions)), np.nan), emotions, val_out)


def predict_level(frame_scores: Sequence[str | Path], level_csv: str | Path,
                  face_paths: Sequence[str | Path], emotions: Sequence[str],
                  out: str | Path, n_folds: int = 1, val_out: str | Path | None = None,
                  val_frame_scores: Sequence[str | Path] | None = None) -> None:
    """Test predictions of one cell: each interval of the level averages the frame scores
    of the model of the fold that held it out (``frame_scores[f]`` is fold ``f``'s); with
    ``val_out``, also the level's intervals of each fold's validation part with that
    fold's ``val_frame_scores`` (the validation cross-evaluation: the scores of a model
    that did not learn the val part, e.g. the forest fitted on train alone; by default
    ``frame_scores``)."""
    paths = {"test": as_fold_paths(frame_scores)}
    paths["val"] = as_fold_paths(val_frame_scores) if val_frame_scores else paths["test"]
    table = read_level(level_csv, MODEL_COLUMNS)
    tracks = load_tracks(face_paths, crops=False)
    load = cache(lambda part, fold: load_frame_scores(paths[part][fold], emotions))

    for part, path in (("test", out), ("val", val_out)):
        if path is None:
            continue

        def predict_fold(fold: int, rows: np.ndarray, part: str = part) -> np.ndarray:
            return interval_scores(table.iloc[rows].reset_index(drop=True), tracks,
                                   load(part, fold), len(emotions))

        rows, probs = pool_folds(table, n_folds, len(emotions), predict_fold, part)
        write_level_predictions(table.iloc[rows].reset_index(drop=True), probs, emotions, path)
