"""Face track of one recording: sample frames in annotated stretches, detect, crop, cache.

The cache ``results/features/faces/{shard}/{recording}.npz`` holds, per sampled frame:
``frame_index``, ``timestamp_s``, ``has_face``, ``box`` (x1, y1, x2, y2 of the crop in
original pixels, NaN without a face), ``score`` (NaN without a face) and ``crops``
(uint8 RGB, crop_size x crop_size, zeros without a face), plus ``fps``, ``step``,
``frame_size`` (width, height). It is written to a temporary file and renamed, so an
interrupted job never leaves a half-written cache.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from emoagree.atomic import save_npz_atomic
from emoagree.video.detector import FaceDetector, choose_face, crop_face

log = logging.getLogger(__name__)

#: Seek instead of reading through when the next wanted frame is this many frames away.
SEEK_GAP = 50


class VideoReadError(RuntimeError):
    """A video file cannot be opened or ends before a frame it claims to hold."""


@dataclass
class FaceTrack:
    frame_index: np.ndarray
    timestamp_s: np.ndarray
    has_face: np.ndarray
    box: np.ndarray
    score: np.ndarray
    crops: np.ndarray
    fps: float
    step: int
    frame_size: tuple[int, int]

    def save(self, path: str | Path) -> None:
        save_npz_atomic(
            path,
            compressed=True,
            frame_index=self.frame_index, timestamp_s=self.timestamp_s,
            has_face=self.has_face, box=self.box, score=self.score, crops=self.crops,
            fps=np.float64(self.fps), step=np.int64(self.step),
            frame_size=np.asarray(self.frame_size, dtype=np.int64),
        )

    @classmethod
    def load(cls, path: str | Path, crops: bool = True) -> FaceTrack:
        """Read a cache; ``crops=False`` skips decompressing the crops (an empty array)."""
        try:
            with np.load(path) as data:
                return cls(
                    frame_index=data["frame_index"], timestamp_s=data["timestamp_s"],
                    has_face=data["has_face"].astype(bool), box=data["box"],
                    score=data["score"],
                    crops=data["crops"] if crops else np.zeros((0, 0, 0, 3), np.uint8),
                    fps=float(data["fps"]),
                    step=int(data["step"]), frame_size=tuple(int(v) for v in data["frame_size"]),
                )
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"{path}: not a readable face cache ({error})") from error


def open_video(path: str | Path) -> tuple[cv2.VideoCapture, float, int, tuple[int, int]]:
    """Open a video; returns (capture, fps, frame count, (width, height))."""
    if not Path(path).is_file():
        raise VideoReadError(f"{path}: video file does not exist")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise VideoReadError(f"{path}: cannot open video (corrupt, truncated or unknown codec)")
    fps = float(capture.get(cv2.CAP_PROP_FPS))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    size = (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    if not fps > 0 or count <= 0 or size[0] <= 0:
        capture.release()
        raise VideoReadError(f"{path}: no usable video stream (fps={fps}, frames={count})")
    return capture, fps, count, size


def read_frames(capture: cv2.VideoCapture, indices: Sequence[int], path: str | Path,
                fps: float | None = None):
    """Yield (index, BGR frame) for the sorted ``indices``: seek across gaps, grab in between.

    With ``fps``, every decoded frame's timestamp must be index / fps (else
    ``VariableFrameRateError``): a variable frame rate is never silently mistimed.
    """
    from emoagree.video.sampling import check_frame_time
    position = 0
    for index in indices:
        index = int(index)
        if index < position or index - position > SEEK_GAP:
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            position = index
        while position < index:
            if not capture.grab():
                raise VideoReadError(
                    f"{path}: video ends at frame {position}, before frame {index}"
                )
            position += 1
        ok, frame = capture.read()
        if not ok or frame is None:
            raise VideoReadError(f"{path}: cannot decode frame {index} (corrupt or truncated file)")
        position += 1
        if fps:
            check_frame_time(path, index, fps, float(capture.get(cv2.CAP_PROP_POS_MSEC)))
        yield index, frame


def extract_faces(
    video_path: str | Path,
    stretches: Sequence[tuple[float, float]],
    detector: FaceDetector,
    *,
    steps: dict | None,
    target_fps: float,
    margin: float,
    crop_size: int,
) -> FaceTrack:
    """Detect the actor's face on the sampled frames of the annotated stretches."""
    from emoagree.video.sampling import frame_step, probe_frame_times, sampled_frames

    capture, fps, count, size = open_video(video_path)
    try:
        probe_frame_times(video_path, fps, count)  # refuse a variable frame rate up front
        step = frame_step(fps, steps, target_fps)
        indices = sampled_frames(stretches, fps, step, count)
        n = len(indices)
        has_face = np.zeros(n, dtype=bool)
        boxes = np.full((n, 4), np.nan, dtype=np.float32)
        scores = np.full(n, np.nan, dtype=np.float32)
        crops = np.zeros((n, crop_size, crop_size, 3), dtype=np.uint8)
        previous = None
        last_kept = -(10**9)
        started = time.monotonic()
        for row, (index, frame) in enumerate(read_frames(capture, indices, video_path, fps)):
            found = detector.detect(frame)
            # The face of a second ago still anchors the choice; after a long gap, start over.
            anchor = previous if index - last_kept <= 2 * fps else None
            chosen = choose_face(found.boxes, found.scores, anchor)
            if chosen is not None:
                crop, used = crop_face(frame, found.boxes[chosen], margin, crop_size)
                crops[row] = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)
                boxes[row], scores[row], has_face[row] = used, found.scores[chosen], True
                previous, last_kept = found.boxes[chosen], index
            if (row + 1) % 200 == 0:
                log.info("%s: %d/%d frames, %.1f fps", video_path, row + 1, n,
                         (row + 1) / max(time.monotonic() - started, 1e-9))
    finally:
        capture.release()
    log.info("%s: %d fps, step %d, %d sampled frames in %d stretches, faces on %d",
             video_path, round(fps), step, n, len(stretches), int(has_face.sum()))
    return FaceTrack(indices, indices / fps, has_face, boxes, scores, crops, fps, step, size)
