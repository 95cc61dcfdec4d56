"""Frame-level low-level descriptors (LLDs), computed once per recording and cached.

Columns: the 25 eGeMAPSv02 LLDs and their deltas, then 14 MFCCs and their deltas from
the project's own openSMILE config (``resources/opensmile/mfcc.conf``): 78 columns, one
row every 10 ms. An interval's sequence is a slice of its recording's cache, so levels
never recompute LLDs.
"""

from __future__ import annotations

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
from emoagree.audio.io import read_wav
from emoagree.audio.smile import smile
from emoagree.shards import cache_path, run_shard

#: Hop between LLD frames, in seconds (both feature sets use 10 ms).
FRAME_STEP_S = 0.01
#: Sink level of the MFCC config that holds the cepstra and their deltas.
MFCC_LEVEL = "mfcc_de"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LldCache:
    """One recording's LLDs: frame start times (s), a frames x columns matrix, names."""

    times: np.ndarray
    features: np.ndarray
    columns: list[str]

    def slice(self, start_s: float, end_s: float) -> np.ndarray:
        """Frames that start inside ``[start_s, end_s)``."""
        first, stop = np.searchsorted(self.times, [start_s - 1e-9, end_s - 1e-9])
        return self.features[first:stop]


def delta_regression(values: np.ndarray, window: int = 2) -> np.ndarray:
    """Deltas by linear regression over ``+-window`` frames (openSMILE/HTK formula).

    ``d_t = sum_n n (x_{t+n} - x_{t-n}) / (2 sum_n n^2)``, with the first and last frame
    repeated at the edges.
    """
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        return values.copy()
    padded = np.pad(values, ((window, window), (0, 0)), mode="edge")
    total = np.zeros_like(values)
    for n in range(1, window + 1):
        total += n * (
            padded[window + n : window + n + len(values)]
            - padded[window - n : window - n + len(values)]
        )
    return total / (2 * sum(n * n for n in range(1, window + 1)))


def lld_extractors(mfcc_config: str | Path) -> tuple:
    """The eGeMAPSv02 LLD extractor and the MFCC (+deltas) extractor (opensmile.Smile)."""
    import opensmile  # here, not at the top: jobs that only read caches skip its import

    egemaps = smile(
        feature_set=opensmile.FeatureSet.eGeMAPSv02,
        feature_level=opensmile.FeatureLevel.LowLevelDescriptors,
    )
    mfcc = smile(feature_set=str(mfcc_config), feature_level=MFCC_LEVEL)
    return egemaps, mfcc


def _frames(smile, signal: np.ndarray, sample_rate: int) -> pd.DataFrame:
    table = smile.process_signal(signal, sample_rate)
    starts = table.index.get_level_values("start").total_seconds().to_numpy()
    table.index = np.round(starts / FRAME_STEP_S).astype(np.int64)
    return table


def extract_lld(
    signal: np.ndarray,
    sample_rate: int,
    mfcc_config: str | Path,
    threads: int = 1,
    extractors: tuple | None = None,
) -> LldCache:
    """LLDs of a whole signal: eGeMAPS LLDs + deltas, MFCC + deltas, on a 10 ms grid.

    The two feature sets run concurrently when ``threads`` > 1. Frames are kept where
    both sets have one (they differ by a frame or two at the end of the signal).
    ``extractors`` (from :func:`lld_extractors`) are reused across recordings when given.
    """
    egemaps, mfcc = extractors if extractors is not None else lld_extractors(mfcc_config)
    with ThreadPoolExecutor(max_workers=max(1, min(threads, 2))) as pool:
        futures = [pool.submit(_frames, s, signal, sample_rate) for s in (egemaps, mfcc)]
        egemaps_table, mfcc_table = (f.result() for f in futures)
    common = egemaps_table.index.intersection(mfcc_table.index).sort_values()
    egemaps_values = egemaps_table.loc[common].to_numpy(dtype=np.float64)
    features = np.hstack(
        [egemaps_values, delta_regression(egemaps_values), mfcc_table.loc[common].to_numpy()]
    )
    columns = [
        *egemaps_table.columns,
        *(f"{c}_de" for c in egemaps_table.columns),
        *mfcc_table.columns,
    ]
    return LldCache(
        times=common.to_numpy() * FRAME_STEP_S,
        features=features.astype(np.float32),
        columns=[str(c) for c in columns],
    )


def save_lld(cache: LldCache, path: str | Path) -> None:
    save_npz_atomic(
        path, times=cache.times, features=cache.features, columns=np.array(cache.columns)
    )


def load_lld(path: str | Path) -> LldCache:
    with np.load(path, allow_pickle=False) as data:
        return LldCache(
            times=data["times"],
            features=data["features"],
            columns=[str(c) for c in data["columns"]],
        )


def cache_recording_lld(
    wav_path: str | Path,
    out_path: str | Path,
    mfcc_config: str | Path,
    threads: int = 1,
    extractors: tuple | None = None,
) -> LldCache:
    """Read one recording, extract its LLDs and write the cache atomically.

    Raises:
        AudioReadError: the wav is missing or corrupt (nothing is written).
    """
    signal, sample_rate = read_wav(wav_path)
    log.debug(
        "LLDs of %s: %.1f s of audio at %d Hz", wav_path, len(signal) / sample_rate, sample_rate
    )
    cache = extract_lld(signal, sample_rate, mfcc_config, threads=threads, extractors=extractors)
    save_lld(cache, out_path)
    log.debug(
        "LLDs of %s: %d frames x %d columns -> %s", wav_path, *cache.features.shape, out_path
    )
    return cache


def cache_shard_lld(
    wavs: Mapping[str, str | Path],
    out_dir: str | Path,
    mfcc_config: str | Path,
    threads: int = 1,
) -> None:
    """LLD caches of every recording of one shard: ``out_dir/{recording}.npz``.

    With one thread (or one recording: its two feature sets run side by side on up to two
    threads) the openSMILE extractors are built once for the whole shard; with more,
    ``threads`` recordings are processed at once, each worker holding its own extractors.
    The values do not depend on the threads. Progress is logged.
    """
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    label = f"LLDs of {out_dir}"
    if threads <= 1 or len(wavs) <= 1:
        extractors = lld_extractors(mfcc_config)
        run_shard(
            wavs,
            lambda recording, wav: cache_recording_lld(
                wav, cache_path(out_dir, recording), mfcc_config, threads, extractors
            ),
            label=label,
        )
        return
    local = threading.local()

    def work(recording: str, wav: str | Path) -> None:
        if not hasattr(local, "extractors"):
            local.extractors = lld_extractors(mfcc_config)
        cache_recording_lld(wav, cache_path(out_dir, recording), mfcc_config, 1,
                            local.extractors)

    started = time.monotonic()
    log.info("%s: %d recording(s) on %d threads", label, len(wavs), threads)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(work, recording, wav) for recording, wav in wavs.items()]
        for done, future in enumerate(futures, start=1):
            future.result()
            if done in (1, len(futures)) or done % 100 == 0:
                log.info("%s: %d/%d recordings done, %.1f s elapsed", label, done,
                         len(futures), time.monotonic() - started)
