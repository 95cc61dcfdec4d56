"""Whole-clip study benchmark: the classic audio systems of the workflow against a bare
openSMILE + scikit-learn script, and the functionals stage's cost over levels (run from
the repo root; prints measured figures).

    .venv/bin/python bench/clip_study.py [--clips 1000] [--speakers 12] [--raters 5]
                                         [--cores 2] [--workdir DIR] [--skip-study]
                                         [--skip-features]

1. Generates an audio-only csv corpus of ``--clips`` clips of 2-4 s from the demo
   generator's voices (``emoagree.corpus.demo``), ``--speakers`` speakers, each clip rated
   by ``--raters`` simulated annotators (each gives the clip's emotion with a probability
   drawn per clip, else another one): levels 1..raters.
2. (a, c) The audio classic study through the workflow from scratch (levels [1], systems
   audio_svm + audio_lr, ``split.strategy: actor``, 5 folds, default settings; targets:
   their test metrics) against a bare script on the same cores: ComParE functionals of
   every clip on ``--cores`` threads, then per outer fold of the workflow's own split
   ``GridSearchCV(StandardScaler, PCA, SVC | LogisticRegression; the config's grid,
   cv=GroupKFold by speaker, n_jobs=cores)`` on train+val, predicting the test part; UAR
   pooled over folds, as the workflow's metrics pool them.
3. (b, d) The feature stage (``snakemake --until audio_functionals``, corpus stages and
   DAG build included) from scratch for levels [1..raters] and for [1], wall seconds, and
   the extraction's parallelism: the shard jobs' summed CPU seconds over the wall time from
   the first shard job's start to the last one's end (benchmark files).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from classic_vs_sklearn import sklearn_search  # noqa: E402
from clip_corpus import clip_curves  # noqa: E402

from emoagree.constants import DEFAULT_EMOTIONS  # noqa: E402
from emoagree.corpus.demo.actors import make_actor  # noqa: E402
from emoagree.corpus.demo.audio import mix_microphone, synthesize_voice  # noqa: E402
from emoagree.corpus.demo.timeline import CONTROL_RATE  # noqa: E402

EMOTIONS = list(DEFAULT_EMOTIONS)
SYSTEMS = ("audio_svm", "audio_lr")
FUNCTIONALS = "results/features/audio_functionals"


# -- the corpus ---------------------------------------------------------------------------

def speakers(n: int) -> list[str]:
    return [f"{'F' if i % 2 == 0 else 'M'}{i + 1:02d}" for i in range(n)]


def generate(root: Path, n_clips: int, n_speakers: int, n_raters: int, seed: int = 2021,
             sample_rate: int = 16000) -> None:
    """An audio-only csv corpus: recordings.csv (actor = speaker) and annotations.csv."""
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = speakers(n_speakers)
    actors = {name: make_actor(name, seed) for name in names}
    rows, marks = [], []
    for i in range(n_clips):
        clip, speaker = f"clip{i:05d}", names[i % n_speakers]
        emotion = EMOTIONS[int(rng.integers(len(EMOTIONS)))]
        duration = round(float(rng.uniform(2.0, 4.0)), 2)
        clip_rng = np.random.default_rng([seed, i])
        curves = clip_curves(emotion, duration, float(clip_rng.uniform(0.5, 1.0)))
        speaking = np.ones(curves.shape[1], dtype=bool)
        speaking[: int(0.2 * CONTROL_RATE)] = False
        speech, _ = synthesize_voice(actors[speaker], curves, EMOTIONS, speaking, duration,
                                     sample_rate, clip_rng)
        mic = mix_microphone(speech, np.zeros_like(speech), sample_rate, clip_rng)
        sf.write(media / f"{clip}.wav", mic, sample_rate, subtype="PCM_16", format="WAV")
        rows.append((clip, speaker, "clips", f"media/{clip}.wav", "", "", ""))
        clarity = float(rng.uniform(0.4, 0.95))
        for rater in range(n_raters):
            others = [e for e in EMOTIONS if e != emotion]
            label = emotion if rng.random() < clarity else others[int(rng.integers(5))]
            marks.append((clip, f"R{rater + 1}", label, 0.0, duration))
    pd.DataFrame(rows, columns=["recording", "actor", "scenario", "audio_path", "video_path",
                                "duration_s", "fps"]).to_csv(root / "recordings.csv",
                                                             index=False)
    pd.DataFrame(marks, columns=["recording", "annotator", "emotion", "start_s", "end_s"]
                 ).to_csv(root / "annotations.csv", index=False)


def write_config(workdir: Path, corpus: Path, levels: list[int],
                 systems: tuple[str, ...] = SYSTEMS) -> Path:
    labels = set(pd.read_csv(corpus / "annotations.csv")["emotion"])
    config = {
        "emotions": [e for e in EMOTIONS if e in labels],
        "corpus": {"format": "csv", "path": str(corpus)},
        # clip-corpus shard sizes (config.yaml's are sized for the demo's dialogues)
        "features": {"shard_media_s": 1200, "own_shard_s": 15, "embedding_media_s": 6000},
        "levels": levels,
        "split": {"strategy": "actor", "folds": 5},
        "systems": {"audio": list(systems), "video": [], "fusion": []},
        "training_arms": [],
    }
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "bench_config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def csv_corpus_settings() -> tuple[dict, int]:
    """The audio settings and seed the workflow's jobs get for the bench's csv corpus:
    config.yaml's real-corpus defaults (its demo_sizes block applies to the demo corpus
    only), so that the bare script searches the workflow's grid."""
    from emoagree.settings import sized_config

    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    settings = sized_config({**base, "corpus": {**base["corpus"], "format": "csv"}}, {})
    return settings["audio"], int(settings["seed"])


# -- runs -----------------------------------------------------------------------------------

def snakemake(workdir: Path, config: Path, cores: int, *args: str) -> float:
    """Wall seconds of one snakemake run (DAG build included)."""
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d",
               str(workdir), "--cores", str(cores), *args, "--configfile", str(config)]
    started = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True, cwd=workdir)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}")
    return time.perf_counter() - started


def fresh(workdir: Path) -> Path:
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    return workdir


#: the shard job's own CPU count (emoagree.audio.stretches.extract_shard_stretches)
JOB_CPU = re.compile(r"functionals: job CPU ([0-9.]+) s")


def extraction_parallelism(workdir: Path) -> tuple[int, float, float, float, float]:
    """Shard jobs, their summed CPU seconds (the jobs' own count, from their logs), the
    extraction's wall window, CPU / window, and the CPU seconds of Snakemake's benchmark
    files (sampled every 0.5 s, so short of a job's last moments).

    A job's end is its log file's last write, its start that end minus its wall time."""
    spans, cpu, sampled = [], 0.0, 0.0
    for bench in sorted((workdir / "benchmarks/audio/functionals").glob("shard-*.tsv")) + sorted(
            (workdir / "benchmarks/audio/functionals").glob("rec-*.tsv")):
        row = pd.read_csv(bench, sep="\t").iloc[0]
        log_file = workdir / "logs/audio/functionals" / f"{bench.stem}.log"
        end = log_file.stat().st_mtime
        spans.append((end - float(row["s"]), end))
        sampled += float(row["cpu_time"])
        own = JOB_CPU.findall(log_file.read_text())
        if not own:
            raise SystemExit(f"{log_file}: no 'job CPU' line (a shard job of an older checkout?)")
        cpu += float(own[-1])
    window = max(e for _, e in spans) - min(s for s, _ in spans)
    return len(spans), cpu, window, cpu / window, sampled


def workflow_uar(workdir: Path, system: str) -> float:
    metrics = json.loads((workdir / f"results/metrics/{system}/train1/test1.json").read_text())
    return float(metrics["uar"])


def bare_study(corpus: Path, level_csv: Path, audio: dict, cores: int, seed: int
               ) -> tuple[dict[str, float], float, float]:
    """The bare script: functionals of every clip on ``cores`` threads, then per outer fold
    GridSearchCV(GroupKFold by speaker). Returns UAR per system, extraction and total
    seconds (table reading and imports not timed)."""
    import opensmile

    from emoagree.contracts.levels import MODEL_COLUMNS, read_level
    from emoagree.levels.folds import fold_view
    from emoagree.training.selection import uar_score

    table = read_level(level_csv, MODEL_COLUMNS)
    recordings = pd.read_csv(corpus / "recordings.csv", dtype=str, keep_default_na=False)
    wavs = dict(zip(recordings["recording"], recordings["audio_path"], strict=True))
    started = time.perf_counter()
    local = threading.local()

    def functionals(clip: str) -> np.ndarray:
        if not hasattr(local, "smile"):
            local.smile = opensmile.Smile(feature_set=opensmile.FeatureSet.ComParE_2016,
                                          feature_level=opensmile.FeatureLevel.Functionals)
        signal, rate = sf.read(corpus / wavs[clip], dtype="float32")
        return local.smile.process_signal(signal, rate).to_numpy()[0]

    clips = sorted(set(table["recording"]))
    with ThreadPoolExecutor(max_workers=cores) as pool:
        features = dict(zip(clips, pool.map(functionals, clips), strict=True))
    extraction = time.perf_counter() - started
    X = np.stack([features[r] for r in table["recording"]])
    n_folds = int(table["fold"].max()) + 1
    uars = {}
    for system in SYSTEMS:
        truth, predicted = [], []
        for fold in range(n_folds):
            view = fold_view(table, fold, n_folds)
            test = (view["split"] == "test").to_numpy()
            fit = ~test
            labels = view["emotion"].to_numpy(dtype=object)
            groups = view["actor"].astype(str).to_numpy()[fit]
            n_splits = min(int(audio["inner_folds"]), len(set(groups)))
            smallest = int(fit.sum()) * (n_splits - 1) // n_splits
            grid = sorted({min(int(n), smallest - 1) for n in audio["pca_grid"] if n})
            search = sklearn_search(system, {**audio, "pca_grid": grid}, seed, n_splits)
            search.n_jobs = cores
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                search.fit(X[fit], labels[fit], groups=groups)
            truth.append(labels[test])
            predicted.append(search.predict(X[test]))
        uars[system] = uar_score(np.concatenate(truth), np.concatenate(predicted))
    return uars, extraction, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1000)
    parser.add_argument("--speakers", type=int, default=12)
    parser.add_argument("--raters", type=int, default=5, help="levels 1..raters")
    parser.add_argument("--cores", type=int, default=2, help="workflow cores = bare threads")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the corpus and runs go (default: a fresh temp folder)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--skip-study", action="store_true",
                        help="only (b) and (d): the feature stage over levels")
    parser.add_argument("--skip-features", action="store_true",
                        help="only (a) and (c): the study and the bare script")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if args.workdir is None:
        import tempfile

        args.workdir = Path(tempfile.mkdtemp(prefix="clip_study_"))
    workdir = args.workdir.resolve()
    corpus = workdir / f"corpus{args.clips}"
    started = time.perf_counter()
    if not (corpus / "recordings.csv").exists():
        generate(corpus, args.clips, args.speakers, args.raters, seed=args.seed)
    print(f"corpus: {args.clips} clips (2-4 s, audio), {args.speakers} speakers, "
          f"{args.raters} raters per clip, in {corpus} "
          f"({time.perf_counter() - started:.1f} s to generate); {args.cores} core(s), "
          f"load average at start {os.getloadavg()[0]:.1f}")

    audio, seed = csv_corpus_settings()

    if not args.skip_study:
        # (a, c) the audio classic study, then the bare script, back to back
        study = fresh(workdir / "study")
        config = write_config(study, corpus, [1])
        targets = [f"results/metrics/{s}/train1/test1.json" for s in SYSTEMS]
        study_wall = snakemake(study, config, args.cores, *targets)
        bare_uars, bare_extraction, bare_wall = bare_study(
            corpus, study / "results/corpus/levels/level1.csv", audio, args.cores, seed)
        print(f"\n(a) classic audio UAR %, level 1, {args.raters} raters, speaker-split 5 folds "
              f"(PCA grid {audio['pca_grid']}):")
        print(f"{'system':<12}{'workflow':>10}{'bare':>8}{'diff':>8}")
        for system in SYSTEMS:
            ours, theirs = workflow_uar(study, system), bare_uars[system]
            print(f"{system:<12}{100 * ours:>10.1f}{100 * theirs:>8.1f}"
                  f"{100 * (ours - theirs):>+8.1f}")
        print(f"\n(c) audio classic study, seconds: workflow {study_wall:.1f} (from scratch, "
              f"corpus stages and DAG included), bare script {bare_wall:.1f} (of which "
              f"extraction {bare_extraction:.1f}); ratio {study_wall / bare_wall:.2f} "
              "(target <= 1.3)")

    # (b, d) the feature stage over levels
    all_levels = list(range(1, args.raters + 1))
    walls = {}
    if args.skip_features:
        print(f"\nload average at end {os.getloadavg()[0]:.1f}; total "
              f"{time.perf_counter() - started:.0f} s")
        return 0
    for levels in (all_levels, [1]):
        run = fresh(workdir / f"features{len(levels)}")
        walls[len(levels)] = snakemake(run, write_config(run, corpus, levels), args.cores,
                                       "--until", "audio_functionals")
        if levels == all_levels:
            n_jobs, cpu, window, parallelism, sampled = extraction_parallelism(run)
            extracted = sum(json.loads(p.read_text())["n_extracted"] for p in
                            (run / FUNCTIONALS / "shards").glob("*.json"))
            intervals = sum(len(pd.read_csv(run / f"results/corpus/levels/level{k}.csv"))
                            for k in levels)
    print(f"\n(b) feature stage (snakemake --until audio_functionals, from scratch), "
          f"seconds: levels {all_levels} {walls[len(all_levels)]:.1f}, levels [1] "
          f"{walls[1]:.1f}; ratio {walls[len(all_levels)] / walls[1]:.2f} (target <= 1.2); "
          f"{intervals} intervals over the levels, {extracted} stretches extracted")
    print(f"(d) extraction parallelism on {args.cores} core(s): {n_jobs} shard job(s), "
          f"{cpu:.1f} CPU s (the jobs' own count; Snakemake's sampled benchmarks: "
          f"{sampled:.1f}) over {window:.1f} s wall = {parallelism:.2f} (target >= 1.8 on "
          "2 cores)")
    print(f"\nload average at end {os.getloadavg()[0]:.1f}; total "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
