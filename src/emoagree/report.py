"""Tables and the study's answer, built from metrics JSONs and prediction files.

Metrics are addressed by ``(system, train_level, test)`` where ``test`` is a test level
(int) or ``"val"``. UAR is shown in percent with its bootstrap interval and the coverage
(share of intervals the system scored) beside it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emoagree.metrics import (
    align_test_sets,
    bootstrap_mean_uar,
    encode,
    paired_probability,
    predicted_codes,
)
from emoagree.naming import label_of
from emoagree.paper import paper_table2, paper_table3

OPTIMISTIC_NOTE = (
    "OPTIMISTIC: fusion weights were chosen on the test level's own labels "
    "(the paper's protocol, fusion.selection: test); these numbers overstate what the "
    "system would reach on unseen data."
)

Cell = tuple[str, int, Any]


def load_json(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from error


def load_cells(keys: Sequence[Sequence[Any]], paths: Sequence[str]) -> dict[Cell, dict]:
    """Metrics by ``(system, train_level, test)`` from parallel lists of keys and paths."""
    if len(keys) != len(paths):
        raise ValueError(f"{len(keys)} metric keys but {len(paths)} metric files")
    cells = {}
    for key, path in zip(keys, paths, strict=True):
        system, train, test = key
        test = test if test == "val" else int(test)
        metrics = load_json(path)
        metrics["_path"] = str(path)
        cells[(str(system), int(train), test)] = metrics
    return cells


def pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}"


def format_cell(metrics: Mapping[str, Any]) -> str:
    """``"UAR [low, high] cov X%"``, UAR in percent; ``n/a`` where nothing was scored."""
    low, high = metrics["uar_ci"]
    coverage = metrics["coverage"]
    cov = f"cov {100 * coverage:.0f}%"
    if metrics["uar"] is None:
        return f"n/a ({cov})"
    return f"{pct(metrics['uar'])} [{pct(low, 1)}, {pct(high, 1)}] {cov}"


def best_marks(values: Sequence[float | None]) -> list[bool]:
    """True for the highest value(s) of a column (ties all marked); None never best."""
    present = [v for v in values if v is not None and not np.isnan(v)]
    if not present:
        return [False] * len(values)
    top = max(present)
    return [v is not None and not np.isnan(v) and np.isclose(v, top) for v in values]


def is_optimistic(cells: Mapping[Cell, dict], system: str) -> bool:
    return any(m.get("optimistic") for (s, _, _), m in cells.items() if s == system)


def choose_best_system(
    val_cells: Mapping[Cell, dict], candidates: Sequence[str], levels: Sequence[int]
) -> dict[str, Any]:
    """The candidate with the highest mean validation UAR over train levels."""
    means = {}
    for system in candidates:
        values = [val_cells[(system, level, "val")]["uar"] for level in levels]
        values = [v for v in values if v is not None]
        means[system] = float(np.mean(values)) if values else float("nan")
    ranked = sorted(candidates, key=lambda s: (-np.nan_to_num(means[s], nan=-1.0), s))
    if not ranked:
        raise ValueError("no system to choose the headline system from")
    return {
        "system": ranked[0],
        "chosen_on": "val",
        "mean_val_uar": {s: (None if np.isnan(v) else v) for s, v in means.items()},
    }


def markdown_table(frame: pd.DataFrame, bold: pd.DataFrame | None = None) -> str:
    """A GitHub markdown table of string cells; cells where ``bold`` is True in bold."""
    header = [frame.index.name or "", *map(str, frame.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row_name, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            text = str(value)
            if bold is not None and bool(bold.loc[row_name, column]):
                text = f"**{text}**"
            cells.append(text)
        lines.append("| " + " | ".join([str(row_name), *cells]) + " |")
    return "\n".join(lines) + "\n"


def _marked_frames(
    rows: Sequence[str], columns: Sequence[str], metrics: list[list[dict]], index_name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    text = pd.DataFrame(
        [[format_cell(m) for m in row] for row in metrics], index=list(rows), columns=columns
    )
    text.index.name = index_name
    bold = pd.DataFrame(False, index=text.index, columns=columns)
    for j, column in enumerate(columns):
        marks = best_marks([row[j]["uar"] for row in metrics])
        bold[column] = marks
    return text, bold


def _csv_with_marks(text: pd.DataFrame, bold: pd.DataFrame) -> pd.DataFrame:
    marked = text.copy()
    for column in text.columns:
        marked[column] = [
            f"{v} *" if b else v for v, b in zip(text[column], bold[column], strict=True)
        ]
    return marked.reset_index()


def modality(system: str) -> str:
    if system.startswith("fusion_"):
        return "A+V"
    return "A" if system.startswith("audio_") else "V"


def build_table2(
    cells: Mapping[Cell, dict],
    systems: Sequence[str],
    best_fusion: str | None,
    levels: Sequence[int],
    labels: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, str]:
    """Table 2: each system trained and tested on the same level.

    Rows are the single systems and the best fused system (chosen on validation), named
    by ``labels`` (``emoagree.naming.system_labels``: backbone and weights of video
    systems); ``*`` in the CSV / bold in Markdown marks the best UAR of each column.
    """
    rows = [s for s in systems if not s.startswith("fusion_")]
    if best_fusion:
        rows.append(best_fusion)
    row_names = []
    for system in rows:
        label = f"{modality(system)} {label_of(labels, system)}"
        if system == best_fusion:
            label += " (best fusion, chosen on val)"
            if is_optimistic(cells, system):
                label += " [OPTIMISTIC]"
        row_names.append(label)
    columns = [f"M{k}" for k in levels]
    metrics = [[cells[(s, k, k)] for k in levels] for s in rows]
    text, bold = _marked_frames(row_names, columns, metrics, "system")
    notes = [
        "UAR (%) on the intervals each system scored, trained and tested on level k (M k); "
        "[95% bootstrap interval over test intervals]; cov = share of test intervals scored. "
        "Bold (CSV: *) = best of the column.",
    ]
    if best_fusion and is_optimistic(cells, best_fusion):
        notes.append(OPTIMISTIC_NOTE)
    md = "# Table 2: UAR per system, trained and tested on the same level\n\n"
    md += markdown_table(text, bold) + "\n" + "\n\n".join(notes) + "\n"
    return _csv_with_marks(text, bold), md


def build_table3(
    cells: Mapping[Cell, dict], system: str, levels: Sequence[int],
    labels: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, str]:
    """Table 3: the 5x5 cross-evaluation of one system (rows train, columns test level)."""
    rows = [f"M{k}" for k in levels]
    columns = [f"Test {k}" for k in levels]
    metrics = [[cells[(system, i, j)] for j in levels] for i in levels]
    text, bold = _marked_frames(rows, columns, metrics, "train level")
    title = (f"# Table 3: cross-evaluation of {label_of(labels, system)} "
             "(best fusion, chosen on val)")
    notes = (
        "Rows: train level; columns: test level. UAR (%) [95% bootstrap interval] and "
        "coverage; bold (CSV: *) = best of the column."
    )
    fusion = [cells[(system, i, j)].get("fusion") for i in levels for j in levels]
    if all(fusion):
        audio_only = sum(f["n_audio_only"] for f in fusion)
        video_only = sum(f["n_video_only"] for f in fusion)
        neither = sum(f["n_neither"] for f in fusion)
        notes += (
            f"\n\nOver the {len(fusion)} cells, {audio_only} test intervals were decided by "
            f"audio alone and {video_only} by video alone (the other modality had no "
            f"prediction); {neither} had neither and count as not scored."
        )
    if is_optimistic(cells, system):
        title += " [OPTIMISTIC]"
        notes += "\n\n" + OPTIMISTIC_NOTE
    md = title + "\n\n" + markdown_table(text, bold) + "\n" + notes + "\n"
    return _csv_with_marks(text, bold), md


def crosseval_frame(cells: Mapping[Cell, dict], system: str, levels: Sequence[int]) -> pd.DataFrame:
    """Numeric 5x5 of one system: UAR (%) with rows train level, columns test level."""
    data = {}
    for j in levels:
        data[f"test{j}"] = [
            None if cells[(system, i, j)]["uar"] is None else 100 * cells[(system, i, j)]["uar"]
            for i in levels
        ]
    frame = pd.DataFrame(data, index=pd.Index(levels, name="train_level"), dtype=float)
    frame["mean"] = frame.mean(axis=1)
    frame["coverage_mean"] = [
        float(np.mean([cells[(system, i, j)]["coverage"] for j in levels])) for i in levels
    ]
    return frame.round(3)


def paper_markdown(which: int) -> str:
    """The paper's Table 2 or 3 as markdown, labelled as the paper's."""
    frame = paper_table2() if which == 2 else paper_table3()
    text = frame.map(lambda v: f"{v:.2f}")
    note = (
        "Published by Ryumina, Verkholyak & Karpov (Interspeech 2021) on RAMAS, UAR %; "
        "their fusion weights were chosen on the test set. For comparison only: not "
        "computed by this workflow."
    )
    return f"## The paper's Table {which} (published numbers)\n\n{markdown_table(text)}\n{note}\n"


def train_sample_counts(level_paths: Mapping[int, str]) -> dict[int, int]:
    """Number of ``split == "train"`` rows of each level file."""
    counts = {}
    for level, path in level_paths.items():
        table = pd.read_csv(path, dtype={"split": str})
        if "split" not in table.columns:
            raise ValueError(f"{path}: no 'split' column")
        counts[int(level)] = int((table["split"] == "train").sum())
    return counts


def study_answer(
    tables: Mapping[tuple[int, int], pd.DataFrame],
    system: str,
    levels: Sequence[int],
    emotions: Sequence[str],
    n_resamples: int,
    seed: int,
    ci_level: float,
    optimistic: bool = False,
) -> dict[str, Any]:
    """Which train level gives the highest mean UAR over all test levels, and how firmly.

    Args:
        tables: prediction tables of ``system`` by ``(train_level, test_level)``.

    The mean UAR of each train level and its interval come from a paired bootstrap: each
    test level's intervals are resampled, every train level's model is scored on the same
    resample. The probability that the best level beats level 1 (and 2) is the share of
    resamples in which its mean UAR is higher.
    """
    emotions = list(emotions)
    y_true_per_test, y_pred_per_test = [], []
    for j in levels:
        names = [f"{system} train{i} test{j}" for i in levels]
        aligned = align_test_sets([tables[(i, j)] for i in levels], names)
        y_true_per_test.append(encode(aligned[0]["emotion"], emotions, "true emotion"))
        y_pred_per_test.append(np.stack([predicted_codes(t, emotions) for t in aligned]))
    point = bootstrap_point(y_true_per_test, y_pred_per_test, len(emotions))
    resampled = bootstrap_mean_uar(
        y_true_per_test, y_pred_per_test, len(emotions), n_resamples, seed
    )
    alpha = (1 - ci_level) / 2
    lows, highs = np.nanquantile(resampled, [alpha, 1 - alpha], axis=0)
    best_index = int(np.nanargmax(point))
    best = int(levels[best_index])
    comparisons = {}
    for baseline in (1, 2):
        if baseline not in levels or baseline == best:
            continue
        b = list(levels).index(baseline)
        comparisons[str(baseline)] = {
            "baseline_mean_uar": float(point[b]),
            "lead": float(point[best_index] - point[b]),
            "probability_best_beats_baseline": paired_probability(resampled, best_index, b),
        }
    return {
        "system": system,
        "optimistic": bool(optimistic),
        "levels": [int(k) for k in levels],
        "mean_uar": {str(k): float(v) for k, v in zip(levels, point, strict=True)},
        "mean_uar_ci": {
            str(k): [float(lo), float(hi)] for k, lo, hi in zip(levels, lows, highs, strict=True)
        },
        "best_train_level": best,
        "comparisons": comparisons,
        "bootstrap_resamples": int(n_resamples),
        "ci_level": ci_level,
        "seed": int(seed),
    }


def bootstrap_point(y_true_per_test, y_pred_per_test, n_labels: int) -> np.ndarray:
    """Mean UAR over test sets of each model on the original (not resampled) intervals."""
    from emoagree.metrics import batch_uar

    per_test = [
        batch_uar(np.asarray(t), np.atleast_2d(p), n_labels)
        for t, p in zip(y_true_per_test, y_pred_per_test, strict=True)
    ]
    return np.mean(np.stack(per_test), axis=0)


def answer_text(answer: Mapping[str, Any], fmt: str = "md") -> str:
    """The answer as Markdown (``md``) or reStructuredText (``rst``) prose."""
    best = answer["best_train_level"]
    mean = answer["mean_uar"]
    ci = answer["mean_uar_ci"]
    level_list = ", ".join(str(k) for k in answer["levels"])
    strong = "**"  # bold in both Markdown and reStructuredText
    lines = []
    head = "# The answer" if fmt == "md" else "The answer\n=========="
    lines.append(head)
    lines.append("")
    kind = (
        "the fused system"
        if answer["system"].startswith("fusion_")
        else "the best system (no fusion: the corpus has one modality)"
    )
    sentence = (
        f"Training on agreement level {strong}{best}{strong} gives the highest mean UAR "
        f"across the test levels {level_list}: {pct(mean[str(best)])}% "
        f"[{pct(ci[str(best)][0], 1)}, {pct(ci[str(best)][1], 1)}] "
        f"({answer.get('system_label', answer['system'])}, {kind} chosen on validation)."
    )
    lines.append(sentence)
    lines.append("")
    threshold = answer["ci_level"]
    for baseline, comparison in answer["comparisons"].items():
        probability = comparison["probability_best_beats_baseline"]
        verdict = "the lead holds" if probability >= threshold else "the lead is not firm"
        lines.append(
            f"- Over training on level {baseline} ({pct(comparison['baseline_mean_uar'])}%): "
            f"lead {100 * comparison['lead']:+.2f} points; level {best} wins in "
            f"{100 * probability:.1f}% of {answer['bootstrap_resamples']} paired bootstrap "
            f"resamples of the test intervals: {verdict} (threshold {100 * threshold:.0f}%)."
        )
    for baseline in ("1", "2"):
        if baseline not in answer["comparisons"] and int(baseline) in answer["levels"]:
            lines.append(f"- Level {baseline} is itself the best train level.")
    lines.append("")
    lines.append(
        "Mean UAR over test levels per train level: "
        + "; ".join(
            f"level {k}: {pct(mean[str(k)])}% [{pct(ci[str(k)][0], 1)}, {pct(ci[str(k)][1], 1)}]"
            for k in answer["levels"]
        )
        + "."
    )
    per_system = answer.get("best_level_per_system") or {}
    if per_system:
        lines.append("")
        lines.append(
            "Best train level of every system by its mean UAR over test levels: "
            + "; ".join(
                f"{entry.get('label', system)}: level {entry['level']} "
                f"({entry['mean_uar']:.2f}%)"
                for system, entry in per_system.items()
            )
            + "."
        )
    if answer["optimistic"]:
        lines.append("")
        lines.append(OPTIMISTIC_NOTE)
    return "\n".join(lines) + "\n"


def add_labels(answer: dict[str, Any], labels: Mapping[str, str] | None) -> None:
    """Display names (backbone and weights of video systems) beside the system ids."""
    answer["system_label"] = label_of(labels, answer["system"])
    for system, entry in (answer.get("best_level_per_system") or {}).items():
        entry["label"] = label_of(labels, system)


def write_text(path: str | Path, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


def best_level_per_system(crosseval: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
    """Each system's train level with the highest mean UAR (%) over test levels."""
    best = {}
    for system, frame in crosseval.items():
        means = frame["mean"].dropna()
        if means.empty:
            continue
        level = int(means.idxmax())
        best[system] = {"level": level, "mean_uar": float(means.loc[level])}
    return best


def write_answer(
    best_path: str,
    prediction_paths: Mapping[tuple[str, int, int], str],
    crosseval_paths: Mapping[str, str],
    levels: Sequence[int],
    emotions: Sequence[str],
    evaluation: Mapping[str, Any],
    seed: int,
    optimistic: bool,
    outputs: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Compute the answer for the headline system and write it as JSON, Markdown and rST.

    Args:
        prediction_paths: prediction files by ``(system, train_level, test_level)``.
        crosseval_paths: each system's numeric 5x5 CSV (for its own best train level).
        outputs: paths under the keys ``json``, ``md`` and ``rst``.
        labels: display names by system id (``emoagree.naming.system_labels``).
    """
    from emoagree.evaluation import load_checked

    system = load_json(best_path)["system"]
    tables = {
        (i, j): load_checked(prediction_paths[(system, i, j)], emotions)
        for i in levels
        for j in levels
    }
    answer = study_answer(
        tables,
        system,
        levels,
        emotions,
        int(evaluation["bootstrap_resamples"]),
        seed,
        float(evaluation["ci_level"]),
        optimistic and system.startswith("fusion_"),
    )
    crosseval = {s: pd.read_csv(p, index_col="train_level") for s, p in crosseval_paths.items()}
    answer["best_level_per_system"] = best_level_per_system(crosseval)
    add_labels(answer, labels)
    write_text(outputs["json"], json.dumps(answer, indent=2) + "\n")
    write_text(outputs["md"], answer_text(answer, "md"))
    write_text(outputs["rst"], answer_text(answer, "rst"))
    return answer
