"""The rule files read as a table of contents: each stage's rules in its own .smk, named
after it, with its helper functions in common_<stage>.smk beside it (the scheme stated at
the top of workflow/rules/common.smk)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "workflow" / "rules"
STAGES = ("demo", "corpus", "levels", "arms", "audio", "video", "fusion", "evaluation", "report")


def includes(path: Path) -> list[str]:
    return re.findall(r'^include:\s*"([^"]+)"', path.read_text(), re.MULTILINE)


def test_the_snakefile_includes_common_then_every_stage_in_pipeline_order():
    assert includes(ROOT / "Snakefile") == [
        "workflow/rules/common.smk", *(f"workflow/rules/{stage}.smk" for stage in STAGES)
    ]


def test_every_rule_is_named_after_its_stage():
    misnamed = []
    for stage in STAGES:
        text = (RULES_DIR / f"{stage}.smk").read_text()
        names = re.findall(r"^\s*(?:rule|checkpoint)\s+(\w+)\s*:", text, re.MULTILINE)
        assert names, f"{stage}.smk defines no rule"
        misnamed += [f"{stage}.smk: {name}" for name in names if not name.startswith(f"{stage}_")]
    assert not misnamed, misnamed


def test_each_stage_includes_its_own_helpers_and_only_those():
    helpers = {path.name for path in RULES_DIR.glob("common_*.smk")}
    for name in helpers:
        stage = name.removeprefix("common_").removesuffix(".smk")
        assert stage in STAGES, f"{name} belongs to no stage"
        assert includes(RULES_DIR / f"{stage}.smk")[:1] == [name], (
            f"{stage}.smk does not include {name} first"
        )
    for stage in STAGES:
        for included in includes(RULES_DIR / f"{stage}.smk"):
            assert included == f"common_{stage}.smk", f"{stage}.smk includes {included}"
    for path in [RULES_DIR / "common.smk", *(RULES_DIR / name for name in helpers)]:
        assert not re.search(r"^\s*rule\s+\w+\s*:", path.read_text(), re.MULTILINE), path.name


def test_no_helper_is_defined_twice():
    seen: dict[str, str] = {}
    twice = []
    for path in sorted(RULES_DIR.glob("*.smk")):
        for name in re.findall(r"^def (\w+)\(", path.read_text(), re.MULTILINE):
            if name in seen:
                twice.append(f"{name}: {seen[name]} and {path.name}")
            seen[name] = path.name
    assert not twice, twice


def test_no_caption_reads_the_config():
    """Captions state what their rule's params carry (as scripts do), never the config."""
    readers = [
        path.name
        for path in sorted((ROOT / "workflow" / "report").rglob("*"))
        if path.is_file() and "snakemake.config" in path.read_text()
    ]
    assert not readers, f"files under workflow/report reading snakemake.config: {readers}"
