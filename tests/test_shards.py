"""Shards of the per-recording feature stages: stable groups, per-recording lookup."""

import math

import numpy as np
import pytest

from emoagree.shards import (
    MAX_SHARD_FACTOR,
    cache_path,
    plan_shards,
    recording_caches,
    run_shard,
    shard_of,
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
        assert shards[name] == [name]
    # the demo corpus (40 s recordings) keeps one job per recording
    demo = {f"rec{i}": 40.0 for i in range(12)}
    assert plan_shards(demo, 600, 30) == {r: [r] for r in demo}


def test_a_recording_longer_than_shard_media_s_is_alone_even_below_own_shard_s():
    shards = plan_shards({"long": 20.0} | clips(50), 10, 30)
    assert shards["long"] == ["long"]


def test_the_plan_does_not_depend_on_the_order_recordings_are_listed():
    durations = clips(300)
    reordered = dict(reversed(list(durations.items())))
    assert plan_shards(durations, 100, 30) == plan_shards(reordered, 100, 30)


def group(name):
    """The group a shard was cut from (``<group>-<k>``), or the shard itself."""
    return name.rsplit("-", 1)[0]


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


def test_refuses_a_non_positive_shard_size():
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
