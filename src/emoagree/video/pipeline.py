"""The video steps as the workflow's scripts call them: files in, files out.

Each function reads its inputs, calls the small functions of this package and writes its
outputs; settings come in explicitly (the rule's params), never from a global config.
PyTorch and timm are imported only by the steps that use them (importing timm takes
seconds, and the detection and Random Forest jobs are many and short).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from emoagree.predictions import make_predictions, write_predictions
from emoagree.shards import cache_path, recording_caches, run_shard
from emoagree.video.detector import FaceDetector, locate_detector_files
from emoagree.video.faces import FaceTrack, atomic_savez, extract_faces
from emoagree.video.forest import (
    frame_matrix,
    frame_probabilities,
    interval_probabilities,
    train_forest,
)
from emoagree.video.frames import interval_frames, level_coverage, recording_coverage
from emoagree.video.sampling import covered_stretches

log = logging.getLogger(__name__)


def read_level(path: str | Path) -> pd.DataFrame:
    table = pd.read_csv(path, dtype={"interval_id": str, "recording": str, "emotion": str,
                                     "split": str})
    missing = {"interval_id", "recording", "emotion", "start_s", "end_s", "split"} - set(table)
    if missing:
        raise ValueError(f"{path}: missing columns {sorted(missing)}")
    return table


def _load_embeddings(path: str | Path) -> np.ndarray:
    with np.load(path) as data:
        return data["embeddings"]


def load_tracks(paths: Sequence[str | Path], crops: bool = True) -> dict[str, FaceTrack]:
    """Face caches by recording, from the face stage's shard folders (or .npz files)."""
    return {r: FaceTrack.load(p, crops=crops) for r, p in recording_caches(paths).items()}


def save_frame_scores(path: str | Path, scores: Mapping[str, np.ndarray],
                      emotions: Sequence[str]) -> None:
    """Class probabilities of every sampled frame of every recording (NaN rows: no face).

    A trained model scores all face frames once; the prediction jobs of its 5 test levels
    only average the frames of their intervals, without loading a model or torch.
    """
    atomic_savez(path, __emotions__=np.asarray(list(emotions)),
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
    from functools import cache

    from emoagree.levels.folds import as_fold_paths, pool_folds

    paths = {"test": as_fold_paths(frame_scores)}
    paths["val"] = as_fold_paths(val_frame_scores) if val_frame_scores else paths["test"]
    table = read_level(level_csv)
    tracks = load_tracks(face_paths, crops=False)
    load = cache(lambda part, fold: load_frame_scores(paths[part][fold], emotions))

    for part, path in (("test", out), ("val", val_out)):
        if path is None:
            continue

        def predict_fold(fold: int, rows: np.ndarray, part: str = part) -> np.ndarray:
            return interval_scores(table.iloc[rows].reset_index(drop=True), tracks,
                                   load(part, fold), len(emotions))

        rows, probs = pool_folds(table, n_folds, len(emotions), predict_fold, part)
        _write(table.iloc[rows].reset_index(drop=True), probs, emotions, path)


# -- faces -----------------------------------------------------------------------------

def detect_recording(
    video_path: str | Path, annotations_csv: str | Path, recording: str,
    emotions: Sequence[str], cfg: Mapping[str, Any], out_path: str | Path,
) -> FaceTrack:
    """Face cache of one recording (``cfg`` is the ``video`` config section)."""
    annotations = pd.read_csv(annotations_csv, dtype={"recording": str, "emotion": str})
    stretches = covered_stretches(annotations, recording, emotions)
    return _detect(video_path, stretches, cfg, _detector(cfg), out_path)


def detect_shard(
    videos: Mapping[str, str | Path], emotions: Sequence[str], cfg: Mapping[str, Any],
    out_dir: str | Path, *, stretches: Mapping[str, Sequence] | None = None,
    annotations_csv: str | Path | None = None,
) -> None:
    """Face caches of every recording of one shard: ``out_dir/{recording}.npz``.

    Faces are searched in each recording's marked stretches: ``stretches`` (recording ->
    ``[(start_s, end_s), ...]``, planned from the corpus's source marks) or, when not
    given, those of ``annotations_csv``. The detector is loaded once for the whole shard.
    """
    if stretches is None:
        if annotations_csv is None:
            raise ValueError("detect_shard needs stretches or annotations_csv")
        annotations = pd.read_csv(annotations_csv, dtype={"recording": str, "emotion": str})
        stretches = {r: covered_stretches(annotations, r, emotions) for r in videos}
    detector = _detector(cfg)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    run_shard(
        videos,
        lambda recording, video: _detect(
            video, [tuple(map(float, s)) for s in stretches.get(recording, [])], cfg, detector,
            cache_path(out_dir, recording)),
        label=f"faces of {out_dir}",
    )


def _detector(cfg: Mapping[str, Any]) -> FaceDetector:
    detector_cfg = cfg["detector"]
    prototxt, caffemodel = locate_detector_files(detector_cfg)
    log.info("face detector: %s, %s", prototxt, caffemodel)
    return FaceDetector(prototxt, caffemodel, detector_cfg["confidence"])


def _detect(video_path, stretches, cfg, detector, out_path) -> FaceTrack:
    detector_cfg = cfg["detector"]
    track = extract_faces(
        video_path, stretches, detector,
        steps={str(k): int(v) for k, v in cfg["sampling"]["steps"].items()},
        target_fps=float(cfg["sampling"]["target_fps"]),
        margin=float(detector_cfg["margin"]), crop_size=int(detector_cfg["crop_size"]),
    )
    track.save(out_path)
    return track


def write_recording_coverage(face_paths: Sequence[str | Path], out: str | Path) -> None:
    """Share of sampled frames with a face, per recording."""
    table = recording_coverage(load_tracks(face_paths))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.4f")
    for row in table.itertuples(index=False):
        log.info("%s: face on %d of %d sampled frames", row.recording, row.face_frames,
                 row.sampled_frames)


def write_level_coverage(
    face_paths: Sequence[str | Path], level_csv: str | Path, out: str | Path
) -> None:
    """Face coverage of one level's intervals per recording, with an ``ALL`` row; the
    intervals without any face frame are those every video system leaves unscored."""
    table = level_coverage(read_level(level_csv), load_tracks(face_paths))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.4f")
    total = table.iloc[-1]
    share = total["face_share"] if pd.notna(total["face_share"]) else 0.0
    log.info("%s: face on %.1f%% of sampled frames; %d of %d intervals without a face frame",
             level_csv, 100 * share, total["intervals_without_face"], total["intervals"])


# -- embeddings + Random Forest ---------------------------------------------------------

def _embedder(cfg: Mapping[str, Any], threads: int):
    import torch

    from emoagree.video.backbones import create_backbone, device_for_job

    torch.set_num_threads(max(1, threads))
    device = device_for_job()
    return create_backbone(cfg["backbone"], cfg["weights"], num_classes=0), device


def _embed(model, device, faces_path, cfg, out_path) -> None:
    from emoagree.video.embeddings import embed_track, save_embeddings

    track = FaceTrack.load(faces_path)
    embeddings = embed_track(model, track, image_size=int(cfg["image_size"]),
                             batch_size=int(cfg["batch_size"]), device=device)
    save_embeddings(out_path, track, embeddings)
    log.debug("%s: %d face frames embedded (%d values each) on %s", faces_path,
              int(track.has_face.sum()), embeddings.shape[1], device)


def embed_recording(faces_path: str | Path, cfg: Mapping[str, Any], out_path: str | Path,
                    threads: int = 1) -> None:
    """Per-frame embeddings of one recording's face crops (``cfg``: video.vggf_rf)."""
    model, device = _embedder(cfg, threads)
    _embed(model, device, faces_path, cfg, out_path)


def embed_shard(faces_dirs: Sequence[str | Path], cfg: Mapping[str, Any],
                out_dir: str | Path, threads: int = 1) -> None:
    """Embeddings of every face cache of some face shard folders: ``out_dir/{recording}.npz``.

    The backbone is built once for all of them.
    """
    model, device = _embedder(cfg, threads)
    log.info("backbone %s on %s", cfg["backbone"], device)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    run_shard(
        recording_caches(faces_dirs),
        lambda recording, faces: _embed(model, device, faces, cfg,
                                        cache_path(out_dir, recording)),
        label=f"embeddings into {out_dir}",
    )


def _frames(intervals, tracks, cap, seed):
    return interval_frames(intervals, tracks, max_frames=cap, seed=seed)


def _split(table: pd.DataFrame, split: str) -> pd.DataFrame:
    return table[table["split"] == split].reset_index(drop=True)


def _write(intervals, probs, emotions, path):
    write_predictions(make_predictions(intervals["interval_id"], intervals["emotion"], probs,
                                       emotions), path, emotions)
    unscored = int(np.isnan(probs).any(axis=1).sum())
    log.info("%s: %d intervals, %d without a face frame (empty probabilities)", path,
             len(intervals), unscored)


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


def _save_unscored(tracks, emotions, scores_out) -> None:
    save_frame_scores(scores_out, {
        name: np.full((len(track.has_face), len(emotions)), np.nan)
        for name, track in tracks.items()
    }, emotions)


def _write_unscored(tracks, val, emotions, scores_out, val_out) -> None:
    """A fold without a model: every frame score and val prediction stays empty (NaN)."""
    _save_unscored(tracks, emotions, scores_out)
    _write(val, np.full((len(val), len(emotions)), np.nan), emotions, val_out)


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
    from emoagree.levels.folds import fold_view
    from emoagree.training.selection import inner_cv_groups
    from emoagree.video.forest import forest_grid, select_forest, selection_report

    table = fold_view(read_level(level_csv), fold, n_folds)
    inner = inner_cv_groups(table, split_strategy)
    table = table.assign(_inner_group=inner.groups)
    tracks = load_tracks(face_paths, crops=False)
    embeddings = {r: _load_embeddings(p) for r, p in recording_caches(embedding_paths).items()}
    cap = cfg.get("max_frames_per_interval")
    train, val = _split(table, "train"), _split(table, "val")
    train_frames, val_frames = _frames(train, tracks, cap, seed), _frames(val, tracks, cap, seed)
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
        Path(model_out).parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({"forest": None, "emotions": list(emotions), "selection": report}, model_out)
        if report_out is not None:
            Path(report_out).write_text(json.dumps(report, indent=2) + "\n")
        _write_unscored(tracks, val, emotions, scores_out, val_out)
        if val_scores_out is not None:
            _save_unscored(tracks, emotions, val_scores_out)
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
        from emoagree.training.arm_inputs import classic_sample_set

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
    Path(model_out).parent.mkdir(parents=True, exist_ok=True)
    joblib.dump({"forest": forest, "emotions": list(emotions), "selection": report}, model_out)
    if report_out is not None:
        Path(report_out).write_text(json.dumps(report, indent=2) + "\n")
    save_frame_scores(scores_out, track_scores(forest, tracks, embeddings, emotions), emotions)
    # val predictions out of sample: the chosen setting fitted on the train part only
    val_all = interval_frames(val, tracks)
    probs = np.full((len(val), len(emotions)), np.nan)
    train_only = fit(train_frames, train, features[:len(train_frames)]) if len(
        train_frames) else None
    if train_only is not None and len(val_all):
        probs = interval_probabilities(val, val_all, frame_probabilities(
            train_only, frame_matrix(val_all, embeddings), emotions), len(emotions))
    elif len(val):
        log.warning("no train frames with a face: the val predictions stay empty")
    _write(val, probs, emotions, val_out)
    if val_scores_out is not None:
        # the train-only forest's frame scores: what the validation cross-evaluation
        # (val{j}) averages, since the saved forest has learnt the val part
        if train_only is None:
            _save_unscored(tracks, emotions, val_scores_out)
            return
        save_frame_scores(val_scores_out,
                          track_scores(train_only, tracks, embeddings, emotions), emotions)


# -- EfficientNet fine-tuning -------------------------------------------------------------

def frames_to_score(tracks: Mapping[str, FaceTrack], split_csv: str | Path | None,
                    fold: int, n_folds: int) -> dict[str, np.ndarray]:
    """Per recording, the frames a fold's model must score: those inside the level-1
    intervals of the fold's val and test parts (every frame without ``split_csv``)."""
    from emoagree.levels.folds import fold_view

    needed = {name: np.ones(len(t.has_face), dtype=bool) for name, t in tracks.items()}
    if split_csv is None:
        return needed
    parts = fold_view(read_level(split_csv), fold, n_folds)
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
    import torch

    from emoagree.levels.folds import fold_view
    from emoagree.training.arm_inputs import arm_inputs
    from emoagree.video.backbones import device_for_job
    from emoagree.video.effnet import TrainSettings, build_model, train_classifier

    torch.set_num_threads(max(1, threads))
    table = fold_view(read_level(level_csv), fold, n_folds)
    tracks = load_tracks(face_paths)
    train, val = _split(table, "train"), _split(table, "val")
    train_frames = _frames(train, tracks, cfg.get("max_frames_per_interval"), seed)
    val_frames = _frames(val, tracks, cfg.get("val_frames_per_interval"), 0)
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
        _write_unscored(tracks, val, emotions, scores_out, val_out)
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
    from emoagree.video.effnet import predict_frames

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
    _write(val, interval_scores(val, tracks, scores, len(emotions)), emotions, val_out)


def load_effnet(model_path: str | Path, emotions: Sequence[str]):
    """A trained ``video_effnet`` model (eval mode) and its input size, for reuse."""
    import torch

    from emoagree.video.effnet import build_model

    saved = torch.load(model_path, map_location="cpu", weights_only=False)
    if list(saved["emotions"]) != list(emotions):
        raise ValueError(f"{model_path}: trained for {saved['emotions']}, not {list(emotions)}")
    model = build_model(saved["backbone"], len(emotions), None)
    model.load_state_dict(saved["state_dict"])
    return model.eval(), int(saved["image_size"])
