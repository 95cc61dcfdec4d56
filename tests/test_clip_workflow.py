"""A corpus of short clips through the feature stages: shards, per-recording caches,
reruns of only the shards that new clips join, and bench/clip_corpus.py run tiny."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from emoagree.corpus.plan import plan_durations, plan_recordings
from emoagree.plan import corpus_of
from emoagree.shards import group_shards, plan_shards, recording_caches, shard_of

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("clip_corpus", ROOT / "bench/clip_corpus.py")
clip_corpus = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(clip_corpus)

SHARD_MEDIA_S = 6.0


def add_clips(corpus: Path, first: int, n: int) -> list[str]:
    """Append ``n`` new clips (media, rows, marks) to a generated clip corpus."""
    recordings = pd.read_csv(corpus / "recordings.csv", dtype=str, keep_default_na=False)
    marks = pd.read_csv(corpus / "annotations.csv", dtype={"recording": str})
    new = []
    for i in range(first, first + n):
        clip = f"clip{i:05d}"
        clip_corpus.write_clip(corpus / "media", clip, "F01", "Happy", 2.5, 7, 16000,
                               (160, 120), 25)
        recordings.loc[len(recordings)] = [clip, "F01", "clips", f"media/{clip}.wav",
                                           f"media/{clip}.mov", "", ""]
        for annotator in ("A1", "A2", "A3"):
            marks.loc[len(marks)] = [clip, annotator, "Happy", 0.0, 2.5]
        new.append(clip)
    recordings.to_csv(corpus / "recordings.csv", index=False)
    marks.to_csv(corpus / "annotations.csv", index=False)
    return new


def planned(output: str) -> dict[str, list[str]]:
    """Rule -> wildcards 'shard' of the jobs a dry run lists."""
    jobs: dict[str, list[str]] = {}
    blocks = re.split(r"^(?:local)?rule (\w+):\s*$", output, flags=re.MULTILINE)
    for rule, body in zip(blocks[1::2], blocks[2::2], strict=True):
        shard = re.search(r"wildcards: .*?shard=([^,\s]+)", body)
        jobs.setdefault(rule, []).append(shard.group(1) if shard else "")
    return jobs


@pytest.mark.slow
def test_clip_corpus_runs_in_shards_and_new_clips_rerun_only_their_shards(tmp_path, capsys):
    assert clip_corpus.main(["--clips", "6", "--plan-clips", "6", "12", "--cores", "2",
                             "--shard-media-s", str(SHARD_MEDIA_S), "--workdir",
                             str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for rule in clip_corpus.FEATURE_RULES:
        ratio = re.search(rf"^{rule}\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+\d+(\s+[\d.]+){{4}}$",
                          out, re.M)
        assert ratio and float(ratio.group(1)) > 0, out
    assert re.search(r"^\s+12\s+\d+\s+\d+\s+[\d.]+$", out, re.M), out

    corpus, run = tmp_path / "corpus6", tmp_path / "run"
    config = {"corpus": {"format": "csv", "path": str(corpus)}}
    recordings = plan_recordings(corpus_of(config))
    durations = plan_durations(corpus_of(config), recordings)
    assert all(2.0 <= d <= 4.0 for d in durations.values())
    shards = plan_shards(durations, SHARD_MEDIA_S, 15)
    assert 1 < len(shards) < len(recordings)
    groups = group_shards(shards, durations, 6000)
    assert len(groups) == 1  # embeddings: one job for this small corpus
    features = run / "results" / "features"
    for stage, folders in (("audio_lld", shards), ("faces", shards),
                           ("video_embeddings/efficientnet_lite0", groups)):
        assert sorted(p.name for p in (features / stage).iterdir() if p.is_dir()) == sorted(
            folders)
        # the cache stays addressable per recording
        caches = recording_caches([features / stage / s for s in folders])
        assert sorted(caches) == sorted(recordings["recording"])
        owner = shard_of(shards)
        for recording, path in caches.items():
            expected = owner[recording] if folders is shards else shard_of(groups)[owner[recording]]
            assert Path(path).parent.name == expected

    new = add_clips(corpus, 6, 2)
    durations_after = plan_durations(corpus_of(config), plan_recordings(corpus_of(config)))
    after = plan_shards(durations_after, SHARD_MEDIA_S, 15)
    groups_after = group_shards(after, durations_after, 6000)
    joined = {shard_of(after)[r] for r in new}
    changed = {name for name, members in after.items() if shards.get(name) != members}
    assert joined <= changed and len(changed) < len(after)
    targets = [f"results/features/{stage}/{shard}" for stage in ("audio_lld", "faces")
               for shard in after]
    targets += [f"results/features/video_embeddings/efficientnet_lite0/{group}"
                for group in groups_after]
    dry = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(run),
         "-n", "--cores", "1", *targets, "--configfile", str(run / "bench_config.yaml")],
        capture_output=True, text=True, cwd=run, timeout=1200,
    )
    assert dry.returncode == 0, dry.stderr[-3000:]
    jobs = planned(dry.stdout + dry.stderr)
    for rule in ("audio_lld", "video_faces"):
        assert sorted(jobs.get(rule, [])) == sorted(changed), (rule, jobs)
    # the embedding groups that hold a changed shard
    assert sorted(jobs["video_embeddings"]) == sorted(
        {shard_of(groups_after)[shard] for shard in changed}), jobs
