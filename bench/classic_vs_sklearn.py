"""The workflow's classic audio systems against plain scikit-learn GridSearchCV(GroupKFold).

On a speaker-split corpus, both sides see the same ComParE functionals and the same
parts of each fold (``emoagree.levels.folds.fold_view``) and are scored on the held-out test
part by UAR (recall averaged over the classes present):

- workflow: ``run_train_classic`` (PCA size and C chosen by grouped inner CV over the
  speakers of train+val, refit on all of it), then the argmax of the saved model's
  probabilities on the test part, as the workflow's evaluation reads them;
- scikit-learn: ``GridSearchCV(Pipeline(StandardScaler, PCA, SVC | LogisticRegression),
  grid, scoring="balanced_accuracy", cv=GroupKFold(by actor)).fit(X, y, groups=actor)``
  on the same train+val part, then ``.predict`` on the test part.

The grid is the config's (``audio.pca_grid`` x the system's ``c_grid``), the inner folds
``audio.inner_folds`` clamped to the number of train+val actors. PCA sizes that the
smallest inner training part cannot hold are clamped to one below its size on both sides,
so both search the same grid (left alone, the workflow caps each fit at its own sample
count and scikit-learn fails those points). Both sides group the inner CV by actor: the
units of ``split.strategy: actor``; the SVM breaks vote ties by its decision values on
both sides (``break_ties=True``), as the workflow's SVM does.
With K folds the test predictions of all folds are pooled.

The compared scikit-learn PCA uses the exact SVD (``svd_solver="full"``), as the workflow
does. Its default, ``"auto"``, picks a randomized SVD for these shapes (thousands of
features, ~100 samples), which alone moves inner-CV UARs by 1-3 points and flips choices
between near ties; that variant is printed as ``(auto)``, for information.

Usage::

    # builds the demo corpus with split.strategy: actor and its functionals (~1-2 min)
    .venv/bin/python bench/classic_vs_sklearn.py --build /tmp/bench_actor
    # or a finished run of a speaker-split config
    .venv/bin/python bench/classic_vs_sklearn.py --workdir /path/to/run --levels 1 2 3
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import yaml
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from emoagree.audio.classic import CLASSIC_SYSTEMS, predict_labels  # noqa: E402
from emoagree.audio.functionals import OK  # noqa: E402
from emoagree.audio.steps import aligned_functionals, run_train_classic  # noqa: E402
from emoagree.contracts.levels import MODEL_COLUMNS, read_level  # noqa: E402
from emoagree.levels.folds import fold_view  # noqa: E402
from emoagree.settings import sized_config  # noqa: E402
from emoagree.training.selection import uar_score  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 0.01  # the target: within 1 UAR point


def build(workdir: Path, config: Path, levels: list[int]) -> None:
    """The demo corpus split by actor and its functionals, by the workflow itself."""
    workdir.mkdir(parents=True, exist_ok=True)
    actor = workdir / "split_actor.yaml"
    actor.write_text(yaml.safe_dump({"split": {"strategy": "actor"}}))
    targets = [f"results/features/audio_functionals/level{k}.npz" for k in levels]
    command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d",
               str(workdir), "--cores", "2", *targets, "--configfile", str(config), str(actor)]
    print("building:", " ".join(command), flush=True)
    run = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"snakemake failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")


def n_folds_of(table: pd.DataFrame) -> int:
    """K of the run's split: 1 when the ``split`` column holds the parts itself."""
    if "fold" in table.columns and (table["split"] == "test").all():
        return int(table["fold"].max()) + 1
    return 1


def sklearn_search(system: str, audio: dict, seed: int, n_splits: int,
                   svd_solver: str = "full"):
    """Plain GridSearchCV over the config's grid, grouped K-fold (no shuffling)."""
    if system == "audio_svm":
        # break_ties as the workflow's SVM: vote ties go to the larger decision value
        classifier = SVC(kernel=audio["svm"]["kernel"], class_weight=audio["class_weight"],
                         break_ties=True, max_iter=int(audio["svm"].get("max_iter", -1)))
    else:
        classifier = LogisticRegression(max_iter=audio["lr"]["max_iter"], solver="newton-cg",
                                        class_weight=audio["class_weight"])
    pca = PCA(svd_solver=svd_solver, random_state=seed)
    pipeline = Pipeline([("scale", StandardScaler()), ("pca", pca),
                         ("clf", classifier)])
    grid = {"pca__n_components": [int(n) for n in audio["pca_grid"]],
            "clf__C": [float(c) for c in audio[system.removeprefix("audio_")]["c_grid"]]}
    return GridSearchCV(pipeline, grid, scoring="balanced_accuracy",
                        cv=GroupKFold(n_splits=n_splits))


def compare_level(system: str, table: pd.DataFrame, npz: Path, emotions: list[str],
                  audio: dict, seed: int, scratch: Path) -> dict:
    """Pooled test UAR of both sides on one level (all folds)."""
    table = table.assign(unit=table["actor"].astype(str))  # units = speakers, both sides
    csv = scratch / "level.csv"
    table.to_csv(csv, index=False)
    n_folds = n_folds_of(table)
    truth, ours, choices = [], [], []
    theirs: dict[str, list] = {"full": [], "auto": []}
    for fold in range(n_folds):
        view = fold_view(table, fold, n_folds)
        features, status = aligned_functionals(view, npz)
        ok = status == OK
        test = ok & (view["split"] == "test").to_numpy()
        fit = ok & view["split"].isin(["train", "val"]).to_numpy()
        labels = view["emotion"].to_numpy(dtype=object)
        actors = view["actor"].astype(str).to_numpy()[fit]
        n_splits = min(int(audio["inner_folds"]), len(set(actors)))
        smallest = min(len(tr) for tr, _ in GroupKFold(n_splits=n_splits).split(
            features[fit], labels[fit], actors))
        cap = min(smallest - 1, features.shape[1])
        same = {**audio, "pca_grid": sorted({min(int(n), cap) for n in audio["pca_grid"]})}
        model, report = scratch / f"{system}_{fold}.joblib", scratch / f"{system}_{fold}.json"
        run_train_classic(system, str(csv), str(npz), emotions, same, seed, str(model),
                          str(report), str(scratch / "val.csv"), fold=fold, n_folds=n_folds)
        ours.append(predict_labels(joblib.load(model), features[test], emotions))
        chosen = yaml.safe_load(report.read_text())["chosen"]
        for solver, predictions in theirs.items():
            search = sklearn_search(system, same, seed, n_splits, solver)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                search.fit(features[fit], labels[fit], groups=actors)
            predictions.append(search.predict(features[test]))
            if solver == "full":
                best = search.best_params_
        truth.append(labels[test])
        choices.append((chosen["pca_components"], chosen["c"], best["pca__n_components"],
                        best["clf__C"]))
    truth = np.concatenate(truth)
    return {
        "n_test": len(truth),
        "workflow": uar_score(truth, np.concatenate(ours)),
        "sklearn": uar_score(truth, np.concatenate(theirs["full"])),
        "sklearn_auto": uar_score(truth, np.concatenate(theirs["auto"])),
        "choices": choices,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--workdir", type=Path, help="a finished run (holds results/)")
    where.add_argument("--build", type=Path, help="build the actor-split demo features here")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml",
                        help="emotions, seed and audio settings (default: config.yaml)")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--systems", nargs="+", default=list(CLASSIC_SYSTEMS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    config = yaml.safe_load(args.config.read_text())
    # the demo's sizes (config.yaml's demo_sizes) while corpus.format is demo, as in a run
    config = sized_config(config, {})
    workdir = args.workdir or args.build
    if args.build:
        build(args.build, args.config, args.levels)
    results = workdir.resolve() / "results"
    emotions, audio, seed = list(config["emotions"]), config["audio"], int(config["seed"])
    print(f"results: {results}; levels {args.levels}; inner folds {audio['inner_folds']}; "
          f"PCA {audio['pca_grid']}; seed {seed}")
    print("test UAR % (held-out actors, pooled over folds): workflow = run_train_classic, "
          "sklearn = GridSearchCV(GroupKFold by actor)")
    print(f"{'level':>5s}  {'system':10s} {'n_test':>6s} {'workflow':>9s} {'sklearn':>8s} "
          f"{'diff':>6s} {'(auto)':>7s}   chosen (PCA, C): workflow / sklearn, per fold"
          "   seconds")
    rows = []
    for system in args.systems:
        for level in args.levels:
            started = time.perf_counter()
            table = read_level(results / "corpus" / "levels" / f"level{level}.csv", MODEL_COLUMNS)
            npz = results / "features" / "audio_functionals" / f"level{level}.npz"
            with tempfile.TemporaryDirectory() as scratch:
                row = compare_level(system, table, npz, emotions, audio, seed, Path(scratch))
            rows.append({"system": system, "level": level, **row})
            choices = "; ".join(f"({a}, {b:g}) / ({c}, {d:g})" for a, b, c, d in row["choices"])
            print(f"{level:>5d}  {system:10s} {row['n_test']:>6d} {100 * row['workflow']:9.1f} "
                  f"{100 * row['sklearn']:8.1f} {100 * (row['workflow'] - row['sklearn']):+6.1f}"
                  f" {100 * row['sklearn_auto']:7.1f}   {choices}"
                  f"   {time.perf_counter() - started:5.1f}", flush=True)
    columns = ["workflow", "sklearn", "sklearn_auto"]
    summary = pd.DataFrame(rows).groupby("system", sort=False)[columns].mean()
    print("\nmean over levels (UAR %):")
    for system, row in summary.iterrows():
        diff = row["workflow"] - row["sklearn"]
        verdict = "within" if abs(diff) <= TOLERANCE else "NOT within"
        print(f"  {system:10s} workflow {100 * row['workflow']:5.1f}  sklearn "
              f"{100 * row['sklearn']:5.1f}  diff {100 * diff:+5.1f}  ({verdict} 1 point; "
              f"sklearn with its default PCA solver {100 * row['sklearn_auto']:5.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
