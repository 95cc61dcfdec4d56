"""What the adapters read from media files: duration and frame rate, never assumed."""

from __future__ import annotations

import math
import os

from emoagree.corpus.errors import CorpusError


def audio_duration(path: str) -> float:
    """Duration in seconds of an audio file, from its header (``soundfile.info``)."""
    import soundfile

    try:
        info = soundfile.info(path)
    except (RuntimeError, OSError) as error:  # soundfile raises LibsndfileError(RuntimeError)
        raise CorpusError(f"{path}: cannot read the audio file ({error})") from error
    if info.samplerate <= 0 or info.frames <= 0:
        raise CorpusError(f"{path}: the audio file holds no samples")
    return info.frames / info.samplerate


def video_info(path: str) -> tuple[float, float]:
    """Frame rate and duration in seconds of a video, read with OpenCV from the file."""
    import cv2

    if not os.path.isfile(path):
        raise CorpusError(f"{path}: video file not found")
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise CorpusError(f"{path}: OpenCV cannot open the video")
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        frames = float(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    if not math.isfinite(fps) or fps <= 0:
        raise CorpusError(f"{path}: the video reports no frame rate (got {fps})")
    if not math.isfinite(frames) or frames <= 0:
        raise CorpusError(f"{path}: the video reports no frames (got {frames})")
    return fps, frames / fps
