"""Partial reruns, measured: job counts and wall time of a level-3 change against a full run.

    .venv/bin/python bench/partial_rerun.py [--config tests/configs/tiny.yaml] [--cores 2]

Runs the study once in a temporary folder (levels 1-4), then prints the number of jobs
``snakemake -n`` plans for (a) the full run, (b) a change of level 3's settings only and
(c) adding level 5, and runs (b) for real to compare its wall time with the full run's.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def snakemake(workdir: Path, configs: list[Path], *args: str) -> str:
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d",
               str(workdir), "--configfile", *map(str, configs), *args]
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir)
    if result.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return result.stdout + result.stderr


def planned_job_count(output: str) -> int:
    match = re.search(r"^total\s+(\d+)", output, re.MULTILINE)
    return int(match.group(1)) if match else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "tests/configs/tiny.yaml")
    parser.add_argument("--cores", default="2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="partial-rerun-") as tmp:
        workdir = Path(tmp)
        base = workdir / "levels.yaml"
        base.write_text("levels: [1, 2, 3, 4]\n")
        change = workdir / "level3.yaml"
        change.write_text(
            "levels: [1, 2, 3, 4]\nlevel_overrides:\n  '3': {min_duration_s: 0.25}\n"
        )
        added = workdir / "level5.yaml"
        added.write_text("levels: [1, 2, 3, 4, 5]\n")
        configs = [args.config.resolve()]

        full_jobs = planned_job_count(snakemake(workdir, [*configs, base], "-n"))
        start = time.perf_counter()
        snakemake(workdir, [*configs, base], "--cores", args.cores)
        full_s = time.perf_counter() - start

        change_jobs = planned_job_count(snakemake(workdir, [*configs, change], "-n"))
        added_jobs = planned_job_count(snakemake(workdir, [*configs, added], "-n"))
        start = time.perf_counter()
        snakemake(workdir, [*configs, change], "--cores", args.cores)
        change_s = time.perf_counter() - start

    print(f"config: {args.config}")
    print(f"jobs, full run (levels 1-4):          {full_jobs}")
    print(f"jobs, level 3's settings changed:     {change_jobs} "
          f"({change_jobs / full_jobs:.0%} of the full run)")
    print(f"jobs, level 5 added:                  {added_jobs} "
          f"({added_jobs / full_jobs:.0%} of the full run)")
    print(f"wall time, full run:                  {full_s:.1f} s")
    print(f"wall time, level-3 rerun:             {change_s:.1f} s "
          f"(ratio {change_s / full_s:.2f})")


if __name__ == "__main__":
    main()
