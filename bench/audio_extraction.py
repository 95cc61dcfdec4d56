"""Benchmark: audio feature extraction of the workflow vs a plain sequential opensmile loop.

Prints, measured in one run on the same intervals:
  * ComParE_2016 functionals: throughput (seconds of audio per second) of the workflow's
    threaded extraction vs `smile.process_file(wav, start, end)` interval by interval;
  * frame LLDs (eGeMAPS + MFCC with deltas): the workflow's once-per-recording cache
    (sliced per interval, for all levels) vs extracting each interval of each level alone;
  * the number of LLD extraction jobs `snakemake -n` plans for levels [1] and [1..5]
    (equal: LLDs are per recording, whatever the levels).

Usage:
  .venv/bin/python bench/audio_extraction.py [--recordings 6] [--seconds 30] [--threads N]
  .venv/bin/python bench/audio_extraction.py --skip-dag    # without the snakemake -n part
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from audio_synth import EMOTIONS, write_recording  # noqa: E402

from emoagree.audio.functionals import extract_level_functionals  # noqa: E402
from emoagree.audio.io import read_wav  # noqa: E402
from emoagree.audio.lld import extract_lld, lld_extractors, load_lld, save_lld  # noqa: E402

MFCC_CONFIG = ROOT / "resources/opensmile/mfcc.conf"


def synthetic_corpus(folder: Path, n_recordings: int, seconds: float, seed: int = 0):
    """Recordings of ~``seconds`` s, each a sequence of 0.3-3 s emotional segments, and
    five nested 'levels' (each keeps a subset of the previous one, trimmed)."""
    rng = np.random.default_rng(seed)
    rows, paths = [], {}
    for r in range(n_recordings):
        segments, total = [], 0.0
        while total < seconds:
            duration = float(rng.uniform(0.3, 3.0))
            segments.append((str(rng.choice(EMOTIONS)), duration))
            total += duration + 0.2
        name = f"bench{r}"
        marks = write_recording(folder / f"{name}.wav", segments, rng)
        paths[name] = str(folder / f"{name}.wav")
        for index, (emotion, start, end) in enumerate(marks):
            rows.append(
                {
                    "interval_id": f"{name}_{index}",
                    "recording": name,
                    "emotion": emotion,
                    "start_s": start,
                    "end_s": end,
                }
            )
    level1 = pd.DataFrame(rows)
    levels = {1: level1}
    for k in range(2, 6):
        previous = levels[k - 1]
        kept = previous[rng.random(len(previous)) < 0.85].copy()
        kept["start_s"] += 0.05
        kept["end_s"] -= 0.05
        levels[k] = kept[kept["end_s"] - kept["start_s"] > 0.2].reset_index(drop=True)
    return levels, paths


def report(label: str, seconds: float, wall_s: float) -> None:
    print(f"  {label:<42}{seconds / wall_s:8.1f} s audio/s ({wall_s:.2f} s)")


def audio_seconds(table: pd.DataFrame) -> float:
    return float((table["end_s"] - table["start_s"]).sum())


def bench_functionals(table: pd.DataFrame, paths: dict, threads: int) -> None:
    import opensmile

    seconds = audio_seconds(table)
    started = time.perf_counter()
    ours = extract_level_functionals(table, paths, 0.1, threads=threads, progress_every=10**9)
    workflow_s = time.perf_counter() - started

    smile = opensmile.Smile(
        feature_set=opensmile.FeatureSet.ComParE_2016,
        feature_level=opensmile.FeatureLevel.Functionals,
    )
    started = time.perf_counter()
    plain = np.vstack(
        [
            smile.process_file(paths[r.recording], start=r.start_s, end=r.end_s).to_numpy()
            for r in table.itertuples()
        ]
    )
    plain_s = time.perf_counter() - started
    difference = float(np.nanmax(np.abs(ours.features - plain) / (np.abs(plain) + 1e-6)))
    print(f"ComParE_2016 functionals, {len(table)} intervals, {seconds:.1f} s of audio")
    report(f"workflow ({threads} threads):", seconds, workflow_s)
    report("plain sequential opensmile loop:", seconds, plain_s)
    print(f"  {'ratio workflow / plain:':<42}{plain_s / workflow_s:8.2f}x")
    print(f"  max relative difference of the features: {difference:.2e}")


def bench_lld(levels: dict, paths: dict, folder: Path, threads: int) -> None:
    intervals = pd.concat(levels.values(), ignore_index=True)
    seconds = audio_seconds(intervals)
    started = time.perf_counter()
    for recording, wav in paths.items():
        signal, rate = read_wav(wav)
        save_lld(
            extract_lld(signal, rate, MFCC_CONFIG, threads=threads), folder / f"{recording}.npz"
        )
    caches = {r: load_lld(folder / f"{r}.npz") for r in paths}
    sliced = [caches[r.recording].slice(r.start_s, r.end_s) for r in intervals.itertuples()]
    workflow_s = time.perf_counter() - started

    egemaps, mfcc = lld_extractors(MFCC_CONFIG)
    started = time.perf_counter()
    for r in intervals.itertuples():
        egemaps.process_file(paths[r.recording], start=r.start_s, end=r.end_s)
        mfcc.process_file(paths[r.recording], start=r.start_s, end=r.end_s)
    plain_s = time.perf_counter() - started
    print(
        f"LLDs (eGeMAPS + MFCC, deltas) for levels 1-5: {len(intervals)} intervals, "
        f"{seconds:.1f} s of interval audio, {sum(len(s) for s in sliced)} frames"
    )
    report("workflow (cache per recording, sliced):", seconds, workflow_s)
    report("plain sequential loop per interval:", seconds, plain_s)
    print(f"  {'ratio workflow / plain:':<42}{plain_s / workflow_s:8.2f}x")


def lld_job_count(levels: list[int], workflow: Path) -> str:
    """audio_lld jobs in `snakemake -n --forceall` with the given levels."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as extra:
        extra.write(f"levels: {levels}\n")  # --config would pass the levels as strings
    command = [
        str(ROOT / ".venv/bin/snakemake"),
        "-n",
        "--forceall",
        "--cores",
        "1",
        "--configfile",
        "config.yaml",
        extra.name,
    ]
    try:
        run = subprocess.run(command, cwd=workflow, capture_output=True, text=True)
    finally:
        os.unlink(extra.name)
    found = re.search(r"^audio_lld\s+(\d+)\s*$", run.stdout + run.stderr, re.M)
    if run.returncode != 0 or not found:
        lines = [line.strip() for line in (run.stderr + run.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if "Error" in line or "error" in line]
        return f"unavailable (snakemake -n failed: {(errors or lines or ['no output'])[-1]})"
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-dag", action="store_true")
    parser.add_argument("--workflow", type=Path, default=ROOT, help="folder with the Snakefile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        levels, paths = synthetic_corpus(Path(folder), args.recordings, args.seconds)
        cpus = os.cpu_count()
        print(f"{args.recordings} synthetic recordings, ~{args.seconds:.0f} s each, {cpus} CPUs")
        bench_functionals(levels[1], paths, args.threads)
        bench_lld(levels, paths, Path(folder), args.threads)
    if not args.skip_dag:
        for levels in ([1], [1, 2, 3, 4, 5]):
            count = lld_job_count(levels, args.workflow)
            print(f"LLD jobs (snakemake -n) for levels {levels}: {count}")


if __name__ == "__main__":
    main()
