"""The study's answer: how firmly the data single out one train level of the headline system.

Computed from the system's prediction files on the same cluster-bootstrap resamples the
cell metrics use (:mod:`emoagree.evaluation.metrics`), and written as JSON, Markdown and
reStructuredText; the tables are in :mod:`emoagree.report.tables`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emoagree.evaluation.cells import (
    LevelTestSet,
    aligned_probs,
    read_test_intervals,
    shared_units,
    split_units,
)
from emoagree.evaluation.metrics import (
    ClusterBootstrap,
    argmax_codes,
    cell_sums,
    encode,
    percentile_interval,
    point_uars,
    probability_best,
    probability_higher,
    replicate_choice,
    resampled_uars,
)
from emoagree.naming import label_of
from emoagree.predictions import PredictionArrays, read_checked
from emoagree.report.tables import OPTIMISTIC_NOTE, load_json, pct, train_row, write_text

#: How the answer names each split unit.
UNIT_WORDS = {
    "segment": (
        "segment (a connected stretch of the union of all kept emotions' level-1 intervals, "
        "over all views of one session)"
    ),
    "recording": "recording",
    "session": "session (all views of one dialogue)",
    "actor": "actor (speaker-independent)",
    "corpus": "recording, as the corpus's own split gives it",
    "interval": (
        "interval: the paper's protocol, where intervals of different emotions can overlap "
        "in time across parts (the same audio and frames can be in train and in test)"
    ),
}


def study_protocol(
    protocol: Mapping[str, Any] | None,
    tests: Mapping[int, LevelTestSet],
    replicates: int,
    n_units: int,
) -> dict[str, Any]:
    """Unit, folds and replicates as the data show them (the config's words where it has
    them): level tables without a ``unit`` column were split per interval."""
    protocol = dict(protocol or {})
    strategy = protocol.get("strategy", "stratified")
    if not all(t.has_units for t in tests.values()):
        unit = "interval"
    elif strategy in ("actor", "corpus"):
        unit = strategy
    else:
        unit = str(protocol.get("unit") or "segment")
    folds = [int(f) for t in tests.values() if t.has_folds for f in t.folds]
    return {
        "unit": unit,
        "strategy": strategy,
        "folds": max(folds) + 1 if folds else 1,
        "replicates": int(replicates),
        "bootstrap_units": int(n_units),
        "fusion_selection": protocol.get("fusion_selection", "val"),
    }


def study_answer(
    cells: Mapping[tuple[int, int], Sequence[PredictionArrays] | PredictionArrays],
    tests: Mapping[int, LevelTestSet],
    units: Sequence[str],
    system: str,
    levels: Sequence[int],
    emotions: Sequence[str],
    n_resamples: int,
    seed: int,
    ci_level: float,
    clear_best: float = 0.8,
    optimistic: bool = False,
    protocol: Mapping[str, Any] | None = None,
    arm_rows: Sequence[str] = (),
) -> dict[str, Any]:
    """How firmly the data single out one train level of ``system``.

    Args:
        cells: the system's prediction arrays by ``(train_level, test_level)``: one per
            training replicate (a single array is one replicate).
        tests: each test level's test intervals (units and folds).
        units: ``split.csv``'s test units (the shared bootstrap's unit list).
        clear_best: the P(best) a level needs to be called clearly best.
        protocol: the config's ``unit``, ``strategy`` and ``fusion_selection``.
        arm_rows: training arms' rows of ``system`` (``Mw``, ``Ms``, ``Mc``; cells keyed
            ``(row, test_level)``): further train rows, tested on the same test levels.

    Every cell is scored on the same cluster-bootstrap resamples the cell metrics use.
    Per train level: the mean UAR over the test levels with its interval; P(best), the
    share of resamples in which that level's mean is the highest; and for each pair of
    neighbouring train levels the difference of means with its interval and the share of
    resamples in which the higher level's mean is higher. The level with the highest
    P(best) is named; it is *clearly best* only when its P(best) reaches ``clear_best``.
    The level is read off the same test data, so no further claim (no "lead holds") is
    made for it.

    With ``arm_rows``, P(best) is taken over the levels and the arms together (the named
    row may be an arm), and each arm is compared with the best hard level (the level with
    the highest P(best) among the levels): the difference of means with its interval and
    the share of resamples in which the arm's mean is higher (``arms``).
    """
    emotions = list(emotions)
    levels = sorted(int(k) for k in levels)
    arm_rows = [str(r) for r in arm_rows]
    rows = [*levels, *arm_rows]
    bootstrap = ClusterBootstrap(
        tuple(shared_units(units, [tests[j] for j in levels])), int(n_resamples), int(seed)
    )
    truth = {j: encode(tests[j].emotions, emotions, "true emotion") for j in levels}
    index = {j: bootstrap.index(tests[j].units, tests[j].path) for j in levels}
    sums, choices = [], []
    points = np.empty((len(rows), len(levels)))
    replicates = set()
    for a, i in enumerate(rows):
        arrays = {j: _replicates(cells[(i, j)]) for j in levels}
        counts = {len(v) for v in arrays.values()}
        if len(counts) != 1:
            raise ValueError(f"{system} train{i}: test levels have {sorted(counts)} replicates")
        replicates |= counts
        choice = replicate_choice(
            bootstrap.n_resamples, counts.pop(), bootstrap.seed, f"{system}/train{i}"
        )
        for b, j in enumerate(levels):
            preds = [argmax_codes(aligned_probs(data, tests[j])) for data in arrays[j]]
            cell = cell_sums(index[j], truth[j], preds, bootstrap.n_units, len(emotions))
            points[a, b] = float(np.mean(point_uars(cell)))
            sums.append(cell)
            choices.append(choice)
    resampled = resampled_uars(bootstrap, sums, choices)
    means = resampled.reshape(-1, len(rows), len(levels)).mean(axis=2)  # (B, train row)
    point = points.mean(axis=1)
    lows, highs = percentile_interval(means, ci_level)
    p_best = probability_best(means)
    ranked = sorted(
        range(len(rows)),
        key=lambda a: (-np.nan_to_num(p_best[a], nan=-1), -np.nan_to_num(point[a], nan=-1), a),
    )
    top = ranked[0]
    neighbours = []
    for a in range(len(levels) - 1):
        low, high = percentile_interval(means[:, a + 1] - means[:, a], ci_level)
        neighbours.append(
            {
                "lower": levels[a],
                "higher": levels[a + 1],
                "difference": _float(point[a + 1] - point[a]),
                "difference_ci": [_float(low), _float(high)],
                "probability_higher_is_higher": probability_higher(means, a + 1, a),
            }
        )
    arms = []
    if arm_rows:
        level_p = probability_best(means[:, : len(levels)])
        best_level = min(
            range(len(levels)),
            key=lambda a: (-np.nan_to_num(level_p[a], nan=-1), -np.nan_to_num(point[a], nan=-1)),
        )
        for offset, row in enumerate(arm_rows):
            a = len(levels) + offset
            low, high = percentile_interval(means[:, a] - means[:, best_level], ci_level)
            arms.append(
                {
                    "row": row,
                    "best_level": levels[best_level],
                    "difference": _float(point[a] - point[best_level]),
                    "difference_ci": [_float(low), _float(high)],
                    "probability_arm_is_higher": probability_higher(means, a, best_level),
                }
            )
    answer = {
        "system": system,
        "optimistic": bool(optimistic),
        "levels": levels,
        "mean_uar": {str(k): _float(v) for k, v in zip(rows, point, strict=True)},
        "mean_uar_ci": {
            str(k): [_float(lo), _float(hi)] for k, lo, hi in zip(rows, lows, highs, strict=True)
        },
        "p_best": {str(k): _float(v) for k, v in zip(rows, p_best, strict=True)},
        "top_level": rows[top],
        "top_p_best": _float(p_best[top]),
        "clearly_best": bool(p_best[top] >= clear_best),
        "clear_best": float(clear_best),
        "neighbours": neighbours,
        "protocol": study_protocol(protocol, tests, max(replicates), bootstrap.n_units),
        "bootstrap_resamples": int(n_resamples),
        "ci_level": ci_level,
        "seed": int(seed),
    }
    if arm_rows:
        answer["arm_rows"] = arm_rows
        answer["arms"] = arms
    return answer


def _replicates(value: Sequence[PredictionArrays] | PredictionArrays) -> list[PredictionArrays]:
    return [value] if isinstance(value, PredictionArrays) else list(value)


def _float(value: float) -> float | None:
    return None if value is None or np.isnan(value) else float(value)


def _interval(values: Sequence[float | None], digits: int = 1) -> str:
    low, high = values
    return f"[{pct(low, digits)}, {pct(high, digits)}]"


def protocol_text(answer: Mapping[str, Any]) -> list[str]:
    """The protocol paragraph: unit, folds, replicates, what chose what, the bootstrap."""
    protocol = answer["protocol"]
    folds = protocol["folds"]
    if folds > 1:
        parts = (
            f"{folds} grouped, stratified folds over these units: every interval is tested "
            "once, predicted by the model of the fold that held it out; each fold's "
            "validation part is the next fold's units"
        )
    else:
        parts = "one held-out test part (train, validation and test parts by these units)"
    replicates = protocol["replicates"]
    optimistic = answer["optimistic"] or protocol["fusion_selection"] == "test"
    fusion = (
        "the fusion weights on each test level's own labels (fusion.selection: test, the "
        "paper's protocol: OPTIMISTIC)"
        if optimistic
        else "the fusion weights on the validation predictions"
    )
    chose = (
        "C and the PCA size of the SVM and LR by grouped inner cross-validation over the "
        "units of each fold's train+val part (then refit on all of it); the epochs of the "
        f"LSTM and EfficientNet on the validation part; {fusion}; the headline system by its "
        "mean validation UAR."
    )
    if not optimistic:
        chose += (
            " The test predictions chose nothing; the train level above is read off them, "
            "which is why it comes with P(best) and no further claim."
        )
    return [
        f"Protocol. Split unit: {UNIT_WORDS.get(protocol['unit'], protocol['unit'])}; "
        f"{parts}; {replicates} seeded training replicate{'s' if replicates != 1 else ''} "
        "per (system, fold, train level) (each resample draws one). What chose what: " + chose,
        "",
        f"Bootstrap: {answer['bootstrap_resamples']} resamples of the "
        f"{protocol['bootstrap_units']} split units with replacement (seed {answer['seed']}), "
        "the same draws for every cell and system; an interval counts as often as its unit "
        f"is drawn, in every test level. Intervals are {100 * answer['ci_level']:.0f}% "
        "percentile intervals.",
    ]


def answer_text(answer: Mapping[str, Any], fmt: str = "md") -> str:
    """The answer as Markdown (``md``) or reStructuredText (``rst``) prose."""
    levels = answer["levels"]
    mean, ci, p_best = answer["mean_uar"], answer["mean_uar_ci"], answer["p_best"]
    top = answer["top_level"]
    threshold = answer["clear_best"]
    level_list = ", ".join(str(k) for k in levels)
    lines = ["# The answer" if fmt == "md" else "The answer\n==========", ""]
    kind = (
        "the fused system"
        if answer["system"].startswith("fusion_")
        else "the best system (no fusion: the corpus has one modality)"
    )
    who = f"{answer.get('system_label', answer['system'])}, {kind} chosen on validation"
    top_mean = f"{pct(mean[str(top)])}% {_interval(ci[str(top)])}"
    arm_rows = list(answer.get("arm_rows") or [])
    if arm_rows:
        level_list += " (train rows: levels and the arms " + ", ".join(arm_rows) + ")"
    if answer["clearly_best"] and str(top) in arm_rows:
        lines.append(
            f"**Train with the arm {top}** (all level-1 intervals with their agreement). "
            f"{top} has the highest mean UAR over the test levels {level_list} in "
            f"{100 * answer['top_p_best']:.1f}% of the bootstrap resamples (P(best) "
            f"{answer['top_p_best']:.2f} >= {threshold:.2f}): it is clearly best for {who}. "
            f"Its mean UAR: {top_mean}."
        )
    elif answer["clearly_best"]:
        lines.append(
            f"**Train on agreement level {top}.** Level {top} has the highest mean UAR over "
            f"the test levels {level_list} in {100 * answer['top_p_best']:.1f}% of the "
            f"bootstrap resamples (P(best) {answer['top_p_best']:.2f} >= {threshold:.2f}): it "
            f"is clearly best for {who}. Its mean UAR: {top_mean}."
        )
    else:
        lines.append(
            f"**No level is clearly best** for {who}: no train level reaches P(best) >= "
            f"{threshold:.2f}. The highest P(best) is "
            f"{'level ' + str(top) if str(top) not in arm_rows else 'the arm ' + str(top)}'s, "
            f"{answer['top_p_best']:.2f} (mean UAR over the test levels {level_list}: "
            f"{top_mean})."
        )
    lines.append("")
    lines.append(
        "Mean UAR over the test levels per train level, its interval, and P(best) (the "
        "share of resamples in which that level's mean is the highest):"
    )
    lines.append("")
    for k in levels:
        probability = p_best[str(k)]
        shown = "n/a" if probability is None else f"{probability:.2f}"
        lines.append(f"- level {k}: {pct(mean[str(k)])}% {_interval(ci[str(k)])}, P(best) {shown}")
    for k in arm_rows:
        probability = p_best[str(k)]
        shown = "n/a" if probability is None else f"{probability:.2f}"
        lines.append(f"- arm {k}: {pct(mean[str(k)])}% {_interval(ci[str(k)])}, P(best) {shown}")
    lines.append("")
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
    if answer.get("arms"):
        lines.append("")
        lines.append(
            "Training arms against the best hard level (the level with the highest P(best) "
            "among the levels; difference of mean UAR in points, paired over the same "
            "resamples). Mw: every level-1 interval weighted by its agreement; Ms: soft "
            "targets (the annotators' shares of the emotions); Mc: a curriculum from the "
            "highest level down:"
        )
        lines.append("")
        for entry in answer["arms"]:
            shown, bounds = _difference_text(entry["difference"], entry["difference_ci"])
            probability = entry["probability_arm_is_higher"]
            share = "n/a" if probability is None or np.isnan(probability) else (
                f"{100 * probability:.1f}%"
            )
            verdict = (
                "beats" if probability is not None and probability >= threshold
                else "does not clearly beat"
            )
            lines.append(
                f"- {entry['row']} vs level {entry['best_level']}: {shown} points {bounds}; "
                f"{entry['row']} higher in {share} of resamples: it {verdict} the best hard "
                f"level (threshold {threshold:.2f})"
            )
    lines.append("")
    lines.extend(protocol_text(answer))
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
    if answer["optimistic"]:
        lines.append("")
        lines.append(OPTIMISTIC_NOTE)
    return "\n".join(lines) + "\n"


def add_labels(answer: dict[str, Any], labels: Mapping[str, str] | None) -> None:
    """Display names (backbone and weights of video systems) beside the system ids."""
    answer["system_label"] = label_of(labels, answer["system"])
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
    prediction_paths: Mapping[tuple[str, int, int], str | Sequence[str]],
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
) -> dict[str, Any]:
    """Compute the answer for the headline system and write it as JSON, Markdown and rST.

    Args:
        prediction_paths: prediction files by ``(system, train_level, test_level)``: one
            path, or one per training replicate.
        crosseval_paths: each system's numeric 5x5 CSV (for its own best train level).
        level_paths, split_path: the test levels' tables and ``split.csv`` (split units).
        evaluation: the config's ``evaluation`` section.
        outputs: paths under the keys ``json``, ``md`` and ``rst``.
        labels: display names by system id (``emoagree.naming.system_labels``).
        arm_rows: each system's training arms' rows (``Mw``, ``Ms``, ``Mc``), further train
            rows of the answer (P(best) over levels and arms together).
    """
    system = load_json(best_path)["system"]
    arms = [str(r) for r in (arm_rows or {}).get(system, [])]
    cells = {}
    for i in [*levels, *arms]:
        for j in levels:
            paths = prediction_paths[(system, i, j)]
            paths = [paths] if isinstance(paths, str | Path) else list(paths)
            cells[(i, j)] = [read_checked(path, emotions) for path in paths]
    answer = study_answer(
        cells,
        {int(j): read_test_intervals(level_paths[j]) for j in levels},
        split_units(split_path),
        system,
        levels,
        emotions,
        int(evaluation["bootstrap_resamples"]),
        seed,
        float(evaluation["ci_level"]),
        float(evaluation.get("clear_best", 0.8)),
        optimistic and system.startswith("fusion_"),
        protocol,
        arm_rows=arms,
    )
    crosseval = {s: pd.read_csv(p, index_col="train_level") for s, p in crosseval_paths.items()}
    answer["best_level_per_system"] = best_level_per_system(crosseval)
    add_labels(answer, labels)
    write_text(outputs["json"], json.dumps(answer, indent=2) + "\n")
    write_text(outputs["md"], answer_text(answer, "md"))
    write_text(outputs["rst"], answer_text(answer, "rst"))
    return answer
