"""The answer's figure: each train row's mean UAR over test levels with its interval, the
confidence set (or the named row) marked, and the training samples each row keeps.

Read from ``answer.json`` (contract: ``rows``, ``mean_uar``, ``mean_uar_ci``,
``confidence_set``, ``named_row``) and the level tables' sample counts (as the trade-off
figure counts them). A companion figure gives one small panel per system (point means
from the cross-evaluation tables; intervals only for the headline system).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emoagree.report.style import (
    COLUMN_IN,
    figure_size,
    journal,
    plt,
    save_figure,
    short_name,
    system_colour,
    system_marker,
)

#: What the figure reads from answer.json.
REQUIRED_KEYS = ("rows", "mean_uar", "mean_uar_ci", "confidence_set", "named_row")
GREY = "#999999"


def check_answer(answer: Mapping[str, Any], source: str = "answer.json") -> None:
    """Fail with a one-line message naming the first missing key or row."""
    for key in REQUIRED_KEYS:
        if key not in answer:
            raise ValueError(f"{source}: no '{key}' key (the answer figure needs "
                             f"{', '.join(REQUIRED_KEYS)})")
    rows = [str(r) for r in answer["rows"]]
    for key in ("mean_uar", "mean_uar_ci"):
        missing = [r for r in rows if r not in answer[key]]
        if missing:
            raise ValueError(f"{source}: '{key}' has no value for row {missing[0]}")
    outside = [str(r) for r in answer["confidence_set"] if str(r) not in rows]
    if outside:
        raise ValueError(f"{source}: confidence_set row {outside[0]} is not one of 'rows'")
    named = answer["named_row"]
    if named is not None and str(named) not in [str(r) for r in answer["confidence_set"]]:
        raise ValueError(f"{source}: named_row {named} is not in confidence_set")


def row_label(row: str) -> str:
    """``M3`` for train level 3; an arm keeps its name (``Mw``)."""
    return f"M{row}" if str(row).isdigit() else str(row)


def row_samples(rows: Sequence[str], counts: Mapping[int, float]) -> list[float]:
    """Training samples of each row: a level's own count; a training arm (``Mw``, ``Ms``,
    ``Mc``) trains on all level-1 intervals, so level 1's."""
    out = []
    for row in rows:
        level = int(row) if str(row).isdigit() else 1
        if level not in counts:
            raise ValueError(f"no training sample count for level {level} (row {row})")
        out.append(float(counts[level]))
    return out


def answer_figure(
    answer: Mapping[str, Any],
    counts: Mapping[int, float],
    path: str | Path,
    system: str | None = None,
):
    """Two panels sharing the train-row axis: mean UAR (%) with interval per row, rows of
    the confidence set filled (the named row starred), rows outside it hollow grey; below,
    the training samples each row keeps (an arm's bar hatched: level 1's intervals).
    Written as PNG at ``path`` and PDF beside it.

    Returns:
        The (closed) figure: its axes are the UAR panel and the samples panel.
    """
    check_answer(answer)
    rows = [str(r) for r in answer["rows"]]
    system = system or str(answer.get("system", ""))
    colour = system_colour(system) if system else "#000000"
    x = np.arange(len(rows), dtype=float)
    mean = np.array([100 * answer["mean_uar"][r] for r in rows], dtype=float)
    bounds = np.array([[np.nan if v is None else 100 * v for v in answer["mean_uar_ci"][r]]
                       for r in rows], dtype=float)
    in_set = [r in {str(s) for s in answer["confidence_set"]} for r in rows]
    named = None if answer["named_row"] is None else str(answer["named_row"])
    level = 100 * float(answer.get("ci_level", 0.95))
    with journal():
        fig, (top, bottom) = plt.subplots(
            2, 1, sharex=True, figsize=figure_size(COLUMN_IN, 2.9),
            gridspec_kw={"height_ratios": [2, 1]},
        )
        for k, row in enumerate(rows):
            member = in_set[k]
            top.errorbar(
                x[k], mean[k],
                yerr=[[mean[k] - bounds[k, 0]], [bounds[k, 1] - mean[k]]],
                color=colour if member else GREY, capsize=3, linewidth=1.4 if member else 1,
                marker="*" if row == named else "o", markersize=9 if row == named else 5,
                markerfacecolor=colour if member else "white",
            )
        for k in np.flatnonzero(in_set):  # the confidence set's rows, shaded
            top.axvspan(x[k] - 0.4, x[k] + 0.4, color=colour, alpha=0.08, linewidth=0)
        top.set_ylabel("mean UAR over\ntest levels (%)")
        if named is not None:
            note = f"named: {row_label(named)}"
        else:
            note = f"{level:.0f}% confidence set: " + ", ".join(
                row_label(r) for r, m in zip(rows, in_set, strict=True) if m)
        top.set_title(f"{short_name(system) if system else 'answer'}; {note}", loc="left")
        samples = row_samples(rows, counts)
        bars = bottom.bar(x, samples, width=0.6, color="#bbbbbb")
        for bar, row in zip(bars, rows, strict=True):
            if not row.isdigit():
                bar.set_hatch("///")
                bar.set_facecolor("white")
                bar.set_edgecolor(GREY)
        bottom.set_ylabel("train samples")
        bottom.set_xticks(x, [row_label(r) for r in rows])
        bottom.set_xlabel("train row (level: minimum annotator agreement)")
        fig.align_ylabels([top, bottom])
        save_figure(fig, path)
    return fig


def systems_figure(
    means: Mapping[str, Mapping[str, float]],
    answer: Mapping[str, Any],
    path: str | Path,
) -> Path:
    """Companion figure: one small panel per system, its mean UAR (%) over test levels per
    train row (``means[system][row]``, from the cross-evaluation tables). The headline
    system's panel carries its intervals and its confidence set; the others are point
    estimates.

    Returns:
        The PDF beside the PNG.
    """
    check_answer(answer)
    headline = str(answer.get("system", ""))
    systems = list(means)
    if not systems:
        raise ValueError("no system to draw")
    ncols = min(3, len(systems))
    nrows = int(np.ceil(len(systems) / ncols))
    in_set = {str(s) for s in answer["confidence_set"]}
    with journal():
        fig, axes = plt.subplots(
            nrows, ncols, sharey=True, squeeze=False,
            figsize=figure_size(COLUMN_IN, 0.4 + 1.25 * nrows),
        )
        for ax, system in zip(axes.ravel(), systems, strict=False):
            rows = list(means[system])
            x = np.arange(len(rows))
            values = [means[system][r] for r in rows]
            colour = system_colour(system)
            if system == headline:
                low = [100 * answer["mean_uar_ci"][r][0] for r in rows]
                high = [100 * answer["mean_uar_ci"][r][1] for r in rows]
                ax.fill_between(x, low, high, color=colour, alpha=0.15, linewidth=0)
            ax.plot(x, values, marker=system_marker(system), markersize=3, color=colour,
                    linewidth=1, markerfacecolor="white")
            if system == headline:  # the confidence set's rows, filled on top
                for k, row in enumerate(rows):
                    if row in in_set:
                        ax.plot(x[k], values[k], marker="o", markersize=5, color=colour,
                                zorder=3)
            ax.set_xticks(x, [row_label(r) for r in rows], rotation=90 if len(rows) > 5 else 0)
            ax.set_title(short_name(system), fontsize=7,
                         fontweight="bold" if system == headline else "normal")
        for ax in axes.ravel()[len(systems):]:
            ax.set_visible(False)
        for ax in axes[:, 0]:
            ax.set_ylabel("mean UAR (%)")
        fig.tight_layout(pad=0.3)
        return save_figure(fig, path)
