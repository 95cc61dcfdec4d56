"""The answer's protocol paragraph: split unit, folds, replicates, what chose what, and
what the bootstrap resampled, in words (the numbers are
:func:`emoagree.evaluation.answer.study_protocol`'s)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emoagree.plan.protocol import unit_words

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
        f"Protocol. Split unit: {unit_words(protocol['unit'])}; "
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
