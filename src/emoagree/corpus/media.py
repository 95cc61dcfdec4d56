"""What the adapters read from media files: duration and frame rate, never assumed."""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

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


#: A marked stretch whose mixed-down samples all stay within this many steps of a 16-bit
#: wav of zero (peak about -84 dBFS) is *digital silence*: a muted input, an unplugged
#: microphone or the wrong channel writes exact zeros or a bit of rounding noise, while
#: any live microphone's own noise floor (about -70 dBFS and above for speech recordings)
#: lies far above it. So the floor flags dead audio and never a quiet speaker.
SILENCE_PEAK = 2 / 32768

#: At most this many stretches are listed per file in a message; the rest are counted.
MAX_LISTED_STRETCHES = 3


def _stretch_list(spans: list[tuple[float, float, str]]) -> str:
    listed = ", ".join(f"{start:g}-{end:g} s ({where})" if where else f"{start:g}-{end:g} s"
                       for start, end, where in spans[:MAX_LISTED_STRETCHES])
    more = len(spans) - MAX_LISTED_STRETCHES
    return listed + (f" and {more} more" if more > 0 else "")


def _marked_spans(recording_marks: pd.DataFrame, where: pd.Series | None):
    """Distinct ``(start, end, first row)`` of one recording's marks, in time order."""
    spans = recording_marks.drop_duplicates(["start_s", "end_s"]).sort_values(
        ["start_s", "end_s"], kind="stable")
    for index, row in spans.iterrows():
        yield float(row["start_s"]), float(row["end_s"]), (
            str(where[index]) if where is not None else "")


def silent_audio(
    recordings: pd.DataFrame, annotations: pd.DataFrame, where: pd.Series | None = None
) -> list[str]:
    """One problem per audio file that is digital silence over a marked stretch.

    Each distinct mark (start, end) is checked on the channels mixed down as the features
    read them (:func:`emoagree.audio.io.read_wav`): a mark whose samples all stay within
    :data:`SILENCE_PEAK` of zero is silent. The whole file is read once, in the corpus job.
    """
    from emoagree.audio.io import read_wav

    problems = []
    marks = annotations[annotations["recording"].isin(set(recordings["recording"]))]
    by_recording = dict(tuple(marks.groupby("recording", sort=False)))
    for recording, path in zip(recordings["recording"], recordings["audio_path"], strict=True):
        if not isinstance(path, str) or not path or recording not in by_recording:
            continue
        samples, rate = read_wav(path)
        silent = []
        for start, end, row in _marked_spans(by_recording[recording], where):
            piece = samples[int(start * rate): max(int(np.ceil(end * rate)), int(start * rate) + 1)]
            if piece.size and float(np.max(np.abs(piece))) <= SILENCE_PEAK:
                silent.append((start, end, row))
        if silent:
            problems.append(
                f"{path}: the audio of recording {recording!r} is digital silence (peak at most "
                f"{20 * np.log10(SILENCE_PEAK):.0f} dBFS) over {len(silent)} marked "
                f"stretch(es): {_stretch_list(silent)} - a muted microphone or the wrong "
                "channel? Fix the file, or set `corpus.accept_empty_media: true` to keep them"
            )
    return problems


def _frame_in(capture, fps: float, start: float, end: float) -> bool:
    """Whether any frame of ``[start, end)`` decodes (middle and first tried, then all)."""
    import cv2

    first = int(np.ceil(start * fps - 1e-9))
    last = max(first, int(np.ceil(end * fps - 1e-9)) - 1)
    for frame in dict.fromkeys([(first + last) // 2, first]):
        capture.set(cv2.CAP_PROP_POS_FRAMES, frame)
        ok, image = capture.read()
        if ok and image is not None:
            return True
    capture.set(cv2.CAP_PROP_POS_FRAMES, first)
    for _ in range(first, last + 1):
        ok, image = capture.read()
        if ok and image is not None:
            return True
    return False


def _merged(spans) -> list[tuple[float, float, str]]:
    """Overlapping spans joined into stretches (each keeps its first mark's row)."""
    merged: list[list] = []
    for start, end, row in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, row])
    return [(start, end, row) for start, end, row in merged]


def frameless_video(
    recordings: pd.DataFrame, annotations: pd.DataFrame, where: pd.Series | None = None
) -> list[str]:
    """One problem per video with a marked stretch in which no frame decodes.

    A stretch is a connected stretch of the recording's marks (overlapping marks joined,
    as the face stage samples them). Cheap for a good file: one seek and one decoded frame
    per stretch; only a stretch whose middle and first frame fail is read frame by frame.
    """
    import cv2

    problems = []
    marks = annotations[annotations["recording"].isin(set(recordings["recording"]))]
    by_recording = dict(tuple(marks.groupby("recording", sort=False)))
    for recording, path, fps in zip(recordings["recording"], recordings["video_path"],
                                    recordings["fps"], strict=True):
        if not isinstance(path, str) or not path or recording not in by_recording:
            continue
        capture = cv2.VideoCapture(path)
        try:
            empty = [(start, end, row)
                     for start, end, row in _merged(_marked_spans(by_recording[recording], where))
                     if not _frame_in(capture, float(fps), start, end)]
        finally:
            capture.release()
        if empty:
            problems.append(
                f"{path}: no frame of the video of recording {recording!r} decodes in "
                f"{len(empty)} marked stretch(es): {_stretch_list(empty)}. Fix the file, or "
                "set `corpus.accept_empty_media: true` to keep them (they get no video score)"
            )
    return problems


def sample_rate_note(recordings: pd.DataFrame) -> str | None:
    """One line when the corpus's wavs have more than one sample rate, else ``None``."""
    import soundfile

    rates: dict[int, list[str]] = {}
    for recording, path in zip(recordings["recording"], recordings["audio_path"], strict=True):
        if isinstance(path, str) and path:
            rates.setdefault(int(soundfile.info(path).samplerate), []).append(str(recording))
    if len(rates) < 2:
        return None
    listed = ", ".join(f"{rate} Hz ({len(names)} recording(s), e.g. {names[0]})"
                       for rate, names in sorted(rates.items()))
    return (
        f"the corpus's audio has {len(rates)} sample rates: {listed}. Each file's features "
        "are computed at its own rate, not resampled (openSMILE's 10 ms frames line up in "
        f"time; spectral content above {min(rates) // 2} Hz exists only in the "
        "higher-rate files)"
    )


def unmarked_recordings(
    recordings: pd.DataFrame, annotations: pd.DataFrame, emotions: list[str]
) -> list[str]:
    """Recordings with no mark of a configured emotion: they appear in no level."""
    marked = set(annotations.loc[annotations["emotion"].isin(list(emotions)), "recording"])
    return [str(r) for r in recordings["recording"] if r not in marked]
