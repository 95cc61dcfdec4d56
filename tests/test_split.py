"""Split invariants: fixed on level 1, inherited by every level, seeded, stratified."""

import pandas as pd
import pytest
from levels_fixtures import make_corpus

from emoagree.agreement import level_alpha
from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.levels import agreement_intervals
from emoagree.split import level_table, make_split, n_test_for_stratum

EMOTIONS = list(DEFAULT_EMOTIONS)
LEVELS = [1, 2, 3, 4, 5]


@pytest.fixture
def corpus():
    return make_corpus()


def split_of(corpus, strategy="stratified", seed=7, test=0.2, val=0.2):
    recordings, annotations = corpus
    return make_split(annotations, recordings, EMOTIONS, strategy, test, val, seed)


def all_levels(corpus, split, min_duration=0.0):
    recordings, annotations = corpus
    return {
        k: level_table(annotations, recordings, k, split, EMOTIONS, min_duration) for k in LEVELS
    }


def parent_split(row, split):
    """The split of the level-1 interval containing ``row``, found by brute force."""
    hits = split[
        (split["recording"] == row.recording)
        & (split["emotion"] == row.emotion)
        & (split["start_s"] <= row.start_s + 1e-9)
        & (split["end_s"] >= row.end_s - 1e-9)
    ]
    assert len(hits) == 1
    return hits["split"].iloc[0]


def test_split_table_is_level_one_with_all_parts(corpus):
    split = split_of(corpus)
    recordings, annotations = corpus
    assert len(split) == len(agreement_intervals(annotations, 1, EMOTIONS))
    assert set(split["level"]) == {1}
    assert set(split["split"]) == {"train", "val", "test"}
    assert split["interval_id"].is_unique
    counts = split["split"].value_counts()
    assert 0.1 < counts["test"] / len(split) < 0.35
    assert 0.1 < counts["val"] / (counts["val"] + counts["train"]) < 0.3


def test_every_level_inherits_the_level_one_split(corpus):
    split = split_of(corpus)
    tables = all_levels(corpus, split)
    assert [len(tables[k]) > 0 for k in LEVELS] == [True] * 5
    for k in LEVELS:
        table = tables[k]
        assert set(table["level"]) == {k}
        for row in table.itertuples():
            assert row.split == parent_split(row, split)
    # level 1 is the split table itself
    pd.testing.assert_frame_equal(tables[1], split)


def test_no_interval_in_two_splits_and_no_overlap_across_splits(corpus):
    split = split_of(corpus)
    tables = all_levels(corpus, split)
    combined = pd.concat(tables.values(), ignore_index=True)
    assert combined["interval_id"].is_unique
    assert combined.groupby("interval_id")["split"].nunique().max() == 1
    # the same stretch of one recording and emotion never appears in two parts
    for (_, _), group in combined.groupby(["recording", "emotion"]):
        spans = group.sort_values("start_s")
        for a in spans.itertuples():
            overlapping = spans[(spans["start_s"] < a.end_s) & (spans["end_s"] > a.start_s)]
            assert set(overlapping["split"]) == {a.split}


def test_strata_are_represented_in_test(corpus):
    split = split_of(corpus)
    strata = split.groupby(["scenario", "emotion"])["split"]
    sizes = strata.size()
    in_test = strata.apply(lambda s: (s == "test").sum())
    in_train = strata.apply(lambda s: (s == "train").sum())
    splittable = sizes[sizes >= 2].index
    assert len(splittable) >= 6
    assert (in_test[splittable] >= 1).all()
    assert (in_train[splittable] >= 1).all()


def test_split_is_seeded(corpus):
    first, again = split_of(corpus, seed=7), split_of(corpus, seed=7)
    pd.testing.assert_frame_equal(first, again)
    other = split_of(corpus, seed=8)
    assert (other["split"] != first["split"]).any()
    # the marks' row order does not matter
    recordings, annotations = corpus
    shuffled = annotations.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(
        make_split(shuffled, recordings, EMOTIONS, "stratified", 0.2, 0.2, 7), first
    )


@pytest.mark.parametrize(
    ("n", "expected"), [(0, 0), (1, 0), (2, 1), (3, 1), (5, 1), (8, 2), (10, 2), (13, 3)]
)
def test_small_strata_rule(n, expected):
    assert n_test_for_stratum(n, 0.2) == expected


def test_tiny_corpus_never_fails():
    recordings = pd.DataFrame(
        {
            "recording": ["r1", "r2"],
            "actor": ["a", "b"],
            "scenario": ["S1", "S1"],
            "audio_path": ["", ""],
            "video_path": ["", ""],
            "duration_s": [10.0, 10.0],
            "fps": [25.0, 25.0],
        }
    )
    one = pd.DataFrame(
        {
            "recording": ["r1"],
            "annotator": ["x"],
            "emotion": ["Angry"],
            "start_s": [1.0],
            "end_s": [2.0],
        }
    )
    split = make_split(one, recordings, EMOTIONS, "stratified", 0.2, 0.2, 1)
    assert split["split"].tolist() == ["train"]
    two = pd.concat([one, one.assign(recording="r2")], ignore_index=True)
    split = make_split(two, recordings, EMOTIONS, "stratified", 0.2, 0.2, 1)
    assert sorted(split["split"]) == ["test", "train"]
    empty = make_split(one.iloc[:0], recordings, EMOTIONS, "stratified", 0.2, 0.2, 1)
    assert empty.empty and list(empty.columns)[-1] == "split"


def test_actor_strategy_holds_out_whole_actors(corpus):
    split = split_of(corpus, strategy="actor")
    parts_per_actor = split.groupby("actor")["split"].agg(lambda s: set(s))
    test_actors = [a for a, parts in parts_per_actor.items() if "test" in parts]
    assert len(test_actors) == 1  # round(4 * 0.2) = 1 of 4 actors
    assert parts_per_actor[test_actors[0]] == {"test"}
    # 3 remaining actors: round(3 * 0.2) = 1 validation actor, seen in val only
    val_actors = [a for a, parts in parts_per_actor.items() if "val" in parts]
    assert len(val_actors) == 1 and parts_per_actor[val_actors[0]] == {"val"}
    # levels inherit: no test actor's interval is ever outside test
    tables = all_levels(corpus, split)
    for table in tables.values():
        assert set(table.loc[table["actor"] == test_actors[0], "split"]) <= {"test"}
        assert set(table.loc[table["actor"] != test_actors[0], "split"]) <= {"train", "val"}


def test_actor_strategy_carves_val_from_train_when_too_few_actors():
    recordings, annotations = make_corpus(n_actors=2, n_scenarios=2)
    split = make_split(annotations, recordings, EMOTIONS, "actor", 0.2, 0.2, 3)
    per_actor = split.groupby("actor")["split"].agg(lambda s: set(s))
    assert sorted(map(sorted, per_actor)) == [["test"], ["train", "val"]]


def test_actor_strategy_needs_two_actors():
    recordings, annotations = make_corpus(n_actors=2, n_scenarios=1, takes=1)
    recordings["actor"] = "solo"
    with pytest.raises(ValueError, match="at least 2 actors"):
        make_split(annotations, recordings, EMOTIONS, "actor", 0.2, 0.2, 3)


def test_corpus_strategy_uses_the_given_split(corpus):
    recordings, annotations = corpus
    given = [
        "test" if i % 4 == 0 else "val" if i % 4 == 1 else "train" for i in range(len(recordings))
    ]
    recordings = recordings.assign(split=given)
    split = make_split(annotations, recordings, EMOTIONS, "corpus", 0.2, 0.2, 3)
    expected = split["recording"].map(dict(zip(recordings["recording"], given, strict=True)))
    assert (split["split"] == expected).all()


def test_corpus_strategy_carves_val_only_when_missing(corpus):
    recordings, annotations = corpus
    given = ["test" if i % 4 == 0 else "train" for i in range(len(recordings))]
    recordings = recordings.assign(split=given)
    split = make_split(annotations, recordings, EMOTIONS, "corpus", 0.2, 0.2, 3)
    by_rec = dict(zip(recordings["recording"], given, strict=True))
    test_mask = split["recording"].map(by_rec) == "test"
    assert (split.loc[test_mask, "split"] == "test").all()
    assert set(split.loc[~test_mask, "split"]) == {"train", "val"}
    share = (split["split"] == "val").sum() / (~test_mask).sum()
    assert share == pytest.approx(0.2, abs=0.02)


def test_corpus_strategy_errors_name_the_row(corpus):
    recordings, annotations = corpus
    with pytest.raises(ValueError, match="needs a 'split' column"):
        make_split(annotations, recordings, EMOTIONS, "corpus", 0.2, 0.2, 3)
    bad = recordings.assign(split=["train"] * 2 + ["holdout"] + ["train"] * 9)
    with pytest.raises(ValueError, match=r"row 4 \(recording d01_S0_1\): split 'holdout'"):
        make_split(annotations, bad, EMOTIONS, "corpus", 0.2, 0.2, 3)


def test_min_duration_filter_is_per_level_and_keeps_the_split(corpus):
    split = split_of(corpus)
    plain = all_levels(corpus, split)
    recordings, annotations = corpus
    filtered = level_table(annotations, recordings, 3, split, EMOTIONS, 1.0)
    expected = plain[3][plain[3]["duration_s"] >= 1.0].reset_index(drop=True)
    assert 0 < len(filtered) < len(plain[3])
    pd.testing.assert_frame_equal(filtered, expected)
    assert (filtered["duration_s"] >= 1.0).all()


def test_split_from_other_annotations_is_an_error(corpus):
    split = split_of(corpus)
    recordings, annotations = corpus
    moved = annotations.assign(
        start_s=annotations["start_s"] + 0.5, end_s=annotations["end_s"] + 0.5
    )
    with pytest.raises(ValueError, match="lies in no level-1 interval"):
        level_table(moved, recordings, 2, split, EMOTIONS)


def test_unknown_strategy_and_bad_fractions(corpus):
    with pytest.raises(ValueError, match="unknown split strategy"):
        split_of(corpus, strategy="random")
    with pytest.raises(ValueError, match="fractions out of range"):
        split_of(corpus, test=1.0)


def test_level_above_the_annotator_count_is_an_empty_table(corpus):
    recordings, annotations = corpus
    split = split_of(corpus, seed=-3)  # any integer seed works
    empty = level_table(annotations, recordings, 9, split, EMOTIONS)
    assert empty.empty and list(empty.columns) == list(split.columns)
    result = level_alpha(empty, annotations, EMOTIONS, 0.1)
    assert result.n_units == 0 and result.to_dict()["alpha"] is None
