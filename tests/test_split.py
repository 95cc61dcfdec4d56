"""Split invariants: fixed on level-1 units, inherited by every level, seeded, stratified,
dealt into folds, and free of shared time between parts."""

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from levels_fixtures import make_corpus

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.contracts.levels import INTERVAL_COLUMNS
from emoagree.levels.agreement import level_alpha
from emoagree.levels.build import agreement_intervals, level_table
from emoagree.levels.folds import fold_view, mean_part_counts, n_folds, split_counts
from emoagree.levels.overlap import cross_part_overlap, overlap_summary
from emoagree.levels.parts import n_test_for_stratum
from emoagree.levels.split import deal_folds, describe_protocol, make_split
from emoagree.levels.units import segment_ids, sessions_of, unit_ids, unit_table
from emoagree.report.table1 import gap_note

EMOTIONS = list(DEFAULT_EMOTIONS)
LEVELS = [1, 2, 3, 4, 5]


@pytest.fixture
def corpus():
    return make_corpus()


def split_of(corpus, strategy="stratified", seed=7, test=0.2, val=0.2, unit="segment", folds=1):
    recordings, annotations = corpus
    return make_split(
        annotations, recordings, EMOTIONS, strategy, test, val, seed, unit=unit, folds=folds
    )


def all_levels(corpus, split, min_duration=0.0):
    recordings, annotations = corpus
    return {
        k: level_table(annotations, recordings, k, split, EMOTIONS, min_duration) for k in LEVELS
    }


def parent_split(row, split, column="split"):
    """The ``column`` of the level-1 interval containing ``row``, found by brute force."""
    hits = split[
        (split["recording"] == row.recording)
        & (split["emotion"] == row.emotion)
        & (split["start_s"] <= row.start_s + 1e-9)
        & (split["end_s"] >= row.end_s - 1e-9)
    ]
    assert len(hits) == 1
    return hits[column].iloc[0]


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


def test_unit_strata_are_represented_in_test(corpus):
    split = split_of(corpus)
    units = unit_table(split)
    part = split.groupby("unit")["split"].first()
    assert (split.groupby("unit")["split"].nunique() == 1).all()
    strata = part.groupby(units["stratum"])
    sizes = strata.size()
    in_test = strata.apply(lambda s: (s == "test").sum())
    in_train = strata.apply(lambda s: (s == "train").sum())
    splittable = sizes[sizes >= 2].index
    assert len(splittable) >= 3
    assert (in_test[splittable] >= 1).all()
    assert (in_train[splittable] >= 1).all()
    assert (in_test[sizes[sizes == 1].index] == 0).all()


def test_interval_unit_strata_are_the_papers_scenario_x_emotion(corpus):
    split = split_of(corpus, unit="interval")
    assert split["unit"].tolist() == ("int:" + split["interval_id"]).tolist()
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
    assert empty.empty and list(empty.columns) == list(INTERVAL_COLUMNS)


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
    # val is carved by whole units: round(0.2 * N) of the N units of the train part
    parts = split[~test_mask].groupby("unit")["split"].agg(set)
    assert all(len(p) == 1 for p in parts)
    n_val = sum(p == {"val"} for p in parts)
    assert n_val == int(np.floor(0.2 * len(parts) + 0.5))


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


# --- split units ---------------------------------------------------------------------------


def with_sessions(corpus):
    """The fixture's dialogues as sessions: both sides of ``dNN_S*`` share one clock."""
    recordings, annotations = corpus
    session = recordings["recording"].str.rsplit("_", n=1).str[0]
    return recordings.assign(session=session), annotations


def test_segments_join_touching_and_overlapping_intervals_and_views_of_a_session():
    intervals = pd.DataFrame(
        [
            ("A", 0.0, 1.0),  # Angry on view a1
            ("A", 1.0, 2.0),  # Sad on a1, touching: same segment
            ("A", 2.5, 3.0),  # view a2 after a 0.5 s gap: new segment
            ("A", 2.8, 4.0),  # view a1 overlapping the a2 interval: joins it
            ("A", 4.0001, 6.0),  # a 0.1 ms gap still splits
            ("B", 0.0, 1.0),  # another session at the same time: its own segment
        ],
        columns=["session", "start_s", "end_s"],
        index=[5, 4, 3, 2, 1, 0],
    )
    assert segment_ids(intervals).tolist() == [
        "seg:A:00000000",
        "seg:A:00000000",
        "seg:A:00002500",
        "seg:A:00002500",
        "seg:A:00004000",
        "seg:B:00000000",
    ]


def test_segments_closer_than_the_guard_are_one_unit():
    intervals = pd.DataFrame(
        [
            ("A", 0.0, 1.0),
            ("A", 1.5, 3.0),  # 0.5 s after the first: one unit with a 2 s guard
            ("A", 5.0, 6.0),  # exactly 2 s after 3.0: a new unit
            ("A", 7.999, 9.0),  # 1.999 s after 6.0: joins it
            ("B", 3.5, 4.0),  # another session: never joins A's units
        ],
        columns=["session", "start_s", "end_s"],
    )
    assert segment_ids(intervals, guard_s=2.0).tolist() == [
        "seg:A:00000000",
        "seg:A:00000000",
        "seg:A:00005000",
        "seg:A:00005000",
        "seg:B:00003500",
    ]
    assert segment_ids(intervals).nunique() == 5  # no guard: every gap starts a unit
    with pytest.raises(ValueError, match="split.guard_s must be a number of seconds >= 0"):
        segment_ids(intervals, guard_s=-1.0)


def guard_corpus():
    """One dialogue (two views, one session) with two segments 0.5 s apart, then a quiet
    stretch of 4 s, and two more dialogues, each marked by two annotators."""
    recordings = pd.DataFrame(
        {
            "recording": ["d1_1", "d1_2", "d2_1", "d2_2", "d3_1", "d3_2"],
            "actor": ["a", "b", "a", "c", "b", "c"],
            "scenario": ["S", "S", "S", "S", "S", "S"],
            "session": ["d1", "d1", "d2", "d2", "d3", "d3"],
        }
    )
    marks = []
    for rec, emotion, start, end in [
        ("d1_1", "Angry", 1.0, 3.0),
        ("d1_2", "Sad", 3.5, 5.0),  # the partner's view, 0.5 s after d1_1's Angry
        ("d1_1", "Angry", 9.0, 10.0),  # after 4 s of quiet
        ("d2_1", "Happy", 1.0, 2.0),
        ("d2_2", "Angry", 8.0, 9.0),
        ("d3_1", "Sad", 1.0, 2.0),
        ("d3_2", "Happy", 6.0, 7.0),
    ]:
        marks += [(rec, annotator, emotion, start, end) for annotator in ("x", "y")]
    return recordings, pd.DataFrame(marks, columns=["recording", "annotator", "emotion",
                                                    "start_s", "end_s"])


def test_split_with_a_guard_keeps_segments_half_a_second_apart_in_one_unit():
    recordings, annotations = guard_corpus()

    def units(**guard):
        split = make_split(annotations, recordings, EMOTIONS, "stratified", 0.2, 0.2, 7,
                           folds=3, **guard)
        return split.set_index(["recording", "start_s"])["unit"]

    guarded = units(guard_s=2.0)
    assert guarded[("d1_1", 1.0)] == guarded[("d1_2", 3.5)] == "seg:d1:00001000"
    assert guarded[("d1_1", 9.0)] == "seg:d1:00009000"
    assert guarded.nunique() == 6
    assert units().equals(guarded)  # 2 s is make_split's default guard
    unguarded = units(guard_s=0.0)
    assert unguarded[("d1_1", 1.0)] != unguarded[("d1_2", 3.5)]
    assert unguarded.nunique() == 7


def test_sessions_default_to_the_recording():
    recordings = pd.DataFrame({"recording": ["r1", "r2", "r3"], "session": ["d1", "d1", ""]})
    assert sessions_of(recordings).to_dict() == {"r1": "d1", "r2": "d1", "r3": "r3"}
    assert sessions_of(recordings.drop(columns="session")).to_dict() == {
        "r1": "r1",
        "r2": "r2",
        "r3": "r3",
    }


def hand_corpus():
    """r1 and r2: the two views of session d1; r3 on its own."""
    recordings = pd.DataFrame(
        {
            "recording": ["r1", "r2", "r3"],
            "actor": ["a", "b", "a"],
            "scenario": ["S1", "S1", "S2"],
            "session": ["d1", "d1", ""],
        }
    )
    marks = pd.DataFrame(
        [
            ("r1", "x", "Angry", 0.0, 2.0),
            ("r1", "y", "Angry", 0.5, 2.0),
            ("r2", "x", "Sad", 1.5, 3.0),  # other view, overlapping r1's Angry
            ("r1", "x", "Happy", 5.0, 6.0),
            ("r3", "x", "Angry", 0.0, 1.0),
        ],
        columns=["recording", "annotator", "emotion", "start_s", "end_s"],
    )
    return recordings, marks


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("segment", ["seg:d1:00000000", "seg:d1:00005000", "seg:d1:00000000", "seg:r3:00000000"]),
        ("recording", ["rec:r1", "rec:r1", "rec:r2", "rec:r3"]),
        ("session", ["ses:d1", "ses:d1", "ses:d1", "ses:r3"]),
        (
            "interval",
            [
                "int:r1_Angry_L1_00000000",
                "int:r1_Happy_L1_00005000",
                "int:r2_Sad_L1_00001500",
                "int:r3_Angry_L1_00000000",
            ],
        ),
    ],
)
def test_unit_ids_by_hand(unit, expected):
    recordings, marks = hand_corpus()
    split = make_split(marks, recordings, EMOTIONS, "stratified", 0.2, 0.2, 1, unit=unit)
    assert split["recording"].tolist() == ["r1", "r1", "r2", "r3"]
    assert split["unit"].tolist() == expected
    assert (split["fold"] == 0).all()


def test_unit_stratum_is_the_dominant_scenario_and_emotion():
    intervals = pd.DataFrame(
        {
            "unit": ["u1", "u1", "u1", "u2"],
            "scenario": ["S1", "S1", "S1", "S2"],
            "emotion": ["Sad", "Angry", "Angry", "Happy"],
            "duration_s": [3.0, 1.0, 1.5, 1.0],
        }
    )
    table = unit_table(intervals)
    assert table["stratum"].to_dict() == {"u1": "S1 x Sad", "u2": "S2 x Happy"}
    assert table["n_intervals"].to_dict() == {"u1": 3, "u2": 1}
    with pytest.raises(ValueError, match="unknown split unit 'frame'"):
        unit_ids(intervals, "frame")


# --- folds ---------------------------------------------------------------------------------


def test_n_folds_helper_and_two_folds_refused(corpus):
    assert n_folds({"strategy": "stratified"}) == 5
    assert n_folds({"strategy": "actor", "folds": 3}) == 3
    assert n_folds({"strategy": "corpus", "folds": 5}) == 1
    with pytest.raises(ValueError, match="2 is refused"):
        n_folds({"strategy": "stratified", "folds": 2})
    with pytest.raises(ValueError, match="2 is refused"):
        split_of(corpus, folds=2)
    with pytest.raises(ValueError, match="one fold"):
        split_of(corpus, strategy="corpus", folds=3)


@pytest.mark.parametrize("folds", [3, 5])
def test_folds_test_every_interval_exactly_once(corpus, folds):
    split = split_of(with_sessions(corpus), folds=folds)
    assert set(split["split"]) == {"test"}
    assert sorted(split["fold"].unique()) == list(range(folds))
    assert (split.groupby("unit")["fold"].nunique() == 1).all()  # units are never cut
    tested = pd.concat(
        [fold_view(split, f, folds).query("split == 'test'") for f in range(folds)]
    )
    assert sorted(tested["interval_id"]) == sorted(split["interval_id"])
    for f in range(folds):
        view = fold_view(split, f, folds)
        assert set(view.loc[view["split"] == "val", "fold"]) == {(f + 1) % folds}
        assert len(view[view["split"] == "train"]) > 0
    # every stratum's units are spread evenly over the folds (counts differ by at most one)
    units = unit_table(split).join(split.groupby("unit")["fold"].first())
    per = pd.crosstab(units["stratum"], units["fold"])
    assert ((per.max(axis=1) - per.min(axis=1)) <= 1).all()


def test_folds_are_seeded(corpus):
    first = split_of(corpus, folds=5, seed=11)
    pd.testing.assert_frame_equal(first, split_of(corpus, folds=5, seed=11))
    assert (split_of(corpus, folds=5, seed=12)["fold"] != first["fold"]).any()


def test_dealing_spreads_every_stratum_and_fills_every_fold():
    units = pd.DataFrame(
        {
            "stratum": ["A"] * 6 + ["B"] * 2 + ["C"],
            "n_intervals": [1] * 9,
        },
        index=[f"u{i}" for i in range(9)],
    )
    folds = deal_folds(units, 3, seed=4)
    per = pd.crosstab(units["stratum"], folds)
    assert per.loc["A"].tolist() == [2, 2, 2]
    assert per.loc["B"].tolist() == [1, 1, 0]  # fold 2 holds the least after A
    assert per.loc["C"].tolist() == [0, 0, 1]
    assert folds.value_counts().sort_index().tolist() == [3, 3, 3]
    # small strata never fail; each of 3 units alone in its own fold
    single = pd.DataFrame(
        {"stratum": ["A", "B", "C"], "n_intervals": [4, 1, 2]}, index=["a", "b", "c"]
    )
    assert sorted(deal_folds(single, 3, seed=0)) == [0, 1, 2]


def test_too_few_units_for_the_folds_is_a_clear_error():
    recordings, marks = hand_corpus()
    with pytest.raises(ValueError, match=r"needs at least 5 split units.*has 3 segment unit\(s\)"):
        make_split(marks, recordings, EMOTIONS, "stratified", 0.2, 0.2, 1, folds=5)
    three = make_split(marks, recordings, EMOTIONS, "stratified", 0.2, 0.2, 1, folds=3)
    assert sorted(three["fold"].unique()) == [0, 1, 2]


def test_actor_folds_hold_out_whole_actors(corpus):
    split = split_of(corpus, strategy="actor", folds=3)
    assert split["unit"].tolist() == ("actor:" + split["actor"]).tolist()
    assert (split.groupby("actor")["fold"].nunique() == 1).all()
    assert split["fold"].nunique() == 3


def test_levels_inherit_unit_and_fold(corpus):
    corpus = with_sessions(corpus)
    split = split_of(corpus, folds=3)
    tables = all_levels(corpus, split)
    for k in (2, 3, 5):
        for row in tables[k].itertuples():
            assert row.unit == parent_split(row, split, "unit")
            assert row.fold == parent_split(row, split, "fold")
    assert list(tables[3].columns) == list(INTERVAL_COLUMNS)
    # the session of every interval's recording (the cluster a bootstrap resamples)
    sessions = sessions_of(corpus[0])
    for table in (split, tables[3]):
        assert (table["session"] == table["recording"].map(sessions)).all()
        assert table["session"].str.match(r"^d\d\d_S\d$").all()


def test_mean_part_counts_add_up_to_the_total(corpus):
    split = split_of(corpus, folds=5)
    sizes = split.groupby("fold").size()
    counts = mean_part_counts(split, 5)
    assert counts["test"] == pytest.approx(len(split) / 5)
    assert counts["val"] == pytest.approx(len(split) / 5)
    assert counts["train"] == pytest.approx(3 * len(split) / 5)
    by_emotion = mean_part_counts(split, 5, by=["emotion"])
    assert by_emotion.sum() == pytest.approx(len(split))
    one = split_of(corpus)
    assert mean_part_counts(one, 1).to_dict() == {
        part: float((one["split"] == part).sum()) for part in ("train", "val", "test")
    }
    assert sizes.sum() == len(split)


# --- time shared between parts --------------------------------------------------------------


def hand_table(rows, columns=("recording", "emotion", "start_s", "end_s", "split", "fold")):
    return pd.DataFrame(rows, columns=list(columns))


def test_overlap_counts_test_time_inside_train_or_val_by_hand():
    table = hand_table(
        [
            ("r1", "Angry", 0.0, 4.0, "test", 0),
            ("r1", "Sad", 3.0, 6.0, "train", 0),  # 1.0 s of the Angry test time
            ("r2", "Happy", 1.0, 1.5, "val", 0),  # r2 is r1's other view: 0.5 s more
            ("r3", "Angry", 0.0, 1.0, "test", 0),
            ("r4", "Sad", 0.0, 1.0, "train", 0),  # same clock times, other session
        ]
    )
    views = {"r1": "d1", "r2": "d1", "r3": "r3", "r4": "r4"}
    shared = cross_part_overlap([table], 1, views)
    assert shared.to_dict("records") == [
        {"fold": 0, "test_s": 5.0, "overlap_s": 1.5, "min_gap_s": 0.0}
    ]
    alone = cross_part_overlap([table], 1)  # every recording its own session
    assert alone["overlap_s"].tolist() == [1.0]


def test_smallest_gap_between_test_and_train_or_val_time_by_hand():
    table = hand_table(
        [
            ("r1", "Angry", 0.0, 4.0, "test", 0),
            ("r2", "Sad", 6.5, 7.0, "test", 1),  # r1's other view, 2.5 s after 4.0
            ("r1", "Happy", 10.0, 11.0, "test", 2),
            ("r1", "Happy", 12.0, 13.0, "test", 0),  # 1.0 s after fold 2's 11.0
            ("r3", "Angry", 0.0, 1.0, "test", 1),  # alone in its session
        ]
    ).assign(session=lambda t: t["recording"].map({"r1": "d1", "r2": "d1", "r3": "r3"}))
    # the table's session column is used; fold 1 tests 6.5-7.0 (2.5 s from 4.0, 3.0 from
    # 10.0) and r3, whose session holds nothing else
    gaps = cross_part_overlap([table], 3)
    assert gaps["min_gap_s"].tolist() == [1.0, 2.5, 1.0]
    assert gaps["overlap_s"].tolist() == [0.0, 0.0, 0.0]
    summary = overlap_summary([table], 3, strategy="stratified", unit="segment", guard_s=1.0)
    assert summary["min_gap_s"] == 1.0 and summary["guard_s"] == 1.0
    assert [f["min_gap_s"] for f in summary["per_fold"]] == [1.0, 2.5, 1.0]
    assert gap_note(summary) == (
        "Smallest gap between test time and train or val time within one session: 1 s "
        "(fold 0); split.guard_s = 1 s."
    )
    # sessions given as a mapping win over the column: with r2 its own session, fold 1
    # tests only sessions that hold nothing else
    alone = cross_part_overlap([table], 3, {"r1": "d1", "r2": "r2", "r3": "r3"})
    assert alone["min_gap_s"].tolist()[::2] == [1.0, 1.0]
    assert np.isnan(alone["min_gap_s"].iloc[1])


def test_smallest_gap_is_null_when_no_session_holds_two_parts():
    table = hand_table([("r1", "Angry", 0.0, 4.0, "test", 0), ("r2", "Sad", 0.0, 4.0, "test", 1),
                        ("r3", "Sad", 5.0, 6.0, "test", 2)])
    assert cross_part_overlap([table], 3)["min_gap_s"].isna().all()
    summary = overlap_summary([table], 3, strategy="stratified", unit="session", guard_s=2.0)
    assert summary["min_gap_s"] is None
    assert all(f["min_gap_s"] is None for f in summary["per_fold"])
    json.dumps(summary, allow_nan=False)  # JSON null, never NaN
    assert gap_note(summary) == (
        "No session holds both test and train or val time, in any fold (split.guard_s (2 s) "
        "acts on segment units only)."
    )


def test_overlap_per_fold_by_hand():
    table = hand_table(
        [
            ("r1", "Angry", 0.0, 4.0, "test", 0),
            ("r1", "Sad", 3.0, 6.0, "test", 1),
            ("r1", "Happy", 10.0, 12.0, "test", 2),
        ]
    )
    shared = cross_part_overlap({1: table}, 3)
    assert shared["test_s"].tolist() == [4.0, 3.0, 2.0]
    assert shared["overlap_s"].tolist() == [1.0, 1.0, 0.0]


@pytest.mark.parametrize("folds", [1, 3])
def test_interval_unit_leaks_across_emotions_and_segments_do_not(corpus, folds):
    corpus = with_sessions(corpus)
    recordings, _ = corpus
    views = sessions_of(recordings)
    leaky = all_levels(corpus, split_of(corpus, unit="interval", folds=folds))
    shared = cross_part_overlap(leaky, folds, views)
    assert shared["overlap_s"].sum() > 10.0  # emotions overlapping in time, the old split
    for unit in ("segment", "session"):
        tables = all_levels(corpus, split_of(corpus, unit=unit, folds=folds))
        clean = cross_part_overlap(tables, folds, views)
        assert clean["overlap_s"].tolist() == [0.0] * folds
        if unit == "segment":  # (6 sessions are too few strata to fill a test part)
            assert (clean["test_s"] > 0).all()
    # recordings cut a dialogue's two views apart: its shared clock leaks
    by_recording = all_levels(corpus, split_of(corpus, unit="recording", folds=folds))
    assert cross_part_overlap(by_recording, folds, views)["overlap_s"].sum() > 0


def test_segments_of_a_session_span_both_views(corpus):
    split = split_of(with_sessions(corpus), folds=3)
    views_per_unit = split.groupby("unit")["recording"].nunique()
    assert views_per_unit.max() == 2
    assert split["unit"].str.startswith("seg:d").all()


def test_corpus_split_keeps_units_inside_its_parts(corpus, caplog):
    recordings, annotations = with_sessions(corpus)
    # the first dialogue's two views are put in different parts by the corpus itself
    given = ["test", "train"] + ["test" if i % 4 == 0 else "train" for i in range(2, 12)]
    recordings = recordings.assign(split=given)
    split = make_split(annotations, recordings, EMOTIONS, "corpus", 0.2, 0.2, 3)
    assert (split.groupby("unit")["recording"].nunique().max()) == 2
    cut = split[split["recording"].isin(["d00_S0_1", "d00_S0_2"])]
    assert (cut["unit"].str.split(":").str[1] == cut["recording"]).all()
    assert "different parts" in caplog.text


def test_overlap_summary_and_protocol_text(corpus):
    split = split_of(corpus, unit="interval", folds=3)
    summary = overlap_summary([split], 3, strategy="stratified", unit="interval")
    assert summary["folds"] == 3 and len(summary["per_fold"]) == 3
    assert summary["overlap_s"] == pytest.approx(sum(f["overlap_s"] for f in summary["per_fold"]))
    assert "LEAKS" in summary["protocol"]
    assert describe_protocol("stratified", "segment", 5) == (
        "split unit: segment; 5-fold cross-validation, val = the next fold, every interval "
        "tested once"
    )
    assert describe_protocol("actor", "interval", 1).startswith("split unit: actor")


def test_interval_unit_with_one_fold_is_the_previous_per_interval_split():
    # pinned from the per-interval split this package made before split units existed (on
    # the fixture corpus as it was then, without quiet stretches)
    split = split_of(make_corpus(quiet=0.0), unit="interval")
    assert split_counts(split) == {"train": 121, "val": 30, "test": 39}
    lines = "\n".join(split["interval_id"] + " " + split["split"])
    assert hashlib.sha256(lines.encode()).hexdigest()[:16] == "d6c7cc59b85b6b49"
