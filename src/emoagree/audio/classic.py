"""Utterance-level classifiers: standardize -> PCA -> SVM or logistic regression.

The PCA size and the regularisation constant C are chosen together by grouped inner
cross-validation over the split units of the fold's train+val part (see
:mod:`emoagree.training.selection`), scored by UAR; ties go to the smallest PCA size, then the
smallest C (the simpler model). The chosen setting is refitted on all of train+val: that
is the model the test part is predicted with. The validation predictions, on which fusion
weights are chosen, come from the chosen setting fitted on the train part only, so they
are out of sample. The test part is never looked at.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from emoagree.audio.classifiers import (  # noqa: F401 (re-exported: saved models' class path)
    CLASSIC_SYSTEMS,
    ConstantModel,
    DecisionSVC,
    UntrainedModel,
    fit_quietly,
    full_probabilities,
    make_classifier,
    predict_labels,
    stopped_at_max_iter,
)
from emoagree.training.selection import INNER_CV, VALIDATION, grouped_splits, select, uar_score

log = logging.getLogger(__name__)



def pca_components(requested: int, n_samples: int, n_features: int, warn: bool = True) -> int:
    """``requested`` PCA components, capped below the sample count (warns when capped)."""
    cap = pca_cap(n_samples, n_features)
    if requested > cap and warn:
        log.warning(
            "PCA: %d components requested but only %d training samples x %d features; "
            "using %d components",
            requested,
            n_samples,
            n_features,
            cap,
        )
    return min(requested, cap)


@dataclass(frozen=True, order=True)
class GridPoint:
    """One setting of the classic pipeline. Ordering is the tie-break order: the smallest
    PCA size first, then the smallest C (the simpler, more regularised model)."""

    pca: int
    c: float

    def describe(self) -> dict:
        return {"pca_components": self.pca, "c": self.c}


def pca_cap(n_samples: int, n_features: int) -> int:
    """The most PCA components a fit on ``n_samples`` rows of ``n_features`` can use: below
    the sample count (the rank of centred data), at most the feature count."""
    return max(1, min(int(n_samples) - 1, int(n_features)))


def capped_pca_sizes(requested: Sequence[int | None], cap: int | None = None) -> list[int]:
    """The PCA sizes of ``pca_grid`` a fit can use, sorted and without duplicates.

    ``None`` (``null`` in the config) is no reduction: every component the data has, i.e.
    ``cap``. With a ``cap`` (:func:`pca_cap` of the training data), sizes above it become
    ``cap`` and are deduplicated, so a small corpus pays nothing for sizes it cannot use
    (``[25, 50, 100, 300, null]`` on 60 intervals searches 25, 50 and 59). Without a cap
    only the integer sizes are kept as given (``None`` needs the data).
    """
    sizes = set()
    for size in requested:
        if size is None:
            if cap is not None:
                sizes.add(int(cap))
        else:
            sizes.add(int(size) if cap is None else min(int(size), int(cap)))
    return sorted(sizes)


def classic_grid(
    system: str, settings: dict, n_samples: int | None = None, n_features: int | None = None
) -> list[GridPoint]:
    """Every (PCA size, C) of ``settings`` (``pca_grid`` and the system's ``c_grid``), in
    tie-break order. Given the training data's shape, the PCA sizes are capped by it and
    deduplicated (:func:`capped_pca_sizes`)."""
    if system not in CLASSIC_SYSTEMS:
        raise ValueError(
            f"unknown classic audio system {system!r}; expected one of {CLASSIC_SYSTEMS}"
        )
    cap = None if n_samples is None or n_features is None else pca_cap(n_samples, n_features)
    sizes = capped_pca_sizes(settings["pca_grid"], cap)
    if not sizes:
        raise ValueError(
            "audio.pca_grid holds only null (no reduction), which needs the training data's "
            "size: pass n_samples and n_features"
        )
    cs = sorted({float(c) for c in settings[system.removeprefix("audio_")]["c_grid"]})
    return [GridPoint(n, c) for n in sizes for c in cs]


def fit_pipeline(
    system: str,
    point: GridPoint,
    features: np.ndarray,
    labels: Sequence[str],
    settings: dict,
    seed: int,
    probability: bool = True,
    sample_weight: np.ndarray | None = None,
):
    """standardize -> PCA -> classifier at ``point``, fitted on all given rows.

    The PCA size is capped below the sample count (logged). A single training class gives
    a :class:`ConstantModel`, no training row an :class:`UntrainedModel`.
    ``sample_weight`` (the training arms) weights the classifier's fit; the scaler and
    PCA are fitted unweighted.
    """
    labels = np.asarray(labels, dtype=object)
    if len(labels) == 0:
        reason = "no scorable training intervals"
        log.warning("%s: no model is fitted and every prediction stays empty", reason)
        return UntrainedModel(reason)
    classes = sorted(set(labels))
    if len(classes) < 2:
        log.warning("the training part holds only class %s: predicting it always", classes[0])
        return ConstantModel(classes[0])
    n_components = pca_components(point.pca, len(labels), features.shape[1])
    pipeline = Pipeline(
        [
            ("scale", StandardScaler()),
            ("pca", PCA(n_components=n_components, svd_solver="full", random_state=seed)),
            ("classify", make_classifier(system, point.c, settings, seed, probability)),
        ]
    )
    return fit_quietly(pipeline, features, labels, sample_weight)


def grid_split_scores(
    system: str,
    grid: Sequence[GridPoint],
    features: np.ndarray,
    labels: np.ndarray,
    fit_rows: np.ndarray,
    score_rows: np.ndarray,
    settings: dict,
    seed: int,
) -> dict[GridPoint, float]:
    """UAR of every grid point fitted on ``fit_rows`` and scored on ``score_rows``.

    Scaler and PCA are fitted once per split, at the largest size the grid asks for; a
    smaller size takes the leading components (with the full SVD, exactly what a PCA of
    that size gives). Sizes above the split's cap are capped, silently: the refit on all
    of train+val logs its own cap.
    """
    y_fit, y_score = labels[fit_rows], labels[score_rows]
    classes = sorted(set(y_fit))
    if len(classes) < 2:  # a constant model: every point predicts the one class
        constant = uar_score(y_score, np.full(len(y_score), classes[0], dtype=object))
        return dict.fromkeys(grid, constant)
    scaler = StandardScaler().fit(features[fit_rows])
    n_max = pca_components(max(p.pca for p in grid), len(y_fit), features.shape[1], warn=False)
    pca = PCA(n_components=n_max, svd_solver="full", random_state=seed)
    z_fit = pca.fit_transform(scaler.transform(features[fit_rows]))
    z_score = pca.transform(scaler.transform(features[score_rows]))
    scores: dict[GridPoint, float] = {}
    stopped = []
    for point in grid:
        k = min(point.pca, n_max)
        classifier = make_classifier(system, point.c, settings, seed, probability=False)
        fit_quietly(classifier, z_fit[:, :k], y_fit)
        if stopped_at_max_iter(classifier):
            stopped.append((k, point.c))
        scores[point] = uar_score(y_score, classifier.predict(z_score[:, :k]))
    if stopped:
        log.warning("%s: %d of %d grid fits of this split stopped at audio.svm.max_iter "
                    "(%d) before converging, (PCA, C): %s", system, len(stopped), len(grid),
                    settings["svm"]["max_iter"], stopped)
    return scores


@dataclass
class ClassicFit:
    """A classic system's models and the record of how its setting was chosen.

    Attributes:
        model: the chosen setting refitted on all of train+val (predicts the test part).
        val_model: the chosen setting fitted on the train part only (predicts the val
            part out of sample; fusion weights are chosen on those predictions).
        report: the choice and every grid point's UAR, for the model's JSON report.
    """

    model: object
    val_model: object
    report: dict = field(default_factory=dict)


def _choice_splits(
    labels: np.ndarray, units: np.ndarray, n_train: int, n_val: int, n_folds: int, seed: int
) -> tuple[list, str]:
    """The (fit rows, score rows) splits that choose the setting, and how they were made:
    grouped inner CV over train+val; the val part fitted on the train part when there are
    fewer than 2 units; none when there is one class (or none) to learn."""
    splits, method = grouped_splits(labels, units, n_folds, seed), INNER_CV
    if not splits and n_train and n_val:
        log.warning("fewer than 2 split units in train+val: the setting is chosen on the val "
                    "part (fitted on the train part)")
        train_rows = np.arange(n_train)
        splits, method = [(train_rows, n_train + np.arange(n_val))], VALIDATION
    if len(set(labels)) < 2:
        splits = []  # nothing to choose between: one class (or none) to learn
    return splits, method


def _fit_arm(
    system: str,
    chosen: GridPoint,
    x_train: np.ndarray,
    y_train: np.ndarray,
    arm_train: tuple,
    arm_val: tuple | None,
    settings: dict,
    seed: int,
) -> tuple:
    """The chosen setting fitted on an arm's weighted samples: ``(train+val, train)``."""
    arm_val = arm_val if arm_val is not None else (x_train[:0], y_train[:0], np.zeros(0))
    model = fit_pipeline(
        system, chosen, np.concatenate([arm_train[0], arm_val[0]]),
        np.concatenate([arm_train[1], arm_val[1]]), settings, seed,
        sample_weight=np.concatenate([arm_train[2], arm_val[2]]),
    )
    val_model = fit_pipeline(system, chosen, *arm_train[:2], settings, seed,
                             sample_weight=arm_train[2])
    return model, val_model


def fit_classic(
    system: str,
    x_train: np.ndarray,
    y_train: Sequence[str],
    units_train: Sequence[str],
    x_val: np.ndarray,
    y_val: Sequence[str],
    units_val: Sequence[str],
    settings: dict,
    seed: int,
    arm_train: tuple | None = None,
    arm_val: tuple | None = None,
) -> ClassicFit:
    """Choose (PCA size, C) by grouped inner CV over train+val, refit, and fit the val model.

    A training arm (``weighted``, ``soft``) gives ``arm_train`` and ``arm_val``, each
    ``(features, labels, sample_weight)`` of its samples (soft: one weighted copy per
    emotion, :func:`emoagree.training.arm_inputs.classic_training_set`): the setting is
    chosen as for the hard labels of the same intervals (level 1), and the chosen setting
    is then fitted on the arm's samples with their weights.

    Args:
        units_train, units_val: the split unit of every row; no unit is ever on both sides
            of an inner split.
        settings: the ``audio`` config section (``pca_grid``, ``inner_folds``,
            ``class_weight``, ``svm: {kernel, c_grid}``, ``lr: {max_iter, c_grid}``).

    With fewer than two units in train+val there is nothing to cross-validate: the grid
    is scored on the val part fitted on the train part when both exist, otherwise the
    first grid point (smallest PCA, smallest C) is taken unchosen; both are logged.
    """
    x_train, x_val = np.asarray(x_train), np.asarray(x_val)
    y_train = np.asarray(y_train, dtype=object)
    y_val = np.asarray(y_val, dtype=object)
    features = np.concatenate([x_train, x_val]) if len(x_val) else x_train
    labels = np.concatenate([y_train, y_val])
    units = np.concatenate([np.asarray(units_train, dtype=object),
                            np.asarray(units_val, dtype=object)])
    # the PCA sizes are capped by the refit's data (train+val) and deduplicated: the cap
    # depends on the corpus, so it is logged and written to the model's report
    n_rows, n_features = max(len(labels), 1), features.shape[1]
    cap = pca_cap(n_rows, n_features)
    grid = classic_grid(system, settings, n_rows, n_features)
    sizes = sorted({p.pca for p in grid})
    log.info(
        "%s: PCA sizes %s for %d train+val intervals x %d features (pca_grid %s, cap %d)",
        system, sizes, len(labels), n_features, list(settings["pca_grid"]), cap,
    )
    n_folds = int(settings.get("inner_folds", 5))
    splits, method = _choice_splits(labels, units, len(y_train), len(y_val), n_folds, seed)
    selection = select(
        grid,
        splits,
        lambda fit_rows, score_rows: grid_split_scores(
            system, grid, features, labels, fit_rows, score_rows, settings, seed
        ),
        method,
    )
    chosen = selection.chosen
    if selection.scores:
        means = {(p.pca, p.c): round(selection.mean(p), 4) for p in grid}
        log.info("%s: %s over %d folds, UAR per (PCA, C): %s -> PCA %d, C=%g",
                 system, method, selection.n_folds, means, chosen.pca, chosen.c)
    if arm_train is None:
        model = fit_pipeline(system, chosen, features, labels, settings, seed)
        val_model = fit_pipeline(system, chosen, x_train, y_train, settings, seed)
    else:
        model, val_model = _fit_arm(
            system, chosen, x_train, y_train, arm_train, arm_val, settings, seed
        )
    report = _fit_report(selection, grid, model, units, settings, cap, sizes, y_train, y_val)
    return ClassicFit(model, val_model, report)


def _fit_report(
    selection, grid, model, units, settings: dict, cap: int, sizes, y_train, y_val
) -> dict:
    """The model's JSON report: how the setting was chosen, every grid point's UAR, the
    PCA sizes searched and used."""
    chosen = selection.chosen
    report = {
        "selection": selection.method,
        "inner_folds": selection.n_folds,
        "n_units": int(len(set(units))),
        "tie_break": "smallest PCA size, then smallest C",
        "chosen": chosen.describe(),
        "chosen_c": chosen.c,
        "pca_components": _used_components(model),
        # computed from the data: the requested sizes, the cap and the sizes searched
        "pca_grid_requested": list(settings["pca_grid"]),
        "pca_cap": int(cap),
        "pca_grid_searched": sizes,
        "grid": [
            {**p.describe(), "uar": selection.mean(p), "fold_uar": selection.scores[p]}
            for p in grid
        ]
        if selection.scores
        else [],
        "n_train": int(len(y_train)),
        "n_val": int(len(y_val)),
    }
    if isinstance(model, Pipeline) and isinstance(model.steps[-1][1], SVC):
        report["svm_max_iter"] = int(settings["svm"].get("max_iter", -1))
        report["stopped_at_max_iter"] = stopped_at_max_iter(model)
        if report["stopped_at_max_iter"]:
            log.warning("the chosen SVM (%s) stopped at audio.svm.max_iter (%d) before "
                        "converging", chosen.describe(), settings["svm"]["max_iter"])
    if isinstance(model, UntrainedModel):
        report["untrained"] = model.reason
    elif isinstance(model, ConstantModel):
        report["constant"] = model.label
    return report


def _used_components(model) -> int | None:
    return int(model.named_steps["pca"].n_components_) if isinstance(model, Pipeline) else None

