"""The video rules in the DAG: one detection job per shard of recordings, whatever the levels."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from video_fixtures import write_video

from emoagree.corpus.plan import plan_durations, plan_recordings
from emoagree.plan import corpus_of
from emoagree.shards import group_shards, plan_shards

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = ["r1", "r2", "r3"]


def job_counts(workdir: Path, config: Path, *args: str) -> dict[str, int]:
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d",
               str(workdir), "--configfile", str(config), "-n", "--quiet", "rules", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    return {m[0]: int(m[1]) for m in re.findall(r"^(\w+)\s+(\d+)$", done.stdout, re.MULTILINE)}


@pytest.mark.slow
def test_detection_jobs_equal_shards_for_any_level_set(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in RECORDINGS:
        write_video(corpus / f"{name}.mov", 25, 25)
    (corpus / "recordings.csv").write_text(
        "recording,actor,scenario,audio_path,video_path,duration_s,fps\n"
        + "".join(f"{r},a{i},S,,{r}.mov,,\n" for i, r in enumerate(RECORDINGS))
    )
    (corpus / "annotations.csv").write_text(
        "recording,annotator,emotion,start_s,end_s\n"
        # five annotators: levels 2-5 can exist
        + "".join(f"{r},{a},Angry,0,0.9\n" for r in RECORDINGS for a in range(1, 6))
    )
    config = {"corpus": {"format": "csv", "path": str(corpus)}}
    durations = plan_durations(corpus_of(config), plan_recordings(corpus_of(config)))
    features = yaml.safe_load((REPO / "config.yaml").read_text())["features"]
    shards = plan_shards(durations, features["shard_media_s"], features["own_shard_s"])
    assert len(shards) < len(RECORDINGS)  # 1 s clips are grouped
    counts = {}
    for levels in ([1], [1, 2, 3, 4, 5]):
        config = tmp_path / f"levels{len(levels)}.yaml"
        config.write_text(f"corpus: {{format: csv, path: corpus}}\nlevels: {levels}\n")
        counts[len(levels)] = job_counts(tmp_path, config)
    defaults = yaml.safe_load((REPO / "config.yaml").read_text())
    # the training arms of config.yaml are further train rows (curriculum: networks only)
    arms = defaults.get("training_arms", [])
    rows = {"video_vggf_rf": len([a for a in arms if a != "curriculum"]),
            "video_effnet": len(arms)}
    for n, jobs in counts.items():
        assert jobs["video_faces"] == len(shards)
        assert jobs["video_embeddings"] == len(
            group_shards(shards, durations, features["embedding_media_s"]))
        for system in ("video_vggf_rf", "video_effnet"):
            # one training job per train row, writing every fold's model
            assert jobs[f"{system}_train"] == n + rows[system]
        assert jobs["video_predict"] == sum((n + extra) * n for extra in rows.values())
        assert "audio_svm" not in " ".join(jobs)  # a video-only corpus plans no audio jobs
