"""ComParE functionals through the stretch cache: extracted once per (recording, start,
end) whatever the levels that share it, assembled per level with the direct extraction's
values."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest
from audio_synth import make_corpus

from emoagree.audio.functionals import OK, TOO_SHORT, extract_level_functionals
from emoagree.audio.stretches import (
    assemble_level_functionals,
    extract_shard_stretches,
    load_stretch_cache,
    needed_stretches,
    stretch_cache_path,
)


@pytest.fixture(scope="module")
def levels(tmp_path_factory):
    """Three levels of one corpus: level 2 and 3 are subsets of level 1's stretches
    (new interval ids, the same boundaries), level 3 adds a too-short interval."""
    root = tmp_path_factory.mktemp("stretches")
    table, paths = make_corpus(root, {"train": 1, "test": 1}, n_recordings=2)
    level1 = table.reset_index(drop=True)
    level2 = level1.iloc[::2].assign(interval_id=lambda t: "L2_" + t["interval_id"])
    short = level1.iloc[[1]].assign(interval_id="L3_short",
                                    end_s=lambda t: t["start_s"] + 0.05)
    level3 = pd.concat([level1.iloc[1::3].assign(interval_id=lambda t: "L3_" + t["interval_id"]),
                        short], ignore_index=True)
    return {"1": level1, "2": level2.reset_index(drop=True), "3": level3}, paths


def test_a_stretch_shared_by_three_levels_is_extracted_once(levels, tmp_path, caplog):
    tables, paths = levels
    minimum = {"1": 0.1, "2": 0.1, "3": 0.1}
    stretches = needed_stretches(tables, paths, minimum)
    # levels 2 and 3 only repeat level 1's stretches; the too-short one is not extracted
    assert len(stretches) == len(tables["1"])
    assert sum(len(t) for t in tables.values()) > len(stretches)
    with caplog.at_level(logging.INFO, logger="emoagree.audio.stretches"):
        counts = extract_shard_stretches(stretches, paths, tmp_path, threads=2)
    assert counts == {"n_stretches": len(tables["1"]), "n_cached": 0,
                      "n_extracted": len(tables["1"])}
    assert f"{len(tables['1'])} extracted, 0 already cached" in caplog.text
    # the job's own CPU count, which bench/clip_study.py reads for the parallelism
    assert re.search(r"functionals: job CPU \d+\.\d s, extraction wall \d+\.\d s", caplog.text)
    # one cache file per recording, holding each of its stretches once
    cached = {r: load_stretch_cache(stretch_cache_path(tmp_path, r)) for r in paths}
    assert sum(len(c["keys"]) for c in cached.values()) == len(tables["1"])
    for recording, cache in cached.items():
        assert len({tuple(k) for k in cache["keys"]}) == len(cache["keys"])
        assert len(cache["keys"]) == int((tables["1"]["recording"] == recording).sum())
    # a second run finds everything cached
    again = extract_shard_stretches(stretches, paths, tmp_path, threads=1)
    assert again == {"n_stretches": len(stretches), "n_cached": len(stretches),
                     "n_extracted": 0}


def test_assembled_level_equals_direct_extraction(levels, tmp_path):
    tables, paths = levels
    minimum = {"1": 0.1, "2": 0.1, "3": 0.1}
    extract_shard_stretches(needed_stretches(tables, paths, minimum), paths, tmp_path, 2)
    for table in tables.values():
        assembled = assemble_level_functionals(table, paths, 0.1, tmp_path)
        direct = extract_level_functionals(table, paths, 0.1, threads=1)
        assert assembled.columns == direct.columns and len(assembled.columns) == 6373
        assert assembled.interval_ids.tolist() == table["interval_id"].tolist()
        assert assembled.status.tolist() == direct.status.tolist()
        np.testing.assert_array_equal(assembled.features, direct.features)
    status = assemble_level_functionals(tables["3"], paths, 0.1, tmp_path).status
    assert status.tolist() == [OK] * (len(tables["3"]) - 1) + [TOO_SHORT]


def test_a_new_level_extracts_only_its_new_stretches(levels, tmp_path):
    tables, paths = levels
    first = {"2": tables["2"]}
    extract_shard_stretches(needed_stretches(first, paths, {"2": 0.1}), paths, tmp_path)
    both = {"1": tables["1"], "2": tables["2"]}
    counts = extract_shard_stretches(needed_stretches(both, paths, {"1": 0.1, "2": 0.1}),
                                     paths, tmp_path)
    assert counts["n_cached"] == len(tables["2"])
    assert counts["n_extracted"] == len(tables["1"]) - len(tables["2"])


def test_a_changed_wav_is_extracted_again(levels, tmp_path):
    tables, paths = levels
    recording = tables["1"]["recording"].iloc[0]
    copy = dict(paths)
    copy[recording] = str(tmp_path / "copy.wav")
    (tmp_path / "copy.wav").write_bytes(open(paths[recording], "rb").read())
    stretches = needed_stretches({"1": tables["1"]}, copy, {"1": 0.1})
    extract_shard_stretches(stretches, copy, tmp_path / "cache")
    data = bytearray((tmp_path / "copy.wav").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = bytes(2000)  # some samples silenced
    (tmp_path / "copy.wav").write_bytes(bytes(data))
    counts = extract_shard_stretches(stretches, copy, tmp_path / "cache")
    assert counts["n_extracted"] == int((tables["1"]["recording"] == recording).sum())


def test_assembly_names_the_interval_missing_from_the_cache(levels, tmp_path):
    tables, paths = levels
    extract_shard_stretches(needed_stretches({"2": tables["2"]}, paths, {"2": 0.1}), paths,
                            tmp_path)
    missing = tables["1"][~tables["1"]["interval_id"].isin(
        tables["2"]["interval_id"].str.removeprefix("L2_"))].iloc[0]
    with pytest.raises(ValueError, match=rf"no cached functionals for interval "
                                         rf"{missing['interval_id']}"):
        assemble_level_functionals(tables["1"], paths, 0.1, tmp_path)
