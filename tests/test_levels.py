"""Agreement levels on hand-made marks with known answers."""

import pandas as pd
import pytest

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.levels.build import agreement_intervals, interval_ids, union_of_marks

EMOTIONS = list(DEFAULT_EMOTIONS)


def marks(*rows):
    """Marks as (annotator, emotion, start, end) on recording r1, or with a recording first."""
    full = [row if len(row) == 5 else ("r1", *row) for row in rows]
    return pd.DataFrame(full, columns=["recording", "annotator", "emotion", "start_s", "end_s"])


def spans(table, emotion=None, recording=None):
    if emotion is not None:
        table = table[table["emotion"] == emotion]
    if recording is not None:
        table = table[table["recording"] == recording]
    pairs = zip(table["start_s"], table["end_s"], strict=True)
    return [(round(s, 6), round(e, 6)) for s, e in pairs]


def test_nested_overlaps_give_each_level_its_stretch():
    ann = marks(
        ("a", "Angry", 0.0, 10.0),
        ("b", "Angry", 2.0, 8.0),
        ("c", "Angry", 4.0, 6.0),
    )
    assert spans(agreement_intervals(ann, 1, EMOTIONS)) == [(0.0, 10.0)]
    assert spans(agreement_intervals(ann, 2, EMOTIONS)) == [(2.0, 8.0)]
    assert spans(agreement_intervals(ann, 3, EMOTIONS)) == [(4.0, 6.0)]
    assert spans(agreement_intervals(ann, 4, EMOTIONS)) == []


def test_partial_overlaps_split_into_maximal_stretches():
    ann = marks(
        ("a", "Sad", 0.0, 3.0),
        ("b", "Sad", 2.0, 5.0),
        ("c", "Sad", 4.0, 7.0),
    )
    assert spans(agreement_intervals(ann, 1, EMOTIONS)) == [(0.0, 7.0)]
    assert spans(agreement_intervals(ann, 2, EMOTIONS)) == [(2.0, 3.0), (4.0, 5.0)]
    assert spans(agreement_intervals(ann, 3, EMOTIONS)) == []


def test_touching_marks_of_one_annotator_form_one_stretch():
    ann = marks(("a", "Happy", 0.0, 1.0), ("a", "Happy", 1.0, 2.5))
    assert spans(agreement_intervals(ann, 1, EMOTIONS)) == [(0.0, 2.5)]


def test_touching_marks_across_annotators_form_one_stretch_but_do_not_agree():
    ann = marks(("a", "Happy", 0.0, 1.0), ("b", "Happy", 1.0, 2.0))
    assert spans(agreement_intervals(ann, 1, EMOTIONS)) == [(0.0, 2.0)]
    assert spans(agreement_intervals(ann, 2, EMOTIONS)) == []


def test_level_two_stretch_continues_across_a_hand_over():
    # a covers 0-4; b covers 1-2 and c takes over 2-3: two annotators agree on 1-3 throughout.
    ann = marks(("a", "Angry", 0.0, 4.0), ("b", "Angry", 1.0, 2.0), ("c", "Angry", 2.0, 3.0))
    assert spans(agreement_intervals(ann, 2, EMOTIONS)) == [(1.0, 3.0)]


def test_duplicates_count_once():
    ann = marks(("a", "Angry", 1.0, 2.0), ("a", "Angry", 1.0, 2.0), ("b", "Angry", 1.5, 3.0))
    assert spans(agreement_intervals(ann, 2, EMOTIONS)) == [(1.5, 2.0)]
    # a's duplicate must not make a alone reach level 2
    alone = marks(("a", "Angry", 1.0, 2.0), ("a", "Angry", 1.0, 2.0))
    assert spans(agreement_intervals(alone, 2, EMOTIONS)) == []


def test_annotator_overlapping_itself_counts_once():
    ann = marks(("a", "Scared", 0.0, 5.0), ("a", "Scared", 3.0, 8.0), ("b", "Scared", 4.0, 6.0))
    assert spans(agreement_intervals(ann, 1, EMOTIONS)) == [(0.0, 8.0)]
    assert spans(agreement_intervals(ann, 2, EMOTIONS)) == [(4.0, 6.0)]
    assert spans(agreement_intervals(ann, 3, EMOTIONS)) == []


def test_two_emotions_over_the_same_time_never_merge():
    ann = marks(
        ("a", "Angry", 0.0, 4.0),
        ("b", "Disgusted", 0.0, 4.0),
        ("c", "Angry", 2.0, 6.0),
    )
    level1 = agreement_intervals(ann, 1, EMOTIONS)
    assert spans(level1, "Angry") == [(0.0, 6.0)]
    assert spans(level1, "Disgusted") == [(0.0, 4.0)]
    level2 = agreement_intervals(ann, 2, EMOTIONS)
    # a and b overlap 0-4 but with different emotions: only Angry reaches level 2, on 2-4
    assert list(level2["emotion"]) == ["Angry"]
    assert spans(level2) == [(2.0, 4.0)]


def test_dropped_categories_are_ignored():
    ann = marks(
        ("a", "Neutral", 0.0, 10.0),
        ("b", "Neutral", 0.0, 10.0),
        ("c", "Domination", 0.0, 10.0),
        ("a", "Happy", 1.0, 2.0),
    )
    level1 = agreement_intervals(ann, 1, EMOTIONS)
    assert list(level1["emotion"]) == ["Happy"]
    assert agreement_intervals(ann, 2, EMOTIONS).empty


def test_zero_length_marks_and_stretches_are_dropped():
    ann = marks(("a", "Sad", 2.0, 2.0), ("b", "Sad", 2.0, 2.0), ("a", "Sad", 5.0, 6.0))
    assert spans(agreement_intervals(ann, 1, EMOTIONS)) == [(5.0, 6.0)]
    # two marks touching at one instant give no level-2 stretch of zero length
    touch = marks(("a", "Sad", 0.0, 1.0), ("b", "Sad", 1.0, 2.0))
    assert agreement_intervals(touch, 2, EMOTIONS).empty


def test_level_above_annotator_count_is_empty_with_typed_columns():
    ann = marks(("a", "Angry", 0.0, 1.0), ("b", "Angry", 0.0, 1.0))
    table = agreement_intervals(ann, 3, EMOTIONS)
    assert table.empty
    assert list(table.columns) == [
        "recording",
        "emotion",
        "level",
        "start_s",
        "end_s",
        "duration_s",
    ]
    assert table["start_s"].dtype == float


def test_recordings_are_separate_and_columns_are_filled():
    ann = marks(
        ("r1", "a", "Angry", 0.0, 2.0),
        ("r2", "b", "Angry", 1.0, 3.0),
        ("r1", "b", "Angry", 1.0, 3.0),
    )
    level2 = agreement_intervals(ann, 2, EMOTIONS)
    assert spans(level2, recording="r1") == [(1.0, 2.0)]
    assert spans(level2, recording="r2") == []
    assert level2["level"].tolist() == [2]
    assert level2["duration_s"].tolist() == pytest.approx([1.0])


def test_level_below_one_is_an_error():
    with pytest.raises(ValueError, match="level must be >= 1"):
        agreement_intervals(marks(("a", "Angry", 0.0, 1.0)), 0, EMOTIONS)


def test_union_of_marks_merges_touching_and_overlapping():
    assert union_of_marks([(3, 4), (0, 1), (1, 2), (1.5, 2.2)]) == [(0.0, 2.2), (3.0, 4.0)]


def test_interval_ids_are_stable_and_unique():
    ann = marks(
        ("a", "Angry", 0.0, 2.0),
        ("b", "Angry", 1.0, 3.0),
        ("a", "Angry", 5.0, 6.0),
        ("b", "Happy", 0.0, 2.0),
        ("r2", "a", "Angry", 0.0, 2.0),
    )
    tables = [agreement_intervals(ann, k, EMOTIONS) for k in (1, 2)]
    both = pd.concat(tables, ignore_index=True)
    ids = interval_ids(both)
    assert ids.is_unique
    assert ids.tolist() == interval_ids(both).tolist()
    assert "r1_Angry_L1_00000000" in set(ids)
    assert "r1_Angry_L2_00001000" in set(ids)
    # shuffling the marks does not change the ids
    shuffled = ann.sample(frac=1.0, random_state=3)
    again = pd.concat(
        [agreement_intervals(shuffled, k, EMOTIONS) for k in (1, 2)], ignore_index=True
    )
    assert sorted(interval_ids(again)) == sorted(ids)


def test_interval_ids_stay_unique_for_starts_within_a_millisecond():
    table = pd.DataFrame(
        {
            "recording": ["r1", "r1"],
            "emotion": ["Sad", "Sad"],
            "level": [1, 1],
            "start_s": [1.0001, 1.0],
            "end_s": [1.0003, 1.00005],
        }
    )
    ids = interval_ids(table)
    assert ids.tolist() == ["r1_Sad_L1_00001000b", "r1_Sad_L1_00001000"]
