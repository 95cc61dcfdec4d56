"""Corpus figures are written and show the right data."""

import matplotlib.image as mpimg
import pytest
from levels_fixtures import make_corpus

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.levels.build import level_table
from emoagree.levels.split import make_split
from emoagree.report import corpus_figures

EMOTIONS = list(DEFAULT_EMOTIONS)


def assert_png(path):
    image = mpimg.imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert image[..., :3].std() > 0.05  # not a blank canvas


def test_figure1_draws_the_recording_with_most_top_level_intervals(corpus_levels, tmp_path):
    annotations, levels = corpus_levels
    top = levels[5]["recording"].value_counts()
    drawn = corpus_figures.annotation_example(annotations, levels, EMOTIONS, tmp_path / "fig1.png")
    assert top[drawn] == top.max()
    assert_png(tmp_path / "fig1.png")


def test_figure1_needs_an_interval():
    with pytest.raises(ValueError, match="no level has any interval"):
        corpus_figures.example_recording({1: make_corpus()[1].iloc[:0].assign(split=[])})


def test_figure2_counts_per_split_emotion_and_level(corpus_levels, tmp_path):
    _, levels = corpus_levels
    counts = corpus_figures.sample_counts(levels, EMOTIONS, tmp_path / "fig2.png")
    assert_png(tmp_path / "fig2.png")
    for level, table in levels.items():
        assert counts[level].sum() == len(table)
        expected = ((table["split"] == "test") & (table["emotion"] == "Angry")).sum()
        assert counts.loc[("test", "Angry"), level] == expected


def test_figure3_and_truth_accuracy_are_written(corpus_levels, tmp_path):
    _, levels = corpus_levels
    corpus_figures.interval_lengths(levels, tmp_path / "fig3.png")
    assert_png(tmp_path / "fig3.png")
    corpus_figures.truth_accuracy({1: 0.6, 2: 0.7, 3: 0.8}, tmp_path / "acc.png")
    assert_png(tmp_path / "acc.png")


def test_overlapping_bars_get_their_own_lanes():
    lanes, n = corpus_figures._lanes([0.0, 1.0, 2.5, 0.5], [2.0, 3.0, 4.0, 0.8])
    # 0-2 lane 0; 0.5-0.8 overlaps it: lane 1; 1-3 overlaps 0-2: lane 1 (free after 0.8);
    # 2.5-4 starts after 0-2 ended: lane 0
    assert (lanes, n) == ([0, 1, 0, 1], 2)


def test_figure2_with_folds_counts_each_folds_test_part(tmp_path):
    recordings, annotations = make_corpus(seed=2)
    split = make_split(annotations, recordings, EMOTIONS, "stratified", 0.2, 0.2, 1, folds=3)
    levels = {k: level_table(annotations, recordings, k, split, EMOTIONS) for k in (1, 3)}
    counts = corpus_figures.sample_counts(levels, EMOTIONS, tmp_path / "fig2.png", 3)
    assert_png(tmp_path / "fig2.png")
    assert list(counts.index.names) == ["fold", "emotion"]
    for level, table in levels.items():
        assert counts[level].sum() == len(table)
        expected = ((table["fold"] == 2) & (table["emotion"] == "Sad")).sum()
        assert counts.loc[(2, "Sad"), level] == expected
