"""The audio rules as Snakemake plans them on the demo configuration (dry runs)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from emoagree.corpus.plan import plan_recordings
from emoagree.plan import corpus_of
from emoagree.shards import plan_shards

ROOT = Path(__file__).resolve().parents[1]


def job_counts(tmp_path: Path, levels: list[int]) -> dict[str, int]:
    extra = tmp_path / f"levels{len(levels)}.yaml"
    extra.write_text(yaml.safe_dump({"levels": levels}))
    run = subprocess.run(
        [
            str(ROOT / ".venv/bin/snakemake"),
            "-n",
            "--forceall",
            "--nolock",
            "--cores",
            "1",
            "--configfile",
            "config.yaml",
            str(extra),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    table = run.stdout[run.stdout.index("Job stats:") :]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, re.M)}


@pytest.mark.slow
def test_dry_run_plans_one_lld_job_per_recording_and_the_5x5_grid(tmp_path):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    recordings = plan_recordings(corpus_of(config))
    with_audio = int((recordings["audio_path"].fillna("").astype(str) != "").sum())
    one = job_counts(tmp_path, [1])
    five = job_counts(tmp_path, [1, 2, 3, 4, 5])
    # LLDs are per feature shard (the demo's 15 s recordings are grouped): the same jobs
    # whatever the levels
    durations = {r: config["corpus"]["demo"]["duration_s"] for r in recordings["recording"]}
    features = config["features"]
    shards = plan_shards(durations, features["shard_media_s"], features["own_shard_s"])
    assert with_audio == len(durations) > len(shards)
    assert one["audio_lld"] == five["audio_lld"] == len(shards) >= 2
    # ComParE functionals: one extraction job per shard (each stretch once, whatever the
    # levels that share it), one light assembly job per level
    assert one["audio_functionals_shard"] == five["audio_functionals_shard"] == len(shards)
    assert one["audio_functionals"] == 1 and five["audio_functionals"] == 5
    # the training arms of config.yaml are further train rows (curriculum: networks only)
    arms = config.get("training_arms", [])
    classic_rows = len([a for a in arms if a != "curriculum"])
    lstm_rows = len(arms)
    # one training job per (system, train row), its folds inside: audio_svm and audio_lr,
    # 5 levels + arms; each writes one model per fold
    assert five["audio_train_classic"] == 2 * (5 + classic_rows)
    assert five["audio_train_lstm"] == 5 + lstm_rows
    # the cells stay one job each, whatever the folds: train rows x 5 test levels
    assert five["audio_predict_classic"] == 2 * (5 + classic_rows) * 5
    assert five["audio_predict_lstm"] == (5 + lstm_rows) * 5
    assert one["audio_predict_lstm"] == 1 + lstm_rows
