"""``video_vggf_rf``: Random Forest on per-frame embeddings; interval = mean of its frames.

The forest's settings (``max_depth`` x ``min_samples_leaf``) are chosen by grouped inner
cross-validation over the split units of the fold's train+val intervals (all frames of an
interval stay on one side), scored by interval UAR; ties go to the more regularised
forest: the smaller ``max_depth`` (unlimited last), then the larger ``min_samples_leaf``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

from emoagree.training.selection import INNER_CV, Selection, grouped_splits, select, uar_score
from emoagree.video.frames import interval_probabilities

log = logging.getLogger(__name__)


def frame_matrix(
    frames: pd.DataFrame, embeddings: Mapping[str, np.ndarray]
) -> np.ndarray:
    """Stack the embedding rows named by ``frames`` (columns recording, row)."""
    if frames.empty:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([embeddings[r][i] for r, i in zip(frames["recording"], frames["row"],
                                                      strict=True)])


def train_forest(
    features: np.ndarray, labels: Sequence[str], emotions: Sequence[str], *,
    n_estimators: int, max_depth: int | None, class_weight: str | None, seed: int, n_jobs: int,
    min_samples_leaf: int = 1, sample_weight: np.ndarray | None = None,
) -> RandomForestClassifier:
    """Fit the forest; ``sample_weight`` (the training arms) weights each frame."""
    if len(features) == 0:
        raise ValueError("no training frames with a face: cannot fit the Random Forest")
    unknown = sorted(set(labels) - set(emotions))
    if unknown:
        raise ValueError(f"training labels {unknown} are not among the emotions {list(emotions)}")
    forest = RandomForestClassifier(
        n_estimators=n_estimators, max_depth=max_depth, min_samples_leaf=min_samples_leaf,
        class_weight=class_weight, random_state=seed, n_jobs=n_jobs,
    )
    forest.fit(features, np.asarray(labels), sample_weight=sample_weight)
    return forest


def frame_probabilities(
    forest: RandomForestClassifier, features: np.ndarray, emotions: Sequence[str]
) -> np.ndarray:
    """Frame probabilities in ``emotions`` order (0 for a class absent from training)."""
    out = np.zeros((len(features), len(emotions)))
    if len(features):
        probs = forest.predict_proba(features)
        for column, label in enumerate(forest.classes_):
            out[:, list(emotions).index(label)] = probs[:, column]
    return out


@dataclass(frozen=True)
class ForestPoint:
    """One forest setting of the grid."""

    max_depth: int | None
    min_samples_leaf: int

    def tie_order(self) -> tuple:
        """Sort key: the more regularised forest first."""
        unlimited = self.max_depth is None
        return (unlimited, self.max_depth or 0, -self.min_samples_leaf)

    def describe(self) -> dict:
        return {"max_depth": self.max_depth, "min_samples_leaf": self.min_samples_leaf}


def forest_grid(cfg: Mapping) -> list[ForestPoint]:
    """The ``grid`` of the ``video.vggf_rf`` section (every combination) in tie-break order;
    without a grid, the single point of ``max_depth`` (and ``min_samples_leaf``, 1)."""
    grid = cfg.get("grid") or {
        "max_depth": [cfg.get("max_depth")],
        "min_samples_leaf": [cfg.get("min_samples_leaf", 1)],
    }
    depths = [None if d is None else int(d) for d in grid["max_depth"]]
    leaves = [int(n) for n in grid["min_samples_leaf"]]
    points = {ForestPoint(d, n) for d, n in itertools.product(depths, leaves)}
    return sorted(points, key=ForestPoint.tie_order)


def select_forest(
    features: np.ndarray, frames: pd.DataFrame, intervals: pd.DataFrame, units: Sequence[str],
    emotions: Sequence[str], grid: Sequence[ForestPoint], *, n_folds: int, n_estimators: int,
    class_weight: str | None, seed: int, n_jobs: int,
) -> Selection:
    """Choose a forest setting by grouped inner CV over the intervals' units.

    Args:
        features: one embedding row per row of ``frames`` (``interval_id``, ``emotion``).
        intervals: the train+val intervals (``interval_id``, ``emotion``); ``units`` is the
            split unit of each. Intervals without a frame take no part.
    """
    ids = intervals["interval_id"].astype(str).to_numpy()
    has_frames = np.isin(ids, frames["interval_id"].astype(str).unique())
    ids = ids[has_frames]
    labels = intervals["emotion"].astype(str).to_numpy()[has_frames]
    splits = grouped_splits(labels, np.asarray(units, dtype=object)[has_frames], n_folds, seed)
    if len(set(labels)) < 2:
        splits = []
    frame_ids = frames["interval_id"].astype(str).to_numpy()
    frame_labels = frames["emotion"].astype(str).to_numpy()

    def score_split(fit_rows: np.ndarray, score_rows: np.ndarray) -> dict:
        fit_frames = np.isin(frame_ids, ids[fit_rows])
        score_frames = np.isin(frame_ids, ids[score_rows])
        held_out = pd.DataFrame({"interval_id": ids[score_rows]})
        scores = {}
        for point in grid:
            forest = train_forest(
                features[fit_frames], frame_labels[fit_frames], emotions,
                n_estimators=n_estimators, max_depth=point.max_depth,
                min_samples_leaf=point.min_samples_leaf, class_weight=class_weight,
                seed=seed, n_jobs=n_jobs,
            )
            probs = interval_probabilities(
                held_out, frames[score_frames].reset_index(drop=True),
                frame_probabilities(forest, features[score_frames], emotions), len(emotions),
            )
            predicted = np.asarray(emotions, dtype=object)[probs.argmax(axis=1)]
            scores[point] = uar_score(labels[score_rows], predicted)
        return scores

    selection = select(list(grid), splits, score_split, INNER_CV)
    if selection.scores:
        log.info("forest settings by inner CV over %d folds (UAR): %s -> %s",
                 selection.n_folds,
                 {str(p.describe()): round(selection.mean(p), 4) for p in grid},
                 selection.chosen.describe())
    return selection


def selection_report(selection: Selection, grid: Sequence[ForestPoint]) -> dict:
    """The choice and every grid point's inner-CV UAR, for the model's report."""
    return {
        "selection": selection.method,
        "inner_folds": selection.n_folds,
        "tie_break": "smallest max_depth (unlimited last), then largest min_samples_leaf",
        "chosen": selection.chosen.describe(),
        "grid": [
            {**p.describe(), "uar": selection.mean(p), "fold_uar": selection.scores[p]}
            for p in grid
        ] if selection.scores else [],
    }
