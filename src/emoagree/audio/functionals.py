"""Utterance-level ComParE_2016 functionals (6373 values) for every interval of a level.

Each interval is cut from its recording's audio and processed by openSMILE on its own.
Intervals shorter than the configured minimum are not scorable by audio (ComParE gives
all-NaN below about 0.1 s): their rows stay NaN and their count is reported.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from emoagree.atomic import save_npz_atomic
from emoagree.audio.io import read_wav, slice_signal
from emoagree.audio.smile import smile

log = logging.getLogger(__name__)

#: Why an interval has (or lacks) audio features.
OK, TOO_SHORT, NO_AUDIO, NAN_FEATURES = "ok", "too_short", "no_audio", "nan_features"
STATUSES = (OK, TOO_SHORT, NO_AUDIO, NAN_FEATURES)


def compare_extractor():
    """openSMILE's ComParE_2016 functionals extractor (6373 values per segment)."""
    import opensmile  # here, not at the top: jobs that only read features skip its import

    return smile(
        feature_set=opensmile.FeatureSet.ComParE_2016,
        feature_level=opensmile.FeatureLevel.Functionals,
    )


def extract_functionals(extractor, samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The 6373 ComParE values of one stretch from ``extractor`` (:func:`compare_extractor`).

    Calls the extractor itself, which returns openSMILE's values as an array: the same
    values as ``process_signal(...).to_numpy()[0]`` without building a one-row,
    6373-column DataFrame per stretch (about 8 % of an extraction's CPU, and Python work
    that holds the GIL while the other worker threads wait)."""
    return extractor(samples, sample_rate)[0, :, 0]


class SharedExtractor:
    """Callable ``(samples, sample_rate) -> functionals``: one ComParE extractor for all
    the worker threads of an extraction, created by the first stretch. Each call runs a
    native openSMILE instance of its own (``Smile._extract`` builds one per signal), so
    the threads share only its settings; the values do not depend on the threads
    (``tests/test_audio_stretches.py``). Creating an extractor is Python that holds the
    GIL (0.02 s; 0.2-0.45 s more for the first in a process without
    :mod:`emoagree.audio.smile`'s shortcut), which each thread paid at an extraction's
    start when every thread created its own. ``extractor``: one already built
    (:func:`compare_extractor`), to use instead of building another."""

    def __init__(self, extractor=None) -> None:
        self.lock = threading.Lock()
        self.smile = extractor

    def __call__(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        if self.smile is None:
            with self.lock:
                if self.smile is None:
                    self.smile = compare_extractor()
        return extract_functionals(self.smile, samples, sample_rate)


def audio_status(
    intervals: pd.DataFrame, audio_paths: Mapping[str, str], min_duration_s: float
) -> np.ndarray:
    """Per interval: ``too_short`` below ``min_duration_s``, ``no_audio`` when its
    recording has no audio file, else ``ok`` (before extraction)."""
    duration = (intervals["end_s"] - intervals["start_s"]).to_numpy(dtype=float)
    has_audio = intervals["recording"].map(lambda r: bool(audio_paths.get(r))).to_numpy(bool)
    status = np.full(len(intervals), OK, dtype=object)
    status[~has_audio] = NO_AUDIO
    status[has_audio & (duration < min_duration_s)] = TOO_SHORT
    return status


def status_counts(status: np.ndarray) -> dict[str, int]:
    return {name: int(np.sum(status == name)) for name in STATUSES}


@dataclass(frozen=True)
class LevelFunctionals:
    """Functionals of one level's intervals; rows of unscorable intervals are NaN."""

    interval_ids: np.ndarray
    features: np.ndarray
    columns: list[str]
    status: np.ndarray

    @property
    def scorable(self) -> np.ndarray:
        return self.status == OK


def extract_level_functionals(
    intervals: pd.DataFrame,
    audio_paths: Mapping[str, str],
    min_duration_s: float,
    threads: int = 1,
    progress_every: int = 50,
) -> LevelFunctionals:
    """ComParE functionals for every interval of a level table, in parallel threads.

    Args:
        intervals: rows with ``interval_id, recording, start_s, end_s``.
        audio_paths: recording -> wav path ('' or absent: no audio).
        min_duration_s: intervals shorter than this are marked ``too_short``.
        threads: worker threads (sharing one :class:`SharedExtractor`).
        progress_every: log a progress line after this many intervals.

    Raises:
        AudioReadError: a needed wav is missing or corrupt (the message names it).
        ValueError: an interval lies outside its recording's audio (names both).
    """
    status = audio_status(intervals, audio_paths, min_duration_s)
    # the extractor that names the columns is the one the threads share
    extract = SharedExtractor(compare_extractor())
    columns = list(extract.smile.feature_names)
    n_columns = len(columns)
    features = np.full((len(intervals), n_columns), np.nan, dtype=np.float32)

    def work(row: int, samples: np.ndarray, sample_rate: int) -> tuple[int, np.ndarray]:
        return row, extract(samples, sample_rate)

    todo = np.flatnonzero(status == OK)
    total_audio = float((intervals["end_s"] - intervals["start_s"]).to_numpy()[todo].sum())
    log.info(
        "functionals: %d intervals (%.1f s of audio) on %d threads; not scorable: %s",
        len(todo),
        total_audio,
        threads,
        {k: v for k, v in status_counts(status).items() if k != OK},
    )
    started, done = time.perf_counter(), 0
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for recording, rows in intervals.iloc[todo].groupby("recording", sort=True).indices.items():
            wav = audio_paths[recording]
            signal, sample_rate = read_wav(wav)
            futures = []
            for position in rows:
                row = int(todo[position])
                record = intervals.iloc[row]
                samples = slice_signal(
                    signal,
                    sample_rate,
                    float(record["start_s"]),
                    float(record["end_s"]),
                    where=f"{wav} (interval {record['interval_id']})",
                )
                futures.append(pool.submit(work, row, samples, sample_rate))
            for future in futures:
                row, values = future.result()
                features[row] = values
                done += 1
                if done % progress_every == 0 or done == len(todo):
                    elapsed = time.perf_counter() - started
                    log.info(
                        "functionals: %d/%d intervals, %.1f s elapsed", done, len(todo), elapsed
                    )
    return level_functionals(intervals, features, columns, status)


def level_functionals(
    intervals: pd.DataFrame, features: np.ndarray, columns: list[str], status: np.ndarray
) -> LevelFunctionals:
    """A level's functionals table; an interval whose features came out NaN (too short for
    ComParE) is marked not scorable, with a warning naming the first ten."""
    nan_rows = (status == OK) & np.isnan(features).any(axis=1)
    if nan_rows.any():
        log.warning(
            "functionals: %d intervals gave NaN features (too short for ComParE?), "
            "marked not scorable: %s",
            int(nan_rows.sum()),
            list(intervals["interval_id"].to_numpy()[nan_rows][:10]),
        )
        status[nan_rows] = NAN_FEATURES
        features[nan_rows] = np.nan
    return LevelFunctionals(
        interval_ids=intervals["interval_id"].astype(str).to_numpy(),
        features=features,
        columns=columns,
        status=status,
    )


def save_functionals(result: LevelFunctionals, path: str | Path) -> None:
    save_npz_atomic(
        path,
        interval_ids=result.interval_ids.astype(str),
        features=result.features,
        columns=np.array(result.columns),
        status=result.status.astype(str),
    )


def load_functionals(path: str | Path) -> LevelFunctionals:
    with np.load(path, allow_pickle=False) as data:
        return LevelFunctionals(
            interval_ids=data["interval_ids"].astype(str).astype(object),
            features=data["features"],
            columns=[str(c) for c in data["columns"]],
            status=data["status"].astype(str).astype(object),
        )


def write_status_counts(
    status: np.ndarray, level: int | str, min_duration_s: float, path: str | Path
) -> dict:
    """Write the per-level count of (un)scorable intervals as JSON and return it."""
    report = {
        "level": int(level),
        "min_duration_s": float(min_duration_s),
        "n_intervals": int(len(status)),
        **{f"n_{name}": count for name, count in status_counts(status).items()},
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report, indent=2) + "\n")
    return report
