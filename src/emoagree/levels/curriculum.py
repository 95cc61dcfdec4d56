"""The curriculum arm's plan: which agreement levels each epoch trains on.

Epochs start with the intervals that reach the highest level (``max_level``, see
:func:`emoagree.levels.arms.max_levels`) and add lower levels as training proceeds; a
fairness rule gives every stage a minimum of epochs or marks the row under-trained.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


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
                    [0]
                    if fits == 1
                    else [
                        int(math.floor(i * (len(warmup_stages) - 1) / (fits - 1) + 0.5))
                        for i in range(fits)
                    ]
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
    under = spread or any(epochs.get(stage, 0) < minimum for stage in (*walked, last))
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
    whose :func:`emoagree.levels.arms.max_levels` is at least the epoch's stage; a stage
    with no training interval is skipped by the trainer (see :func:`curriculum_rows`)."""
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
NETWORK_EPOCHS = {
    "audio_lstm": ("audio", "lstm", "max_epochs"),
    "video_effnet": ("video", "effnet", "epochs"),
}


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
