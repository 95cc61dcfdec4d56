"""The study's answer in words: which train level of the headline system to take.

The numbers (confidence set, cluster bootstrap, P(best), paired differences) are
:func:`emoagree.evaluation.answer.study_answer`'s; this module names them in sentences and
writes the answer as JSON, Markdown and reStructuredText. The tables are in
:mod:`emoagree.report.tables`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from emoagree.contracts.crosseval import read_crosseval
from emoagree.contracts.metrics import read_metrics
from emoagree.evaluation.answer import fusion_cells, read_cells, study_answer, train_data
from emoagree.evaluation.parts import read_test_intervals, study_clusters
from emoagree.naming import label_of
from emoagree.report.answer_protocol import cluster_words, protocol_text
from emoagree.report.tables import OPTIMISTIC_NOTE, load_json, pct, train_row, write_text


def _interval(values: Sequence[float | None], digits: int = 1) -> str:
    low, high = values
    return f"[{pct(low, digits)}, {pct(high, digits)}]"


def _row_name(row: Any, arm_rows: Sequence[str]) -> str:
    return f"the arm {row}" if str(row) in arm_rows else f"level {row}"


def _spoken_list(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _keeps(answer: Mapping[str, Any], row: str) -> str:
    """What a train row keeps: training data (intervals, hours) and its mean UAR."""
    data = (answer.get("train_data") or {}).get(str(row))
    row = str(row)
    mean = f"mean UAR {pct(answer['mean_uar'][row])}% {_interval(answer['mean_uar_ci'][row])}"
    if not data:
        return mean
    return (
        f"{data['intervals']:.0f} training intervals, {data['hours']:.2f} h of training "
        f"data; {mean}"
    )


def answer_text(answer: Mapping[str, Any], fmt: str = "md") -> str:
    """The answer as Markdown (``md``) or reStructuredText (``rst``) prose."""
    levels = answer["levels"]
    level_list = ", ".join(str(k) for k in levels)
    arm_rows = list(answer.get("arm_rows") or [])
    if arm_rows:
        level_list += " (train rows: levels and the arms " + ", ".join(arm_rows) + ")"
    lines = ["# The answer" if fmt == "md" else "The answer\n==========", ""]
    lines.append(_lead(answer, arm_rows))
    lines.append("")
    if answer["named_row"] is None:
        lines.append("What each member of the confidence set keeps:")
        lines.append("")
        for row in answer["confidence_set"]:
            lines.append(f"- {_row_name(row, arm_rows)}: {_keeps(answer, row)}")
        lines.append("")
    lines.extend(_row_lines(answer, level_list, arm_rows, fmt))
    lines.extend(_neighbour_lines(answer))
    lines.extend(_arm_lines(answer))
    lines.extend(_member_lines(answer))
    lines.append("")
    lines.extend(protocol_text(answer))
    lines.extend(_orientation_lines(answer))
    if answer["optimistic"]:
        lines.append("")
        lines.append(OPTIMISTIC_NOTE)
    return "\n".join(lines) + "\n"


def _lead(answer: Mapping[str, Any], arm_rows: Sequence[str]) -> str:
    """The answer's first paragraph: the confidence set, the bootstrap's clusters and the
    row chosen on validation."""
    kind = (
        "the fused system"
        if answer["system"].startswith("fusion_")
        else "the best system (no fusion: the corpus has one modality)"
    )
    who = f"{answer.get('system_label', answer['system'])}, {kind} chosen on validation"
    confidence = f"{100 * answer['ci_level']:.0f}%"
    cluster = answer["cluster"]
    named = answer["named_row"]
    members = answer["confidence_set"]
    if named is not None and named in arm_rows:
        lead = (
            f"**Train with the arm {named}** (all level-1 intervals with their agreement): "
            f"the {confidence} confidence set for the best train row of {who} holds {named} "
            "alone"
        )
    elif named is not None:
        lead = (
            f"**Train on agreement level {named}**: the {confidence} confidence set for the "
            f"best train row of {who} holds level {named} alone"
        )
    else:
        names = [str(r) if r not in arm_rows else f"the arm {r}" for r in members]
        lead = (
            f"**The best train level is among {_spoken_list(names)}** for {who} (the "
            f"{confidence} confidence set for the best train row; the data do not single "
            "one out, so a lab can take the cheapest member)"
        )
    lead += (
        f"; the bootstrap resamples the {cluster_words(cluster)} the split units nest in."
    )
    choice = answer.get("validation_choice")
    if choice:
        lead += (
            f" Chosen on validation (best mean validation UAR over the test levels, "
            f"{pct(choice['mean_val_uar'])}%), {_row_name(choice['row'], arm_rows)} reaches "
            f"a test mean UAR of {pct(choice['test_mean_uar'])}% "
            f"{_interval(choice['test_mean_uar_ci'])} (validation-chosen: the test data did "
            "not choose it)."
        )
    else:
        lead += (
            " No validation cross-evaluation was given, so no row's test mean comes from a "
            "choice that did not see the test data; a maximum of the means below is "
            "optimistic."
        )
    return lead


def _row_lines(
    answer: Mapping[str, Any], level_list: str, arm_rows: Sequence[str], fmt: str
) -> list[str]:
    """Each train row's mean UAR, interval and P(best); the confidence set marked."""
    mean, ci, p_best = answer["mean_uar"], answer["mean_uar_ci"], answer["p_best"]
    members = answer["confidence_set"]
    levels = answer["levels"]
    lines = []
    coverage = answer.get("coverage") or {}
    partial = {k: v for k, v in coverage.items() if v is not None and v < 1.0}
    cover_text = (
        "every test interval was scored"
        if not partial
        else "coverage (share scored): "
        + ", ".join(f"{_row_name(k, arm_rows)} {100 * v:.1f}%" for k, v in partial.items())
    )
    star = "\\*" if fmt == "rst" else "*"  # a lone * opens emphasis in rST
    lines.append(
        f"Mean UAR over the test levels {level_list} per train row, its interval, and "
        "P(best) (the share of resamples in which that row's mean is the highest: a "
        "description, not the test). Unscored test intervals count as errors here "
        f"({cover_text}); rows in the confidence set are marked "
        f"{star}:"
    )
    lines.append("")
    for k in answer.get("rows") or [*map(str, levels), *arm_rows]:
        probability = p_best[str(k)]
        shown = "n/a" if probability is None else f"{probability:.2f}"
        mark = " *" if str(k) in members else ""
        lines.append(
            f"- {'arm' if str(k) in arm_rows else 'level'} {k}: {pct(mean[str(k)])}% "
            f"{_interval(ci[str(k)])}, P(best) {shown}{mark}"
        )
    lines.append("")
    return lines


def _neighbour_lines(answer: Mapping[str, Any]) -> list[str]:
    """Neighbouring train levels: paired differences of mean UAR."""
    lines = []
    lines.append(
        "Neighbouring train levels (difference of mean UAR in points, paired over the "
        "same resamples):"
    )
    lines.append("")
    for pair in answer["neighbours"]:
        shown, bounds = _difference_text(pair["difference"], pair["difference_ci"])
        lines.append(
            f"- level {pair['higher']} vs {pair['lower']}: {shown} points {bounds}; level "
            f"{pair['higher']} higher in {100 * pair['probability_higher_is_higher']:.1f}% "
            "of resamples"
        )
    return lines


def _arm_lines(answer: Mapping[str, Any]) -> list[str]:
    """Training arms against the best hard level, and the arms' notes."""
    lines: list[str] = []
    if not answer.get("arms"):
        return lines
    lines.append("")
    lines.append(
        "Training arms against the best hard level (the level with the highest P(best) "
        "among the levels; difference of mean UAR in points, paired over the same "
        "resamples; a description: the confidence set above is the test). Mw: every "
        "level-1 interval weighted by its agreement; Ms: soft targets (the annotators' "
        "shares of the emotions); Mc: a curriculum from the highest level down:"
    )
    lines.append("")
    for entry in answer["arms"]:
        shown, bounds = _difference_text(entry["difference"], entry["difference_ci"])
        probability = entry["probability_arm_is_higher"]
        share = "n/a" if probability is None or np.isnan(probability) else (
            f"{100 * probability:.1f}%"
        )
        lines.append(
            f"- {entry['row']} vs level {entry['best_level']}: {shown} points {bounds}; "
            f"{entry['row']} higher in {share} of resamples"
        )
    for note in answer.get("arm_notes") or []:
        lines.append(f"- Note: {note}.")
    return lines


def _member_lines(answer: Mapping[str, Any]) -> list[str]:
    """Each fused system beside its better member."""
    lines: list[str] = []
    if not answer.get("members"):
        return lines
    lines.append("")
    lines.append(
        "Each fused system beside its better member (the member with the higher mean "
        "UAR over the same train rows and test levels; fused minus member in points, "
        "paired over the same resamples):"
    )
    lines.append("")
    labels = answer.get("member_labels") or {}
    for entry in answer["members"]:
        shown, bounds = _difference_text(entry["difference"], entry["difference_ci"])
        fused = labels.get(entry["fused"], entry["fused"])
        member = labels.get(entry["member"], entry["member"])
        lines.append(
            f"- {fused}: {pct(entry['fused_mean_uar'])}% vs {member} "
            f"{pct(entry['member_mean_uar'])}%: {shown} points {bounds}"
        )
    return lines


def _orientation_lines(answer: Mapping[str, Any]) -> list[str]:
    """Every system's best train level by its point estimate (optimistic, for orientation)."""
    lines: list[str] = []
    per_system = answer.get("best_level_per_system") or {}
    if per_system:
        lines.append("")
        lines.append(
            "For orientation, the train level with the highest mean UAR over test levels "
            "of every system (point estimates read off the test predictions, no interval; "
            "as the maximum over train rows, optimistic): "
            + "; ".join(
                f"{entry.get('label', system)}: {_row_words(entry['level'])} "
                f"({entry['mean_uar']:.2f}%)"
                for system, entry in per_system.items()
            )
            + "."
        )
    return lines


def add_labels(answer: dict[str, Any], labels: Mapping[str, str] | None) -> None:
    """Display names (backbone and weights of video systems) beside the system ids."""
    answer["system_label"] = label_of(labels, answer["system"])
    for entry in answer.get("members") or []:
        answer.setdefault("member_labels", {})
        for key in ("fused", "member"):
            answer["member_labels"][entry[key]] = label_of(labels, entry[key])
    for system, entry in (answer.get("best_level_per_system") or {}).items():
        entry["label"] = label_of(labels, system)


def _difference_text(difference: float | None, ci: Sequence) -> tuple[str, str]:
    """A difference of mean UAR in points and its interval, as the answer prints them."""
    shown = "n/a" if difference is None else f"{100 * difference:+.2f}"
    low, high = ci
    bounds = "[n/a]" if low is None else f"[{100 * low:+.1f}, {100 * high:+.1f}]"
    return shown, bounds


def _row_words(row: int | str) -> str:
    return f"level {row}" if isinstance(train_row(row), int) else f"arm {row}"


def best_level_per_system(crosseval: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, Any]]:
    """Each system's train level with the highest mean UAR (%) over test levels."""
    best = {}
    for system, frame in crosseval.items():
        means = frame["mean"].dropna()
        if means.empty:
            continue
        label = means.idxmax()
        best[system] = {"level": train_row(label), "mean_uar": float(means.loc[label])}
    return best




def write_answer(
    best_path: str,
    prediction_paths: Mapping[tuple[str, Any, int], str | Sequence[str]],
    crosseval_paths: Mapping[str, str],
    level_paths: Mapping[int, str],
    split_path: str,
    levels: Sequence[int],
    emotions: Sequence[str],
    evaluation: Mapping[str, Any],
    seed: int,
    optimistic: bool,
    outputs: Mapping[str, str],
    protocol: Mapping[str, Any] | None = None,
    labels: Mapping[str, str] | None = None,
    arm_rows: Mapping[str, Sequence[str]] | None = None,
    fusions: Mapping[str, Sequence[str]] | None = None,
    validation_paths: Mapping[tuple[str, Any, int], str] | None = None,
    arm_notes: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """Compute the answer for the headline system and write it as JSON, Markdown and rST.

    ``prediction_paths``: prediction files by ``(system, train row, test level)``, one path
    or one per training replicate (the headline candidates, and every fused system's
    members on that system's rows); ``crosseval_paths``: each system's numeric 5x5 CSV (for
    its own best train level); ``level_paths``, ``split_path``: the test levels' tables and
    ``split.csv``; ``evaluation``: the config's ``evaluation`` section
    (``bootstrap_resamples``, ``ci_level``, ``cluster``); ``outputs``: paths under ``json``,
    ``md`` and ``rst``; ``labels``: display names by system id; ``arm_rows``: each system's
    training arms' rows; ``fusions``: each fused system's members; ``validation_paths``: the
    validation cross-evaluation's metrics files by ``(system, train row, test level)``
    (None or empty: ``validation_choice`` is null); ``arm_notes``: notes on each system's
    arm rows (:func:`emoagree.levels.arms.curriculum_note`), the headline system's follow
    its arms in the text.
    """
    system = load_json(best_path)["system"]
    arms = [str(r) for r in (arm_rows or {}).get(system, [])]
    rows = [*levels, *arms]
    protocol = dict(protocol or {})
    cluster = str(evaluation.get("cluster", "auto"))
    strategy = str(protocol.get("strategy", "stratified"))
    tests = {int(j): read_test_intervals(level_paths[j], cluster, strategy) for j in levels}
    fusions = {f: list(m) for f, m in (fusions or {}).items()}
    answer = study_answer(
        read_cells(prediction_paths, system, rows, levels, tests, emotions),
        tests,
        study_clusters(split_path, cluster, strategy),
        system,
        levels,
        emotions,
        int(evaluation["bootstrap_resamples"]),
        seed,
        float(evaluation["ci_level"]),
        optimistic and system.startswith("fusion_"),
        protocol,
        arm_rows=arms,
        validation=_validation_uars(validation_paths, system, rows, levels),
        systems_cells=fusion_cells(
            prediction_paths, fusions, arm_rows or {}, system, levels, tests, emotions
        ),
        fusions=fusions,
        train_data=train_data(level_paths, rows),
    )
    crosseval = {s: read_crosseval(p) for s, p in crosseval_paths.items()}
    answer["best_level_per_system"] = best_level_per_system(crosseval)
    if arms:
        answer["arm_notes"] = [str(n) for n in (arm_notes or {}).get(system, [])]
    add_labels(answer, labels)
    write_text(outputs["json"], json.dumps(answer, indent=2) + "\n")
    write_text(outputs["md"], answer_text(answer, "md"))
    write_text(outputs["rst"], answer_text(answer, "rst"))
    return answer


def _validation_uars(
    validation_paths: Mapping[tuple[str, Any, int], str] | None,
    system: str,
    rows: Sequence[Any],
    levels: Sequence[int],
) -> dict[tuple[Any, int], float | None] | None:
    """The validation cross-evaluation's UAR by ``(train row, test level)``; None: none."""
    if not validation_paths:
        return None
    return {
        (i, j): read_metrics(validation_paths[(system, i, j)])["uar"] for i in rows for j in levels
    }
