"""The classic systems' estimators: the SVM (with decision-value probabilities and an
iteration limit) and logistic regression, the stand-ins for a one-class or empty training
part, and their class probabilities in the study's emotion order."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

CLASSIC_SYSTEMS = ("audio_svm", "audio_lr")


def make_classifier(system: str, c: float, settings: dict, seed: int, probability: bool = True):
    """The final estimator of ``system`` with regularisation constant ``c``.

    ``probability=False`` gives an SVM without Platt scaling (its internal 5-fold fit), for
    inner cross-validation, which scores predicted labels only, as ``GridSearchCV`` does.
    """
    class_weight = settings.get("class_weight")
    if system == "audio_svm":
        platt = probability and settings["svm"].get("probability", "platt") == "platt"
        return (SVC if platt else DecisionSVC)(
            C=c,
            kernel=settings["svm"]["kernel"],
            probability=platt,
            class_weight=class_weight,
            # one-vs-one vote ties go to the larger one-vs-rest decision value, so that
            # predict() is the arg max of DecisionSVC's probabilities
            break_ties=True,
            random_state=seed,
            # libsvm's time grows with C on data no hyperplane separates (measured on 900
            # clips x 100 PCA scores: 0.1 s at C=1e-4, 22 s at 0.1, 248 s at 1): a fit that
            # reaches max_iter stops there, logged, and the model's JSON says so
            # (stopped_at_max_iter)
            max_iter=int(settings["svm"].get("max_iter", -1)),
        )
    if system == "audio_lr":
        # newton-cg reaches the same (convex) optimum as the default lbfgs, but on PCA
        # scores of ~100 intervals in ~15 iterations where lbfgs takes hundreds to the
        # max_iter limit (measured: 0.05 s vs 0.3-10 s per fit); inner CV fits dozens.
        return LogisticRegression(
            C=c,
            solver="newton-cg",
            max_iter=settings["lr"]["max_iter"],
            class_weight=class_weight,
        )
    raise ValueError(f"unknown classic audio system {system!r}; expected one of {CLASSIC_SYSTEMS}")


class DecisionSVC(SVC):
    """An SVM whose class probabilities are the softmax of its one-vs-rest decision values
    (``audio.svm.probability: decision``): their arg max is the SVM's own decision.

    Platt scaling (``probability: platt``, scikit-learn's ``probability=True``) fits its
    sigmoids by an internal 5-fold CV and ignores the class weights; its arg max often
    disagrees with the decision that the inner CV scored (on the demo split by actor it
    lost 10 points of val-part UAR).
    """

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        scores = self.decision_function(features)
        if scores.ndim == 1:  # two classes: positive means classes_[1]
            scores = np.column_stack([-scores, scores])
        scores = scores - scores.max(axis=1, keepdims=True)
        weights = np.exp(scores)
        return weights / weights.sum(axis=1, keepdims=True)


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


def fit_quietly(estimator, features: np.ndarray, labels: np.ndarray, sample_weight=None):
    fit_params = {} if sample_weight is None else {"classify__sample_weight": sample_weight}
    with warnings.catch_warnings():
        # scikit-learn 1.9 deprecates SVC(probability=True) in favour of
        # CalibratedClassifierCV, which cannot calibrate classes with fewer members
        # than folds (small agreement levels have them); SVC's own Platt scaling can.
        warnings.filterwarnings("ignore", "The `probability` parameter", FutureWarning)
        # an SVM stopped at audio.svm.max_iter is counted and logged by its caller
        # (stopped_at_max_iter), once per split, not once per fit
        warnings.filterwarnings("ignore", "Solver terminated early", ConvergenceWarning)
        return estimator.fit(features, labels, **fit_params)


def stopped_at_max_iter(estimator) -> bool:
    """Whether an SVM (or a pipeline ending in one) stopped at its ``max_iter`` before
    libsvm's stopping tolerance was met."""
    if isinstance(estimator, Pipeline):
        estimator = estimator.steps[-1][1]
    limit = getattr(estimator, "max_iter", -1)
    if not isinstance(estimator, SVC) or limit is None or limit < 0:
        return False
    return bool(np.max(getattr(estimator, "n_iter_", [0])) >= limit)
