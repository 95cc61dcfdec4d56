"""ComParE functionals through the workflow on a tiny whole-clip corpus: one shard job per
feature shard, each stretch extracted once, and a level added to a finished run extracts
only the stretches not yet cached (here none: every level's intervals are the clips)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from emoagree.audio.functionals import load_functionals
from emoagree.audio.stretches import stretch_keys
from emoagree.corpus.plan import plan_durations, plan_recordings
from emoagree.plan import corpus_of
from emoagree.shards import plan_shards

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("clip_corpus", ROOT / "bench/clip_corpus.py")
clip_corpus = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(clip_corpus)

SHARD_MEDIA_S = 6.0
FUNCTIONALS = "results/features/audio_functionals"


def snakemake(workdir: Path, config: Path, *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
         "--cores", "2", *args, "--configfile", str(config)],
        capture_output=True, text=True, cwd=workdir, timeout=1500,
    )
    assert run.returncode == 0, (run.stdout[-3000:], run.stderr[-3000:])
    return run.stdout + run.stderr


def planned(output: str) -> dict[str, list[str]]:
    """Rule -> the wildcards of each job a dry run lists."""
    jobs: dict[str, list[str]] = {}
    blocks = re.split(r"^(?:local)?rule (\w+):\s*$", output, flags=re.MULTILINE)
    for rule, body in zip(blocks[1::2], blocks[2::2], strict=True):
        wildcards = re.search(r"wildcards: ([^\n]*)", body)
        jobs.setdefault(rule, []).append(wildcards.group(1).strip() if wildcards else "")
    return jobs


def manifests(run: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text())
            for p in sorted((run / FUNCTIONALS / "shards").glob("*.json"))}


def distinct_stretches(run: Path, level: int) -> int:
    table = pd.read_csv(run / f"results/corpus/levels/level{level}.csv", dtype={"recording": str})
    keys = stretch_keys(table["start_s"], table["end_s"])
    return len({(r, *k) for r, k in zip(table["recording"], map(tuple, keys), strict=True)})


@pytest.mark.slow
def test_a_level_added_to_a_finished_run_extracts_only_new_stretches(tmp_path):
    corpus, run = tmp_path / "corpus", tmp_path / "run"
    run.mkdir()
    clip_corpus.generate(corpus, 6)
    config = yaml.safe_load(clip_corpus.write_config(run, corpus, SHARD_MEDIA_S).read_text())
    config["levels"] = [1]
    one = run / "one.yaml"
    one.write_text(yaml.safe_dump(config))
    two = run / "two.yaml"
    two.write_text(yaml.safe_dump({**config, "levels": [1, 2]}))
    csv = {"corpus": {"format": "csv", "path": str(corpus)}}
    plan = corpus_of(csv)
    shards = plan_shards(plan_durations(plan, plan_recordings(plan)), SHARD_MEDIA_S, 15)
    assert len(shards) >= 2

    dry = planned(snakemake(run, one, "-n", f"{FUNCTIONALS}/level1.npz"))
    assert len(dry["audio_functionals_shard"]) == len(shards)
    assert dry["audio_functionals"] == ["level=1"]
    snakemake(run, one, f"{FUNCTIONALS}/level1.npz")
    first = manifests(run)
    assert sorted(first) == sorted(shards)
    # each clip's stretch once, although level 1 may hold a clip under several emotions
    assert sum(m["n_extracted"] for m in first.values()) == distinct_stretches(run, 1) == 6
    level1 = run / FUNCTIONALS / "level1.npz"
    level1_mtime = level1.stat().st_mtime_ns

    targets = [f"{FUNCTIONALS}/level1.npz", f"{FUNCTIONALS}/level2.npz"]
    dry = planned(snakemake(run, two, "-n", *targets))
    # the shard jobs rerun (their input, the levels, changed) but level 1's table does not
    assert len(dry["audio_functionals_shard"]) == len(shards)
    assert dry["audio_functionals"] == ["level=2"]
    snakemake(run, two, *targets)
    second = manifests(run)
    # level 2's intervals are clips that level 1 already had: nothing extracted again
    assert sum(m["n_extracted"] for m in second.values()) == 0
    assert sum(m["n_cached"] for m in second.values()) == 6
    assert level1.stat().st_mtime_ns == level1_mtime
    # level 2's rows are level 1's features of the same clips
    tables = {k: pd.read_csv(run / f"results/corpus/levels/level{k}.csv",
                             dtype={"recording": str, "interval_id": str}) for k in (1, 2)}
    features = {k: load_functionals(run / FUNCTIONALS / f"level{k}.npz") for k in (1, 2)}
    first_row = {r: i for i, r in reversed(list(enumerate(tables[1]["recording"])))}
    assert len(tables[2]) > 0
    for row, recording in enumerate(tables[2]["recording"]):
        np.testing.assert_array_equal(features[2].features[row],
                                      features[1].features[first_row[recording]])
    # a finished run plans nothing more
    assert "Nothing to be done" in snakemake(run, two, "-n", *targets)


STUDY_SPEC = importlib.util.spec_from_file_location("clip_study", ROOT / "bench/clip_study.py")
clip_study = importlib.util.module_from_spec(STUDY_SPEC)
STUDY_SPEC.loader.exec_module(clip_study)


def test_clip_study_corpus_has_speakers_and_raters(tmp_path):
    clip_study.generate(tmp_path, 12, n_speakers=4, n_raters=5)
    recordings = pd.read_csv(tmp_path / "recordings.csv", dtype=str, keep_default_na=False)
    marks = pd.read_csv(tmp_path / "annotations.csv", dtype={"recording": str})
    assert len(recordings) == 12
    assert sorted(set(recordings["actor"])) == ["F01", "F03", "M02", "M04"]
    assert (recordings["video_path"] == "").all()
    # whole clips: every rater marks the clip from 0 to its end, levels 1..5 possible
    per_clip = marks.groupby("recording")
    assert (per_clip["annotator"].nunique() == 5).all()
    assert (marks["start_s"] == 0).all()
    assert (per_clip["end_s"].nunique() == 1).all()
    assert marks["end_s"].between(2.0, 4.0).all()
    csv = {"corpus": {"format": "csv", "path": str(tmp_path)}}
    durations = plan_durations(corpus_of(csv), plan_recordings(corpus_of(csv)))
    ends = per_clip["end_s"].first()
    assert all(abs(durations[r] - ends[r]) < 0.01 for r in ends.index)
    config = yaml.safe_load(clip_study.write_config(tmp_path / "run", tmp_path,
                                                    [1, 2, 3, 4, 5]).read_text())
    assert config["levels"] == [1, 2, 3, 4, 5]
    assert config["split"] == {"strategy": "actor", "folds": 5}
