"""Tiny synthetic audio corpora for the audio tests: classes differ in pitch and energy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

SAMPLE_RATE = 16000
EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]
#: Fundamental frequency (Hz) and amplitude of each class's voiced tone.
VOICE = {
    "Angry": (110.0, 0.60),
    "Happy": (170.0, 0.15),
    "Surprised": (260.0, 0.50),
    "Sad": (380.0, 0.08),
    "Disgusted": (520.0, 0.35),
    "Scared": (700.0, 0.20),
}


def tone(emotion: str, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    """A harmonic tone (3 partials, slight vibrato, noise) for one class."""
    f0, amplitude = VOICE[emotion]
    f0 *= rng.uniform(0.95, 1.05)
    t = np.arange(int(round(duration_s * SAMPLE_RATE))) / SAMPLE_RATE
    phase = 2 * np.pi * f0 * (t + 0.002 * np.sin(2 * np.pi * 5 * t))
    voiced = sum(np.sin(k * phase) / k for k in (1, 2, 3))
    return (amplitude * voiced / 1.8 + 0.003 * rng.standard_normal(t.size)).astype(np.float32)


def write_recording(
    path: Path, segments: list[tuple[str, float]], rng: np.random.Generator, gap_s: float = 0.2
) -> list[tuple[str, float, float]]:
    """Write a wav of the given (emotion, duration) segments separated by near-silence.

    Returns (emotion, start_s, end_s) of each segment.
    """
    pieces, marks, now = [], [], 0.0
    for emotion, duration in segments:
        gap = (0.001 * rng.standard_normal(int(gap_s * SAMPLE_RATE))).astype(np.float32)
        pieces.append(gap)
        now += gap_s
        piece = tone(emotion, duration, rng)
        pieces.append(piece)
        marks.append((emotion, now, now + len(piece) / SAMPLE_RATE))
        now += len(piece) / SAMPLE_RATE
    pieces.append(np.zeros(int(gap_s * SAMPLE_RATE), dtype=np.float32))
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.concatenate(pieces), SAMPLE_RATE)
    return marks


def make_corpus(
    root: Path,
    per_split: dict[str, int],
    n_recordings: int = 3,
    seed: int = 0,
    duration_range: tuple[float, float] = (0.4, 1.2),
    emotions: list[str] | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Recordings and a level table with ``per_split[split]`` intervals per class.

    Returns the level table (the ``level{k}.csv`` columns) and recording -> wav path.
    """
    rng = np.random.default_rng(seed)
    emotions = emotions or EMOTIONS
    items = [
        (emotion, split)
        for split, count in per_split.items()
        for emotion in emotions
        for _ in range(count)
    ]
    order = rng.permutation(len(items))
    rows, paths = [], {}
    for r in range(n_recordings):
        mine = [items[i] for i in order[r::n_recordings]]
        durations = rng.uniform(*duration_range, size=len(mine))
        recording = f"rec{r}"
        wav = root / f"{recording}.wav"
        marks = write_recording(
            wav, [(e, d) for (e, _), d in zip(mine, durations, strict=True)], rng
        )
        paths[recording] = str(wav)
        for index, ((emotion, split), (_, start, end)) in enumerate(zip(mine, marks, strict=True)):
            rows.append(
                {
                    "interval_id": f"L1_{recording}_{index:03d}",
                    "recording": recording,
                    "actor": f"actor{r}",
                    "scenario": "synthetic",
                    "emotion": emotion,
                    "level": 1,
                    "start_s": round(start, 3),
                    "end_s": round(end, 3),
                    "duration_s": round(end - start, 3),
                    "split": split,
                }
            )
    return pd.DataFrame(rows), paths
