"""Krippendorff's alpha per level on hand-made marks with known answers."""

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest
from levels_fixtures import make_corpus

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.levels.agreement import frame_units, level_alpha, value_counts
from emoagree.levels.build import agreement_intervals

EMOTIONS = list(DEFAULT_EMOTIONS)
NAN = np.nan


def marks(*rows):
    return pd.DataFrame(
        [("r1", *row) for row in rows],
        columns=["recording", "annotator", "emotion", "start_s", "end_s"],
    )


# a: Angry 0-4; b: Angry 0-2 then Sad 2-4; c: Sad 2-4 (and Neutral 0-2, which is no label)
HAND = marks(
    ("a", "Angry", 0.0, 4.0),
    ("b", "Angry", 0.0, 2.0),
    ("b", "Sad", 2.0, 4.0),
    ("c", "Sad", 2.0, 4.0),
    ("c", "Neutral", 0.0, 2.0),
)


def test_frame_units_use_frame_centers_and_midpoints_for_short_intervals():
    owner, time = frame_units(np.array([0.0, 1.06, 3.0]), np.array([0.3, 1.09, 3.25]), 0.1)
    # [1.06, 1.09) holds no center: one unit at its midpoint;
    # [3.0, 3.25) holds the centers 3.05 and 3.15 (3.25 is the open end)
    assert owner.tolist() == [0, 0, 0, 1, 2, 2]
    assert time == pytest.approx([0.05, 0.15, 0.25, 1.075, 3.05, 3.15])


def test_hand_case_matches_krippendorff_on_the_reliability_matrix():
    level1 = agreement_intervals(HAND, 1, EMOTIONS)  # Angry 0-4, Sad 2-4
    result = level_alpha(level1, HAND, EMOTIONS, 1.0)
    # units: Angry frames 0.5, 1.5, 2.5, 3.5 then Sad frames 2.5, 3.5; A=0, S=3
    a, s = 0, 3
    matrix = np.array(
        [
            [a, a, a, a, a, a],  # annotator a: Angry everywhere (other label on Sad's units)
            [a, a, s, s, s, s],  # b: Angry then Sad (other label on Angry's 2.5 and 3.5)
            [NAN, NAN, s, s, s, s],  # c: Neutral only before 2 s: missing
        ]
    )
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert result.alpha == pytest.approx(expected)
    assert result.alpha == pytest.approx(0.0625)  # by hand: 1 - (8/16) / (128/240)
    assert (result.n_units, result.n_pairable_units, result.n_intervals) == (6, 6, 2)


def test_alpha_rises_with_the_level_in_the_hand_case():
    level2 = agreement_intervals(HAND, 2, EMOTIONS)  # Angry 0-2 (a, b), Sad 2-4 (b, c)
    result = level_alpha(level2, HAND, EMOTIONS, 1.0)
    assert result.alpha == pytest.approx(0.25)  # by hand: 1 - (4/10) / (48/90)
    assert (
        result.alpha
        > level_alpha(agreement_intervals(HAND, 1, EMOTIONS), HAND, EMOTIONS, 1.0).alpha
    )


def test_perfect_agreement_gives_one():
    ann = marks(
        ("a", "Angry", 0.0, 2.0),
        ("b", "Angry", 0.0, 2.0),
        ("c", "Angry", 0.0, 2.0),
        ("a", "Happy", 3.0, 5.0),
        ("b", "Happy", 3.0, 5.0),
    )
    result = level_alpha(agreement_intervals(ann, 1, EMOTIONS), ann, EMOTIONS, 0.5)
    assert result.alpha == pytest.approx(1.0)
    assert (result.n_units, result.n_pairable_units) == (8, 8)


def test_undefined_alpha_is_nan_not_an_error():
    one_emotion = marks(("a", "Angry", 0.0, 2.0), ("b", "Angry", 0.0, 2.0))
    result = level_alpha(agreement_intervals(one_emotion, 1, EMOTIONS), one_emotion, EMOTIONS, 0.5)
    assert math.isnan(result.alpha) and result.to_dict()["alpha"] is None
    single = marks(("a", "Angry", 0.0, 2.0))
    result = level_alpha(agreement_intervals(single, 1, EMOTIONS), single, EMOTIONS, 0.5)
    assert math.isnan(result.alpha) and result.n_pairable_units == 0


def test_other_label_is_first_in_emotion_order():
    # c marks Sad and Happy over the Angry interval: Happy comes first in the emotion order
    ann = marks(("a", "Angry", 0.0, 1.0), ("c", "Sad", 0.0, 1.0), ("c", "Happy", 0.0, 1.0))
    counts = value_counts(
        agreement_intervals(ann, 1, EMOTIONS).query("emotion == 'Angry'"), ann, EMOTIONS, 1.0
    )
    assert counts.tolist() == [[1, 1, 0, 0, 0, 0]]


def test_alpha_rises_with_level_on_a_noisy_corpus():
    recordings, annotations = make_corpus(seed=4)
    alphas = [
        level_alpha(agreement_intervals(annotations, k, EMOTIONS), annotations, EMOTIONS, 0.1).alpha
        for k in (1, 2, 3, 4, 5)
    ]
    assert all(later > earlier for earlier, later in zip(alphas, alphas[1:], strict=False))
    assert 0.0 < alphas[0] < alphas[-1] <= 1.0
