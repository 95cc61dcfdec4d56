"""Figures of the evaluation: cross-evaluation heatmaps, the trade-off curve, recalls."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _save(fig, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def crosseval_heatmap(frame: pd.DataFrame, title: str, path: str | Path) -> None:
    """Heatmap of a numeric 5x5 (rows train level, ``test{j}`` columns, UAR %)."""
    tests = [c for c in frame.columns if c.startswith("test")]
    values = frame[tests].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    image = ax.imshow(
        values,
        cmap="viridis",
        vmin=np.nanmin(values) if np.isfinite(values).any() else 0,
        vmax=np.nanmax(values) if np.isfinite(values).any() else 100,
    )
    ax.set_xticks(range(len(tests)), [c.replace("test", "") for c in tests])
    ax.set_yticks(range(len(frame.index)), [str(i) for i in frame.index])
    ax.set_xlabel("test level")
    ax.set_ylabel("train level" if all(str(i).isdigit() for i in frame.index) else "train row")
    for (r, c), value in np.ndenumerate(values):
        ax.text(
            c,
            r,
            "n/a" if np.isnan(value) else f"{value:.1f}",
            ha="center",
            va="center",
            color="white" if np.isnan(value) or value < np.nanmean(values) else "black",
            fontsize=8,
        )
    fig.colorbar(image, ax=ax, label="UAR (%)")
    ax.set_title(title, fontsize=9)
    _save(fig, path)


def tradeoff_plot(
    counts: Mapping[int, int],
    answer: Mapping[str, Any],
    other_means: Mapping[str, Sequence[float]],
    path: str | Path,
) -> None:
    """Training sample count (bars) and mean UAR over test levels (line, with interval).

    ``other_means`` is keyed by the name each line has in the legend (its display name).
    """
    levels = answer["levels"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.bar(levels, [counts[k] for k in levels], color="#cccccc", label="train samples")
    ax.set_xlabel("train level (minimum annotator agreement)")
    ax.set_ylabel("train samples")
    ax.set_xticks(levels)
    right = ax.twinx()
    mean = np.array([100 * answer["mean_uar"][str(k)] for k in levels])
    low = np.array([100 * answer["mean_uar_ci"][str(k)][0] for k in levels])
    high = np.array([100 * answer["mean_uar_ci"][str(k)][1] for k in levels])
    name = answer.get("system_label", answer["system"])
    label = f"{name} (mean over test levels, {100 * answer['ci_level']:.0f}% CI)"
    if answer.get("optimistic"):
        label += " OPTIMISTIC"
    right.errorbar(
        levels, mean, yerr=[mean - low, high - mean], color="C3", marker="o", capsize=4, label=label
    )
    for system, values in other_means.items():
        right.plot(levels, values, marker=".", linewidth=0.8, alpha=0.7, label=system)
    # training arms (all level-1 intervals): no sample count of their own, so a line each
    for n, row in enumerate(answer.get("arm_rows") or []):
        value, bounds = answer["mean_uar"].get(str(row)), answer["mean_uar_ci"].get(str(row))
        if value is None:
            continue
        color = f"C{5 + n}"
        right.axhline(100 * value, color=color, linestyle="--", linewidth=1,
                      label=f"{answer['system']} arm {row} (all level-1 intervals)")
        if bounds and None not in bounds:
            right.axhspan(100 * bounds[0], 100 * bounds[1], color=color, alpha=0.08)
    right.set_ylabel("mean UAR over test levels (%)")
    handles = ax.get_legend_handles_labels()
    handles2 = right.get_legend_handles_labels()
    right.legend(
        handles[0] + handles2[0],
        handles[1] + handles2[1],
        fontsize=7,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=2,
        frameon=False,
    )
    ax.set_title("Annotation confidence vs. training sample size", fontsize=10)
    _save(fig, path)


def recall_plot(
    recalls: Mapping[int, Mapping[str, float | None]],
    emotions: Sequence[str],
    system: str,
    path: str | Path,
) -> None:
    """Per-class recall of ``system`` trained and tested on each level (grouped bars)."""
    levels = list(recalls)
    width = 0.8 / max(1, len(levels))
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    x = np.arange(len(emotions))
    for n, level in enumerate(levels):
        values = [recalls[level].get(e) for e in emotions]
        values = [np.nan if v is None else 100 * v for v in values]
        ax.bar(x + n * width - 0.4 + width / 2, values, width, label=f"level {level}")
    ax.set_xticks(x, emotions)
    ax.set_ylabel("recall (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, ncol=len(levels))
    ax.set_title(f"Per-class recall of {system}, trained and tested on the same level", fontsize=9)
    _save(fig, path)
