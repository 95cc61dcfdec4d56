"""ComParE functionals cached per (recording, start, end) stretch, extracted per shard.

Levels share stretches: on a whole-clip corpus every level's intervals are the same clips,
and in dialogues many level-k intervals coincide with level-1 ones. A shard job
(:func:`extract_shard_stretches`) extracts the functionals of every stretch of its
recordings that some level needs and that is not cached yet; a level's table is then
assembled from the cache (:func:`assemble_level_functionals`) with the same contract as a
direct extraction (:func:`emoagree.audio.functionals.extract_level_functionals`): same
rows, columns, values and statuses.

The cache is one file per recording, ``{cache_dir}/{recording}.npz`` (built by
:func:`emoagree.shards.stage_path`), holding the stretches' start and end times, their
features and a fingerprint of the wav they were cut from (a changed wav invalidates its
file). It is written atomically after each recording (and every ``flush_every`` new
stretches of a long one), so a job that crashed resumes where it stopped. It is no
Snakemake output: Snakemake would delete it before a rerun, and keeping it across reruns
(a level added later) is its purpose.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from emoagree.atomic import save_npz_atomic
from emoagree.audio.functionals import (
    OK,
    LevelFunctionals,
    SharedExtractor,
    audio_status,
    compare_extractor,
    level_functionals,
)
from emoagree.audio.io import read_wav, slice_signal
from emoagree.shards import stage_path

log = logging.getLogger(__name__)

#: Stretch boundaries are matched to the microsecond (level tables write seconds with
#: fewer decimals; one sample at 16 kHz is 62.5 us).
KEY_SCALE = 1_000_000


def stretch_keys(start_s, end_s) -> np.ndarray:
    """(start, end) in integer microseconds: the key of a stretch within its recording."""
    start = np.round(np.asarray(start_s, dtype=np.float64) * KEY_SCALE).astype(np.int64)
    end = np.round(np.asarray(end_s, dtype=np.float64) * KEY_SCALE).astype(np.int64)
    return np.stack([start, end], axis=-1).reshape(-1, 2)


def wav_fingerprint(path: str | Path) -> str:
    """A digest of a wav's bytes: the cache of a recording whose audio changed is stale."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def stretch_cache_path(cache_dir: str | Path, recording: str) -> Path:
    return stage_path(cache_dir, f"{recording}.npz")


def needed_stretches(
    levels: Mapping[int | str, pd.DataFrame],
    audio_paths: Mapping[str, str],
    min_duration_s: Mapping[int | str, float],
    recordings: list[str] | None = None,
) -> pd.DataFrame:
    """The distinct stretches that some level will score by audio.

    Args:
        levels: level -> its table (``recording, start_s, end_s`` at least).
        audio_paths: recording -> wav path ('' or absent: no audio).
        min_duration_s: level -> its audio minimum (shorter intervals are not extracted).
        recordings: keep only these recordings (a shard's); None: all.

    Returns:
        ``recording, start_s, end_s`` sorted by recording and time, one row per stretch.
    """
    parts = []
    for level, table in levels.items():
        status = audio_status(table, audio_paths, float(min_duration_s[level]))
        part = table.loc[status == OK, ["recording", "start_s", "end_s"]]
        if recordings is not None:
            part = part[part["recording"].isin(recordings)]
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["recording", "start_s", "end_s"])
    stretches = pd.concat(parts, ignore_index=True)
    keys = stretch_keys(stretches["start_s"], stretches["end_s"])
    stretches = stretches.assign(_start=keys[:, 0], _end=keys[:, 1])
    stretches = stretches.drop_duplicates(["recording", "_start", "_end"])
    stretches = stretches.sort_values(["recording", "_start", "_end"], kind="stable")
    return stretches[["recording", "start_s", "end_s"]].reset_index(drop=True)


def load_stretch_cache(path: str | Path) -> dict[str, np.ndarray] | None:
    """A recording's cached stretches (``keys``, ``features``, ``source``), or None."""
    if not Path(path).exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in ("keys", "features", "source")}


def _save_cache(path: Path, keys: list, features: list, source: str) -> None:
    save_npz_atomic(
        path,
        keys=np.asarray(keys, dtype=np.int64).reshape(-1, 2),
        features=np.asarray(features, dtype=np.float32),
        source=np.array(source),
    )


class _OrderedSaves:
    """Batches of stretches in flight, oldest first: (recording's cache state, stretch
    keys, futures). Stretches of several recordings are extracted at once (a clip corpus
    has one per recording); each batch is added to its recording's cache and saved, in
    order, by the submitting thread once its features are in."""

    def __init__(self, max_in_flight: int) -> None:
        self.pending: deque = deque()
        self.in_flight = 0
        self.max_in_flight = max_in_flight
        self.n_extracted = 0

    def add(self, state: dict, batch_keys: list, futures: list) -> None:
        """Queue a batch; then save the oldest while too many stretches are in flight."""
        self.pending.append((state, batch_keys, futures))
        self.in_flight += len(futures)
        while self.in_flight > self.max_in_flight and len(self.pending) > 1:
            self.finish_oldest()

    def finish_oldest(self) -> None:
        state, batch_keys, futures = self.pending.popleft()
        for key, future in zip(batch_keys, futures, strict=True):
            state["keys"].append(key)
            state["features"].append(future.result())
        _save_cache(state["path"], state["keys"], state["features"], state["source"])
        self.n_extracted += len(batch_keys)
        self.in_flight -= len(futures)

    def finish_all(self) -> None:
        while self.pending:
            self.finish_oldest()


def _cache_state(wav: str, path: Path) -> dict:
    """A recording's cache as a job extends it: its file, the wav's fingerprint, and the
    cached stretch keys and features (none where the wav changed since)."""
    source = wav_fingerprint(wav)
    cached = load_stretch_cache(path)
    if cached is not None and str(cached["source"]) != source:
        log.info("functionals: %s changed since %s was written: re-extracting", wav, path)
        cached = None
    return {
        "path": path,
        "source": source,
        "keys": [tuple(k) for k in cached["keys"]] if cached is not None else [],
        "features": list(cached["features"]) if cached is not None else [],
    }


def _submit_stretches(
    pool: ThreadPoolExecutor,
    extract: Callable[[np.ndarray, int], np.ndarray],
    part: pd.DataFrame,
    rows: list[int],
    audio: tuple[np.ndarray, int],
    wav: str,
) -> list[Future]:
    """Futures of the functionals of ``part``'s rows at positions ``rows``, cut from
    ``audio`` (``(signal, sample_rate)`` of ``wav``)."""
    signal, sample_rate = audio
    futures = []
    for i in rows:
        record = part.iloc[i]
        samples = slice_signal(
            signal, sample_rate, float(record["start_s"]), float(record["end_s"]),
            where=f"{wav} (stretch {record['start_s']}-{record['end_s']} s)",
        )
        futures.append(pool.submit(extract, samples, sample_rate))
    return futures


def extract_shard_stretches(
    stretches: pd.DataFrame,
    audio_paths: Mapping[str, str],
    cache_dir: str | Path,
    threads: int = 1,
    flush_every: int = 200,
) -> dict[str, int]:
    """Extract the functionals of every stretch not cached yet; update the cache.

    Args:
        stretches: ``recording, start_s, end_s`` (from :func:`needed_stretches`).
        audio_paths: recording -> wav path.
        cache_dir: the cache folder (one ``{recording}.npz`` each).
        threads: worker threads (sharing one extractor; each call runs its own native
            openSMILE instance).
        flush_every: a recording's file is rewritten after this many new stretches.

    Returns:
        ``{"n_stretches", "n_cached", "n_extracted"}``; the log says the same.

    Raises:
        AudioReadError: a needed wav is missing or corrupt (the message names it).
        ValueError: a stretch lies outside its recording's audio (names both).
    """
    counts = {"n_stretches": len(stretches), "n_cached": 0, "n_extracted": 0}
    extract = SharedExtractor()
    saves = _OrderedSaves(max_in_flight=4 * max(1, threads))
    started = last = time.monotonic()
    groups = stretches.groupby("recording", sort=True).indices
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for done, (recording, rows) in enumerate(groups.items(), start=1):
            wav = audio_paths[recording]
            state = _cache_state(wav, stretch_cache_path(cache_dir, str(recording)))
            have = set(state["keys"])
            part = stretches.iloc[rows]
            part_keys = stretch_keys(part["start_s"], part["end_s"])
            todo = [i for i, key in enumerate(map(tuple, part_keys)) if key not in have]
            counts["n_cached"] += len(part) - len(todo)
            audio = read_wav(wav) if todo else None
            for first in range(0, len(todo), flush_every):
                batch = todo[first : first + flush_every]
                futures = _submit_stretches(pool, extract, part, batch, audio, wav)
                saves.add(state, [tuple(part_keys[i]) for i in batch], futures)
            now = time.monotonic()
            if done in (1, len(groups)) or now - last >= 10:
                log.info("functionals: %d/%d recordings read, %d stretches extracted, "
                         "%d cached, %.1f s elapsed", done, len(groups),
                         saves.n_extracted, counts["n_cached"], now - started)
                last = now
        saves.finish_all()
    counts["n_extracted"] = saves.n_extracted
    log.info("functionals: %(n_stretches)d stretches: %(n_extracted)d extracted, "
             "%(n_cached)d already cached", counts)
    # the job's own CPU count (all threads, since the process started): exact, where
    # Snakemake's benchmark samples it every 0.5 s and misses a short job's last moments
    log.info("functionals: job CPU %.1f s, extraction wall %.1f s",
             time.process_time(), time.monotonic() - started)
    return counts


def assemble_level_functionals(
    intervals: pd.DataFrame,
    audio_paths: Mapping[str, str],
    min_duration_s: float,
    cache_dir: str | Path,
    columns: list[str] | None = None,
) -> LevelFunctionals:
    """A level's functionals table read from the stretch cache.

    Same rows, columns, values and statuses as a direct extraction of ``intervals``.

    Raises:
        ValueError: a scorable interval's stretch is not in the cache (names the interval
            and the cache file: the shard job did not run for this level).
    """
    status = audio_status(intervals, audio_paths, min_duration_s)
    columns = list(compare_extractor().feature_names) if columns is None else columns
    features = np.full((len(intervals), len(columns)), np.nan, dtype=np.float32)
    todo = np.flatnonzero(status == OK)
    keys = stretch_keys(intervals["start_s"], intervals["end_s"])
    groups = intervals.iloc[todo].groupby("recording", sort=True).indices
    for recording, positions in groups.items():
        rows = todo[positions]
        path = stretch_cache_path(cache_dir, str(recording))
        cached = load_stretch_cache(path)
        if cached is None:
            raise ValueError(f"{path}: no cached functionals for recording {recording!r} "
                             f"(interval {intervals['interval_id'].iloc[rows[0]]})")
        index = {tuple(k): i for i, k in enumerate(cached["keys"])}
        for row in rows:
            where = index.get(tuple(keys[row]))
            if where is None:
                raise ValueError(
                    f"{path}: no cached functionals for interval "
                    f"{intervals['interval_id'].iloc[row]} ({intervals['start_s'].iloc[row]}-"
                    f"{intervals['end_s'].iloc[row]} s): its shard was not extracted for it"
                )
            features[row] = cached["features"][where]
    return level_functionals(intervals, features, columns, status)
