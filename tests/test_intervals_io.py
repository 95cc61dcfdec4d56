"""Interval tables survive a csv round trip with ids as strings and exact times."""

import pandas as pd
import pytest
from levels_fixtures import make_corpus

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.intervals_io import read_annotations, read_intervals, write_intervals
from emoagree.levels.build import level_table
from emoagree.levels.split import make_split


def test_round_trip_keeps_ids_and_times(tmp_path):
    recordings, annotations = make_corpus(seed=5, n_scenarios=1, takes=1)
    renamed = dict(zip(recordings["recording"], ["007", "008"], strict=True))
    recordings["recording"] = recordings["recording"].map(renamed)
    annotations["recording"] = annotations["recording"].map(renamed)
    split = make_split(annotations, recordings, DEFAULT_EMOTIONS, "stratified", 0.2, 0.2, 1)
    write_intervals(split, tmp_path / "split.csv")
    back = read_intervals(tmp_path / "split.csv")
    pd.testing.assert_frame_equal(back, split, check_dtype=False)
    assert back["recording"].tolist()[0] == "007"
    assert (back["start_s"].to_numpy() == split["start_s"].to_numpy()).all()
    # a level computed against the re-read split inherits it without tolerance trouble
    level3 = level_table(annotations, recordings, 3, back, DEFAULT_EMOTIONS)
    assert len(level3) > 0


def test_missing_column_names_the_file(tmp_path):
    path = tmp_path / "annotations.csv"
    path.write_text("recording,annotator,emotion,start_s\nr,a,Angry,0\n")
    with pytest.raises(ValueError, match=r"annotations.csv: missing column\(s\) \['end_s'\]"):
        read_annotations(path)
