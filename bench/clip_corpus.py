"""Clip-corpus benchmark: the feature stages on thousands of short clips (run from the repo
root; prints measured figures).

    .venv/bin/python bench/clip_corpus.py [--clips 1000] [--plan-clips 1000 10000]
                                          [--cores 1] [--workdir DIR]

1. Generates a csv corpus of ``--clips`` clips of 2-4 s (audio and video) from the demo
   generator's voices and faces (``emoagree.corpus.demo``), one emotion per clip, rated
   by three simulated annotators.
2. Runs the feature stages through the workflow (``snakemake --until audio_lld``, then
   ``video_faces``, then ``video_embeddings``; each invocation timed whole, DAG build
   included) and the same library calls in one bare in-process loop, and prints the
   wall-time ratio workflow / bare loop per stage.
3. Plans the full study (all systems, ``snakemake -n``) on ``--plan-clips`` clips (the
   larger corpora reuse the generated media under new ids) and prints the feature jobs
   planned, all jobs planned and the DAG build time.

Both sides get the same cores: the workflow ``--cores N``, the bare loop N threads.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from emoagree.constants import DEFAULT_EMOTIONS  # noqa: E402
from emoagree.corpus.demo.actors import make_actor  # noqa: E402
from emoagree.corpus.demo.audio import mix_microphone, synthesize_voice  # noqa: E402
from emoagree.corpus.demo.timeline import CONTROL_RATE  # noqa: E402
from emoagree.corpus.demo.video import expression_track, write_video  # noqa: E402

EMOTIONS = list(DEFAULT_EMOTIONS)
FEATURE_RULES = ("audio_lld", "video_faces", "video_embeddings")
ACTORS = ("F01", "M02", "F03", "M04", "F05", "M06", "F07", "M08")


# -- the corpus ---------------------------------------------------------------------------

def clip_curves(emotion: str, duration_s: float, strength: float) -> np.ndarray:
    """Expressed intensity per emotion: one emotion over the whole clip, smooth ramps."""
    n = int(np.ceil(duration_s * CONTROL_RATE))
    t = np.arange(n) / CONTROL_RATE
    shape = np.clip(np.minimum(t, duration_s - t) / 0.3, 0, 1)
    curves = np.zeros((len(EMOTIONS), n))
    curves[EMOTIONS.index(emotion)] = strength * shape * shape * (3 - 2 * shape)
    return curves


def write_clip(media: Path, clip: str, actor_name: str, emotion: str, duration_s: float,
               seed: int, sample_rate: int, frame_size: tuple[int, int], fps: int) -> None:
    rng = np.random.default_rng([seed, int(clip.removeprefix("clip"))])
    actor = make_actor(actor_name, seed)
    curves = clip_curves(emotion, duration_s, float(rng.uniform(0.5, 1.0)))
    speaking = np.ones(curves.shape[1], dtype=bool)
    speaking[: int(0.2 * CONTROL_RATE)] = False
    speech, envelope = synthesize_voice(actor, curves, EMOTIONS, speaking, duration_s,
                                        sample_rate, rng)
    mic = mix_microphone(speech, np.zeros_like(speech), sample_rate, rng)
    sf.write(media / f"{clip}.wav", mic, sample_rate, subtype="PCM_16", format="WAV")
    frames = int(round(duration_s * fps))
    track = expression_track(curves, EMOTIONS, actor, envelope, fps, frames, rng)
    write_video(str(media / f"{clip}.mov"), frame_size, fps, actor, track)


def generate(root: Path, n_clips: int, seed: int = 2021, sample_rate: int = 16000,
             frame_size: tuple[int, int] = (160, 120), fps: int = 25) -> pd.DataFrame:
    """Write a csv corpus of ``n_clips`` clips under ``root``; returns recordings.csv.

    ``duration_s`` and ``fps`` are left empty, as in most lab corpora: the workflow reads
    them from the media.
    """
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows, marks = [], []
    for i in range(n_clips):
        clip = f"clip{i:05d}"
        actor = ACTORS[i % len(ACTORS)]
        emotion = EMOTIONS[int(rng.integers(len(EMOTIONS)))]
        duration = round(float(rng.uniform(2.0, 4.0)), 2)
        write_clip(media, clip, actor, emotion, duration, seed, sample_rate, frame_size, fps)
        rows.append((clip, actor, "clips", f"media/{clip}.wav", f"media/{clip}.mov"))
        for annotator in ("A1", "A2", "A3"):
            label = emotion if rng.random() < 0.8 else EMOTIONS[int(rng.integers(6))]
            marks.append((clip, annotator, label, 0.0, duration))
    recordings = pd.DataFrame(rows, columns=["recording", "actor", "scenario", "audio_path",
                                             "video_path"])
    recordings["duration_s"] = ""
    recordings["fps"] = ""
    recordings.to_csv(root / "recordings.csv", index=False)
    pd.DataFrame(marks, columns=["recording", "annotator", "emotion", "start_s", "end_s"]
                 ).to_csv(root / "annotations.csv", index=False)
    return recordings


def enlarge(source: Path, target: Path, n_clips: int) -> None:
    """A corpus of ``n_clips`` clips that reuses ``source``'s media (hard links) and marks."""
    recordings = pd.read_csv(source / "recordings.csv", dtype=str, keep_default_na=False)
    marks = pd.read_csv(source / "annotations.csv", dtype={"recording": str})
    (target / "media").mkdir(parents=True, exist_ok=True)
    rows, all_marks = [], []
    for i in range(n_clips):
        row = recordings.iloc[i % len(recordings)].copy()
        clip = f"clip{i:05d}"
        for column, ext in (("audio_path", "wav"), ("video_path", "mov")):
            link = target / "media" / f"{clip}.{ext}"
            if not link.exists():
                os.link(source / row[column], link)
            row[column] = f"media/{clip}.{ext}"
        all_marks.append(marks[marks["recording"] == row["recording"]].assign(recording=clip))
        row["recording"] = clip
        rows.append(row)
    pd.DataFrame(rows).to_csv(target / "recordings.csv", index=False)
    pd.concat(all_marks).to_csv(target / "annotations.csv", index=False)


def write_config(workdir: Path, corpus: Path, shard_media_s: float) -> Path:
    # a configured emotion nobody marked is refused: configure those the clips carry
    labels = set(pd.read_csv(corpus / "annotations.csv")["emotion"])
    config = {
        "emotions": [e for e in EMOTIONS if e in labels],
        "corpus": {"format": "csv", "path": str(corpus)},
        # the clip-corpus sizes (config.yaml's are sized for the demo's 15 s dialogues)
        "features": {"shard_media_s": shard_media_s, "own_shard_s": 15,
                     "embedding_media_s": 6000},
        "levels": [1, 2, 3],  # three annotators per clip
        "split": {"strategy": "stratified"},
    }
    path = workdir / "bench_config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


# -- runs -----------------------------------------------------------------------------------

def snakemake(workdir: Path, config: Path, *args: str) -> tuple[str, float]:
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d",
               str(workdir), *args, "--configfile", str(config)]
    started, cpu = time.perf_counter(), _children_cpu()
    run = subprocess.run(command, capture_output=True, text=True, cwd=workdir)
    elapsed = time.perf_counter() - started
    LAST_CPU_S[0] = _children_cpu() - cpu
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}")
    return run.stdout + run.stderr, elapsed


#: CPU seconds (user + system) of the last snakemake run and every job it waited for.
LAST_CPU_S = [0.0]


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def job_counts(output: str) -> dict[str, int]:
    table = output[output.index("Job stats:"):]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


def plan(workdir: Path, config: Path) -> tuple[dict[str, int], float]:
    output, elapsed = snakemake(workdir, config, "-n", "--cores", "1", "--forceall")
    return job_counts(output), elapsed


def workflow_stage(workdir: Path, config: Path, cores: int, rule: str) -> tuple[float, float]:
    """Wall and CPU seconds of one feature stage through the workflow (DAG build included)."""
    _, wall = snakemake(workdir, config, "--until", rule, "--cores", str(cores),
                        "--resources", "gpu=1")
    return wall, LAST_CPU_S[0]


BENCHMARKS = {"audio_lld": "audio/lld/*.tsv", "video_faces": "video/faces/*.tsv",
              "video_embeddings": "video/embeddings/*/*.tsv"}


def job_seconds(workdir: Path) -> dict[str, tuple[int, float]]:
    """Per feature rule: the number of jobs and their summed wall time (benchmark files)."""
    out = {}
    for rule, pattern in BENCHMARKS.items():
        files = sorted((workdir / "benchmarks").glob(pattern))
        out[rule] = (len(files), sum(float(pd.read_csv(f, sep="\t")["s"].iloc[0])
                                     for f in files))
    return out


class BareLoop:
    """The same library calls in one process, one recording after another, per stage."""

    def __init__(self, workdir: Path, corpus: Path, cores: int, settings: dict):
        self.corpus, self.cores = corpus, cores
        self.recordings = pd.read_csv(corpus / "recordings.csv", dtype=str,
                                      keep_default_na=False)
        marks = pd.read_csv(corpus / "annotations.csv", dtype={"recording": str})
        self.spans = marks.groupby("recording").agg(start=("start_s", "min"),
                                                    end=("end_s", "max"))
        self.out = workdir / "bare"
        for sub in ("lld", "faces", "embeddings"):
            (self.out / sub).mkdir(parents=True, exist_ok=True)
        self.audio, self.video = settings["audio"], settings["video"]
        # imports are not timed (a script pays them once)
        import cv2  # noqa: F401
        import opensmile  # noqa: F401
        import torch  # noqa: F401

        import emoagree.video.backbones  # noqa: F401

    def run(self, rule: str) -> tuple[float, float]:
        """Wall and CPU seconds of one stage."""
        wall, cpu = time.perf_counter(), time.process_time()
        getattr(self, rule)()
        return time.perf_counter() - wall, time.process_time() - cpu

    def audio_lld(self) -> None:
        from emoagree.audio.io import read_wav
        from emoagree.audio.lld import extract_lld, lld_extractors, save_lld

        mfcc_config = ROOT / self.audio["mfcc_config"]
        extractors = lld_extractors(mfcc_config)
        for row in self.recordings.itertuples(index=False):
            signal, rate = read_wav(self.corpus / row.audio_path)
            save_lld(extract_lld(signal, rate, mfcc_config, threads=min(2, self.cores),
                                 extractors=extractors),
                     self.out / "lld" / f"{row.recording}.npz")

    def video_faces(self) -> None:
        import cv2

        from emoagree.video.detector import FaceDetector, locate_detector_files
        from emoagree.video.faces import extract_faces

        cv2.setNumThreads(1)
        video, detector_cfg = self.video, self.video["detector"]
        detector = FaceDetector(*locate_detector_files(detector_cfg),
                                detector_cfg["confidence"])
        for row in self.recordings.itertuples(index=False):
            span = self.spans.loc[row.recording]
            track = extract_faces(
                self.corpus / row.video_path, [(float(span.start), float(span.end))],
                detector,
                steps={str(k): int(v) for k, v in video["sampling"]["steps"].items()},
                target_fps=float(video["sampling"]["target_fps"]),
                margin=float(detector_cfg["margin"]), crop_size=int(detector_cfg["crop_size"]),
            )
            track.save(self.out / "faces" / f"{row.recording}.npz")

    def video_embeddings(self) -> None:
        import torch

        from emoagree.video.backbones import create_backbone
        from emoagree.video.embeddings import embed_track, save_embeddings
        from emoagree.video.faces import FaceTrack

        torch.set_num_threads(self.cores)
        cfg = self.video["vggf_rf"]
        model = create_backbone(cfg["backbone"], cfg["weights"], num_classes=0)
        for row in self.recordings.itertuples(index=False):
            track = FaceTrack.load(self.out / "faces" / f"{row.recording}.npz")
            embeddings = embed_track(model, track, image_size=int(cfg["image_size"]),
                                     batch_size=int(cfg["batch_size"]), device="cpu")
            save_embeddings(self.out / "embeddings" / f"{row.recording}.npz", track,
                            embeddings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=1000, help="clips generated and run")
    parser.add_argument("--plan-clips", type=int, nargs="*", default=[1000, 10000],
                        help="corpus sizes planned with -n (full study, all systems)")
    parser.add_argument("--cores", type=int, default=1, help="workflow cores = bare threads")
    parser.add_argument("--shard-media-s", type=float, default=1200.0,
                        help="features.shard_media_s of the runs and plans")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where corpora and results go (default: a fresh temp folder)")
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--skip-run", action="store_true", help="only generate and plan")
    parser.add_argument("--stages", nargs="+", choices=FEATURE_RULES, default=FEATURE_RULES,
                        help="stages to time (embeddings need video_faces)")
    args = parser.parse_args(argv)
    if "video_embeddings" in args.stages and "video_faces" not in args.stages:
        parser.error("--stages video_embeddings needs video_faces (it embeds the faces)")

    if args.workdir is None:
        import tempfile

        args.workdir = Path(tempfile.mkdtemp(prefix="clip_bench_"))
    workdir = args.workdir.resolve()
    corpus = workdir / f"corpus{args.clips}"
    started = time.perf_counter()
    if not (corpus / "recordings.csv").exists():
        generate(corpus, args.clips, seed=args.seed)
    print(f"corpus: {args.clips} clips (2-4 s, audio + video) in {corpus} "
          f"({time.perf_counter() - started:.1f} s to generate)")
    settings = yaml.safe_load((ROOT / "config.yaml").read_text())

    if not args.skip_run:
        run_dir = workdir / "run"
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir()
        config = write_config(run_dir, corpus, args.shard_media_s)
        snakemake(run_dir, config, "--until", "corpus_normalize", "--cores", str(args.cores))
        bare = BareLoop(workdir, corpus, args.cores, settings)
        # each stage through the workflow, then the same stage bare, right after it: the
        # two see about the same load on a shared machine
        flow, loop = {}, {}
        stages = [rule for rule in FEATURE_RULES if rule in args.stages]
        for rule in stages:
            flow[rule] = workflow_stage(run_dir, config, args.cores, rule)
            loop[rule] = bare.run(rule)
        jobs = job_seconds(run_dir)
        print(f"\nfeature stages, {args.clips} clips, {args.cores} core(s), seconds")
        print("  workflow: the whole `snakemake --until RULE` run, DAG build included (wall,")
        print("  and CPU of snakemake and its jobs); jobs: the shard jobs' summed wall time")
        print(f"{'stage':<18}{'workflow':>10}{'bare loop':>11}{'ratio':>8}"
              f"{'jobs':>6}{'jobs (s)':>10}{'CPU wf':>8}{'CPU bare':>10}{'ratio':>8}")
        for rule in stages:
            n_jobs, job_s = jobs[rule]
            (wall, cpu), (bare_wall, bare_cpu) = flow[rule], loop[rule]
            print(f"{rule:<18}{wall:>10.1f}{bare_wall:>11.1f}{wall / bare_wall:>8.2f}"
                  f"{n_jobs:>6}{job_s:>10.1f}{cpu:>8.1f}{bare_cpu:>10.1f}"
                  f"{cpu / bare_cpu:>8.2f}")

    print("\nplanned full study (all systems), snakemake -n --forceall")
    print(f"{'clips':>7}{'feature jobs':>14}{'all jobs':>10}{'DAG build (s)':>15}")
    for n in args.plan_clips:
        plan_corpus = corpus if n == args.clips else workdir / f"corpus{n}"
        if not (plan_corpus / "recordings.csv").exists():
            enlarge(corpus, plan_corpus, n)
        plan_dir = workdir / f"plan{n}"
        plan_dir.mkdir(exist_ok=True)
        counts, elapsed = plan(plan_dir, write_config(plan_dir, plan_corpus,
                                                      args.shard_media_s))
        features = sum(counts.get(rule, 0) for rule in FEATURE_RULES)
        print(f"{n:>7}{features:>14}{counts.get('total', 0):>10}{elapsed:>15.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
