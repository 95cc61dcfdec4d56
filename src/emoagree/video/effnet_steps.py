"""The EfficientNet step (rule ``video_effnet_train``): fine-tune fold f's network on a
train level, choose its epoch on the val part, score the face frames its predictions read.
Imports PyTorch and timm (through :mod:`emoagree.video.effnet`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from emoagree.contracts.levels import MODEL_COLUMNS, read_level
from emoagree.contracts.split import read_split
from emoagree.levels.folds import fold_view
from emoagree.training.arm_inputs import arm_inputs
from emoagree.video.backbones import device_for_job
from emoagree.video.effnet import TrainSettings, build_model, predict_frames, train_classifier
from emoagree.video.faces import FaceTrack
from emoagree.video.frames import interval_frames
from emoagree.video.steps import (
    interval_scores,
    load_tracks,
    part_of,
    sample_frames,
    save_frame_scores,
    write_level_predictions,
    write_unscored,
)

log = logging.getLogger(__name__)


def frames_to_score(tracks: Mapping[str, FaceTrack], split_csv: str | Path | None,
                    fold: int, n_folds: int) -> dict[str, np.ndarray]:
    """Per recording, the frames a fold's model must score: those inside the level-1
    intervals of the fold's val and test parts (every frame without ``split_csv``)."""
    needed = {name: np.ones(len(t.has_face), dtype=bool) for name, t in tracks.items()}
    if split_csv is None:
        return needed
    parts = fold_view(read_split(split_csv, MODEL_COLUMNS), fold, n_folds)
    parts = parts[parts["split"].isin(["val", "test"])].reset_index(drop=True)
    needed = {name: np.zeros(len(t.has_face), dtype=bool) for name, t in tracks.items()}
    frames = interval_frames(parts, tracks)
    for recording, row in zip(frames["recording"], frames["row"], strict=True):
        needed[recording][row] = True
    return needed


def _crops(frames: pd.DataFrame, tracks: Mapping[str, FaceTrack]) -> np.ndarray:
    if frames.empty:
        size = next(iter(tracks.values())).crops.shape[1] if tracks else 1
        return np.zeros((0, size, size, 3), dtype=np.uint8)
    return np.stack([tracks[r].crops[i] for r, i in zip(frames["recording"], frames["row"],
                                                        strict=True)])


def train_effnet(
    level_csv: str | Path, face_paths: Sequence[str | Path], cfg: Mapping[str, Any],
    emotions: Sequence[str], seed: int, model_out: str | Path, val_out: str | Path,
    scores_out: str | Path, checkpoint: str | Path, threads: int = 1,
    fold: int = 0, n_folds: int = 1, arm: str | None = None,
    curriculum: Mapping[str, Any] | None = None, split_csv: str | Path | None = None,
) -> None:
    """Fine-tune fold ``fold``'s model on the train part of one level, select on val UAR,
    write val predictions and the selected model's probabilities of every face frame
    (``scores_out``): with ``split_csv`` (the level-1 split) only the frames of the
    fold's val and test stretches, which are all its predictions read (a level-k interval
    lies in the level-1 interval whose fold it inherits). With a training ``arm``
    ``level_csv`` is the arm table and every frame takes its interval's weight, soft
    target or highest level (``curriculum``: the ``arms.curriculum`` section)."""
    torch.set_num_threads(max(1, threads))
    table = fold_view(read_level(level_csv, MODEL_COLUMNS), fold, n_folds)
    tracks = load_tracks(face_paths)
    train, val = part_of(table, "train"), part_of(table, "val")
    train_frames = sample_frames(train, tracks, cfg.get("max_frames_per_interval"), seed)
    val_frames = sample_frames(val, tracks, cfg.get("val_frames_per_interval"), 0)
    workers = cfg.get("loader_workers")
    settings = TrainSettings(
        epochs=int(cfg["epochs"]), batch_size=int(cfg["batch_size"]),
        learning_rate=float(cfg["learning_rate"]), image_size=int(cfg["image_size"]),
        seed=int(seed), num_workers=int(threads if workers is None else workers),
        device=str(device_for_job()), recalibrate_bn=bool(cfg.get("recalibrate_bn", True)),
        class_weight=cfg.get("class_weight"),
    )
    log.info("%s: %d train intervals (%d frames), %d val intervals (%d frames), device %s",
             level_csv, len(train), len(train_frames), len(val), len(val_frames), settings.device)
    if len(train_frames) == 0:
        # A small level can leave a fold's training part without any face frame: that
        # fold's model is absent and its predictions stay empty (not scored), as for audio.
        reason = "no training frames with a face"
        log.warning("%s, fold %d of %d: %s: no model is trained; every prediction of this "
                    "fold stays empty", level_csv, fold, n_folds, reason)
        Path(model_out).parent.mkdir(parents=True, exist_ok=True)
        torch.save({"untrained": reason, "backbone": cfg["backbone"],
                    "image_size": settings.image_size, "emotions": list(emotions)}, model_out)
        write_unscored(tracks, val, emotions, scores_out, val_out)
        return
    torch.manual_seed(seed)
    model = build_model(cfg["backbone"], len(emotions), cfg["weights"])
    labels = np.array([list(emotions).index(e) for e in train_frames["emotion"]], dtype=np.int64)
    frame_interval = pd.Series(np.arange(len(train)), index=train["interval_id"].astype(str))
    frame_arm = arm_inputs(train, np.arange(len(train)), arm, emotions, curriculum)
    if frame_arm is not None:
        frame_arm = frame_arm.take(frame_interval.loc[train_frames["interval_id"]].to_numpy())
    result = train_classifier(
        model, _crops(train_frames, tracks), labels, settings, checkpoint=checkpoint,
        val_crops=_crops(val_frames, tracks), val_frames=val_frames, val_intervals=val,
        emotions=emotions,
        fingerprint_extra={"backbone": cfg["backbone"], "weights": dict(cfg["weights"]),
                           "emotions": list(emotions), "level": str(level_csv),
                           "fold": [int(fold), int(n_folds)],
                           "max_frames": cfg.get("max_frames_per_interval")},
        arm=frame_arm,
    )
    log.info("selected epoch %d (val UAR %.4f)", result.best_epoch, result.best_uar)
    model.load_state_dict(result.best_state)
    Path(model_out).parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": result.best_state, "backbone": cfg["backbone"],
                "image_size": settings.image_size, "emotions": list(emotions),
                "best_epoch": result.best_epoch, "val_uar": result.best_uar,
                "history": result.history}, model_out)
    needed = frames_to_score(tracks, split_csv, fold, n_folds)
    scores = {}
    for name, track in tracks.items():
        scores[name] = np.full((len(track.has_face), len(emotions)), np.nan)
        rows = track.has_face & needed[name]
        scores[name][rows] = predict_frames(
            model, track.crops[rows], image_size=settings.image_size, device=settings.device)
    log.info("scored %d of %d face frames (the fold's val and test stretches)",
             sum(int((t.has_face & needed[n]).sum()) for n, t in tracks.items()),
             sum(int(t.has_face.sum()) for t in tracks.values()))
    save_frame_scores(scores_out, scores, emotions)
    write_level_predictions(
        val, interval_scores(val, tracks, scores, len(emotions)), emotions, val_out
    )


def load_effnet(model_path: str | Path, emotions: Sequence[str]):
    """A trained ``video_effnet`` model (eval mode) and its input size, for reuse."""
    saved = torch.load(model_path, map_location="cpu", weights_only=False)
    if list(saved["emotions"]) != list(emotions):
        raise ValueError(f"{model_path}: trained for {saved['emotions']}, not {list(emotions)}")
    model = build_model(saved["backbone"], len(emotions), None)
    model.load_state_dict(saved["state_dict"])
    return model.eval(), int(saved["image_size"])
