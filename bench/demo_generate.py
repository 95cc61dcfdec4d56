"""Measure the demo corpus generator at the configured size and print its level shape.

Usage: .venv/bin/python bench/demo_generate.py [--config config.yaml] [--out DIR]
       [--one-core] [--levels-only] [--seeds 2021 7 ...]

Prints the wall time of generate_demo (pinned to one CPU with --one-core), then per
agreement level 1..5: interval count, ratio to level 1 next to RAMAS's train counts
ratio (1 : .67 : .60 : .56 : .46), mean length, and the share of interval time whose
label matches the hidden truth, Krippendorff's alpha (0.1 s frames) beside RAMAS's; the
share of level-1 intervals that all annotators agree on; and the split's shape: sessions
(the clusters the answer resamples), split units under the config's split (with its
split.guard_s) per session and per fold, and the smallest gap between units of one session
in different folds. --levels-only skips the media (the level figures need only the plan,
truth and marks).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from emoagree.corpus.demo import generate_demo, simulate_corpus  # noqa: E402
from emoagree.corpus.demo.plan import demo_settings  # noqa: E402
from emoagree.levels.agreement import level_alpha  # noqa: E402
from emoagree.levels.build import agreement_intervals, level_table  # noqa: E402
from emoagree.levels.folds import n_folds  # noqa: E402
from emoagree.levels.overlap import cross_part_overlap  # noqa: E402
from emoagree.levels.split import make_split  # noqa: E402
from emoagree.levels.truth import label_accuracy  # noqa: E402

RAMAS_RATIOS = (1.0, 1632 / 2448, 1462 / 2448, 1369 / 2448, 1130 / 2448)
RAMAS_ALPHA = (0.73, 0.81, 0.85, 0.89, 0.94)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    repo = Path(__file__).resolve().parents[1]
    parser.add_argument("--config", default=str(repo / "config.yaml"))
    parser.add_argument("--out", default=None, help="corpus root (default: a temporary folder)")
    parser.add_argument("--one-core", action="store_true", help="pin the process to one CPU")
    parser.add_argument("--seeds", type=int, nargs="*", default=None,
                        help="extra seeds for the level shape (media-free, fast)")
    parser.add_argument("--levels-only", action="store_true", help="skip writing the media")
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    demo, emotions, seed = config["corpus"]["demo"], config["emotions"], config["seed"]
    if args.one_core and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        import cv2

        cv2.setNumThreads(1)
    cfg = demo_settings(demo)
    print(f"size: {cfg.n_actors} actors, {cfg.n_dialogues} dialogues, {cfg.duration_s:g} s, "
          f"{cfg.frame_size[0]}x{cfg.frame_size[1]}, {cfg.n_annotators} annotators")
    if not args.levels_only:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(args.out or tmp) / "demo_ramas"
            began, cpu = time.perf_counter(), time.process_time()
            generate_demo(root, demo, emotions, seed, threads=1, log=lambda message: None)
            seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
            size_mb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6
        where = "one core" if args.one_core else "all cores"
        print(f"generate_demo: {seconds:.1f} s wall, {cpu:.1f} s CPU ({where}, load average "
              f"{os.getloadavg()[0]:.1f}), {size_mb:.1f} MB written")
    for one_seed in [seed, *(args.seeds or [])]:
        _, truth, marks = simulate_corpus(demo, emotions, one_seed)
        print(f"\nseed {one_seed}: {len(truth)} true episodes, {len(marks)} raw marks")
        print("level  count  ratio  (RAMAS)  mean_len_s  truth_share  alpha  (RAMAS)")
        first = None
        for level in range(1, 6):
            table = agreement_intervals(marks, level, emotions)
            first = first or len(table)
            print(f"{level:5d}  {len(table):5d}  {len(table) / first:5.2f}  "
                  f"({RAMAS_RATIOS[level - 1]:4.2f})  {table['duration_s'].mean():10.2f}  "
                  f"{label_accuracy(table, truth):11.3f}  "
                  f"{level_alpha(table, marks, emotions, 0.1).alpha:5.2f}  "
                  f"({RAMAS_ALPHA[level - 1]:.2f})")
        unanimous = len(agreement_intervals(marks, cfg.n_annotators, emotions))
        print(f"unanimous ({cfg.n_annotators}/{cfg.n_annotators}) intervals: {unanimous} "
              f"= {unanimous / first:.2f} of level 1")
        print_split_shape(config, marks, one_seed)


def print_split_shape(config: dict, marks, seed: int) -> None:
    """Sessions, split units per session and per fold, level sizes per fold, closest gap."""
    plan, _, _ = simulate_corpus(config["corpus"]["demo"], config["emotions"], seed)
    recordings = plan[["recording", "actor", "scenario"]].assign(
        session=plan["date"] + "_" + plan["scenario"]  # as the RAMAS adapter reads it
    )
    split_config, emotions = config["split"], config["emotions"]
    folds, guard = n_folds(split_config), float(split_config.get("guard_s", 2.0))
    split = make_split(
        marks, recordings, emotions, split_config["strategy"], split_config["test_fraction"],
        split_config["val_fraction"], seed, unit=split_config.get("unit", "segment"),
        folds=folds, guard_s=guard,
    )
    per_session = split.groupby("session")["unit"].nunique()
    per_fold = split.groupby("fold")["unit"].nunique()
    print(f"split: {recordings['session'].nunique()} sessions, {split['unit'].nunique()} units "
          f"(guard {guard:g} s; {per_session.min()}-{per_session.max()} per session), units "
          f"per fold {per_fold.tolist()}")
    tables = [level_table(marks, recordings, k, split, emotions) for k in range(1, 6)]
    for level, table in enumerate(tables, start=1):
        counts = table.groupby("fold").size().reindex(range(folds), fill_value=0).tolist()
        print(f"  level {level}: intervals per fold {counts}")
    gaps = cross_part_overlap(tables, folds)["min_gap_s"]
    print(f"smallest gap between test and train/val time of one session: {gaps.min():.2f} s")


if __name__ == "__main__":
    main()
