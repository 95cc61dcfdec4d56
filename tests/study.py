"""Running the workflow from tests: snakemake in a temporary working directory."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO / "tests" / "configs" / "tiny.yaml"


def snakemake(workdir: Path, *args: str, configfiles=(TINY_CONFIG,), timeout: int = 1500):
    """Run snakemake on the repo's Snakefile in ``workdir``; fail with its output on error."""
    command = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(REPO / "Snakefile"),
        "-d",
        str(workdir),
        *args,
        "--configfile",  # last: it takes every word up to the next option
        *[str(c) for c in configfiles],
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=workdir)
    if result.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
        )
    return result.stdout + result.stderr


@dataclass(frozen=True)
class PlannedJob:
    rule: str
    outputs: tuple[str, ...]
    wildcards: dict


def planned_jobs(dry_run_output: str) -> list[PlannedJob]:
    """Jobs listed by ``snakemake -n`` (rule, outputs, wildcards), the target rule excluded."""
    jobs = []
    blocks = re.split(r"^(?:local)?rule (\w+):\s*$", dry_run_output, flags=re.MULTILINE)
    for rule, body in zip(blocks[1::2], blocks[2::2], strict=True):
        outputs = re.search(r"^\s+output: (.*)$", body, re.MULTILINE)
        wildcards = re.search(r"^\s+wildcards: (.*)$", body, re.MULTILINE)
        parsed = {}
        if wildcards:
            for pair in wildcards.group(1).split(", "):
                key, _, value = pair.partition("=")
                parsed[key.strip()] = value.strip()
        jobs.append(
            PlannedJob(
                rule=rule,
                outputs=tuple(o.strip() for o in outputs.group(1).split(",")) if outputs else (),
                wildcards=parsed,
            )
        )
    return [job for job in jobs if job.rule != "all"]
