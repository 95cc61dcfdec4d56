"""The study's answer: how firmly the data single out one train level of the headline system.

Computed from the system's prediction files on the same cluster-bootstrap resamples the
cell metrics use (:mod:`emoagree.evaluation.metrics`), and written as JSON, Markdown and
reStructuredText; the tables are in :mod:`emoagree.report.tables`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emoagree.evaluation.cells import aligned_probs
from emoagree.evaluation.metrics import (
    CellSums,
    ClusterBootstrap,
    argmax_codes,
    best_row_tests,
    cell_sums,
    encode,
    jackknife_uars,
    joint_resamples,
    percentile_interval,
    point_uars,
    probability_best,
    probability_higher,
    replicate_choice,
    resampled_uars,
)
from emoagree.evaluation.parts import (
    LevelTestSet,
    StudyClusters,
    read_test_intervals,
    study_clusters,
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
    # repeat 0's folds (the first of each test set's R repeat-major blocks)
    folds = [
        int(f)
        for t in tests.values()
        if t.has_folds
        for f in t.folds[: len(t.folds) // max(t.repeats, 1)]
    ]
    repeats = max((t.repeats for t in tests.values()), default=1)
    out = {
        "unit": unit,
        "strategy": strategy,
        "folds": max(folds) + 1 if folds else 1,
        **({"repeats": repeats} if repeats > 1 else {}),
        "replicates": int(replicates),
        "bootstrap_units": int(n_units),
        "fusion_selection": protocol.get("fusion_selection", "val"),
    }
    return out


@dataclass(frozen=True)
class RowMeans:
    """One system's train rows: mean UAR over the test levels, on the data and resampled.

    Unscored test intervals count as errors here (a row cannot gain by skipping hard
    intervals, and every row is scored on the same intervals); ``coverage`` is the share
    of its test intervals (all test levels pooled, mean over replicates) that were scored.
    """

    rows: list
    point: np.ndarray  # (L,)
    resampled: np.ndarray  # (B, L), NaN where a resample leaves the row undefined
    coverage: np.ndarray  # (L,)
    replicates: int
    left_out: np.ndarray  # (C, L): each cluster left out in turn (the jackknife)


def row_means(
    cells: Mapping[tuple[Any, int], Sequence[PredictionArrays] | PredictionArrays],
    tests: Mapping[int, LevelTestSet],
    rows: Sequence[Any],
    levels: Sequence[int],
    emotions: Sequence[str],
    bootstrap: ClusterBootstrap,
    system: str,
) -> RowMeans:
    """The mean UAR over ``levels`` of every train row of ``system``, unscored = wrong.

    ``cells`` holds the prediction arrays by ``(train row, test level)`` (one per training
    replicate); each resample draws one replicate per train row, as the cells do.
    """
    emotions = list(emotions)
    truth = {j: encode(tests[j].emotions, emotions, "true emotion") for j in levels}
    index = {j: bootstrap.index(tests[j].units, tests[j].path) for j in levels}
    sums, choices = [], []
    points = np.empty((len(rows), len(levels)))
    coverage = np.empty(len(rows))
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
        scored = total = 0.0
        for b, j in enumerate(levels):
            preds = [argmax_codes(aligned_probs(data, tests[j])) for data in arrays[j]]
            cell = cell_sums(index[j], truth[j], preds, bootstrap.n_units, len(emotions))
            scored += float(cell.scored.sum(axis=(1, 2)).mean())
            total += float(cell.total.sum())
            strict = CellSums(cell.total, np.broadcast_to(cell.total, cell.scored.shape), cell.hits)
            points[a, b] = float(np.mean(point_uars(strict)))
            sums.append(strict)
            choices.append(choice)
        coverage[a] = scored / total if total else float("nan")
    resampled = resampled_uars(bootstrap, sums, choices)
    left_out = jackknife_uars(bootstrap, sums)
    return RowMeans(
        list(rows),
        points.mean(axis=1),
        resampled.reshape(-1, len(rows), len(levels)).mean(axis=2),
        coverage,
        max(replicates) if replicates else 1,
        left_out.reshape(-1, len(rows), len(levels)).mean(axis=2),
    )


def as_study_clusters(units: StudyClusters | Sequence[str]) -> StudyClusters:
    """A plain unit list is a study whose clusters are its units."""
    if isinstance(units, StudyClusters):
        return units
    return StudyClusters(sorted(str(u) for u in units), None, "unit")


def validation_choice(
    validation: Mapping[tuple[Any, int], float | None] | None,
    rows: Sequence[Any],
    levels: Sequence[int],
    point: np.ndarray,
    lows: np.ndarray,
    highs: np.ndarray,
) -> dict[str, Any] | None:
    """The train row with the best mean validation UAR over the test levels, and its test
    mean with interval (the test data did not choose it).

    ``validation`` maps ``(train row, test level)`` to the UAR of that row's models on
    the folds' validation parts of that level (the validation cross-evaluation); a row
    with any level unscored (None) cannot be chosen. Ties go to the earlier row.
    """
    if validation is None:
        return None
    means = []
    for i in rows:
        missing = [j for j in levels if (i, j) not in validation]
        if missing:
            raise ValueError(
                f"validation cross-evaluation: train row {i} lacks test level(s) {missing}"
            )
        values = [validation[(i, j)] for j in levels]
        means.append(
            float("nan") if any(v is None for v in values) else float(np.mean(values))
        )
    means = np.asarray(means)
    if np.isnan(means).all():
        raise ValueError("validation cross-evaluation: no train row has a validation UAR")
    a = int(np.nanargmax(means))
    return {
        "row": str(rows[a]),
        "mean_val_uar": _float(means[a]),
        "test_mean_uar": _float(point[a]),
        "test_mean_uar_ci": [_float(lows[a]), _float(highs[a])],
    }


def member_comparisons(
    systems_cells: Mapping[str, Mapping[tuple[Any, int], Any]],
    fusions: Mapping[str, Sequence[str]],
    tests: Mapping[int, LevelTestSet],
    levels: Sequence[int],
    emotions: Sequence[str],
    bootstrap: ClusterBootstrap,
    ci_level: float,
) -> list[dict[str, Any]]:
    """Each fused system beside its better member, paired over the shared resamples.

    For a fused system F with members (audio, video) the rows are F's train rows; each
    member's mean UAR over those rows and the test levels (unscored = wrong, as the
    answer's means) picks the better member; the difference F minus that member is
    computed in every resample (resamples leaving either undefined dropped) and given with
    its percentile interval.
    """
    out = []
    for fused, members in fusions.items():
        rows = list(dict.fromkeys(i for i, _ in systems_cells[fused]))
        means = {
            s: row_means(systems_cells[s], tests, rows, levels, emotions, bootstrap, s)
            for s in [fused, *members]
        }
        overall = {s: float(np.mean(m.point)) for s, m in means.items()}
        better = max(members, key=lambda s: (overall[s], -list(members).index(s)))
        difference = means[fused].resampled.mean(axis=1) - means[better].resampled.mean(axis=1)
        low, high = percentile_interval(difference[~np.isnan(difference)], ci_level)
        out.append(
            {
                "fused": fused,
                "member": better,
                "rows": [str(r) for r in rows],
                "fused_mean_uar": _float(overall[fused]),
                "member_mean_uar": _float(overall[better]),
                "other_member_mean_uar": {
                    s: _float(overall[s]) for s in members if s != better
                },
                "difference": _float(overall[fused] - overall[better]),
                "difference_ci": [_float(low), _float(high)],
            }
        )
    return out


def study_answer(
    cells: Mapping[tuple[Any, int], Sequence[PredictionArrays] | PredictionArrays],
    tests: Mapping[int, LevelTestSet],
    units: StudyClusters | Sequence[str],
    system: str,
    levels: Sequence[int],
    emotions: Sequence[str],
    n_resamples: int,
    seed: int,
    ci_level: float,
    optimistic: bool = False,
    protocol: Mapping[str, Any] | None = None,
    arm_rows: Sequence[str] = (),
    *,
    validation: Mapping[tuple[Any, int], float | None] | None = None,
    systems_cells: Mapping[str, Mapping[tuple[Any, int], Any]] | None = None,
    fusions: Mapping[str, Sequence[str]] | None = None,
    train_data: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, Any]:
    """Which train rows of ``system`` may be the best, with a known error rate.

    Args:
        cells: the system's prediction arrays by ``(train_level, test_level)``: one per
            training replicate (a single array is one replicate).
        tests: each test level's test intervals (units, folds, clusters).
        units: the study's clusters (:func:`~emoagree.evaluation.cells.study_clusters`),
            or ``split.csv``'s test units (each its own cluster).
        protocol: the config's ``unit``, ``strategy`` and ``fusion_selection``.
        arm_rows: training arms' rows of ``system`` (``Mw``, ``Ms``, ``Mc``; cells keyed
            ``(row, test_level)``): further train rows, tested on the same test levels.
        validation: the validation cross-evaluation, UAR by ``(train row, test level)``
            (the folds' validation parts scored at every test level); None: not given.
        systems_cells: cells of every fused system and its members (by system), for
            ``fusions`` (fused system -> its member systems).
        train_data: per train row (as a string) ``intervals`` and ``hours`` of training
            data (mean over folds), what each member of the confidence set keeps.

    Every cell is scored on the same cluster-bootstrap resamples the cell metrics use, with
    unscored intervals counted as errors (``coverage`` per row); resamples that leave any
    row undefined are dropped for all rows together (``dropped_resamples``). Per train row
    (levels and arms together): the mean UAR over the test levels with its interval and
    P(best) (a description). The answer is the ``ci_level`` confidence set for the best row
    (:func:`~emoagree.evaluation.metrics.confidence_set_for_best`); a row is named
    (``named_row``) only when the set holds it alone. ``validation_choice`` is the row
    with the best mean validation UAR and that row's test mean: a figure the test data
    did not choose. Neighbouring levels and arms against the best hard level are paired
    differences; ``members`` sets each fused system beside its better member.
    """
    emotions = list(emotions)
    levels = sorted(int(k) for k in levels)
    arm_rows = [str(r) for r in arm_rows]
    rows = [*levels, *arm_rows]
    study = as_study_clusters(units)
    bootstrap = study.bootstrap([tests[j] for j in levels], n_resamples, seed)
    means_of = row_means(cells, tests, rows, levels, emotions, bootstrap, system)
    means, dropped = joint_resamples(means_of.resampled)
    if not len(means):
        raise ValueError(
            f"{system}: every resample leaves some train row undefined (no test interval "
            "drawn at some level); the answer has nothing to rest on"
        )
    point = means_of.point
    lows, highs = percentile_interval(means, ci_level)
    p_best = probability_best(means)
    tested = best_row_tests(means, point, alpha=1.0 - ci_level, left_out=means_of.left_out)
    kept = ~tested["rejected"]
    confidence_set = [str(r) for r, k in zip(rows, kept, strict=True) if k]
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
    members = member_comparisons(
        {**(systems_cells or {}), system: cells},
        fusions or {},
        tests,
        levels,
        emotions,
        bootstrap,
        ci_level,
    )
    answer = {
        "system": system,
        "optimistic": bool(optimistic),
        "levels": levels,
        "rows": [str(r) for r in rows],
        "mean_uar": {str(k): _float(v) for k, v in zip(rows, point, strict=True)},
        "mean_uar_ci": {
            str(k): [_float(lo), _float(hi)] for k, lo, hi in zip(rows, lows, highs, strict=True)
        },
        "p_best": {str(k): _float(v) for k, v in zip(rows, p_best, strict=True)},
        "confidence_set": confidence_set,
        "named_row": confidence_set[0] if len(confidence_set) == 1 else None,
        # the set's comparisons: jackknife standard errors, Student's t with df
        "confidence_set_df": int(tested["df"]) if np.isfinite(tested["df"]) else None,
        "cluster": bootstrap.describe(),
        "validation_choice": validation_choice(validation, rows, levels, point, lows, highs),
        "members": members,
        "coverage": {str(k): _float(v) for k, v in zip(rows, means_of.coverage, strict=True)},
        "dropped_resamples": dropped,
        "neighbours": neighbours,
        "protocol": study_protocol(protocol, tests, means_of.replicates, bootstrap.n_units),
        "bootstrap_resamples": int(n_resamples),
        "ci_level": ci_level,
        "seed": int(seed),
    }
    if train_data:
        answer["train_data"] = {
            str(k): dict(train_data[str(k)]) for k in rows if str(k) in train_data
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


#: How the answer names each cluster kind (singular, plural).
CLUSTER_WORDS = {
    "session": ("session", "sessions"),
    "actor": ("actor", "actors"),
    "unit": ("split unit", "split units"),
    "interval": ("interval", "intervals"),
}


def cluster_words(cluster: Mapping[str, Any]) -> str:
    """``"18 sessions"``: how many clusters of which kind the bootstrap resamples."""
    one, many = CLUSTER_WORDS.get(cluster["kind"], (cluster["kind"], cluster["kind"] + "s"))
    return f"{cluster['count']} {one if cluster['count'] == 1 else many}"


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
    repeats = int(protocol.get("repeats", 1))
    if repeats > 1:
        parts = (
            f"{folds} grouped, stratified folds over these units, dealt {repeats} times with "
            "different seeds (split.repeats): every interval is tested once per repeat, "
            "predicted by the model of that repeat's fold that held it out; each fold's "
            "validation part is the next fold of its repeat; every cell pools all repeats' "
            "predictions and a drawn cluster carries all of them, so the split's variance "
            "is in the intervals"
        )
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
        "mean validation UAR; the validation-chosen train row by its mean validation UAR "
        "over the test levels (the validation cross-evaluation). The networks' validation "
        "predictions come from the epoch chosen on them, so their validation UARs lean "
        "optimistic; the test predictions are untouched by that choice."
    )
    if not optimistic:
        chose += (
            " The test predictions chose nothing; the confidence set is a test on them with "
            "a stated error rate, and P(best) only describes them."
        )
    cluster = answer.get("cluster") or {"kind": "unit", "count": protocol["bootstrap_units"]}
    if cluster["kind"] == "unit":
        nesting = (
            "the split units themselves (evaluation.cluster: unit, or the tables carry no "
            "session column)"
        )
    else:
        nesting = (
            f"the {cluster_words(cluster)} the {protocol['bootstrap_units']} split units nest "
            f"in (every unit of a drawn {CLUSTER_WORDS.get(cluster['kind'], ('',))[0]} moves "
            "with it)"
        )
    dropped = int(answer.get("dropped_resamples", 0))
    return [
        f"Protocol. Split unit: {UNIT_WORDS.get(protocol['unit'], protocol['unit'])}; "
        f"{parts}; {replicates} seeded training replicate{'s' if replicates != 1 else ''} "
        "per (system, fold, train level) (each resample draws one). What chose what: " + chose,
        "",
        f"Bootstrap: {answer['bootstrap_resamples']} resamples, with replacement, of "
        f"{nesting} (seed {answer['seed']}), the same draws for every cell and system; an "
        "interval counts as often as its unit is drawn, in every test level. Intervals are "
        f"{100 * answer['ci_level']:.0f}% percentile intervals. {dropped} resample"
        f"{'s' if dropped != 1 else ''} left some train row undefined and "
        f"{'were' if dropped != 1 else 'was'} dropped for all rows together.",
    ]


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
    mean, ci, p_best = answer["mean_uar"], answer["mean_uar_ci"], answer["p_best"]
    level_list = ", ".join(str(k) for k in levels)
    lines = ["# The answer" if fmt == "md" else "The answer\n==========", ""]
    kind = (
        "the fused system"
        if answer["system"].startswith("fusion_")
        else "the best system (no fusion: the corpus has one modality)"
    )
    who = f"{answer.get('system_label', answer['system'])}, {kind} chosen on validation"
    arm_rows = list(answer.get("arm_rows") or [])
    if arm_rows:
        level_list += " (train rows: levels and the arms " + ", ".join(arm_rows) + ")"
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
    lines.append(lead)
    lines.append("")
    if named is None:
        lines.append("What each member of the confidence set keeps:")
        lines.append("")
        for row in members:
            lines.append(f"- {_row_name(row, arm_rows)}: {_keeps(answer, row)}")
        lines.append("")
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
    if answer.get("members"):
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


def train_data(level_paths: Mapping[int, str], rows: Sequence[Any]) -> dict[str, dict[str, float]]:
    """Training data of each train row: intervals and hours of the train part, mean over
    folds (the arms train on all level-1 intervals: level 1's training data)."""
    from emoagree.levels.folds import fold_view

    out = {}
    for level, path in level_paths.items():
        table = pd.read_csv(path, dtype={"split": str, "unit": str})
        missing = [c for c in ("split", "duration_s") if c not in table.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {missing}")
        n_folds = int(table["fold"].max()) + 1 if "fold" in table.columns and len(table) else 1
        if n_folds == 2:
            raise ValueError(f"{path}: two folds; split.folds must be 1 or at least 3")
        views = [fold_view(table, f, n_folds) for f in range(n_folds)]
        train = [view[view["split"] == "train"] for view in views]
        out[str(level)] = {
            "intervals": float(np.mean([len(t) for t in train])),
            "hours": float(np.mean([t["duration_s"].sum() for t in train])) / 3600.0,
        }
    first = min(level_paths) if level_paths else None
    for row in rows:
        if str(row) not in out and first is not None:
            out[str(row)] = dict(out[str(first)])
    return out


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

    Args:
        prediction_paths: prediction files by ``(system, train row, test_level)``: one
            path, or one per training replicate (the headline candidates, and every fused
            system's members on that system's rows).
        crosseval_paths: each system's numeric 5x5 CSV (for its own best train level).
        level_paths, split_path: the test levels' tables and ``split.csv`` (split units
            and their clusters).
        evaluation: the config's ``evaluation`` section (``bootstrap_resamples``,
            ``ci_level``, ``cluster``).
        outputs: paths under the keys ``json``, ``md`` and ``rst``.
        labels: display names by system id (``emoagree.naming.system_labels``).
        arm_rows: each system's training arms' rows (``Mw``, ``Ms``, ``Mc``), further train
            rows of the answer.
        fusions: each fused system's member systems (shown beside its better member).
        validation_paths: the validation cross-evaluation's metrics files
            (``results/metrics/{system}/train{i}/val{j}.json``) by ``(system, train row,
            test level)``; None or empty: not available (``validation_choice`` is null).
        arm_notes: notes on each system's arm rows (an under-trained curriculum,
            :func:`emoagree.levels.arms.curriculum_note`); the headline system's are the
            answer's ``arm_notes`` and follow its arms in the text.
    """
    system = load_json(best_path)["system"]
    arms = [str(r) for r in (arm_rows or {}).get(system, [])]
    rows = [*levels, *arms]
    protocol = dict(protocol or {})
    cluster = str(evaluation.get("cluster", "auto"))
    strategy = str(protocol.get("strategy", "stratified"))

    tests = {int(j): read_test_intervals(level_paths[j], cluster, strategy) for j in levels}

    def read_cells(name: str, train_rows: Sequence[Any]) -> dict:
        cells = {}
        for i in train_rows:
            for j in levels:
                paths = prediction_paths[(name, i, j)]
                paths = [paths] if isinstance(paths, str | Path) else list(paths)
                # a cell of R split repeats lists every interval R times
                repeats = tests[int(j)].repeats
                cells[(i, j)] = [read_checked(path, emotions, repeats) for path in paths]
        return cells

    fusions = {f: list(m) for f, m in (fusions or {}).items()}
    systems_cells: dict[str, dict] = {}
    for fused, members in fusions.items():
        fused_rows = [*levels, *(str(r) for r in (arm_rows or {}).get(fused, []))]
        for name in [fused, *members]:
            if name == system:
                continue
            have = {i for i, _ in systems_cells.get(name, {})}
            missing = [i for i in fused_rows if i not in have]
            systems_cells.setdefault(name, {}).update(read_cells(name, missing))
    validation = None
    if validation_paths:
        validation = {
            (i, j): load_json(validation_paths[(system, i, j)])["uar"] for i in rows for j in levels
        }
    answer = study_answer(
        read_cells(system, rows),
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
        validation=validation,
        systems_cells=systems_cells,
        fusions=fusions,
        train_data=train_data(level_paths, rows),
    )
    crosseval = {s: pd.read_csv(p, index_col="train_level") for s, p in crosseval_paths.items()}
    answer["best_level_per_system"] = best_level_per_system(crosseval)
    if arms:
        answer["arm_notes"] = [str(n) for n in (arm_notes or {}).get(system, [])]
    add_labels(answer, labels)
    write_text(outputs["json"], json.dumps(answer, indent=2) + "\n")
    write_text(outputs["md"], answer_text(answer, "md"))
    write_text(outputs["rst"], answer_text(answer, "rst"))
    return answer
