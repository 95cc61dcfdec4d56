"""Wall time of a workflow run by stage, from the rules' benchmark files.

Every rule writes ``benchmarks/<stage>/<rule>/...tsv`` (Snakemake's ``benchmark:``; the
``s`` column is the job's wall time in seconds). This script groups the files by stage
and prints, per stage: jobs, summed job wall time, summed job CPU seconds (``cpu_time``:
what a stage costs whatever else the machine runs; on a shared machine judge by it, as
wall times stretch with the load), the longest job, the elapsed span (first job start to
last job end, from the files' modification times: what the stage cost on the clock with
parallel jobs) and its share of the summed total. ``--by folder`` prints the same per
benchmark folder (one rule, e.g. ``audio/predict``) instead of per stage. Spans are only
meaningful for benchmark files of one run: start from a fresh ``benchmarks/`` folder.

Usage::

    .venv/bin/snakemake --cores 2            # a full demo run
    .venv/bin/python bench/stage_times.py    # then read its benchmark files
    .venv/bin/python bench/stage_times.py --run --cores 2   # or both, timed
    .venv/bin/python bench/stage_times.py --by folder       # per rule folder
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

#: Stages in pipeline order; a benchmark file's stage is the first path part under
#: benchmarks/ that names one, else the first path part itself.
STAGES = ("corpus", "demo", "levels", "audio", "video", "fusion", "evaluation", "report")


def stage_of(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    for part in parts[:-1]:
        for stage in STAGES:
            if part == stage or part.startswith(f"{stage}_"):
                return stage
    first = parts[0] if len(parts) > 1 else path.stem
    for stage in STAGES:
        if first.startswith(stage):
            return stage
    return first


def collect(root: Path) -> pd.DataFrame:
    """One row per benchmark file: stage, seconds, start and end time."""
    rows = []
    for path in sorted(root.rglob("*.tsv")):
        table = pd.read_csv(path, sep="\t")
        if "s" not in table.columns or table.empty:
            raise ValueError(f"{path}: not a Snakemake benchmark file (no 's' column)")
        seconds = float(table["s"].iloc[-1])
        cpu = float(table["cpu_time"].iloc[-1]) if "cpu_time" in table.columns else float("nan")
        end = path.stat().st_mtime
        rows.append(
            {
                "stage": stage_of(path, root),
                "folder": str(path.parent.relative_to(root)),
                "file": str(path),
                "s": seconds,
                "cpu_s": cpu,
                "start": end - seconds,
                "end": end,
            }
        )
    return pd.DataFrame(
        rows, columns=["stage", "folder", "file", "s", "cpu_s", "start", "end"]
    )


def summarise(jobs: pd.DataFrame, by: str = "stage") -> pd.DataFrame:
    """Per stage (or per ``folder``): jobs, summed wall seconds, summed CPU seconds (NaN
    without ``cpu_time``), longest job, elapsed span, share of the summed wall time."""
    grouped = jobs.groupby(by)
    summary = pd.DataFrame(
        {
            "jobs": grouped.size(),
            "sum_s": grouped["s"].sum(),
            "cpu_s": grouped["cpu_s"].sum(min_count=1),
            "max_job_s": grouped["s"].max(),
            "span_s": grouped["end"].max() - grouped["start"].min(),
        }
    )
    summary["share"] = summary["sum_s"] / summary["sum_s"].sum()
    if by != "stage":
        return summary.sort_values("cpu_s", ascending=False, na_position="last")
    order = [s for s in STAGES if s in summary.index]
    order += sorted(s for s in summary.index if s not in STAGES)
    return summary.loc[order]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="benchmarks", help="benchmark folder")
    parser.add_argument("--run", action="store_true", help="run snakemake first, timed")
    parser.add_argument("--cores", default="2")
    parser.add_argument("--by", choices=("stage", "folder"), default="stage",
                        help="group per stage or per benchmark folder (rule)")
    args = parser.parse_args(argv)
    elapsed = None
    if args.run:
        started = time.perf_counter()
        subprocess.run(
            [str(Path(sys.executable).with_name("snakemake")), "--cores", args.cores], check=True
        )
        elapsed = time.perf_counter() - started
    root = Path(args.root)
    if not root.is_dir():
        print(f"no benchmark folder {root}: run the workflow first", file=sys.stderr)
        return 1
    jobs = collect(root)
    if jobs.empty:
        print(f"{root} holds no benchmark files", file=sys.stderr)
        return 1
    summary = summarise(jobs, args.by)
    print(summary.to_string(float_format=lambda v: f"{v:.2f}"))
    total = jobs["s"].sum()
    span = jobs["end"].max() - jobs["start"].min()
    print(
        f"\ntotal: {len(jobs)} jobs, {total:.1f} s summed job wall time, "
        f"{jobs['cpu_s'].sum(min_count=1):.1f} s summed job CPU time, "
        f"{span:.1f} s from first job start to last job end "
        f"(parallelism {total / span if span > 0 else float('nan'):.2f}x)"
    )
    if elapsed is not None:
        print(f"snakemake run: {elapsed:.1f} s wall clock")
    return 0


if __name__ == "__main__":
    sys.exit(main())
