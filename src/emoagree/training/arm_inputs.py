"""What one training job takes from a training arm's table, per training sample.

Networks take :class:`ArmInputs` (agreement weights, soft targets or the curriculum's
levels); the classic models (SVM, LR, RF) take hard labels and sample weights
(:func:`classic_training_set`, :func:`classic_sample_set`, with :func:`soft_expand` for
the soft arm).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from emoagree.levels.arms import (
    ARMS,
    MAX_LEVEL_COLUMN,
    NETWORK_ONLY_ARMS,
    WEIGHT_COLUMN,
    read_arm_columns,
    target_columns,
)
from emoagree.levels.curriculum import curriculum_plan, curriculum_settings

log = logging.getLogger(__name__)


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
            self,
            weights=pick(self.weights),
            targets=pick(self.targets),
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
