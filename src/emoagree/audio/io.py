"""Reading a recording's audio and cutting intervals out of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

#: How far an interval may run past the end of its audio (annotation tools round times)
#: before it counts as an error rather than as a boundary effect.
END_TOLERANCE_S = 0.05


class AudioReadError(RuntimeError):
    """A wav file is missing, unreadable or empty; the message names the file."""


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a wav file as mono float32 samples in [-1, 1] and its sample rate.

    Multi-channel files are mixed down by averaging the channels.

    Raises:
        AudioReadError: the file is missing, is not decodable audio, or holds no samples.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioReadError(f"{path}: audio file not found")
    try:
        samples, sample_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as error:  # libsndfile raises several types for corrupt files
        raise AudioReadError(f"{path}: cannot decode audio ({error})") from error
    if samples.shape[0] == 0:
        raise AudioReadError(f"{path}: audio file holds no samples")
    return samples.mean(axis=1).astype(np.float32), int(sample_rate)


def interval_bounds(
    start_s: float, end_s: float, sample_rate: int, n_samples: int, where: str = ""
) -> tuple[int, int]:
    """Sample indices ``[first, stop)`` of an interval, clipped to the signal.

    Raises:
        ValueError: the interval is reversed or runs past the signal's end by more than
            :data:`END_TOLERANCE_S`; ``where`` (file, interval id) starts the message.
    """
    duration = n_samples / sample_rate
    prefix = f"{where}: " if where else ""
    if end_s < start_s or start_s < 0:
        raise ValueError(f"{prefix}interval [{start_s}, {end_s}] s is reversed or negative")
    if end_s > duration + END_TOLERANCE_S:
        raise ValueError(
            f"{prefix}interval [{start_s}, {end_s}] s ends after the audio ({duration:.3f} s long)"
        )
    first = min(int(round(start_s * sample_rate)), n_samples)
    stop = min(int(round(end_s * sample_rate)), n_samples)
    return first, stop


def slice_signal(
    signal: np.ndarray, sample_rate: int, start_s: float, end_s: float, where: str = ""
) -> np.ndarray:
    """The samples of ``signal`` between ``start_s`` and ``end_s`` (seconds)."""
    first, stop = interval_bounds(start_s, end_s, sample_rate, len(signal), where)
    return signal[first:stop]
