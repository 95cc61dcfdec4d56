"""Table 1: samples per split, mean interval duration and Krippendorff's alpha per level.

With K folds the train, val and test counts are the means over the folds of each part's
size (:func:`emoagree.levels.folds.mean_part_counts`), so they add up to the level's total; the
markdown notes say how the data were split (unit, K) and how close test time comes to train
or val time within one session (:func:`gap_note`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from emoagree.constants import SPLITS
from emoagree.levels.folds import mean_part_counts

log = logging.getLogger(__name__)

#: The paper's Table 1 on RAMAS: level -> (train, test, alpha).
PAPER_TABLE1 = {
    1: (2448, 286, 0.73),
    2: (1632, 222, 0.81),
    3: (1462, 236, 0.85),
    4: (1369, 254, 0.89),
    5: (1130, 243, 0.94),
}

#: Relative difference of interval totals above which a RAMAS run warns.
TOTAL_TOLERANCE = 0.05


def table1(
    levels: Mapping[int, pd.DataFrame],
    alphas: Mapping[int, Mapping],
    with_paper: bool = False,
    folds: int = 1,
) -> pd.DataFrame:
    """One row per level: counts per split, total, mean duration (s), alpha.

    Args:
        levels: level -> that level's interval table (``split``, ``duration_s``, and
            ``fold`` for K >= 3).
        alphas: level -> agreement result (``alpha``, may be None/NaN when undefined).
        with_paper: add the paper's RAMAS counts and alpha, and the relative difference of
            our total (train + val + test) from the paper's (train + test).
        folds: K. With one fold the counts are integers; with K >= 3 they are the means
            over the folds (rounded to 0.01).
    """
    rows = []
    for level in sorted(levels):
        table = levels[level]
        counts = mean_part_counts(table, folds)
        alpha = alphas[level].get("alpha")
        row = {"level": int(level)}
        row.update(
            {
                part: int(counts[part]) if folds == 1 else round(float(counts[part]), 2)
                for part in SPLITS
            }
        )
        row["total"] = int(len(table))
        row["mean_duration_s"] = float(table["duration_s"].mean()) if len(table) else math.nan
        row["alpha"] = math.nan if alpha is None else float(alpha)
        if with_paper:
            paper = PAPER_TABLE1.get(int(level))
            row["paper_train"], row["paper_test"], row["paper_alpha"] = (
                paper if paper else (None, None, None)
            )
            row["total_diff"] = (
                (row["total"] - (paper[0] + paper[1])) / (paper[0] + paper[1])
                if paper
                else math.nan
            )
        rows.append(row)
    result = pd.DataFrame(rows)
    if with_paper:
        result = result.astype(
            {"paper_train": "Int64", "paper_test": "Int64", "paper_alpha": "Float64"}
        )
    return result


def paper_warnings(table: pd.DataFrame, tolerance: float = TOTAL_TOLERANCE) -> list[str]:
    """Warnings for levels whose total differs from the paper's by more than ``tolerance``."""
    if "total_diff" not in table.columns:
        return []
    messages = []
    for row in table.itertuples():
        if not pd.isna(row.total_diff) and abs(row.total_diff) > tolerance:
            paper_total = int(row.paper_train) + int(row.paper_test)
            messages.append(
                f"level {row.level}: {row.total} intervals (train+val+test) vs the paper's "
                f"{paper_total} (train+test), {row.total_diff:+.1%}: the level definition or "
                f"the corpus copy differs from the paper's"
            )
    return messages


def _cell(value, column: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    if column in SPLITS and isinstance(value, float):
        return f"{value:.1f}"
    if column in ("alpha", "paper_alpha"):
        return f"{value:.2f}"
    if column == "mean_duration_s":
        return f"{value:.2f}"
    if column == "total_diff":
        return f"{value:+.1%}"
    return str(value)


HEADERS = {
    "level": "Level",
    "train": "# Train",
    "val": "# Val",
    "test": "# Test",
    "total": "Total",
    "mean_duration_s": "Mean duration (s)",
    "alpha": "Krippendorff's α",
    "paper_train": "Paper # Train",
    "paper_test": "Paper # Test",
    "paper_alpha": "Paper α",
    "total_diff": "Total vs paper",
}


def table1_notes(protocol: str, folds: int) -> list[str]:
    """The notes under Table 1: how the data were split and what the counts are."""
    notes = [f"Split: {protocol}." if protocol else ""]
    if folds >= 3:
        notes.append(
            f"# Train, # Val and # Test are means over the {folds} folds (val of fold f is "
            f"fold f + 1); every interval is tested in exactly one fold."
        )
    return [note for note in notes if note]


def _seconds(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


def gap_note(overlap: Mapping) -> str:
    """Table 1's note on how close test time comes to train or val time.

    Args:
        overlap: ``results/corpus/split_overlap.json``
            (:func:`emoagree.levels.overlap.overlap_summary`).
    """
    guard = overlap.get("guard_s")
    if overlap.get("unit") == "segment" and guard is not None:
        rule = f"split.guard_s = {_seconds(float(guard))}"
    elif guard is not None:
        rule = f"split.guard_s ({_seconds(float(guard))}) acts on segment units only"
    else:
        rule = "no guard"
    per_fold = [f for f in overlap.get("per_fold", []) if f.get("min_gap_s") is not None]
    if not per_fold:
        return (
            f"No session holds both test and train or val time, in any fold ({rule})."
        )
    closest = min(per_fold, key=lambda f: (f["min_gap_s"], f["fold"]))
    where = f" (fold {closest['fold']})" if int(overlap.get("folds", 1)) > 1 else ""
    text = (
        f"Smallest gap between test time and train or val time within one session: "
        f"{_seconds(float(closest['min_gap_s']))}{where}; {rule}."
    )
    if float(overlap.get("overlap_s") or 0.0) > 0:
        text += (
            f" Test time inside train or val intervals: {float(overlap['overlap_s']):.2f} s "
            f"over the folds (the split leaks)."
        )
    return text


def to_markdown(
    table: pd.DataFrame,
    warnings: Sequence[str] = (),
    title: str = "",
    notes: Sequence[str] = (),
) -> str:
    """Markdown of Table 1 (levels as rows), followed by notes and any warnings."""
    columns = list(table.columns)
    lines = [f"# {title}", ""] if title else []
    lines.append("| " + " | ".join(HEADERS.get(c, c) for c in columns) + " |")
    lines.append("|" + "|".join("---:" for _ in columns) + "|")
    for row in table.astype(object).to_dict("records"):  # rows keep their integer cells
        lines.append("| " + " | ".join(_cell(row[c], c) for c in columns) + " |")
    if notes:
        lines.append("")
        lines.extend(notes)
    if warnings:
        lines.append("")
        lines.extend(f"**Warning:** {message}" for message in warnings)
    return "\n".join(lines) + "\n"


def write_table1(
    levels: Mapping[int, pd.DataFrame],
    alphas: Mapping[int, Mapping],
    csv_path: str | Path,
    md_path: str | Path,
    with_paper: bool = False,
    folds: int = 1,
    protocol: str = "",
    notes: Sequence[str] = (),
) -> pd.DataFrame:
    """Build Table 1, log any total warnings, write the csv and the markdown.

    ``protocol`` (:func:`emoagree.levels.split.describe_protocol`) and ``folds`` go into the
    markdown's notes, followed by ``notes`` (e.g. the marks dropped for labels that are
    no configured emotion).
    """
    table = table1(levels, alphas, with_paper, folds)
    warnings = paper_warnings(table)
    for message in warnings:
        log.warning(message)
    for message in notes:
        log.info("note: %s", message)
    table.to_csv(csv_path, index=False)
    Path(md_path).write_text(
        to_markdown(
            table,
            warnings,
            "Table 1: samples and agreement per level",
            [*table1_notes(protocol, folds), *notes],
        ),
        encoding="utf-8",
    )
    return table
