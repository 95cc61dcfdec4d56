"""Which video frames are decoded: a per-frame-rate step, inside annotated stretches only.

The paper keeps every 5th frame of 50 fps videos and every 3rd frame of 25 fps videos
(10 and about 8 sampled frames per second). Other rates use ``step = max(1, round(fps /
target_fps))`` with ``target_fps`` from the configuration (10 by default), unless the
configuration maps that rate explicitly.

Frames are sampled on one global grid per recording (frame index divisible by the step),
so overlapping stretches and every agreement level see the same frames.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: The paper's steps: every 5th frame at 50 fps, every 3rd at 25 fps.
PAPER_STEPS = {50: 5, 25: 3}


def frame_step(
    fps: float, steps: Mapping[float | int | str, int] | None = None, target_fps: float = 10.0
) -> int:
    """The sampling step (keep every n-th frame) for a video of ``fps`` frames per second.

    Args:
        fps: the file's frame rate.
        steps: explicit steps by frame rate (keys may be strings, as YAML gives them); a rate
            within 0.5 fps of a key uses that key's step (29.97 matches 30).
        target_fps: for rates not in ``steps``: step = max(1, round(fps / target_fps)).
    """
    if not fps or not math.isfinite(fps) or fps <= 0:
        raise ValueError(f"invalid frame rate {fps!r}")
    for rate, step in (steps if steps is not None else PAPER_STEPS).items():
        if abs(float(rate) - fps) < 0.5:
            if int(step) < 1:
                raise ValueError(f"frame step for {rate} fps must be >= 1, got {step}")
            return int(step)
    return max(1, int(round(fps / target_fps)))


def covered_stretches(
    annotations: pd.DataFrame, recording: str, emotions: Sequence[str]
) -> list[tuple[float, float]]:
    """Merged time stretches of ``recording`` covered by any raw mark of a kept emotion.

    Every level's intervals lie inside these stretches (level 1 is their union per emotion).
    """
    marks = annotations[
        (annotations["recording"].astype(str) == str(recording))
        & annotations["emotion"].isin(list(emotions))
    ]
    spans = sorted(
        (float(s), float(e)) for s, e in zip(marks["start_s"], marks["end_s"], strict=True)
        if float(e) > float(s)
    )
    merged: list[list[float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def stretches_by_recording(
    marks: pd.DataFrame,
    emotions: Sequence[str],
    fold_labels: bool = False,
    label_map: Mapping[str, str | None] | None = None,
) -> dict[str, list[tuple[float, float]]]:
    """:func:`covered_stretches` of every recording at once, from a marks table whose cells
    may be text (a corpus's source file; unreadable times are skipped, the corpus stage
    reports them). ``fold_labels`` and ``label_map`` read labels as the corpus stage does
    with ``corpus.fold_labels`` and ``corpus.label_map``."""
    from emoagree.corpus.labels import read_labels

    labels = read_labels(marks["emotion"], emotions, fold_labels, label_map)
    table = pd.DataFrame({
        "recording": marks["recording"].astype(str),
        "start": pd.to_numeric(marks["start_s"], errors="coerce"),
        "end": pd.to_numeric(marks["end_s"], errors="coerce"),
    })[labels.isin(list(emotions)).to_numpy()].dropna()
    stretches = {}
    for recording, group in table.groupby("recording", sort=False):
        merged: list[list[float]] = []
        for start, end in sorted(zip(group["start"], group["end"], strict=True)):
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([float(start), float(end)])
        stretches[str(recording)] = [(s, e) for s, e in merged]
    return stretches


def sampled_frames(
    stretches: Sequence[tuple[float, float]], fps: float, step: int, n_frames: int | None = None
) -> np.ndarray:
    """Indices of the sampled frames inside the stretches (sorted, unique).

    A frame ``i`` (shown at time ``i / fps``) is sampled when ``i % step == 0`` and
    ``start <= i / fps <= end`` for some stretch; ``n_frames`` clips to the video length.
    """
    chosen: list[np.ndarray] = []
    for start, end in stretches:
        first = math.ceil(start * fps - 1e-9)
        last = math.floor(end * fps + 1e-9)
        if n_frames is not None:
            last = min(last, n_frames - 1)
        first = max(0, first)
        first += (-first) % step
        if last >= first:
            chosen.append(np.arange(first, last + 1, step, dtype=np.int64))
    if not chosen:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(chosen))


def even_spread(n: int, k: int | None, rng: np.random.Generator) -> np.ndarray:
    """At most ``k`` of ``n`` positions, evenly spread with a seeded random phase.

    ``k`` None or >= n keeps all. Otherwise position j is ``floor((j + u) * n / k)`` with one
    ``u ~ U[0, 1)`` per call, so the choice covers the whole interval and varies by seed.
    """
    if k is None or k >= n:
        return np.arange(n)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    u = rng.random()
    return np.floor((np.arange(k) + u) * n / k).astype(np.int64)


# -- frame times -------------------------------------------------------------------------
#
# Frames are addressed by index and timed as index / fps (the container's rate). That holds
# only for a constant frame rate. A variable-frame-rate file (phone recordings, screen
# captures, files joined from parts of different rates) has frames whose timestamps drift
# from index / fps: its frames would be matched to the wrong annotated stretches, silently.
# Such files are refused: the timestamps (CAP_PROP_POS_MSEC) are compared with index / fps
# at a few points before any work, and on every frame decoded.

#: A frame is mistimed when its timestamp is this share of a frame interval or more away
#: from index / fps (half: index / fps would then name a neighbouring frame).
TIME_TOLERANCE_FRAMES = 0.5
#: Where the probe looks, as shares of the frame count.
PROBE_POINTS = (0.0, 0.25, 0.5, 0.75, 0.95)


class VariableFrameRateError(RuntimeError):
    """A video's frame timestamps do not follow its container frame rate."""


def check_frame_time(path, index: int, fps: float, position_ms: float) -> None:
    """Raise ``VariableFrameRateError`` when frame ``index`` is not at ``index / fps``."""
    expected = index / fps
    actual = position_ms / 1000.0
    if abs(actual - expected) >= TIME_TOLERANCE_FRAMES / fps:
        raise VariableFrameRateError(
            f"{path}: variable frame rate: frame {index} is at {actual:.3f} s by its "
            f"timestamp, but at {expected:.3f} s by the container's {fps:.3f} fps, so frames "
            "would be matched to the wrong annotations. Re-encode the file at a constant "
            "frame rate first, e.g. ffmpeg -i IN -fps_mode cfr -r 25 OUT.mp4 (use the "
            "recording's nominal rate)"
        )


def probe_frame_times(path, fps: float, count: int,
                      points: Sequence[float] = PROBE_POINTS) -> list[tuple[int, float]]:
    """Seek to a few frames of ``path`` and check each one's timestamp against index / fps.

    Opens its own capture (the caller's position is left alone). Returns the probed
    ``(index, timestamp_s)``; raises ``VariableFrameRateError`` on the first mistimed one.
    A probe frame that cannot be decoded is skipped (the frame count of some containers is
    an estimate); the per-frame check while reading covers the frames actually used.
    """
    import cv2

    capture = cv2.VideoCapture(str(path))
    probed = []
    try:
        for share in points:
            index = int(round(share * max(count - 1, 0)))
            capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, _ = capture.read()
            if not ok:
                continue
            position_ms = float(capture.get(cv2.CAP_PROP_POS_MSEC))
            check_frame_time(path, index, fps, position_ms)
            probed.append((index, position_ms / 1000.0))
    finally:
        capture.release()
    return probed
