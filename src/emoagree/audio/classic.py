"""Utterance-level classifiers: standardize -> PCA -> SVM or logistic regression.

The regularisation constant C is chosen on the validation split from a configured grid;
the test split is never looked at. The final model is the one fitted on the training
split with the chosen C, so its validation predictions are honest (fusion weights are
chosen on them).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emoagree.metrics import uar

log = logging.getLogger(__name__)

CLASSIC_SYSTEMS = ("audio_svm", "audio_lr")


def pca_components(requested: int, n_samples: int, n_features: int) -> int:
    """``requested`` PCA components, capped below the sample count (warns when capped)."""
    cap = max(1, min(n_samples - 1, n_features))
    if requested > cap:
        log.warning(
            "PCA: %d components requested but only %d training samples x %d features; "
            "using %d components",
            requested,
            n_samples,
            n_features,
            cap,
        )
        return cap
    return requested


def make_classifier(system: str, c: float, settings: dict, seed: int):
    """The final estimator of ``system`` with regularisation constant ``c``."""
    class_weight = settings.get("class_weight")
    if system == "audio_svm":
        return SVC(
            C=c,
            kernel=settings["svm"]["kernel"],
            probability=True,
            class_weight=class_weight,
            random_state=seed,
        )
    if system == "audio_lr":
        return LogisticRegression(
            C=c,
            max_iter=settings["lr"]["max_iter"],
            class_weight=class_weight,
        )
    raise ValueError(f"unknown classic audio system {system!r}; expected one of {CLASSIC_SYSTEMS}")


@dataclass
class ConstantModel:
    """Stand-in when the training split holds a single class: always that class."""

    label: str
    classes_: np.ndarray = field(init=False)

    def __post_init__(self):
        self.classes_ = np.array([self.label], dtype=object)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        return np.ones((len(features), 1))


@dataclass
class UntrainedModel:
    """Stand-in when a train level has no scorable training interval (a small corpus's
    highest levels can be empty): it scores nothing, so every prediction is empty."""

    reason: str


def full_probabilities(model, features: np.ndarray, emotions: Sequence[str]) -> np.ndarray:
    """Class probabilities in ``emotions`` order (0 for classes absent from training;
    NaN, i.e. not scored, for an :class:`UntrainedModel`)."""
    if isinstance(model, UntrainedModel):
        return np.full((len(features), len(emotions)), np.nan)
    probabilities = np.zeros((len(features), len(emotions)))
    if len(features) == 0:
        return probabilities
    own = model.predict_proba(features)
    for column, label in enumerate(model.classes_):
        probabilities[:, list(emotions).index(label)] = own[:, column]
    return probabilities


def predict_labels(model, features: np.ndarray, emotions: Sequence[str]) -> np.ndarray:
    return np.asarray(emotions, dtype=object)[
        full_probabilities(model, features, emotions).argmax(axis=1)
    ]


def fit_classic(
    system: str,
    x_train: np.ndarray,
    y_train: Sequence[str],
    x_val: np.ndarray,
    y_val: Sequence[str],
    emotions: Sequence[str],
    settings: dict,
    seed: int,
    sample_weight: np.ndarray | None = None,
) -> tuple[object, dict]:
    """Fit scaler + PCA on train, pick C on val by UAR, return (model, selection report).

    Args:
        settings: the ``audio`` config section (``pca_components``, ``class_weight``,
            ``svm: {kernel, c_grid}``, ``lr: {max_iter, c_grid}``).
        sample_weight: per training sample weight for the classifier's fit (the training
            arms; the scaler and PCA are fitted unweighted); None: every sample counts 1.

    Returns:
        A fitted pipeline (or :class:`ConstantModel`) and a dict with the chosen C, the
        validation UAR of every C, and the PCA size.
    """
    y_train = np.asarray(y_train, dtype=object)
    y_val = np.asarray(y_val, dtype=object)
    if len(y_train) == 0:
        reason = "no scorable training intervals"
        log.warning("%s: no model is fitted and every prediction stays empty", reason)
        return UntrainedModel(reason), {"chosen_c": None, "val_uar": {}, "untrained": reason}
    classes = sorted(set(y_train))
    if len(classes) < 2:
        log.warning("training split holds only class %s: predicting it always", classes[0])
        return ConstantModel(classes[0]), {"chosen_c": None, "val_uar": {}, "constant": classes[0]}
    grid = [float(c) for c in settings[system.removeprefix("audio_")]["c_grid"]]
    n_components = pca_components(int(settings["pca_components"]), len(y_train), x_train.shape[1])
    scaler = StandardScaler().fit(x_train)
    pca = PCA(n_components=n_components, random_state=seed).fit(scaler.transform(x_train))
    z_train = pca.transform(scaler.transform(x_train))
    z_val = pca.transform(scaler.transform(x_val)) if len(x_val) else z_train[:0]
    scores: dict[str, float] = {}
    fitted = {}
    for c in grid:
        with warnings.catch_warnings():
            # scikit-learn 1.9 deprecates SVC(probability=True) in favour of
            # CalibratedClassifierCV, which cannot calibrate classes with fewer members
            # than folds (small agreement levels have them); SVC's own Platt scaling can.
            warnings.filterwarnings("ignore", "The `probability` parameter", FutureWarning)
            classifier = make_classifier(system, c, settings, seed).fit(
                z_train, y_train, sample_weight=sample_weight
            )
        fitted[c] = classifier
        if len(y_val):
            scores[repr(c)] = uar(y_val, predict_labels(classifier, z_val, emotions), emotions)
    if scores:
        chosen = max(grid, key=lambda c: (scores[repr(c)], -grid.index(c)))
        log.info("C on validation (UAR): %s -> chose C=%g", scores, chosen)
    else:
        chosen = grid[len(grid) // 2]
        log.warning("no scorable validation intervals: C=%g (middle of the grid) unchosen", chosen)
    model = Pipeline([("scale", scaler), ("pca", pca), ("classify", fitted[chosen])])
    report = {
        "chosen_c": chosen,
        "val_uar": scores,
        "pca_components": int(n_components),
        "n_train": int(len(y_train)),
        "n_val": int(len(y_val)),
    }
    return model, report
