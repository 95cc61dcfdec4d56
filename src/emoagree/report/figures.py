"""Figures of the evaluation: cross-evaluation heatmaps, the trade-off, per-class recalls.

Every figure follows :mod:`emoagree.report.style`: drawn at journal-column size, short
system names (the backbone is in the caption), one colour per system, legends outside
the axes, written as PNG and PDF.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emoagree.report.style import (
    COLUMN_IN,
    figure_size,
    journal,
    level_colours,
    plt,
    save_figure,
    short_name,
    system_colour,
    system_marker,
)


def crosseval_heatmap(frame: pd.DataFrame, title: str, path: str | Path) -> Path:
    """Heatmap of a numeric cross-evaluation (rows train row, ``test{j}`` columns, UAR %).

    Returns:
        The PDF beside the PNG.
    """
    tests = [c for c in frame.columns if c.startswith("test")]
    values = frame[tests].to_numpy(dtype=float)
    finite = np.isfinite(values).any()
    with journal():
        fig, ax = plt.subplots(figsize=figure_size(COLUMN_IN, 0.5 + 0.42 * len(frame.index)))
        image = ax.imshow(
            values,
            cmap="viridis",
            vmin=np.nanmin(values) if finite else 0,
            vmax=np.nanmax(values) if finite else 100,
            aspect="auto",
        )
        ax.set_xticks(range(len(tests)), [c.replace("test", "") for c in tests])
        ax.set_yticks(range(len(frame.index)), [str(i) for i in frame.index])
        ax.set_xlabel("test level")
        levels_only = all(str(i).isdigit() for i in frame.index)
        ax.set_ylabel("train level" if levels_only else "train row")
        middle = np.nanmean(values) if finite else 0
        for (r, c), value in np.ndenumerate(values):
            ax.text(
                c,
                r,
                "n/a" if np.isnan(value) else f"{value:.1f}",
                ha="center",
                va="center",
                color="white" if np.isnan(value) or value < middle else "black",
                fontsize=7,
            )
        fig.colorbar(image, ax=ax, label="UAR (%)", fraction=0.06, pad=0.03)
        ax.set_title(title)
        return save_figure(fig, path)


def tradeoff_plot(
    counts: Mapping[int, float],
    answer: Mapping[str, Any],
    other_means: Mapping[str, Sequence[float]],
    path: str | Path,
) -> Path:
    """The trade-off in two stacked panels sharing the train-level axis.

    Top: training samples per train level (mean over folds). Bottom: the headline
    system's mean UAR over test levels with its interval; thin lines the other systems'
    means (``other_means`` keyed by system id, values in % per level); a training arm
    (trained on all level-1 intervals) as a dashed line with its band.

    Returns:
        The PDF beside the PNG.
    """
    levels = [int(k) for k in answer["levels"]]
    system = str(answer["system"])
    mean = np.array([100 * answer["mean_uar"][str(k)] for k in levels])
    low = np.array([100 * answer["mean_uar_ci"][str(k)][0] for k in levels])
    high = np.array([100 * answer["mean_uar_ci"][str(k)][1] for k in levels])
    with journal():
        fig, (top, bottom) = plt.subplots(
            2,
            1,
            sharex=True,
            figsize=figure_size(COLUMN_IN, 3.4),
            gridspec_kw={"height_ratios": [1, 2]},
        )
        top.bar(levels, [counts[k] for k in levels], color="#bbbbbb", width=0.6)
        top.set_ylabel("train samples")
        label = f"{short_name(system)} ({100 * answer['ci_level']:.0f}% CI)"
        if answer.get("optimistic"):
            label += " OPTIMISTIC"
        for other, values in other_means.items():
            bottom.plot(
                levels,
                list(values),
                marker=system_marker(other),
                markersize=3,
                linewidth=0.8,
                color=system_colour(other),
                label=short_name(other),
            )
        bottom.errorbar(
            levels,
            mean,
            yerr=[mean - low, high - mean],
            color=system_colour(system),
            marker=system_marker(system),
            linewidth=1.6,
            capsize=3,
            label=label,
            zorder=5,
        )
        # training arms (all level-1 intervals): no sample count of their own, a line each
        for n, row in enumerate(answer.get("arm_rows") or []):
            value, bounds = answer["mean_uar"].get(str(row)), answer["mean_uar_ci"].get(str(row))
            if value is None:
                continue
            style = ("--", ":", "-.")[n % 3]
            bottom.axhline(100 * value, color=system_colour(system), linestyle=style,
                           linewidth=0.9, label=f"{short_name(system)} arm {row}")
            if bounds and None not in bounds:
                bottom.axhspan(100 * bounds[0], 100 * bounds[1], color=system_colour(system),
                               alpha=0.08)
        bottom.set_ylabel("mean UAR over\ntest levels (%)")
        bottom.set_xlabel("train level (minimum annotator agreement)")
        bottom.set_xticks(levels)
        bottom.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=2, frameon=False)
        fig.align_ylabels([top, bottom])
        return save_figure(fig, path)


def recall_plot(
    recalls: Mapping[int, Mapping[str, float | None]],
    emotions: Sequence[str],
    system: str,
    path: str | Path,
) -> Path:
    """Per-class recall of ``system`` trained and tested on each level (grouped bars).

    Returns:
        The PDF beside the PNG.
    """
    levels = list(recalls)
    width = 0.8 / max(1, len(levels))
    colours = level_colours(len(levels))
    with journal():
        fig, ax = plt.subplots(figsize=figure_size(COLUMN_IN, 2.3))
        x = np.arange(len(emotions))
        for n, level in enumerate(levels):
            values = [recalls[level].get(e) for e in emotions]
            values = [np.nan if v is None else 100 * v for v in values]
            ax.bar(x + n * width - 0.4 + width / 2, values, width, color=colours[n],
                   label=str(level))
        ax.set_xticks(x, emotions, rotation=30, ha="right")
        ax.set_ylabel("recall (%)")
        ax.set_ylim(0, 100)
        ax.legend(title="level", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.set_title(f"{short_name(system)}: trained and tested on the same level")
        return save_figure(fig, path)
