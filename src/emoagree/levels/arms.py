"""Training arms: train on all level-1 intervals together with their agreement.

The paper answers the trade-off by hard filtering (train on level k, discard the rest).
The arms keep every level-1 interval and use the annotators' agreement in training:

``weighted`` (row ``Mw``)
    Each interval's sample weight is its *agreement weight* (:func:`agreement_weights`).
``soft`` (row ``Ms``)
    Each interval's target is the annotators' distribution over the configured emotions
    (:func:`soft_targets`); networks train with soft cross-entropy, the classic models on
    one weighted copy of the sample per emotion (:func:`soft_expand`).
``curriculum`` (row ``Mc``, networks only)
    Epochs start with the intervals that reach the highest level and add lower levels as
    training proceeds (:func:`max_levels`, :func:`curriculum_schedule`).

An arm's training table (:func:`arm_table`) *is* the level-1 table (same rows, ids,
split, units and folds) with the columns ``weight``, ``target_<Emotion>`` and
``max_level`` added, so arms use the same split units, folds, validation and statistics
as the levels, and level 1's features serve them.

Definitions (all from the raw marks, ``results/corpus/annotations.csv``):

- *Coverage* of emotion E at time t in a recording: the number of distinct annotators
  whose marks of E cover t. An annotator's own marks of one emotion are merged first
  (duplicates and self-overlaps count once), as in :mod:`emoagree.levels.build`; marks are
  half-open ``[start, end)``.
- *Annotators of a recording*: the distinct annotators with at least one mark of any
  category (Neutral and dropped categories included) in that recording. An annotator who
  left no mark at all in a recording is invisible in the marks and is not counted.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from emoagree.levels.build import union_of_marks

log = logging.getLogger(__name__)

#: The arms in their canonical order, and the name of each one's row in the grids.
ARMS = ("weighted", "soft", "curriculum")
ARM_ROWS = {"weighted": "Mw", "soft": "Ms", "curriculum": "Mc"}
ROW_ARMS = {row: arm for arm, row in ARM_ROWS.items()}
#: Arms only the networks (per-epoch training) can follow.
NETWORK_ONLY_ARMS = ("curriculum",)

#: Columns an arm table adds to the level-1 table.
WEIGHT_COLUMN = "weight"
MAX_LEVEL_COLUMN = "max_level"
TARGET_PREFIX = "target_"


def target_columns(emotions: Sequence[str]) -> list[str]:
    return [f"{TARGET_PREFIX}{e}" for e in emotions]


def arm_of_row(row: str) -> str | None:
    """``"weighted"`` for ``"Mw"`` etc.; ``None`` for an agreement level such as ``"3"``."""
    return ROW_ARMS.get(str(row))


# --- coverage step functions -----------------------------------------------------------


def _steps(unions: Sequence[Sequence[tuple[float, float]]]) -> tuple[np.ndarray, np.ndarray]:
    """Coverage as a step function: ``counts[i]`` holds on ``[instants[i], instants[i+1])``."""
    starts = [s for union in unions for s, _ in union]
    ends = [e for union in unions for _, e in union]
    if not starts:
        return np.zeros(1), np.zeros(0, dtype=int)
    times = np.array(starts + ends, dtype=float)
    deltas = np.array([1] * len(starts) + [-1] * len(ends))
    instants, inverse = np.unique(times, return_inverse=True)
    change = np.zeros(len(instants), dtype=int)
    np.add.at(change, inverse, deltas)
    return instants, np.cumsum(change)[:-1]


def _window(instants: np.ndarray, counts: np.ndarray, start: float, end: float):
    """Lengths of the steps inside ``[start, end)`` and their counts."""
    if len(counts) == 0:
        return np.zeros(0), counts
    lengths = np.clip(np.minimum(instants[1:], end) - np.maximum(instants[:-1], start), 0, None)
    return lengths, counts


def _unions(annotations: pd.DataFrame) -> dict[tuple[str, str], list[list[tuple[float, float]]]]:
    """(recording, emotion) -> one merged list of marks per distinct annotator."""
    out: dict[tuple[str, str], list[list[tuple[float, float]]]] = {}
    marks = annotations.astype({"recording": str, "emotion": str})
    for (recording, emotion), group in marks.groupby(["recording", "emotion"], sort=True):
        out[(recording, emotion)] = [
            union_of_marks(zip(g["start_s"], g["end_s"], strict=True))
            for _, g in group.groupby("annotator", sort=True)
        ]
    return out


def annotators_per_recording(annotations: pd.DataFrame) -> pd.Series:
    """Distinct annotators with any mark (any category) per recording."""
    marks = annotations.astype({"recording": str})
    return marks.groupby("recording")["annotator"].nunique()


def _check(intervals: pd.DataFrame, annotations: pd.DataFrame) -> None:
    for name, table, columns in (
        ("intervals", intervals, ("recording", "emotion", "start_s", "end_s")),
        ("annotations", annotations, ("recording", "annotator", "emotion", "start_s", "end_s")),
    ):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ValueError(f"{name} lack the column(s) {missing}")


# --- weights, targets, levels ----------------------------------------------------------


def mean_coverage(intervals: pd.DataFrame, annotations: pd.DataFrame) -> np.ndarray:
    """Coverage of each interval's own emotion averaged over the interval's time
    (``integral of coverage over [start, end) / (end - start)``; a zero-length interval
    takes the coverage at its start)."""
    _check(intervals, annotations)
    unions = _unions(annotations)
    steps = {key: _steps(value) for key, value in unions.items()}
    out = np.zeros(len(intervals))
    for i, (rec, emo, start, end) in enumerate(
        zip(intervals["recording"].astype(str), intervals["emotion"].astype(str),
            intervals["start_s"].astype(float), intervals["end_s"].astype(float), strict=True)
    ):
        instants, counts = steps.get((rec, emo), (np.zeros(1), np.zeros(0, dtype=int)))
        if end > start:
            lengths, counts = _window(instants, counts, start, end)
            out[i] = float((lengths * counts).sum()) / (end - start)
        else:
            position = np.searchsorted(instants, start, side="right") - 1
            out[i] = float(counts[position]) if 0 <= position < len(counts) else 0.0
    return out


def agreement_weights(intervals: pd.DataFrame, annotations: pd.DataFrame) -> np.ndarray:
    """Agreement weight of each (level-1) interval, in (0, 1].

    weight = (coverage of the interval's emotion averaged over its time) / (number of
    annotators of its recording). Inside a level-1 interval the coverage is at least 1, so
    the weight is at least 1 / annotators; it is 1 where every annotator marked the
    emotion over the whole interval. Example: 3 annotators; a stretch marked by all three
    has weight 1, a stretch marked by one has 1/3; an interval marked by three over its
    first half and by one over its second half has (3 + 1) / 2 / 3 = 2/3.

    Raises:
        ValueError: an interval's recording has no annotator, or a weight falls outside
            (0, 1] (the interval is not a level-1 interval of these marks).
    """
    coverage = mean_coverage(intervals, annotations)
    per_recording = annotators_per_recording(annotations)
    n = intervals["recording"].astype(str).map(per_recording).to_numpy(dtype=float)
    if np.isnan(n).any():
        missing = intervals["recording"].astype(str)[np.isnan(n)].iloc[0]
        raise ValueError(f"recording {missing} has intervals but no annotator marks")
    weights = coverage / n
    bad = ~((weights > 0) & (weights <= 1 + 1e-9))
    if bad.any():
        row = intervals.iloc[int(np.flatnonzero(bad)[0])]
        raise ValueError(
            f"interval {row['recording']} {row['emotion']} {row['start_s']}-{row['end_s']} s "
            f"has agreement weight {weights[bad][0]:.4g}, outside (0, 1]: it is not a "
            "level-1 interval of these annotations"
        )
    return np.minimum(weights, 1.0)


def soft_targets(
    intervals: pd.DataFrame, annotations: pd.DataFrame, emotions: Sequence[str]
) -> pd.DataFrame:
    """Soft target of each interval: the annotators' shares of the configured emotions.

    For each configured emotion E the raw score is the coverage of E averaged over the
    interval's time (annotators marking E, time-averaged); the target is the raw scores
    divided by their sum over the configured emotions, so it sums to 1. Consequences:

    - Time where an annotator marked nothing, Neutral or a dropped category adds to no
      emotion: the target is the distribution *among the emotional votes*, not a share
      of all annotators (a stretch marked Angry by one of five annotators and by nobody
      else is 100 % Angry; its agreement weight carries the 1/5).
    - An annotator who marked two kept emotions over the same time votes for both.
    - The interval's own emotion always has a positive share (it is a level-1 interval).

    Example: a stretch marked Angry by two annotators and Sad by one has target
    Angry 2/3, Sad 1/3 (and 0 for the other emotions).

    Returns:
        Columns ``target_<Emotion>`` in ``emotions`` order, indexed like ``intervals``.
    """
    _check(intervals, annotations)
    emotions = list(emotions)
    kept = annotations[annotations["emotion"].astype(str).isin(emotions)]
    raw = np.column_stack(
        [
            mean_coverage(intervals.assign(emotion=emotion), kept)
            for emotion in emotions
        ]
    ) if len(intervals) else np.zeros((0, len(emotions)))
    totals = raw.sum(axis=1)
    empty = totals <= 0
    if empty.any():
        row = intervals.iloc[int(np.flatnonzero(empty)[0])]
        raise ValueError(
            f"interval {row['recording']} {row['emotion']} {row['start_s']}-{row['end_s']} s "
            "has no emotional mark over its time: it is not a level-1 interval of these marks"
        )
    return pd.DataFrame(
        raw / np.where(empty, 1, totals)[:, None],
        columns=target_columns(emotions),
        index=intervals.index,
    )


def max_levels(intervals: pd.DataFrame, annotations: pd.DataFrame) -> np.ndarray:
    """Highest agreement level each (level-1) interval reaches.

    The largest k such that some level-k interval of the same recording and emotion lies
    inside the interval, i.e. the peak number of distinct annotators marking the
    interval's emotion over a stretch of positive length inside it. Computed from the
    marks, so it is not capped by the configured levels and ignores the per-level
    ``min_duration_s`` filter (a level-k stretch shorter than that still counts).
    """
    _check(intervals, annotations)
    steps = {key: _steps(value) for key, value in _unions(annotations).items()}
    out = np.zeros(len(intervals), dtype=int)
    for i, (rec, emo, start, end) in enumerate(
        zip(intervals["recording"].astype(str), intervals["emotion"].astype(str),
            intervals["start_s"].astype(float), intervals["end_s"].astype(float), strict=True)
    ):
        instants, counts = steps.get((rec, emo), (np.zeros(1), np.zeros(0, dtype=int)))
        lengths, counts = _window(instants, counts, start, end)
        inside = counts[lengths > 0]
        out[i] = int(inside.max()) if len(inside) else 0
    return out


def arm_table(
    level1: pd.DataFrame, annotations: pd.DataFrame, emotions: Sequence[str]
) -> pd.DataFrame:
    """The level-1 table (every column and row kept, in order) plus ``weight``,
    ``target_<Emotion>`` per configured emotion and ``max_level``."""
    table = level1.reset_index(drop=True).copy()
    table[WEIGHT_COLUMN] = agreement_weights(table, annotations)
    targets = soft_targets(table, annotations, emotions)
    for column in targets.columns:
        table[column] = targets[column].to_numpy()
    table[MAX_LEVEL_COLUMN] = max_levels(table, annotations)
    return table


def read_arm_columns(table: pd.DataFrame, emotions: Sequence[str]) -> None:
    """Check that ``table`` carries the arm columns (raises ValueError naming them)."""
    needed = [WEIGHT_COLUMN, MAX_LEVEL_COLUMN, *target_columns(emotions)]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"the training table lacks the arm column(s) {missing}: not an arm table")


# --- what the trainers take --------------------------------------------------------------


def soft_expand(
    targets: np.ndarray, emotions: Sequence[str], weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Soft targets for a model that takes only hard labels and sample weights.

    Each sample becomes one copy per emotion with a positive share, labelled with that
    emotion and weighted by the share (times ``weights`` when given). A weighted
    classifier's loss on the copies, ``sum_i sum_e t_ie * loss(x_i, e)``, is then exactly
    the soft-target loss ``sum_i loss_soft(x_i, t_i)`` for every loss linear in the
    target (cross-entropy, logistic loss; for the hinge loss of an SVM and a forest's
    impurity it is the analogous weighted fit).

    Returns:
        ``(rows, labels, sample_weight)``: for each copy the index of its sample in
        ``targets``, its emotion and its weight; copies of one sample are adjacent, in
        ``emotions`` order.
    """
    targets = np.asarray(targets, dtype=float)
    rows, columns = np.nonzero(targets > 0)
    labels = np.asarray(list(emotions), dtype=object)[columns]
    sample_weight = targets[rows, columns]
    if weights is not None:
        sample_weight = sample_weight * np.asarray(weights, dtype=float)[rows]
    return rows, labels, sample_weight


def curriculum_settings(section: Mapping | None) -> dict:
    """The ``arms.curriculum`` section with its defaults filled in and checked."""
    section = dict(section or {})
    stages = [int(k) for k in section.get("stages", [5, 4, 3, 2, 1])]
    if not stages or any(k < 1 for k in stages) or stages != sorted(stages, reverse=True):
        raise ValueError(f"arms.curriculum.stages must be descending levels >= 1, not {stages}")
    epochs_per_stage = section.get("epochs_per_stage")
    warmup = float(section.get("warmup_fraction", 0.5))
    minimum = section.get("min_epochs_per_stage", 2)
    if epochs_per_stage is not None and int(epochs_per_stage) < 1:
        raise ValueError("arms.curriculum.epochs_per_stage must be >= 1 or null")
    if not 0 <= warmup < 1:
        raise ValueError("arms.curriculum.warmup_fraction must be in [0, 1)")
    if int(minimum) < 1:
        raise ValueError("arms.curriculum.min_epochs_per_stage must be >= 1")
    return {
        "stages": stages,
        "epochs_per_stage": None if epochs_per_stage is None else int(epochs_per_stage),
        "warmup_fraction": warmup,
        "min_epochs_per_stage": int(minimum),
    }


@dataclass(frozen=True)
class CurriculumPlan:
    """How a network's epochs are spent on the curriculum's stages.

    Attributes:
        n_epochs: the network's epochs (LSTM ``max_epochs``, EfficientNet ``epochs``).
        schedule: the lowest level admitted at each epoch (element ``e - 1``).
        stages: the stages the schedule walks, in order (the configured ones, or the
            warm-up stages thinned so that each gets ``min_epochs_per_stage``).
        epochs: epochs per stage of ``stages``.
        min_epochs_per_stage: the fairness rule's minimum.
        under_trained: some configured stage the schedule walks gets fewer than
            ``min_epochs_per_stage`` epochs, or no warm-up stage fits at all.
    """

    n_epochs: int
    schedule: list[int]
    stages: list[int]
    epochs: dict[int, int]
    min_epochs_per_stage: int
    under_trained: bool

    def describe(self) -> str:
        spent = ", ".join(f"stage {k}: {n}" for k, n in self.epochs.items())
        verdict = (
            f"UNDER-TRAINED (a stage gets < {self.min_epochs_per_stage} epochs)"
            if self.under_trained
            else f"every stage >= {self.min_epochs_per_stage} epochs"
        )
        return f"curriculum over {self.n_epochs} epochs: {spent}; {verdict}"


def _spread_schedule(n_epochs: int, stages: Sequence[int], warmup: float) -> list[int]:
    """The first ``warmup`` share of the epochs walks the stages before the last in equal
    shares of the epochs' positions; the rest use the last stage."""
    n = len(stages)
    schedule = []
    for epoch in range(1, n_epochs + 1):
        position = (epoch - 1) / n_epochs
        index = n - 1 if position >= warmup else int(math.floor(position / warmup * (n - 1)))
        schedule.append(stages[index])
    return schedule


def curriculum_plan(n_epochs: int, section: Mapping | None) -> CurriculumPlan:
    """The curriculum's schedule over ``n_epochs`` epochs, under the fairness rule.

    With stages ``s_0 .. s_{n-1}`` (``s_0 .. s_{n-2}`` the warm-up stages, ``s_{n-1}`` the
    last one, all data) and m = ``min_epochs_per_stage``:

    - ``epochs_per_stage: k``: each warm-up stage gets k epochs, the last stage the rest.
    - ``epochs_per_stage: null`` (default): the warm-up budget is ``B = floor(
      warmup_fraction * n_epochs)`` epochs, ``k = B // (n - 1)`` per warm-up stage. When
      ``k < m`` the warm-up stages are thinned to ``B // m`` of them, evenly spread and
      always starting at ``s_0``, each with ``k = B // (B // m)`` epochs, so that every
      stage walked gets at least m epochs; the last stage gets every other epoch.

    The curriculum is *under-trained* when a stage walked gets fewer than m epochs (the
    last stage included), or when the budget fits no warm-up stage at all (``B < m``);
    then the warm-up stages share the first ``warmup_fraction`` of the epochs as evenly
    as their positions allow (3 epochs at 0.5: 5, 3, 1), and the answer carries a note.
    The last epoch always uses ``s_{n-1}``. Examples (stages 5..1, warm-up 0.5, m = 2):
    10 epochs: B = 5, 1 per stage < 2, so stages 5 and 2 get 2 each and stage 1 six
    (5, 5, 2, 2, 1, 1, 1, 1, 1, 1); 2 epochs: B = 1 < 2, under-trained (5, 1).
    """
    settings = curriculum_settings(section)
    stages = settings["stages"]
    minimum = settings["min_epochs_per_stage"]
    n_epochs = int(n_epochs)
    warmup_stages, last = stages[:-1], stages[-1]
    walked: list[int] = []
    per_stage = 0
    spread = False
    if settings["epochs_per_stage"] is not None:
        walked, per_stage = list(warmup_stages), settings["epochs_per_stage"]
    elif warmup_stages and settings["warmup_fraction"] > 0:
        budget = int(math.floor(settings["warmup_fraction"] * n_epochs))
        per_stage = budget // len(warmup_stages)
        walked = list(warmup_stages)
        if per_stage < minimum:
            fits = budget // minimum
            if fits == 0:
                spread = True
            else:
                picks = (
                    [0] if fits == 1 else
                    [int(math.floor(i * (len(warmup_stages) - 1) / (fits - 1) + 0.5))
                     for i in range(fits)]
                )
                walked = [warmup_stages[i] for i in picks]
                per_stage = budget // fits
    if spread:
        schedule = _spread_schedule(n_epochs, stages, settings["warmup_fraction"])
    else:
        schedule = [stage for stage in walked for _ in range(per_stage)][:n_epochs]
        schedule += [last] * (n_epochs - len(schedule))
    if schedule:
        schedule[-1] = last
    epochs = {stage: schedule.count(stage) for stage in dict.fromkeys(schedule)}
    shown = [stage for stage in stages if stage in epochs]
    under = (
        spread
        or any(epochs.get(stage, 0) < minimum for stage in (*walked, last))
    )
    return CurriculumPlan(
        n_epochs=n_epochs,
        schedule=schedule,
        stages=shown,
        epochs={stage: epochs[stage] for stage in shown},
        min_epochs_per_stage=minimum,
        under_trained=bool(under),
    )


def curriculum_schedule(n_epochs: int, section: Mapping | None) -> list[int]:
    """The lowest level admitted at each epoch 1..``n_epochs`` (element ``e - 1``): the
    schedule of :func:`curriculum_plan`. At epoch e the training set is the intervals
    whose :func:`max_levels` is at least the epoch's stage; a stage with no training
    interval is skipped by the trainer (see :func:`curriculum_rows`)."""
    return curriculum_plan(n_epochs, section).schedule


def curriculum_note(system: str, n_epochs: int, section: Mapping | None) -> str | None:
    """The answer's and the log's note when ``system``'s curriculum row is under-trained
    (:func:`curriculum_plan`); None when every stage gets its minimum."""
    plan = curriculum_plan(n_epochs, section)
    if not plan.under_trained:
        return None
    return (
        f"Mc of {system} is under-trained: {plan.n_epochs} epochs cannot give every "
        f"curriculum stage {plan.min_epochs_per_stage} epochs ("
        + ", ".join(f"stage {k}: {n}" for k, n in plan.epochs.items())
        + "); its row is no fair test of a curriculum (raise the epochs or give "
        "arms.curriculum fewer stages)"
    )


#: Where each network's number of epochs lives in the configuration.
NETWORK_EPOCHS = {"audio_lstm": ("audio", "lstm", "max_epochs"),
                  "video_effnet": ("video", "effnet", "epochs")}


def curriculum_notes(
    settings: Mapping, members: Sequence[str], section: Mapping | None
) -> list[str]:
    """The under-trained notes (:func:`curriculum_note`) of the networks ``members`` (a
    system, or a fused system's members) under ``settings`` (the configuration the arm
    rows train with: level 1's); networks without a note and other systems give none."""
    notes = []
    for system in members:
        if system not in NETWORK_EPOCHS:
            continue
        value = settings
        for key in NETWORK_EPOCHS[system]:
            value = value[key]
        note = curriculum_note(system, int(value), section)
        if note is not None:
            notes.append(note)
    return notes


def curriculum_rows(max_level: np.ndarray, stage: int) -> np.ndarray:
    """Positions of the training samples admitted at ``stage`` (``max_level >= stage``).

    When none reaches the stage (a small corpus's highest levels can be empty), the next
    lower level that has samples is admitted instead, so no epoch trains on nothing.
    """
    max_level = np.asarray(max_level, dtype=int)
    if len(max_level) == 0:
        return np.zeros(0, dtype=int)
    admitted = min(int(stage), int(max_level.max()))
    return np.flatnonzero(max_level >= admitted)


def is_final_stage(schedule: Sequence[int], epoch: int) -> bool:
    """Whether epoch ``epoch`` (1-based) trains on the schedule's last stage; early
    stopping counts only such epochs, so a curriculum is never stopped before all its
    data has been seen."""
    return int(schedule[int(epoch) - 1]) == int(schedule[-1])


# --- demo: label accuracy of an arm's training data --------------------------------------


def _truth_overlaps(
    intervals: pd.DataFrame, truth: pd.DataFrame, emotions: Sequence[str]
) -> np.ndarray:
    """Seconds of each interval during which the hidden truth is each emotion."""
    episodes = {
        key: union_of_marks(zip(group["start_s"], group["end_s"], strict=True))
        for key, group in truth.astype({"recording": str}).groupby(["recording", "emotion"])
    }
    out = np.zeros((len(intervals), len(emotions)))
    for i, (rec, start, end) in enumerate(
        zip(intervals["recording"].astype(str), intervals["start_s"].astype(float),
            intervals["end_s"].astype(float), strict=True)
    ):
        for j, emotion in enumerate(emotions):
            out[i, j] = sum(
                max(0.0, min(end, e) - max(start, s)) for s, e in episodes.get((rec, emotion), [])
            )
    return out


def plain_truth_accuracy(
    intervals: pd.DataFrame, truth: pd.DataFrame, emotions: Sequence[str]
) -> float:
    """Share of interval time whose label is the hidden true emotion (as
    :func:`emoagree.corpus.demo.label_accuracy`, without importing the demo generator)."""
    emotions = list(emotions)
    intervals = intervals.reset_index(drop=True)
    durations = (intervals["end_s"].astype(float) - intervals["start_s"].astype(float)).to_numpy()
    total = float(np.clip(durations, 0, None).sum())
    if total <= 0:
        return float("nan")
    overlaps = _truth_overlaps(intervals, truth, emotions)
    own = np.array([emotions.index(e) for e in intervals["emotion"].astype(str)], dtype=int)
    return float(overlaps[np.arange(len(intervals)), own].sum() / total)


def arm_truth_accuracy(
    table: pd.DataFrame,
    truth: pd.DataFrame,
    emotions: Sequence[str],
    parts: Sequence[str] | None = None,
    stages: Sequence[int] = (),
) -> dict[str, float]:
    """Demo only: label accuracy of the arms' training data against the hidden truth.

    All shares are of interval time, as :func:`emoagree.corpus.demo.label_accuracy`:

    - ``Mw``: weight-averaged, ``sum_i w_i * m_i / sum_i w_i * d_i`` (m_i: seconds of
      interval i whose true emotion is its label, d_i its duration);
    - ``Ms``: target-averaged, ``sum_i sum_e t_ie * m_ie / sum_i d_i`` (m_ie: seconds whose
      true emotion is e): the expected accuracy of a label drawn from the soft target;
    - ``Mc>=k`` for each curriculum stage k: the plain accuracy of the intervals that
      stage admits (``max_level >= k``).

    Args:
        table: an arm table (:func:`arm_table`).
        parts: keep only these ``split`` values (None: every interval).

    Returns:
        Name -> share in [0, 1] (NaN when no interval time).
    """
    emotions = list(emotions)
    if parts is not None:
        table = table[table["split"].astype(str).isin(list(parts))]
    table = table.reset_index(drop=True)
    durations = (table["end_s"].astype(float) - table["start_s"].astype(float)).to_numpy()
    overlaps = _truth_overlaps(table, truth, emotions)
    own = np.array([emotions.index(e) for e in table["emotion"].astype(str)], dtype=int)
    matched = overlaps[np.arange(len(table)), own] if len(table) else np.zeros(0)
    weights = table[WEIGHT_COLUMN].to_numpy(dtype=float)
    targets = table[target_columns(emotions)].to_numpy(dtype=float)

    def share(numerator: float, denominator: float) -> float:
        return float(numerator / denominator) if denominator > 0 else float("nan")

    out = {
        "Mw": share((weights * matched).sum(), (weights * durations).sum()),
        "Ms": share((targets * overlaps).sum(), durations.sum()),
    }
    levels = table[MAX_LEVEL_COLUMN].to_numpy(dtype=int)
    for stage in stages:
        rows = levels >= int(stage)
        out[f"Mc>={int(stage)}"] = share(matched[rows].sum(), durations[rows].sum())
    return out


# --- one training job's arm inputs --------------------------------------------------------


@dataclass(frozen=True)
class ArmInputs:
    """What one network's training takes from an arm, per training sample (row order of
    the samples handed to the trainer).

    Attributes:
        arm: one of :data:`ARMS`.
        weights: ``weighted``: the agreement weight of each sample (else None).
        targets: ``soft``: the (n, emotions) soft targets (else None).
        max_level: ``curriculum``: each sample's highest level (else None).
        curriculum: ``curriculum``: the ``arms.curriculum`` section.
    """

    arm: str
    weights: np.ndarray | None = None
    targets: np.ndarray | None = None
    max_level: np.ndarray | None = None
    curriculum: Mapping | None = None

    def take(self, rows: np.ndarray) -> ArmInputs:
        """The same arm for the samples ``rows`` (e.g. chunks or frames -> their interval)."""
        rows = np.asarray(rows, dtype=int)
        pick = lambda values: None if values is None else np.asarray(values)[rows]  # noqa: E731
        return replace(
            self, weights=pick(self.weights), targets=pick(self.targets),
            max_level=pick(self.max_level),
        )

    def fingerprint(self) -> dict:
        """JSON-able summary for a checkpoint's fingerprint, so a resume never mixes arms."""
        digest = hashlib.sha256()
        for values in (self.weights, self.targets, self.max_level):
            if values is not None:
                digest.update(np.ascontiguousarray(np.asarray(values, dtype=float)).tobytes())
        return {
            "arm": self.arm,
            "data": digest.hexdigest()[:16],
            "curriculum": None if self.curriculum is None else curriculum_settings(self.curriculum),
        }

    def schedule(self, n_epochs: int) -> list[int] | None:
        """The curriculum's schedule (None for another arm); its plan is logged."""
        if self.arm != "curriculum":
            return None
        plan = curriculum_plan(n_epochs, self.curriculum)
        (log.warning if plan.under_trained else log.info)("%s", plan.describe())
        return plan.schedule


def arm_inputs(
    table: pd.DataFrame,
    rows: np.ndarray,
    arm: str | None,
    emotions: Sequence[str],
    curriculum: Mapping | None = None,
) -> ArmInputs | None:
    """An arm table's values for the training intervals ``rows`` (None without an arm)."""
    if arm is None:
        return None
    if arm not in ARMS:
        raise ValueError(f"unknown training arm {arm!r}; choose one of {ARMS}")
    read_arm_columns(table, emotions)
    rows = np.asarray(rows, dtype=int)
    if arm == "weighted":
        return ArmInputs(arm, weights=table[WEIGHT_COLUMN].to_numpy(dtype=float)[rows])
    if arm == "soft":
        return ArmInputs(arm, targets=table[target_columns(emotions)].to_numpy(dtype=float)[rows])
    return ArmInputs(
        arm,
        max_level=table[MAX_LEVEL_COLUMN].to_numpy(dtype=int)[rows],
        curriculum=curriculum_settings(curriculum),
    )


def classic_training_set(
    table: pd.DataFrame, rows: np.ndarray, arm: str | None, emotions: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Training samples of a classic model (SVM, LR, RF) under an arm.

    Returns:
        ``(rows, labels, sample_weight)``: without an arm the intervals ``rows`` with their
        labels and no weights; ``weighted``: the same with their agreement weights;
        ``soft``: the copies of :func:`soft_expand` (rows repeat).

    Raises:
        ValueError: ``curriculum`` (networks only) or an unknown arm.
    """
    rows = np.asarray(rows, dtype=int)
    labels = table["emotion"].to_numpy(dtype=object)
    if arm is None:
        return rows, labels[rows], None
    if arm in NETWORK_ONLY_ARMS:
        raise ValueError(f"the {arm} arm trains per epoch: only the networks take it")
    inputs = arm_inputs(table, rows, arm, emotions)
    if arm == "weighted":
        return rows, labels[rows], inputs.weights
    copies, copy_labels, weights = soft_expand(inputs.targets, emotions)
    return rows[copies], copy_labels, weights


def classic_sample_set(
    sample_intervals: Sequence[str],
    intervals: pd.DataFrame,
    arm: str | None,
    emotions: Sequence[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`classic_training_set` for samples that are parts of intervals (the face
    frames a forest trains on): each sample takes its interval's label(s) and weight(s).

    Args:
        sample_intervals: the ``interval_id`` of each sample.
        intervals: the training intervals (an arm table's rows when ``arm`` is set).

    Returns:
        ``(samples, labels, sample_weight)``: the position in ``sample_intervals`` of each
        training sample (repeated per emotion for ``soft``), its label and its weight.
    """
    rows, labels, weights = classic_training_set(
        intervals, np.arange(len(intervals)), arm, emotions
    )
    copies = pd.DataFrame(
        {
            "interval_id": intervals["interval_id"].astype(str).to_numpy()[rows],
            "label": labels,
            "weight": 1.0 if weights is None else weights,
        }
    )
    samples = pd.DataFrame(
        {
            "interval_id": np.asarray(sample_intervals, dtype=str),
            "sample": np.arange(len(sample_intervals)),
        }
    )
    joined = samples.merge(copies, on="interval_id", how="inner", sort=False)
    joined = joined.sort_values("sample", kind="stable")
    return (
        joined["sample"].to_numpy(dtype=int),
        joined["label"].to_numpy(dtype=object),
        None if weights is None else joined["weight"].to_numpy(dtype=float),
    )


# --- the workflow's steps (the scripts stay thin) ----------------------------------------


def run_arm_table(
    level1_csv: str, annotations_csv: str, emotions: Sequence[str], arm: str, out: str
) -> pd.DataFrame:
    """Rule arm_table: ``results/corpus/arms/{arm}.csv`` from level 1 and the marks.

    Every arm's file holds the same columns (the level-1 table, ``weight``,
    ``target_<Emotion>``, ``max_level``); each arm's training reads its own file, so
    adding an arm plans only its own jobs.
    """
    from pathlib import Path

    from emoagree.intervals_io import read_annotations, read_intervals

    if arm not in ARMS:
        raise ValueError(f"unknown training arm {arm!r}; choose one of {ARMS}")
    table = arm_table(read_intervals(level1_csv), read_annotations(annotations_csv), emotions)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    log.info(
        "arm %s (%s): %d level-1 intervals; weight mean %.3f (min %.3f); max_level counts %s",
        arm, ARM_ROWS[arm], len(table),
        float(table[WEIGHT_COLUMN].mean()) if len(table) else float("nan"),
        float(table[WEIGHT_COLUMN].min()) if len(table) else float("nan"),
        table[MAX_LEVEL_COLUMN].value_counts().sort_index().to_dict(),
    )
    return table


def truth_accuracy_table(
    levels: Mapping[int, pd.DataFrame],
    arms: Mapping[str, pd.DataFrame],
    truth: pd.DataFrame,
    emotions: Sequence[str],
    curriculum: Mapping | None = None,
) -> pd.DataFrame:
    """Demo only: label accuracy of each train row's data against the hidden truth.

    Rows: every level (plain time share, as the truth figure), then each configured arm
    (``Mw`` weight-averaged, ``Ms`` target-averaged, ``Mc`` per curriculum stage as
    ``Mc>=k``; :func:`arm_truth_accuracy`). Over every interval of the table (all parts),
    as the levels' figure. Columns ``row, data, accuracy, intervals``.
    """
    rows = [
        {"row": str(level), "data": f"level {level}",
         "accuracy": plain_truth_accuracy(table, truth, emotions), "intervals": len(table)}
        for level, table in sorted(levels.items())
    ]
    stages = curriculum_settings(curriculum)["stages"]
    for arm in ARMS:
        if arm not in arms:
            continue
        table = arms[arm]
        shares = arm_truth_accuracy(table, truth, emotions, stages=stages)
        if arm == "weighted":
            rows.append({"row": "Mw", "data": "level 1, weight-averaged",
                         "accuracy": shares["Mw"], "intervals": len(table)})
        elif arm == "soft":
            rows.append({"row": "Ms", "data": "level 1, target-averaged",
                         "accuracy": shares["Ms"], "intervals": len(table)})
        else:
            for stage in stages:
                admitted = int((table[MAX_LEVEL_COLUMN] >= stage).sum())
                rows.append({"row": "Mc", "data": f"curriculum stage max_level >= {stage}",
                             "accuracy": shares[f"Mc>={stage}"], "intervals": admitted})
    return pd.DataFrame(rows, columns=["row", "data", "accuracy", "intervals"])
