"""The face steps (rules ``video_faces``, ``video_coverage``): face caches of a shard's
recordings, and the share of sampled frames with a face per recording and per level."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from emoagree.contracts.corpus import read_annotations
from emoagree.contracts.levels import MODEL_COLUMNS, read_level
from emoagree.shards import cache_path, run_shard
from emoagree.video.detector import FaceDetector, locate_detector_files
from emoagree.video.faces import FaceTrack, extract_faces
from emoagree.video.frames import level_coverage, recording_coverage
from emoagree.video.sampling import covered_stretches
from emoagree.video.steps import load_tracks

log = logging.getLogger(__name__)


def detect_recording(
    video_path: str | Path, annotations_csv: str | Path, recording: str,
    emotions: Sequence[str], cfg: Mapping[str, Any], out_path: str | Path,
) -> FaceTrack:
    """Face cache of one recording (``cfg`` is the ``video`` config section)."""
    annotations = read_annotations(annotations_csv)
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
        annotations = read_annotations(annotations_csv)
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
    table = level_coverage(read_level(level_csv, MODEL_COLUMNS), load_tracks(face_paths))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False, float_format="%.4f")
    total = table.iloc[-1]
    share = total["face_share"] if pd.notna(total["face_share"]) else 0.0
    log.info("%s: face on %.1f%% of sampled frames; %d of %d intervals without a face frame",
             level_csv, 100 * share, total["intervals_without_face"], total["intervals"])
