"""A classic training job's folds in turn against side by side (run from the repo root;
prints measured figures).

    .venv/bin/python bench/fold_workers.py [--system audio_svm] [--clips 1000]
                                           [--cores 2] [--workdir DIR]

On ``bench/clip_study.py``'s whole-clip corpus (``--clips`` clips, 12 speakers, level 1,
``split.strategy: actor``, 5 folds, default settings) a study of one classic system has
one training job, which ``emoagree.training.fold_jobs.fold_workers`` gives
min(5 folds, --cores) worker processes. The bench extracts the features once, then runs
that job twice: with ``--max-threads 1`` (its folds in turn, as every training job did
before) and as planned (side by side), and prints both jobs' wall seconds (Snakemake's
benchmark file), their ratio and whether every model, report and val file of the two
runs is byte-identical.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import shutil
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from clip_study import fresh, generate, snakemake, write_config  # noqa: E402

FOLD_FILES = ("results/models", "results/predictions")


def job_seconds(study: Path, system: str) -> float:
    """The training job's wall seconds (its benchmark file)."""
    return float(pd.read_csv(study / f"benchmarks/audio/train/{system}_train1.tsv",
                             sep="\t")["s"].iloc[0])


def job_workers(study: Path, system: str) -> int:
    """How many folds the job fitted side by side (its log says; 1 when in turn)."""
    text = (study / f"logs/audio/train/{system}_train1.log").read_text()
    found = re.search(r"(\d+) side by side in worker processes", text)
    return int(found.group(1)) if found else 1


def differing_files(left: Path, right: Path) -> list[str]:
    """Files under ``left`` that ``right`` lacks or holds with other bytes."""
    differ = []
    for path in sorted(p for p in left.rglob("*") if p.is_file()):
        other = right / path.relative_to(left)
        if not other.exists() or not filecmp.cmp(path, other, shallow=False):
            differ.append(str(path.relative_to(left)))
    return differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--system", default="audio_svm", choices=["audio_svm", "audio_lr"])
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--speakers", type=int, default=12)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the corpus and runs go (default: a fresh temp folder)")
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args(argv)
    if args.workdir is None:
        import tempfile

        args.workdir = Path(tempfile.mkdtemp(prefix="fold_workers_"))
    workdir = args.workdir.resolve()
    corpus = workdir / f"corpus{args.clips}"
    started = time.perf_counter()
    if not (corpus / "recordings.csv").exists():
        generate(corpus, args.clips, args.speakers, 5, seed=args.seed)
    study = fresh(workdir / "study")
    config = write_config(study, corpus, [1], systems=(args.system,))
    features = snakemake(study, config, args.cores, "--until", "audio_functionals")
    print(f"{args.clips} clips, {args.speakers} speakers, {args.system}, level 1, 5 folds, "
          f"{args.cores} core(s); features {features:.1f} s; load average "
          f"{os.getloadavg()[0]:.1f}")
    target = f"results/predictions/{args.system}/train1/test1.csv"
    # folds in turn (one thread per job), kept aside; then the same job as planned
    snakemake(study, config, args.cores, "--max-threads", "1", target)
    turn, one = job_seconds(study, args.system), job_workers(study, args.system)
    kept = workdir / "in_turn"
    shutil.rmtree(kept, ignore_errors=True)
    for folder in FOLD_FILES:
        shutil.copytree(study / folder, kept / folder)
    snakemake(study, config, args.cores, "--forcerun", "audio_train_classic", target)
    side, workers = job_seconds(study, args.system), job_workers(study, args.system)
    differ = [f for folder in FOLD_FILES
              for f in differing_files(kept / folder, study / folder)]
    print(f"training job, folds in turn ({one} worker): {turn:.1f} s")
    print(f"training job, folds side by side ({workers} workers): {side:.1f} s")
    rounds = -(-5 // workers)  # rounds of one fold's time side by side (5 folds in turn)
    print(f"ratio in turn / side by side: {turn / side:.2f} (5 / {rounds} rounds = "
          f"{5 / rounds:.2f} at best)")
    print(f"model, report and prediction files differing: {len(differ)} {differ[:5]}")
    print(f"load average at end {os.getloadavg()[0]:.1f}; total "
          f"{time.perf_counter() - started:.0f} s")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
