"""Corpus figures: the paper's Figures 1-3 and, for the demo, label accuracy per level.

Drawn from the level tables (rules ``report_corpus_figures`` and
``report_truth_accuracy_figure`` of ``report.smk``); the evaluation's figures are in
:mod:`emoagree.report.figures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from emoagree.constants import SPLITS
from emoagree.report.style import (
    MAX_WIDTH_IN,
    OKABE_ITO,
    figure_size,
    journal,
    level_colours,
    plt,
    save_figure,
)

#: Colour of marks outside the kept emotions (Neutral, Domination, ...).
OTHER_COLOUR = "#c8c8c8"


#: Emotion colours: Okabe-Ito without black and grey tones (colour-blind safe).
EMOTION_PALETTE = [OKABE_ITO[name] for name in (
    "vermillion", "blue", "orange", "bluish green", "reddish purple", "sky blue", "yellow",
)]


def emotion_colours(emotions: Sequence[str]) -> dict[str, str]:
    """A fixed colour per kept emotion (Okabe-Ito in config order)."""
    return {e: EMOTION_PALETTE[i % len(EMOTION_PALETTE)] for i, e in enumerate(emotions)}


def _save(fig, path: str | Path) -> None:
    save_figure(fig, path)


def _lanes(starts: Sequence[float], ends: Sequence[float]) -> tuple[list[int], int]:
    """Greedy lanes so that overlapping bars of one row are drawn side by side, not hidden."""
    lane_ends: list[float] = []
    lanes = [0] * len(starts)
    for index in sorted(range(len(starts)), key=lambda i: (starts[i], ends[i])):
        free = [k for k, end in enumerate(lane_ends) if end <= starts[index]]
        if free:
            lanes[index] = free[0]
            lane_ends[free[0]] = ends[index]
        else:
            lanes[index] = len(lane_ends)
            lane_ends.append(ends[index])
    return lanes, max(len(lane_ends), 1)


def _bar_row(
    ax, row: int, bars: pd.DataFrame, colours: Mapping[str, tuple], alpha: float = 1.0
) -> None:
    """One row of horizontal bars (start_s, end_s, emotion), overlaps split into lanes."""
    starts = bars["start_s"].to_numpy(dtype=float)
    ends = bars["end_s"].to_numpy(dtype=float)
    lanes, n_lanes = _lanes(list(starts), list(ends))
    height = 0.8 / n_lanes
    for start, end, emotion, lane in zip(starts, ends, bars["emotion"], lanes, strict=True):
        ax.barh(
            row - 0.4 + (lane + 0.5) * height,
            end - start,
            left=start,
            height=height,
            color=colours.get(emotion, OTHER_COLOUR),
            alpha=alpha,
            edgecolor="none",
        )


def example_recording(levels: Mapping[int, pd.DataFrame]) -> str:
    """The recording shown in Figure 1: most intervals at the highest non-empty level.

    Ties go to the recording with more level-1 intervals, then to the first name.
    """
    for level in sorted(levels, reverse=True):
        table = levels[level]
        if len(table):
            top = table["recording"].value_counts()
            first = levels[min(levels)]["recording"].value_counts()
            ranked = sorted(top.index, key=lambda r: (-top[r], -first.get(r, 0), str(r)))
            return str(ranked[0])
    raise ValueError("no level has any interval: nothing to draw in Figure 1")


def annotation_example(
    annotations: pd.DataFrame,
    levels: Mapping[int, pd.DataFrame],
    emotions: Sequence[str],
    path: str | Path,
    recording: str | None = None,
) -> str:
    """Figure 1: one recording's marks per annotator, and the level bands they give.

    Returns:
        The recording drawn.
    """
    recording = recording or example_recording(levels)
    colours = emotion_colours(emotions)
    marks = annotations[annotations["recording"].astype(str) == recording]
    annotators = sorted(marks["annotator"].astype(str).unique())
    ordered_levels = sorted(levels)
    with journal():
        return _annotation_axes(marks, levels, annotators, ordered_levels, colours, emotions,
                                recording, path)


def _annotation_axes(marks, levels, annotators, ordered_levels, colours, emotions, recording,
                     path) -> str:
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        sharex=True,
        figsize=figure_size(MAX_WIDTH_IN - 0.35,
                            0.9 + 0.2 * (len(annotators) + len(ordered_levels))),
        gridspec_kw={"height_ratios": [max(len(annotators), 1), max(len(ordered_levels), 1)]},
    )
    for row, annotator in enumerate(annotators):
        _bar_row(top, row, marks[marks["annotator"].astype(str) == annotator], colours, 0.85)
    top.set_yticks(range(len(annotators)), annotators)
    top.invert_yaxis()
    top.set_ylabel("annotator")
    top.set_title(f"Recording {recording}", loc="left")
    for row, level in enumerate(ordered_levels):
        table = levels[level]
        _bar_row(bottom, row, table[table["recording"].astype(str) == recording], colours)
    bottom.set_yticks(range(len(ordered_levels)), [str(k) for k in ordered_levels])
    bottom.set_ylabel("level")
    bottom.invert_yaxis()
    bottom.set_xlabel("time (s)")
    handles = [Patch(color=colours[e], label=e) for e in emotions]
    handles.append(Patch(color=OTHER_COLOUR, label="other (dropped)"))
    bottom.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=4,
                  frameon=False)
    _save(fig, path)
    return recording


def count_table(
    levels: Mapping[int, pd.DataFrame], emotions: Sequence[str], folds: int = 1
) -> pd.DataFrame:
    """Interval counts per panel of Figure 2 and emotion, one column per level.

    With one fold the panels are the parts: the index is (``split``, ``emotion``). With
    K >= 3 folds the panels are the folds: the index is (``fold``, ``emotion``) and each
    count is the number of intervals that fold tests (its test part; the val part of fold
    f is fold f + 1's test part, the train part the rest), so a level's counts add up to
    its number of intervals.
    """
    folds = int(folds)
    panels = list(SPLITS) if folds == 1 else list(range(folds))
    name = "split" if folds == 1 else "fold"
    index = pd.MultiIndex.from_product([panels, list(emotions)], names=[name, "emotion"])
    columns = {}
    for level in sorted(levels):
        table = levels[level]
        counts = table.groupby([table[name].astype(type(panels[0])), "emotion"]).size()
        columns[level] = counts.reindex(index, fill_value=0).astype(int)
    return pd.DataFrame(columns, index=index)


def sample_counts(
    levels: Mapping[int, pd.DataFrame],
    emotions: Sequence[str],
    path: str | Path,
    folds: int = 1,
) -> pd.DataFrame:
    """Figure 2: samples per emotion (groups) and level (bars), one panel per part (one
    fold) or per fold's test part (K >= 3 folds, see :func:`count_table`)."""
    counts = count_table(levels, emotions, folds)
    folds = int(folds)
    panels = list(counts.index.get_level_values(0).unique())
    ordered = list(counts.columns)
    ncols = 1 if len(panels) == 1 else 2
    nrows = int(np.ceil(len(panels) / ncols))
    width = 0.8 / max(len(ordered), 1)
    x = np.arange(len(emotions))
    colours = level_colours(len(ordered))
    with journal():
        fig, axes = plt.subplots(
            nrows, ncols, squeeze=False, sharey=True,
            figsize=figure_size(MAX_WIDTH_IN - 0.35, 0.3 + 1.55 * nrows),
        )
        for ax, panel in zip(axes.ravel(), panels, strict=False):
            for i, level in enumerate(ordered):
                ax.bar(
                    x + (i - (len(ordered) - 1) / 2) * width,
                    counts.loc[panel, level].to_numpy(),
                    width,
                    color=colours[i],
                    label=str(level),
                )
            ax.set_xticks(x, list(emotions), rotation=90)
            ax.set_title(panel if folds == 1 else f"fold {panel}: test")
        for ax in axes.ravel()[len(panels):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("intervals")
        fig.tight_layout(pad=0.3)
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        fig.legend(handles, labels, title="level", loc="upper center", ncol=len(ordered),
                   bbox_to_anchor=(0.5, 0.0), frameon=False)
        _save(fig, path)
    return counts


def interval_lengths(levels: Mapping[int, pd.DataFrame], path: str | Path) -> None:
    """Figure 3: interval lengths per level, whiskers at the 1st and 99th percentiles."""
    ordered = sorted(levels)
    data = [levels[k]["duration_s"].to_numpy(dtype=float) for k in ordered]
    with journal():
        fig, ax = plt.subplots(figsize=figure_size(3.3, 2.3))
        ax.boxplot(
            [d if len(d) else [np.nan] for d in data],
            whis=(1, 99),
            tick_labels=[str(k) for k in ordered],
            flierprops={"markersize": 2},
        )
        ax.set_xlabel("level of agreement")
        ax.set_ylabel("interval length (s)")
        _save(fig, path)


def truth_accuracy(shares: Mapping[int, float], path: str | Path) -> None:
    """Demo only: share of interval time whose label matches the hidden truth, per level."""
    ordered = sorted(shares)
    values = [100 * float(shares[k]) for k in ordered]
    with journal():
        fig, ax = plt.subplots(figsize=figure_size(3.3, 2.3))
        ax.plot(ordered, values, marker="o", color=OKABE_ITO["blue"])
        for level, value in zip(ordered, values, strict=True):
            ax.annotate(
                f"{value:.1f}",
                (level, value),
                textcoords="offset points",
                xytext=(0, 5),
                ha="center",
                fontsize=7,
            )
        ax.set_xticks(ordered)
        ax.set_ylim(0, 110)
        ax.set_xlabel("level of agreement")
        ax.set_ylabel("labels matching the\nhidden truth (% of time)")
        _save(fig, path)
