"""Audio systems on a synthetic separable corpus (classes differ in pitch and energy)."""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from audio_synth import EMOTIONS, make_corpus

from emoagree.audio import classic
from emoagree.audio.classic import (
    GridPoint,
    capped_pca_sizes,
    classic_grid,
    fit_classic,
    fit_pipeline,
    full_probabilities,
    grid_split_scores,
    pca_cap,
    pca_components,
    predict_labels,
)
from emoagree.audio.lld import cache_recording_lld
from emoagree.audio.lstm import (
    LstmClassifier,
    LstmSettings,
    predict_sequences,
    prepare,
    split_chunks,
)
from emoagree.audio.lstm_steps import run_predict_lstm, run_train_lstm
from emoagree.audio.lstm_train import train_lstm
from emoagree.audio.steps import run_functionals, run_predict_classic, run_train_classic
from emoagree.contracts.predictions import prob_columns, read_predictions, scored_mask
from emoagree.evaluation.metrics import uar
from emoagree.training.arm_loss import class_weights
from emoagree.training.fold_jobs import remove_checkpoints, run_folds
from emoagree.training.selection import (
    choose,
    grouped_splits,
    inner_cv_groups,
    sessions_from_units,
    uar_score,
)

MFCC_CONFIG = Path(__file__).resolve().parents[1] / "resources/opensmile/mfcc.conf"
LSTM = {
    "hidden_size": 24,
    "num_layers": 1,
    "bidirectional": False,
    "dropout": 0.0,
    "chunk_frames": 60,
    "batch_size": 16,
    "learning_rate": 0.01,
    "max_epochs": 25,
    "patience": 8,
}
SETTINGS = {
    "min_duration_s": 0.1,
    "pca_grid": [300],
    "inner_folds": 3,
    "class_weight": "balanced",
    "svm": {"kernel": "linear", "c_grid": [0.0001, 0.01, 1.0]},
    "lr": {"max_iter": 2000, "c_grid": [0.0001, 0.01, 1.0]},
    "lstm": LSTM,
}


@pytest.fixture(scope="module")
def level(tmp_path_factory):
    """A level file (with one too-short test interval) and its functionals."""
    root = tmp_path_factory.mktemp("models")
    table, paths = make_corpus(root / "wav", {"train": 6, "val": 3, "test": 3}, n_recordings=3)
    short = table[table["split"] == "test"].iloc[[0]].copy()
    short["interval_id"] = "too_short"
    short["end_s"] = short["start_s"] + 0.05
    table = pd.concat([table, short], ignore_index=True)
    csv = root / "level1.csv"
    table.to_csv(csv, index=False)
    npz, counts = root / "functionals.npz", root / "functionals.json"
    run_functionals(str(csv), paths, 1, 0.1, 2, str(npz), str(counts))
    return {"root": root, "csv": str(csv), "npz": str(npz), "json": counts, "paths": paths}


def test_functionals_count_the_too_short_interval(level):
    counts = json.loads(level["json"].read_text())
    assert counts["n_too_short"] == 1
    assert counts["n_ok"] == counts["n_intervals"] - 1 == 6 * 12


def test_uar_on_test(predictions: pd.DataFrame) -> float:
    mask = scored_mask(predictions, EMOTIONS)
    chosen = np.asarray(EMOTIONS)[predictions[prob_columns(EMOTIONS)].to_numpy()[mask].argmax(1)]
    return uar(predictions["emotion"].to_numpy()[mask], chosen, EMOTIONS)


test_uar_on_test.__test__ = False  # a helper, not a test


@pytest.mark.parametrize("system", ["audio_svm", "audio_lr"])
def test_classic_systems_separate_the_classes(level, system, tmp_path):
    model, report, val = tmp_path / "m.joblib", tmp_path / "m.json", tmp_path / "val.csv"
    run_train_classic(system, level["csv"], level["npz"], EMOTIONS, SETTINGS, 7, model, report, val)
    test = tmp_path / "test1.csv"
    run_predict_classic(model, level["csv"], level["npz"], EMOTIONS, test)
    predictions = read_predictions(test, EMOTIONS)
    assert len(predictions) == 3 * 6 + 1
    assert test_uar_on_test(predictions) > 0.9
    # the too-short interval is present with empty probabilities
    short = predictions.set_index("interval_id").loc["too_short", prob_columns(EMOTIONS)]
    assert short.isna().all()
    scored = predictions[scored_mask(predictions, EMOTIONS)]
    np.testing.assert_allclose(scored[prob_columns(EMOTIONS)].sum(axis=1), 1.0, atol=1e-5)
    validation = read_predictions(val, EMOTIONS)
    assert len(validation) == 3 * 6 and scored_mask(validation, EMOTIONS).all()
    selection = json.loads(report.read_text())
    assert selection["selection"] == "inner_cv" and selection["inner_folds"] == 3
    grid = SETTINGS[system.removeprefix("audio_")]["c_grid"]
    assert [g["c"] for g in selection["grid"]] == grid  # one PCA size: every C, in order
    assert selection["chosen_c"] == selection["chosen"]["c"] in grid
    best = max(g["uar"] for g in selection["grid"])
    chosen = next(g for g in selection["grid"] if g["c"] == selection["chosen_c"])
    assert chosen["uar"] == best and len(chosen["fold_uar"]) == 3
    assert selection["pca_components"] == 6 * 9 - 1  # refit on train+val: capped below 54
    assert selection["n_units"] == 6 * 9  # no unit column: every interval is its own unit


@pytest.mark.parametrize("system", ["audio_svm", "audio_lr"])
def test_c_is_chosen_on_val_never_on_test(level, system, tmp_path):
    table = pd.read_csv(level["csv"], dtype={"interval_id": str})
    scrambled = table.copy()
    test_rows = scrambled["split"] == "test"
    rng = np.random.default_rng(0)
    scrambled.loc[test_rows, "emotion"] = rng.choice(EMOTIONS, size=int(test_rows.sum()))
    scrambled.loc[test_rows, "start_s"] = scrambled.loc[test_rows, "start_s"]  # same audio
    csv = tmp_path / "scrambled.csv"
    scrambled.to_csv(csv, index=False)
    runs = {}
    for name, path in {"original": level["csv"], "scrambled": str(csv)}.items():
        out = tmp_path / name
        out.mkdir()
        run_train_classic(
            system,
            path,
            level["npz"],
            EMOTIONS,
            SETTINGS,
            7,
            out / "m.joblib",
            out / "m.json",
            out / "val.csv",
        )
        runs[name] = out
    original = json.loads((runs["original"] / "m.json").read_text())
    scrambled_report = json.loads((runs["scrambled"] / "m.json").read_text())
    assert original["chosen"] == scrambled_report["chosen"]
    assert original["grid"] == scrambled_report["grid"]
    assert (runs["original"] / "val.csv").read_text() == (runs["scrambled"] / "val.csv").read_text()


def separable_only_in_pc4(seed: int, n: int = 60):
    """Two classes that differ only in one feature; three groups of 8 strongly correlated
    noise features take the first three principal components, so a PCA of 2 components
    holds no class information and one of 4 does."""
    rng = np.random.default_rng(seed)
    labels = np.array(["Angry", "Happy"] * (n // 2), dtype=object)
    factors = rng.normal(size=(n, 3))
    noise = np.repeat(factors, 8, axis=1) + 0.05 * rng.normal(size=(n, 24))
    signal = np.where(labels == "Angry", -1.0, 1.0) + 0.2 * rng.normal(size=n)
    return np.column_stack([noise, signal]), labels


LR_TOY = {**SETTINGS, "pca_grid": [4, 2], "inner_folds": 3,
          "lr": {"max_iter": 500, "c_grid": [1.0, 0.01]}}


@pytest.mark.parametrize("system", ["audio_svm", "audio_lr"])
def test_inner_cv_picks_the_only_setting_that_separates(system):
    x, y = separable_only_in_pc4(0)
    settings = {**LR_TOY, "svm": {"kernel": "linear", "c_grid": [1.0, 0.01]}}
    units = np.arange(len(y)).astype(str)
    fitted = fit_classic(system, x[:40], y[:40], units[:40], x[40:], y[40:], units[40:],
                         settings, 0)
    scores = {(g["pca_components"], g["c"]): g["uar"] for g in fitted.report["grid"]}
    assert list(scores) == [(2, 0.01), (2, 1.0), (4, 0.01), (4, 1.0)]  # tie-break order
    assert max(scores[2, 0.01], scores[2, 1.0]) < 0.75
    assert scores[4, 1.0] == 1.0
    assert fitted.report["chosen"] == {"pca_components": 4, "c": 1.0}
    x_new, y_new = separable_only_in_pc4(1)
    assert uar_score(y_new, predict_labels(fitted.model, x_new, EMOTIONS)) > 0.95


def test_ties_go_to_the_smallest_pca_then_the_smallest_c():
    grid = classic_grid("audio_lr", {"pca_grid": [50, 10], "lr": {"c_grid": [1.0, 0.1]}})
    assert grid == [GridPoint(10, 0.1), GridPoint(10, 1.0), GridPoint(50, 0.1), GridPoint(50, 1.0)]
    assert choose(grid, dict.fromkeys(grid, [0.5])) == GridPoint(10, 0.1)
    scores = {GridPoint(10, 0.1): [0.4], GridPoint(10, 1.0): [0.6], GridPoint(50, 0.1): [0.6],
              GridPoint(50, 1.0): [0.6]}
    assert choose(grid, scores) == GridPoint(10, 1.0)
    # end to end: a problem every setting separates perfectly gives a four-way tie
    rng = np.random.default_rng(0)
    y = np.array(["Angry", "Happy"] * 30, dtype=object)
    x = rng.normal(size=(60, 6)) + np.where(y == "Angry", -5.0, 5.0)[:, None]
    settings = {**SETTINGS, "pca_grid": [50, 10], "lr": {"max_iter": 500, "c_grid": [1.0, 0.1]}}
    units = np.arange(60).astype(str)
    fitted = fit_classic("audio_lr", x[:40], y[:40], units[:40], x[40:], y[40:], units[40:],
                         settings, 0)
    assert {g["uar"] for g in fitted.report["grid"]} == {1.0}
    # 6 features: both sizes cap to 6 and are one point after capping; the tie between the
    # Cs goes to the smaller
    assert fitted.report["pca_cap"] == 6 and fitted.report["pca_grid_searched"] == [6]
    assert fitted.report["chosen"] == {"pca_components": 6, "c": 0.1}


def test_pca_sizes_are_capped_by_the_data_and_deduplicated():
    assert pca_cap(60, 6373) == 59 and pca_cap(2000, 300) == 300 and pca_cap(1, 10) == 1
    # the default grid on a demo-sized part (60 intervals) searches 25, 50 and 59 only
    assert capped_pca_sizes([25, 50, 100, 300, None], pca_cap(60, 6373)) == [25, 50, 59]
    # on 1,000 intervals every size counts; null is no reduction (999 components)
    assert capped_pca_sizes([25, 50, 100, 300, None], pca_cap(1000, 6373)) == [25, 50, 100,
                                                                              300, 999]
    grid = classic_grid("audio_svm", {"pca_grid": [25, 300, None],
                                      "svm": {"c_grid": [0.1, 1.0]}}, 30, 6373)
    assert grid == [GridPoint(25, 0.1), GridPoint(25, 1.0), GridPoint(29, 0.1),
                    GridPoint(29, 1.0)]
    with pytest.raises(ValueError, match="null"):
        classic_grid("audio_lr", {"pca_grid": [None], "lr": {"c_grid": [1.0]}})


def test_the_model_report_records_the_cap_computed_from_the_data():
    rng = np.random.default_rng(1)
    y = np.array(["Angry", "Happy"] * 20, dtype=object)
    x = rng.normal(size=(40, 80)) + np.where(y == "Angry", -1.0, 1.0)[:, None]
    units = np.arange(40).astype(str)
    settings = {**SETTINGS, "pca_grid": [10, 300, None], "lr": {"max_iter": 500,
                                                                "c_grid": [1.0]}}
    fitted = fit_classic("audio_lr", x[:30], y[:30], units[:30], x[30:], y[30:], units[30:],
                         settings, 0)
    assert fitted.report["pca_cap"] == 39  # 40 train+val intervals
    assert fitted.report["pca_grid_requested"] == [10, 300, None]
    assert fitted.report["pca_grid_searched"] == [10, 39]
    assert [g["pca_components"] for g in fitted.report["grid"]] == [10, 39]


def test_inner_splits_never_put_a_unit_on_both_sides(monkeypatch):
    """A spy on the per-split scorer sees every inner split fit_classic uses."""
    x, y = separable_only_in_pc4(2, n=80)
    units = np.array([f"u{i // 4}" for i in range(80)], dtype=object)  # 20 units of 4
    seen = []
    original = classic.grid_split_scores

    def spy(system, grid, features, labels, fit_rows, score_rows, settings, seed):
        seen.append((fit_rows, score_rows))
        return original(system, grid, features, labels, fit_rows, score_rows, settings, seed)

    monkeypatch.setattr(classic, "grid_split_scores", spy)
    fitted = fit_classic("audio_lr", x[:60], y[:60], units[:60], x[60:], y[60:], units[60:],
                         LR_TOY, 5)
    assert len(seen) == 3 and fitted.report["inner_folds"] == 3
    assert fitted.report["n_units"] == 20
    for fit_rows, score_rows in seen:
        assert not set(units[fit_rows]) & set(units[score_rows])
        assert sorted(np.concatenate([fit_rows, score_rows])) == list(range(80))
    held_out = np.concatenate([score for _, score in seen])
    assert sorted(held_out) == list(range(80))  # every interval held out exactly once


def test_grouped_splits_clamp_folds_to_units_and_are_seeded():
    labels = np.array(["Angry", "Happy"] * 6, dtype=object)
    units = np.repeat(["a", "b", "c"], 4)
    splits = grouped_splits(labels, units, 5, seed=1)
    assert len(splits) == 3  # 5 folds asked, 3 units
    for fit_rows, score_rows in splits:
        assert len(set(units[score_rows])) == 1 and units[score_rows][0] not in units[fit_rows]
    again = grouped_splits(labels, units, 5, seed=1)
    assert all((a[1] == b[1]).all() for a, b in zip(splits, again, strict=True))
    assert grouped_splits(labels, np.repeat(["a"], 12), 5, seed=1) == []
    # every class smaller than the folds (a tiny level): grouped folds, not stratified
    few = np.array(["Angry", "Happy", "Sad", "Scared"] * 2, dtype=object)
    singles = np.arange(8).astype(str)
    splits = grouped_splits(few, singles, 5, seed=1)
    assert len(splits) == 5
    assert sorted(np.concatenate([score for _, score in splits])) == list(range(8))


def test_shared_pca_gives_the_scores_of_separate_pipelines():
    """Scoring every PCA size on the leading components of one PCA equals fitting a
    standardize -> PCA -> classifier pipeline per size (what GridSearchCV would do)."""
    rng = np.random.default_rng(4)
    y = np.array(EMOTIONS[:3] * 20, dtype=object)
    x = rng.normal(size=(60, 40)) + 0.4 * np.eye(40)[[EMOTIONS.index(e) for e in y]]
    settings = {**SETTINGS, "pca_grid": [3, 10, 30]}
    fit_rows, score_rows = np.arange(45), np.arange(45, 60)
    for system in ("audio_svm", "audio_lr"):
        grid = classic_grid(system, settings)
        shared = grid_split_scores(system, grid, x, y, fit_rows, score_rows, settings, 0)
        for point in grid:
            alone = fit_pipeline(system, point, x[fit_rows], y[fit_rows], settings, 0,
                                 probability=False)
            assert shared[point] == pytest.approx(uar_score(y[score_rows],
                                                            alone.predict(x[score_rows])))


def test_val_predictions_come_from_the_train_part_only():
    """Val points sit where the train part says Angry but are labelled Happy (and the
    reverse): the model fitted on train only gets them all wrong; the refit on train+val,
    which the test part is predicted with, has learnt from them."""
    rng = np.random.default_rng(0)
    y_train = np.array(["Angry", "Happy"] * 20, dtype=object)
    x_train = rng.normal(size=(40, 3)) + np.where(y_train == "Angry", -3.0, 3.0)[:, None]
    x_val = np.array([[-3.0, -3.0, -3.0]] * 30 + [[3.0, 3.0, 3.0]] * 30) + 0.1 * rng.normal(
        size=(60, 3))
    y_val = np.array(["Happy"] * 30 + ["Angry"] * 30, dtype=object)
    units = np.arange(100).astype(str)
    settings = {**SETTINGS, "pca_grid": [3], "lr": {"max_iter": 500, "c_grid": [1.0]}}
    fitted = fit_classic("audio_lr", x_train, y_train, units[:40], x_val, y_val, units[40:],
                         settings, 0)
    from_train = predict_labels(fitted.val_model, x_val, EMOTIONS)
    assert (from_train != y_val).all()
    assert (predict_labels(fitted.model, x_val, EMOTIONS) == y_val).mean() > 0.5


def test_run_train_classic_writes_the_train_only_models_val_predictions(level, tmp_path):
    model, report, val = tmp_path / "m.joblib", tmp_path / "m.json", tmp_path / "val.csv"
    run_train_classic("audio_lr", level["csv"], level["npz"], EMOTIONS, SETTINGS, 7, model,
                      report, val)
    table = pd.read_csv(level["csv"], dtype={"interval_id": str})
    from emoagree.audio.steps import aligned_functionals

    features, status = aligned_functionals(table, level["npz"])
    train = ((table["split"] == "train") & (status == "ok")).to_numpy()
    chosen = json.loads(report.read_text())["chosen"]
    by_hand = fit_pipeline("audio_lr", GridPoint(chosen["pca_components"], chosen["c"]),
                           features[train], table["emotion"].to_numpy(dtype=object)[train],
                           SETTINGS, 7)
    predictions = read_predictions(val, EMOTIONS)
    rows = table.set_index("interval_id").loc[predictions["interval_id"]]
    expected = full_probabilities(by_hand, features[table.index[table["interval_id"].isin(
        predictions["interval_id"])]], EMOTIONS)
    assert (rows["split"] == "val").all()
    np.testing.assert_allclose(predictions[prob_columns(EMOTIONS)].to_numpy(), expected, atol=1e-5)


def test_validation_cross_evaluation_predicts_with_the_train_only_model(level, tmp_path):
    """val{j} of the cell (1, 1) is exactly the fold's val.csv: the same train-only model
    on the same intervals (the saved model, refitted on train+val, has learnt them)."""
    model, report, val = tmp_path / "m.joblib", tmp_path / "m.json", tmp_path / "val.csv"
    val_model = tmp_path / "m.val.joblib"
    run_train_classic("audio_lr", level["csv"], level["npz"], EMOTIONS, SETTINGS, 7, model,
                      report, val, val_model_out=str(val_model))
    run_predict_classic([str(model)], level["csv"], level["npz"], EMOTIONS,
                        str(tmp_path / "test1.csv"), 1, val_out=str(tmp_path / "val1.csv"),
                        val_model_paths=[str(val_model)])
    own = read_predictions(val, EMOTIONS).set_index("interval_id").sort_index()
    cross = read_predictions(tmp_path / "val1.csv", EMOTIONS).set_index("interval_id")
    pd.testing.assert_frame_equal(own, cross.sort_index(), atol=1e-9)
    test = read_predictions(tmp_path / "test1.csv", EMOTIONS)
    table = pd.read_csv(level["csv"], dtype={"interval_id": str})
    assert set(test["interval_id"]) == set(table.loc[table["split"] == "test", "interval_id"])
    with pytest.raises(ValueError, match="train-only models"):
        run_predict_classic([str(model)], level["csv"], level["npz"], EMOTIONS,
                            str(tmp_path / "t.csv"), 1, val_out=str(tmp_path / "v.csv"))


def three_fold_level(level, tmp_path) -> tuple[pd.DataFrame, Path]:
    """The level table in 3 folds of consecutive triples, one unit per triple."""
    table = pd.read_csv(level["csv"], dtype={"interval_id": str})
    table["unit"] = [f"u{i // 3}" for i in range(len(table))]
    table["fold"] = [i // 3 % 3 for i in range(len(table))]
    table["split"] = "test"
    csv = tmp_path / "folds.csv"
    table.to_csv(csv, index=False)
    return table, csv


def test_run_train_classic_uses_only_its_folds_train_and_val(level, tmp_path):
    """With 3 folds and a unit column, fold 0 trains on folds 1 (val) and 2 (train)."""
    table, csv = three_fold_level(level, tmp_path)
    report, val = tmp_path / "m.json", tmp_path / "val.csv"
    run_train_classic("audio_svm", csv, level["npz"], EMOTIONS, SETTINGS, 7, tmp_path / "m.joblib",
                      report, val, fold=0, n_folds=3)
    info = json.loads(report.read_text())
    scorable = table["interval_id"] != "too_short"
    assert info["fold"] == 0 and info["n_folds"] == 3
    assert info["n_train"] == int(((table["fold"] == 2) & scorable).sum())
    assert info["n_val"] == int(((table["fold"] == 1) & scorable).sum())
    assert info["n_units"] == table.loc[table["fold"] > 0, "unit"].nunique()
    ids = set(read_predictions(val, EMOTIONS)["interval_id"])
    assert ids == set(table.loc[table["fold"] == 1, "interval_id"])


def test_inner_cv_groups_by_actor_under_an_actor_disjoint_given_split(level, tmp_path,
                                                                      monkeypatch, caplog):
    """strategy corpus with a given test part whose actor is in neither train nor val: the
    inner CV keeps actors apart (the report and the log say so); when the given test part
    shares an actor with train, it keeps the units' sessions apart instead."""
    table = pd.read_csv(level["csv"], dtype={"interval_id": str})
    table["unit"] = "seg:" + table["recording"] + ":" + table.index.map("{:08d}".format)
    seen = []
    grouped = classic.grouped_splits

    def spy(labels, groups, n_folds, seed):
        seen.append(list(groups))
        return grouped(labels, groups, n_folds, seed)

    monkeypatch.setattr(classic, "grouped_splits", spy)
    test_actor = table["actor"] == "actor2"
    disjoint = table.assign(split=np.where(test_actor, "test", np.where(
        table.index % 4 == 0, "val", "train")))
    shared = disjoint.assign(split=np.where(table.index % 5 == 0, "test", disjoint["split"]))
    reports = {}
    for name, given in (("disjoint", disjoint), ("shared", shared)):
        csv = tmp_path / f"{name}.csv"
        given.to_csv(csv, index=False)
        with caplog.at_level(logging.INFO, logger="emoagree.training.selection"):
            run_train_classic("audio_lr", str(csv), level["npz"], EMOTIONS, SETTINGS, 7,
                              tmp_path / "m.joblib", tmp_path / f"{name}.json",
                              tmp_path / "val.csv", split_strategy="corpus")
        reports[name] = json.loads((tmp_path / f"{name}.json").read_text())["inner_cv_groups"]
    assert reports["disjoint"]["grouping"] == "actor" and reports["disjoint"]["n_groups"] == 2
    assert "shares no actor" in reports["disjoint"]["reason"]
    assert "inner CV groups: actor" in caplog.text
    fit = (disjoint["split"] != "test") & (disjoint["interval_id"] != "too_short")
    assert sorted(set(seen[0])) == ["actor0", "actor1"]
    assert len(seen[0]) == int(fit.sum())
    # actors shared with the test part: sessions (named by the segment ids; here one per
    # recording), the two of train + val
    assert reports["shared"]["grouping"] == "session" and reports["shared"]["n_groups"] == 2
    assert sorted(set(seen[-1])) == ["rec0", "rec1"]


def test_inner_cv_groups_follow_the_outer_split():
    table = pd.DataFrame({
        "interval_id": [f"i{k}" for k in range(6)],
        "actor": ["a", "a", "b", "b", "c", "c"],
        "split": ["train", "val", "train", "val", "test", "train"],
        "unit": ["rec:r1", "rec:r1", "rec:r2", "rec:r3", "rec:r4", "rec:r5"],
    })
    by_actor = inner_cv_groups(table, "actor")
    assert by_actor.kind == "actor" and list(by_actor.groups) == list(table["actor"])
    # recording units name no session and there is no session column: the units
    assert inner_cv_groups(table, "stratified").kind == "unit"
    assert "no session is known" in inner_cv_groups(table, "stratified").reason
    # corpus: the test actor c also trains, so not by actor
    assert inner_cv_groups(table, "corpus").kind == "unit"
    # a session column (contract 1) takes precedence over the unit ids
    with_sessions = table.assign(session=["s1", "s1", "s2", "s2", "s3", "s3"])
    assert inner_cv_groups(with_sessions, "stratified").kind == "session"
    # units that span sessions do not nest: the units
    spanning = with_sessions.assign(session=["s1", "s2", "s2", "s2", "s3", "s3"])
    assert "do not nest" in inner_cv_groups(spanning, "stratified").reason
    # one actor in train + val: nothing to cross-validate, the next finer grouping
    one_actor = with_sessions.assign(actor="a")
    fallback = inner_cv_groups(one_actor, "actor")
    assert fallback.kind == "session" and "not actor" in fallback.reason
    assert list(sessions_from_units(["seg:2021_x:00001000", "ses:b"])) == ["2021_x", "b"]
    assert sessions_from_units(["seg:a:00000001", "int:i1"]) is None


def test_selection_falls_back_to_val_or_the_first_point_with_one_unit(caplog):
    x, y = separable_only_in_pc4(3)
    one = np.array(["u"] * 60, dtype=object)
    with caplog.at_level(logging.WARNING):
        fitted = fit_classic("audio_lr", x[:40], y[:40], one[:40], x[40:], y[40:], one[40:],
                             LR_TOY, 0)
    assert fitted.report["selection"] == "val" and fitted.report["inner_folds"] == 1
    assert fitted.report["chosen"]["pca_components"] == 4
    assert "chosen on the val part" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fitted = fit_classic("audio_lr", x, y, one, x[:0], y[:0], one[:0], LR_TOY, 0)
    assert fitted.report["selection"] == "first_grid_point" and fitted.report["grid"] == []
    assert fitted.report["chosen"] == {"pca_components": 2, "c": 0.01}
    assert "first grid point" in caplog.text


def test_pca_is_capped_below_sample_count_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        assert pca_components(300, 50, 6373) == 49
    assert "300 components requested but only 50 training samples" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert pca_components(300, 1000, 6373) == 300
    assert caplog.text == ""


def test_split_chunks_and_class_weights():
    sequence = np.arange(450)[:, None].astype(np.float32)
    chunks = split_chunks(sequence, 200)
    assert [len(c) for c in chunks] == [150, 150, 150]
    np.testing.assert_array_equal(np.concatenate(chunks), sequence)
    assert [len(c) for c in split_chunks(sequence[:120], 200)] == [120]
    weights = class_weights(np.array([0, 0, 0, 1]), 3)
    np.testing.assert_allclose(weights, [4 / 6, 2.0, 0.0])


def test_interval_prediction_is_the_mean_of_its_chunks():
    torch.manual_seed(0)
    settings = LstmSettings(hidden_size=8, chunk_frames=40)
    model = LstmClassifier(3, 6, settings)
    long = np.random.default_rng(0).normal(size=(100, 3)).astype(np.float32)
    chunks = split_chunks(long, 40)
    assert len(chunks) == 3
    each = predict_sequences(model, chunks, settings, torch.device("cpu"))
    whole = predict_sequences(model, [long], settings, torch.device("cpu"))
    np.testing.assert_allclose(whole[0], each.mean(axis=0), rtol=1e-5)


def test_mean_pooling_averages_the_outputs_of_real_frames_only():
    torch.manual_seed(0)
    settings = LstmSettings(hidden_size=5, pooling="mean", bidirectional=True)
    model = LstmClassifier(3, 6, settings).eval()
    rng = np.random.default_rng(1)
    short, long = (torch.from_numpy(rng.normal(size=(n, 3)).astype(np.float32)) for n in (4, 9))
    padded = torch.nn.utils.rnn.pad_sequence([short, long], batch_first=True)
    with torch.no_grad():
        batched = model(padded, torch.tensor([4, 9]))
        alone = model(short[None], torch.tensor([4]))
        outputs, _ = model.lstm(short[None])  # (1, 4, 2 * hidden): every frame's output
        by_hand = model.head(outputs.mean(dim=1))
    torch.testing.assert_close(batched[0], alone[0])  # the 5 padded frames do not count
    torch.testing.assert_close(alone, by_hand)


def test_last_pooling_uses_the_final_hidden_state():
    torch.manual_seed(0)
    model = LstmClassifier(3, 6, LstmSettings(hidden_size=5, pooling="last")).eval()
    sequence = torch.from_numpy(np.random.default_rng(2).normal(size=(1, 7, 3)).astype(np.float32))
    with torch.no_grad():
        outputs, _ = model.lstm(sequence)
        torch.testing.assert_close(model(sequence, torch.tensor([7])), model.head(outputs[:, -1]))


def test_unknown_pooling_is_refused():
    with pytest.raises(ValueError, match=r"pooling must be one of \('last', 'mean'\), not 'max'"):
        LstmClassifier(3, 6, LstmSettings(pooling="max"))


@pytest.fixture(scope="module")
def lld_paths(level):
    out = level["root"] / "lld"
    return [
        str(cache_recording_lld(wav, out / f"{rec}.npz", MFCC_CONFIG) and out / f"{rec}.npz")
        for rec, wav in level["paths"].items()
    ]


def test_lstm_separates_the_classes(level, lld_paths, tmp_path):
    model, checkpoint, val = tmp_path / "m.pt", tmp_path / "m.ckpt", tmp_path / "val.csv"
    run_train_lstm(
        level["csv"],
        lld_paths,
        level["paths"],
        EMOTIONS,
        SETTINGS,
        3,
        "cpu",
        model,
        checkpoint,
        val,
    )
    assert model.exists() and not checkpoint.exists()
    test = tmp_path / "test1.csv"
    run_predict_lstm(model, level["csv"], lld_paths, level["paths"], 0.1, EMOTIONS, "cpu", test)
    predictions = read_predictions(test, EMOTIONS)
    assert len(predictions) == 3 * 6 + 1
    assert (
        predictions.set_index("interval_id").loc["too_short", prob_columns(EMOTIONS)].isna().all()
    )
    assert test_uar_on_test(predictions) > 0.9
    bundle = torch.load(model, weights_only=False)
    assert bundle["best_val_uar"] == max(h["val_uar"] for h in bundle["history"])


def _toy_sequences(seed: int, n: int):
    rng = np.random.default_rng(seed)
    labels = np.array(EMOTIONS[:3] * n, dtype=object)
    sequences = [
        rng.normal(EMOTIONS.index(label), 0.5, size=(int(rng.integers(20, 90)), 4)).astype(
            np.float32
        )
        for label in labels
    ]
    return sequences, labels


def test_lstm_resumes_from_checkpoint_at_the_next_epoch(tmp_path):
    train, y_train = _toy_sequences(0, 8)
    val, y_val = _toy_sequences(1, 3)
    settings = LstmSettings(hidden_size=8, chunk_frames=30, batch_size=8, max_epochs=5, patience=99)
    args = (train, y_train, val, y_val, EMOTIONS, settings, 11)

    straight = train_lstm(*args, tmp_path / "a.ckpt", torch.device("cpu"))
    assert straight.resumed_from_epoch is None

    class Interrupted(Exception):
        pass

    def stop_after_3(epoch):
        if epoch == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        train_lstm(*args, tmp_path / "b.ckpt", torch.device("cpu"), on_epoch_end=stop_after_3)
    assert (tmp_path / "b.ckpt").exists()
    seen = []
    resumed = train_lstm(*args, tmp_path / "b.ckpt", torch.device("cpu"), on_epoch_end=seen.append)
    assert resumed.resumed_from_epoch == 3
    assert seen == [4, 5]
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4, 5]
    assert resumed.history == straight.history
    for name, value in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], value)
    assert not (tmp_path / "b.ckpt").exists()


def test_a_kept_checkpoint_of_a_finished_fold_resumes_without_training(tmp_path):
    # A training job trains its folds in turn and keeps each fold's checkpoint until the
    # last fold is done (emoagree.training.fold_jobs): a rerun after a crash at a later
    # fold finds the earlier folds finished and trains no epoch of them again.
    train, y_train = _toy_sequences(0, 8)
    val, y_val = _toy_sequences(1, 3)
    settings = LstmSettings(hidden_size=8, chunk_frames=30, batch_size=8, max_epochs=3, patience=99)
    args = (train, y_train, val, y_val, EMOTIONS, settings, 11)
    first = train_lstm(*args, tmp_path / "f.ckpt", torch.device("cpu"), keep_checkpoint=True)
    assert (tmp_path / "f.ckpt").exists()
    seen = []
    again = train_lstm(*args, tmp_path / "f.ckpt", torch.device("cpu"), on_epoch_end=seen.append,
                       keep_checkpoint=True)
    assert seen == [] and again.resumed_from_epoch == 3
    assert again.best_epoch == first.best_epoch and again.history == first.history
    for name, value in first.model.state_dict().items():
        torch.testing.assert_close(again.model.state_dict()[name], value)
    remove_checkpoints([tmp_path / "f.ckpt", tmp_path / "never_written.ckpt"])
    assert not (tmp_path / "f.ckpt").exists()


def test_lstm_ignores_a_checkpoint_of_other_settings(tmp_path, caplog):
    train, y_train = _toy_sequences(0, 4)
    val, y_val = _toy_sequences(1, 2)
    first = LstmSettings(hidden_size=8, chunk_frames=30, max_epochs=3, patience=99)

    def stop(epoch):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_lstm(
            train,
            y_train,
            val,
            y_val,
            EMOTIONS,
            first,
            0,
            tmp_path / "c.ckpt",
            torch.device("cpu"),
            on_epoch_end=stop,
        )
    other = LstmSettings(hidden_size=8, chunk_frames=30, max_epochs=2, patience=99)
    with caplog.at_level(logging.WARNING):
        result = train_lstm(
            train, y_train, val, y_val, EMOTIONS, other, 0, tmp_path / "c.ckpt", torch.device("cpu")
        )
    assert result.resumed_from_epoch is None
    assert [h["epoch"] for h in result.history] == [1, 2]
    assert "other settings or data; starting afresh" in caplog.text


def test_lstm_stops_early_on_validation_uar(tmp_path):
    train, y_train = _toy_sequences(0, 6)
    val, y_val = _toy_sequences(1, 2)
    settings = LstmSettings(
        hidden_size=8, chunk_frames=30, learning_rate=0.05, max_epochs=40, patience=2
    )
    result = train_lstm(
        train, y_train, val, y_val, EMOTIONS, settings, 0, tmp_path / "d.ckpt", torch.device("cpu")
    )
    epochs = [h["epoch"] for h in result.history]
    assert len(epochs) < 40
    scores = [h["val_uar"] for h in result.history]
    assert result.best_epoch == epochs[int(np.argmax(scores))]
    assert len(epochs) - result.best_epoch == 2  # stopped after `patience` epochs without gain


def test_mean_pooled_regularised_lstm_learns_the_toy_classes(tmp_path):
    train, y_train = _toy_sequences(0, 6)
    val, y_val = _toy_sequences(1, 4)
    settings = LstmSettings(
        hidden_size=8,
        chunk_frames=15,
        pooling="mean",
        dropout=0.3,
        weight_decay=1e-3,
        learning_rate=0.01,
        max_epochs=30,
        patience=5,
    )
    result = train_lstm(
        train, y_train, val, y_val, EMOTIONS, settings, 0, tmp_path / "e.ckpt", torch.device("cpu")
    )
    assert result.best_val_uar == 1.0  # classes differ by 2 noise sds: all separable
    probabilities = predict_sequences(
        result.model, prepare(val, result.normalizer, settings), settings, torch.device("cpu")
    )
    assert (np.asarray(EMOTIONS, dtype=object)[probabilities.argmax(1)] == y_val).all()


def test_prepare_strides_and_standardises_frames():
    from emoagree.audio.lstm import Normalizer

    sequence = np.arange(20, dtype=np.float32).reshape(10, 2)
    normalizer = Normalizer(
        mean=np.array([1.0, 2.0], np.float32), std=np.array([2.0, 4.0], np.float32)
    )
    (out,) = prepare([sequence], normalizer, LstmSettings(frame_stride=3))
    np.testing.assert_allclose(out, (sequence[[0, 3, 6, 9]] - [1, 2]) / [2, 4])


def test_device_is_cuda_when_present_else_cpu(monkeypatch):
    from emoagree.audio.lstm import pick_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("auto").type == "cpu"
    assert pick_device("cpu").type == "cpu"
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        pick_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto").type == "cuda"
    assert pick_device("cpu").type == "cpu"


def test_a_level_without_training_intervals_gives_empty_predictions(level, lld_paths, tmp_path):
    """A small corpus's top level can be empty: the DAG goes on, every row is unscored."""
    table = pd.read_csv(level["csv"], dtype={"interval_id": str})
    csv = tmp_path / "level5.csv"
    table[table["split"] != "train"].to_csv(csv, index=False)
    only_test = tmp_path / "only_test.csv"
    table[table["split"] == "test"].to_csv(only_test, index=False)
    # the classic systems learn from train+val: without either there is no model
    run_train_classic(
        "audio_lr",
        only_test,
        level["npz"],
        EMOTIONS,
        SETTINGS,
        7,
        tmp_path / "m.joblib",
        tmp_path / "m.json",
        tmp_path / "val.csv",
    )
    assert json.loads((tmp_path / "m.json").read_text())["untrained"]
    run_predict_classic(
        tmp_path / "m.joblib", only_test, level["npz"], EMOTIONS, tmp_path / "t.csv"
    )
    # with val but no train intervals the model is fitted on val, and no val prediction can
    # be out of sample: they stay empty
    run_train_classic(
        "audio_lr",
        csv,
        level["npz"],
        EMOTIONS,
        SETTINGS,
        7,
        tmp_path / "m2.joblib",
        tmp_path / "m2.json",
        tmp_path / "val2.csv",
    )
    assert json.loads((tmp_path / "m2.json").read_text())["n_val"] == 18
    run_train_lstm(
        csv,
        lld_paths,
        level["paths"],
        EMOTIONS,
        SETTINGS,
        3,
        "cpu",
        tmp_path / "m.pt",
        tmp_path / "m.ckpt",
        tmp_path / "lstm_val.csv",
    )
    run_predict_lstm(
        tmp_path / "m.pt",
        csv,
        lld_paths,
        level["paths"],
        0.1,
        EMOTIONS,
        "cpu",
        tmp_path / "lstm_t.csv",
    )
    for name, rows in [("val.csv", 0), ("t.csv", 19), ("val2.csv", 18), ("lstm_val.csv", 18),
                       ("lstm_t.csv", 19)]:
        predictions = read_predictions(tmp_path / name, EMOTIONS)
        assert len(predictions) == rows
        assert not scored_mask(predictions, EMOTIONS).any()


@pytest.mark.parametrize("n_classes", [2, 4])
def test_decision_probabilities_follow_the_svms_own_decision(n_classes):
    rng = np.random.default_rng(n_classes)
    y = np.array(EMOTIONS[:n_classes] * 15, dtype=object)
    x = rng.normal(size=(len(y), 8)) + 0.8 * np.eye(8)[[EMOTIONS.index(e) for e in y]]
    settings = {**SETTINGS, "svm": {"kernel": "linear", "c_grid": [1.0], "probability": "decision"}}
    model = fit_pipeline("audio_svm", GridPoint(5, 1.0), x, y, settings, 0)
    assert isinstance(model.named_steps["classify"], classic.DecisionSVC)
    x_new = rng.normal(size=(40, 8))
    probabilities = model.predict_proba(x_new)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert (model.classes_[probabilities.argmax(axis=1)] == model.predict(x_new)).all()
    platt = {**settings, "svm": {**settings["svm"], "probability": "platt"}}
    assert type(fit_pipeline("audio_svm", GridPoint(5, 1.0), x, y, platt, 0)
                .named_steps["classify"]) is classic.SVC


def test_an_svm_stopped_at_max_iter_is_logged_and_reported(caplog):
    # overlapping classes at a large C: libsvm needs far more than 5 iterations
    rng = np.random.default_rng(0)
    y = np.array(EMOTIONS[:3] * 20, dtype=object)
    x = rng.normal(size=(len(y), 6))
    capped = {**SETTINGS, "svm": {"kernel": "linear", "c_grid": [1e3], "probability": "decision",
                                  "max_iter": 5}}
    model = fit_pipeline("audio_svm", GridPoint(4, 1e3), x, y, capped, 0)
    assert model.named_steps["classify"].max_iter == 5
    assert classic.stopped_at_max_iter(model)
    free = {**capped, "svm": {**capped["svm"], "max_iter": -1, "c_grid": [1e-3]}}
    assert not classic.stopped_at_max_iter(fit_pipeline("audio_svm", GridPoint(4, 1e-3), x, y,
                                                        free, 0))
    units = np.array([f"u{i % 6}" for i in range(len(y))], dtype=object)
    rows = np.arange(len(y))
    with caplog.at_level(logging.WARNING, logger="emoagree.audio.classic"):
        scores = grid_split_scores("audio_svm", [GridPoint(4, 1e3)], x, y, rows[units != "u0"],
                                   rows[units == "u0"], capped, 0)
    assert set(scores) == {GridPoint(4, 1e3)}
    assert "1 of 1 grid fits of this split stopped at audio.svm.max_iter (5)" in caplog.text
    fit = fit_classic("audio_svm", x[:40], y[:40], units[:40], x[40:], y[40:], units[40:],
                      {**capped, "pca_grid": [4]}, 0)
    assert fit.report["svm_max_iter"] == 5 and fit.report["stopped_at_max_iter"] is True


def test_classic_folds_side_by_side_write_the_files_of_folds_in_turn(level, tmp_path,
                                                                    monkeypatch):
    """The training job's worker processes (run_folds, 3 folds on 2 and on 3 workers) fit
    on one BLAS thread each: every model, report and val file is byte-identical to the
    folds fitted in turn in this process."""
    # as Snakemake sets them for a 3-thread job (the workers would inherit them)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(name, "3")
    _, csv = three_fold_level(level, tmp_path)
    train_fold = partial(run_train_classic, "audio_lr", str(csv), level["npz"], EMOTIONS,
                         SETTINGS, 7, n_folds=3)
    written = {}
    for workers in (1, 2, 3):
        out = tmp_path / f"workers{workers}"
        out.mkdir()
        log_path = out / "job.log"
        log_path.write_text("")
        run_folds(train_fold, [0, 1, 2], workers=workers, log_path=str(log_path),
                  **{name: [str(out / f"fold{f}.{ext}") for f in range(3)]
                     for name, ext in (("model_out", "joblib"), ("report_out", "json"),
                                       ("val_out", "csv"), ("val_model_out", "val.joblib"))})
        written[workers] = {p.name: p.read_bytes() for p in out.iterdir() if p.name != "job.log"}
        assert len(written[workers]) == 12
    assert written[2] == written[1] and written[3] == written[1]
    # each model file holds the fold's own fit: the three folds differ
    assert len({written[1][f"fold{f}.joblib"] for f in range(3)}) == 3
