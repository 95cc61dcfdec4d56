"""``video_vggf_rf``: Random Forest on per-frame embeddings; interval = mean of its frames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier


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
    sample_weight: np.ndarray | None = None,
) -> RandomForestClassifier:
    """Fit the forest; ``sample_weight`` (the training arms) weights each frame."""
    if len(features) == 0:
        raise ValueError("no training frames with a face: cannot fit the Random Forest")
    unknown = sorted(set(labels) - set(emotions))
    if unknown:
        raise ValueError(f"training labels {unknown} are not among the emotions {list(emotions)}")
    forest = RandomForestClassifier(
        n_estimators=n_estimators, max_depth=max_depth, class_weight=class_weight,
        random_state=seed, n_jobs=n_jobs,
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


def interval_probabilities(
    intervals: pd.DataFrame, frames: pd.DataFrame, frame_probs: np.ndarray, n_classes: int
) -> np.ndarray:
    """Mean frame probability per interval (intervals order); NaN rows without frames."""
    out = np.full((len(intervals), n_classes), np.nan)
    if len(frames):
        means = (
            pd.DataFrame(frame_probs).assign(interval_id=frames["interval_id"].to_numpy())
            .groupby("interval_id", sort=False).mean()
        )
        ids = intervals["interval_id"].astype(str).to_numpy()
        present = np.isin(ids, means.index.to_numpy())
        out[present] = means.loc[ids[present]].to_numpy()
    return out
