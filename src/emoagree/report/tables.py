"""The study's tables: Table 2, Table 3 and the cross-evaluation, from metrics JSONs.

Metrics are addressed by ``(system, train_level, test)`` where ``test`` is a test level
(int) or ``"val"``. UAR is shown in percent with its cluster-bootstrap interval (the
clusters the split units nest in resampled, named in the notes; see
:mod:`emoagree.evaluation.metrics`) and the coverage (share of
intervals the system scored) beside it. The helpers that read metrics and name train rows
here are also the answer's (:mod:`emoagree.report.answer`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emoagree.contracts.crosseval import INDEX_COLUMN
from emoagree.contracts.levels import read_level
from emoagree.contracts.metrics import read_metrics
from emoagree.naming import label_of
from emoagree.report.paper import paper_table2, paper_table3

OPTIMISTIC_NOTE = (
    "OPTIMISTIC: fusion weights were chosen on the test level's own labels "
    "(the paper's protocol, fusion.selection: test); these numbers overstate what the "
    "system would reach on unseen data."
)


Cell = tuple[str, int | str, Any]


def train_row(value: Any) -> int | str:
    """A train row as cells key it: an agreement level (int) or a training arm's row name
    (``Mw``, ``Ms``, ``Mc``; see :mod:`emoagree.levels.arms`)."""
    text = str(value)
    return int(text) if text.isdigit() else text


def row_label(row: int | str) -> str:
    """``M3`` for train level 3; an arm's row keeps its name (``Mw``)."""
    return f"M{row}" if isinstance(train_row(row), int) else str(row)


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
        metrics = read_metrics(path)
        metrics["_path"] = str(path)
        cells[(str(system), train_row(train), test)] = metrics
    return cells


def pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}"


def bootstrap_clusters(metrics: Sequence[Sequence[Mapping[str, Any]]]) -> str:
    """What the cells' bootstrap resampled, as the notes say it: ``"the 18 sessions"``.

    Cells written before the metrics named their cluster resampled the split units."""
    seen = {
        (m["cluster"]["kind"], m["cluster"]["count"]) if m.get("cluster") else ("unit", None)
        for row in metrics
        for m in row
    }
    words = {"session": "sessions", "actor": "actors", "unit": "split units",
             "interval": "intervals"}
    if len(seen) != 1:
        return "the clusters the split units nest in"
    kind, count = seen.pop()
    name = words.get(kind, kind)
    return f"the {name}" if count is None else f"the {count} {name}"


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
    """The candidate with the highest mean validation UAR over the train rows that every
    compared candidate scored.

    A candidate without a validation UAR at some train row (nothing scored there) would
    otherwise be averaged over fewer, maybe easier, rows. So the means are taken over the
    rows that all compared candidates scored (``rows_compared``; the others are listed
    in ``rows_dropped`` with the systems that lack them). A candidate with no scored row
    at all is excluded (``excluded``); should the remaining candidates share no scored
    row, the one with the fewest scored rows is excluded in turn (ties: by name) until
    they do. Ties of the mean go to the system name first in sorted order.
    """
    if not candidates:
        raise ValueError("no system to choose the headline system from")
    scored = {
        system: {
            level
            for level in levels
            if val_cells[(system, level, "val")]["uar"] is not None
            and not np.isnan(val_cells[(system, level, "val")]["uar"])
        }
        for system in candidates
    }
    excluded = {s: "no train row with a validation UAR" for s in candidates if not scored[s]}
    kept = [s for s in candidates if s not in excluded]
    while kept and not set.intersection(*(scored[s] for s in kept)):
        fewest = min(kept, key=lambda s: (len(scored[s]), s))
        excluded[fewest] = (
            f"scored at train rows {sorted(scored[fewest])} only, which the other "
            "candidates do not all share"
        )
        kept.remove(fewest)
    rows = [level for level in levels if kept and all(level in scored[s] for s in kept)]
    means = {
        s: float(np.mean([val_cells[(s, level, "val")]["uar"] for level in rows]))
        for s in kept
    }
    if not kept:
        return {
            "system": sorted(candidates)[0],
            "chosen_on": "val",
            "rule": "no candidate has a validation UAR: the first by name",
            "mean_val_uar": {s: None for s in candidates},
            "rows_compared": [],
            "rows_dropped": {},
            "excluded": excluded,
        }
    ranked = sorted(kept, key=lambda s: (-means[s], s))
    return {
        "system": ranked[0],
        "chosen_on": "val",
        "rule": "highest mean validation UAR over the train rows every compared candidate "
        "scored",
        "mean_val_uar": {s: means.get(s) for s in candidates},
        "rows_compared": [str(level) for level in rows],
        "rows_dropped": {
            str(level): sorted(s for s in kept if level not in scored[s])
            for level in levels
            if level not in rows
        },
        "excluded": excluded,
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
        f"[95% cluster-bootstrap interval, resampling {bootstrap_clusters(metrics)}]; cov = "
        "share of test intervals scored. "
        "Bold (CSV: *) = best of the column.",
    ]
    if best_fusion and is_optimistic(cells, best_fusion):
        notes.append(OPTIMISTIC_NOTE)
    md = "# Table 2: UAR per system, trained and tested on the same level\n\n"
    md += markdown_table(text, bold) + "\n" + "\n\n".join(notes) + "\n"
    return _csv_with_marks(text, bold), md


def build_table3(
    cells: Mapping[Cell, dict],
    system: str,
    levels: Sequence[int],
    train_rows: Sequence[int | str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, str]:
    """Table 3: the 5x5 cross-evaluation of one system (rows train, columns test level);
    ``train_rows`` (default: ``levels``) may add training arms' rows (``Mw``, ...)."""
    train_rows = [train_row(r) for r in (levels if train_rows is None else train_rows)]
    rows = [row_label(i) for i in train_rows]
    columns = [f"Test {k}" for k in levels]
    metrics = [[cells[(system, i, j)] for j in levels] for i in train_rows]
    text, bold = _marked_frames(rows, columns, metrics, "train level")
    title = (f"# Table 3: cross-evaluation of {label_of(labels, system)} "
             "(best fusion, chosen on val)")
    notes = (
        "Rows: train level; columns: test level. UAR (%) [95% cluster-bootstrap interval, "
        f"resampling {bootstrap_clusters(metrics)}] and "
        "coverage; bold (CSV: *) = best of the column."
    )
    if any(isinstance(i, str) for i in train_rows):
        notes += (
            "\n\nRows Mw, Ms, Mc: training arms on all level-1 intervals (agreement-weighted, "
            "soft targets, curriculum), tested on the same test sets."
        )
    fusion = [cells[(system, i, j)].get("fusion") for i in train_rows for j in levels]
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


def crosseval_frame(
    cells: Mapping[Cell, dict],
    system: str,
    levels: Sequence[int],
    train_rows: Sequence[int | str] | None = None,
) -> pd.DataFrame:
    """Numeric 5x5 of one system: UAR (%) with rows train level, columns test level;
    ``train_rows`` (default: ``levels``) may add training arms' rows (``Mw``, ...)."""
    rows = [train_row(r) for r in (levels if train_rows is None else train_rows)]
    data = {}
    for j in levels:
        data[f"test{j}"] = [
            None if cells[(system, i, j)]["uar"] is None else 100 * cells[(system, i, j)]["uar"]
            for i in rows
        ]
    frame = pd.DataFrame(data, index=pd.Index(rows, name=INDEX_COLUMN), dtype=float)
    frame["mean"] = frame.mean(axis=1)
    frame["coverage_mean"] = [
        float(np.mean([cells[(system, i, j)]["coverage"] for j in levels])) for i in rows
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


def train_sample_counts(level_paths: Mapping[int, str], n_folds: int = 1) -> dict[int, float]:
    """Training samples of each level: with folds, the mean over folds of the train part
    (:func:`emoagree.levels.folds.mean_part_counts`).

    A table without a ``fold`` column (or ``n_folds == 1``) is one fold: its
    ``split == "train"`` rows, an int.
    """
    from emoagree.levels.folds import mean_part_counts

    counts = {}
    for level, path in level_paths.items():
        table = read_level(path, ("split",))
        if int(n_folds) == 1 or "fold" not in table.columns:
            counts[int(level)] = int((table["split"] == "train").sum())
            continue
        counts[int(level)] = float(mean_part_counts(table, n_folds)["train"])
    return counts


def write_text(path: str | Path, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
