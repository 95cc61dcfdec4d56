"""Tables, the answer and the report, from synthetic metric and prediction files."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from figure_checks import assert_journal_figure
from synthetic import EMOTIONS, write_study

from emoagree.contracts.predictions import PredictionArrays
from emoagree.evaluation.answer import study_answer
from emoagree.evaluation.parts import LevelTestSet
from emoagree.evaluation.scores import evaluate_arrays
from emoagree.report.answer import answer_text
from emoagree.report.tables import (
    OPTIMISTIC_NOTE,
    build_table2,
    build_table3,
    choose_best_system,
    crosseval_frame,
    format_cell,
    load_cells,
    paper_markdown,
    train_sample_counts,
)

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
LEVELS = [1, 2, 3]


def metric(uar, low=None, high=None, coverage=1.0, optimistic=False):
    return {
        "uar": uar,
        "uar_ci": [
            low if low is not None else uar - 0.05,
            high if high is not None else uar + 0.05,
        ],
        "coverage": coverage,
        "optimistic": optimistic,
        "recall": {e: uar for e in EMOTIONS},
    }


def test_format_cell_shows_interval_and_coverage():
    assert format_cell(metric(0.6123, 0.55, 0.671, 0.9)) == "61.23 [55.0, 67.1] cov 90%"
    assert format_cell({"uar": None, "uar_ci": [None, None], "coverage": 0.0}) == "n/a (cov 0%)"


def same_level_cells(values, optimistic=False):
    cells = {}
    for system, uars in values.items():
        for k, value in zip(LEVELS, uars, strict=True):
            cells[(system, k, k)] = metric(value, optimistic=optimistic and "fusion" in system)
    return cells


def test_table2_cells_and_best_marks():
    values = {
        "audio_lr": [0.30, 0.40, 0.50],
        "video_effnet": [0.45, 0.38, 0.55],
        "fusion_audio_lr_video_effnet": [0.44, 0.41, 0.55],
        "fusion_audio_svm_video_effnet": [0.99, 0.99, 0.99],  # not the chosen fusion
    }
    cells = same_level_cells(values)
    csv, md = build_table2(cells, list(values), "fusion_audio_lr_video_effnet", LEVELS)
    assert list(csv.columns) == ["system", "M1", "M2", "M3"]
    assert len(csv) == 3  # the other fused system is not a row
    rows = {r["system"].split(" ")[1]: r for _, r in csv.iterrows()}
    assert rows["audio_lr"]["M1"] == "30.00 [25.0, 35.0] cov 100%"
    assert rows["video_effnet"]["M1"].endswith(" *")
    assert not rows["fusion_audio_lr_video_effnet"]["M1"].endswith(" *")
    assert rows["fusion_audio_lr_video_effnet"]["M2"].endswith(" *")
    # a tie: both marked
    assert rows["video_effnet"]["M3"].endswith(" *")
    assert rows["fusion_audio_lr_video_effnet"]["M3"].endswith(" *")
    assert "**45.00 [40.0, 50.0] cov 100%**" in md
    assert "| A audio_lr | 30.00 [25.0, 35.0] cov 100% |" in md
    assert "best fusion, chosen on val" in md
    assert "OPTIMISTIC" not in md


def test_tables_label_the_optimistic_protocol():
    values = {"audio_lr": [0.3, 0.4, 0.5], "fusion_audio_lr_video_effnet": [0.5, 0.5, 0.6]}
    cells = same_level_cells(values, optimistic=True)
    _, md2 = build_table2(cells, list(values), "fusion_audio_lr_video_effnet", LEVELS)
    assert "[OPTIMISTIC]" in md2 and OPTIMISTIC_NOTE in md2
    cells3 = {("fusion_x", i, j): metric(0.5, optimistic=True) for i in LEVELS for j in LEVELS}
    _, md3 = build_table3(cells3, "fusion_x", LEVELS)
    assert "[OPTIMISTIC]" in md3 and OPTIMISTIC_NOTE in md3


def test_table3_and_crosseval_frame():
    grid = np.array([[0.40, 0.50, 0.45], [0.42, 0.60, 0.50], [0.41, 0.55, 0.70]])
    cells = {
        ("fusion_x", i, j): metric(grid[i - 1, j - 1], coverage=0.5 + 0.1 * j)
        for i in LEVELS
        for j in LEVELS
    }
    csv, md = build_table3(cells, "fusion_x", LEVELS)
    assert list(csv.columns) == ["train level", "Test 1", "Test 2", "Test 3"]
    assert csv.loc[1, "Test 1"] == "42.00 [37.0, 47.0] cov 60% *"
    assert csv.loc[1, "Test 2"].endswith(" *") and csv.loc[2, "Test 3"].endswith(" *")
    assert (
        sum(v.endswith(" *") for v in csv[["Test 1", "Test 2", "Test 3"]].to_numpy().ravel()) == 3
    )
    assert "| M2 | **42.00" in md
    frame = crosseval_frame(cells, "fusion_x", LEVELS)
    assert frame.loc[3, "test3"] == pytest.approx(70.0)
    assert frame.loc[1, "mean"] == pytest.approx(100 * grid[0].mean(), abs=1e-3)
    assert frame.loc[2, "coverage_mean"] == pytest.approx(0.7)


def test_choose_best_system_by_mean_validation_uar():
    val = {}
    for system, values in {"fusion_a": [0.5, 0.7, 0.6], "fusion_b": [0.6, 0.6, 0.65]}.items():
        for k, v in zip(LEVELS, values, strict=True):
            val[(system, k, "val")] = metric(v)
    best = choose_best_system(val, ["fusion_a", "fusion_b"], LEVELS)
    assert best["system"] == "fusion_b"
    assert best["mean_val_uar"]["fusion_a"] == pytest.approx(0.6)


def test_headline_is_chosen_on_the_train_rows_every_candidate_scored():
    """fusion_a has no validation UAR at level 3, where fusion_b is weak: averaged over
    its own rows fusion_a would win (0.65 vs 0.6); compared on levels 1 and 2, which both
    scored, fusion_b wins (0.7 vs 0.65)."""
    val = {}
    for system, values in {"fusion_a": [0.6, 0.7, None], "fusion_b": [0.7, 0.7, 0.4],
                           "fusion_c": [None, None, None]}.items():
        for k, v in zip(LEVELS, values, strict=True):
            val[(system, k, "val")] = metric(v) if v is not None else {**metric(0.5), "uar": None}
    best = choose_best_system(val, ["fusion_a", "fusion_b", "fusion_c"], LEVELS)
    assert best["system"] == "fusion_b"
    assert best["rows_compared"] == ["1", "2"]
    assert best["rows_dropped"] == {"3": ["fusion_a"]}
    assert best["mean_val_uar"] == {"fusion_a": pytest.approx(0.65),
                                    "fusion_b": pytest.approx(0.7), "fusion_c": None}
    assert list(best["excluded"]) == ["fusion_c"]
    # no row shared: the candidate with the fewest scored rows is excluded first
    val[("fusion_b", 1, "val")]["uar"] = val[("fusion_b", 2, "val")]["uar"] = None
    best = choose_best_system(val, ["fusion_a", "fusion_b"], LEVELS)
    assert best["system"] == "fusion_a" and "fusion_b" in best["excluded"]
    assert best["rows_compared"] == ["1", "2"]


def test_load_cells_keys_val_and_test(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(metric(0.5)))
    cells = load_cells([["audio_lr", "2", "val"], ["audio_lr", 2, "3"]], [path, path])
    assert set(cells) == {("audio_lr", 2, "val"), ("audio_lr", 2, 3)}
    with pytest.raises(ValueError, match="2 metric keys but 1"):
        load_cells([["a", 1, 1], ["a", 1, 2]], [path])


N_UNITS = 12


def answer_study(accuracy, levels=LEVELS, seed=0, has_units=True):
    """Test intervals of every level (units shared, 3 intervals a unit at level 1, fewer
    higher up) and predictions of a system whose accuracy depends on the train level."""
    rng = np.random.default_rng(seed)
    tests, cells = {}, {}
    for j in levels:
        per_unit = max(1, 4 - j)
        n = N_UNITS * per_unit
        codes = np.arange(n) % 6
        ids = [f"L{j}_{k:03d}" for k in range(n)]
        units = [f"u{k // per_unit:02d}" for k in range(n)] if has_units else ids
        tests[j] = LevelTestSet(
            f"level{j}.csv",
            ids,
            [EMOTIONS[c] for c in codes],
            units,
            np.arange(n) % 3,
            has_units,
            has_units,
        )
        for i in levels:
            pred = np.where(rng.random(n) < accuracy[i], codes, (codes + 1) % 6)
            probs = np.eye(6)[pred] * 0.9 + 0.1 / 6
            order = rng.permutation(n)  # prediction files need not follow the level table
            cells[(i, j)] = PredictionArrays(
                f"train{i}/test{j}.csv",
                [ids[k] for k in order],
                [EMOTIONS[codes[k]] for k in order],
                probs[order],
            )
    return cells, tests, [f"u{k:02d}" for k in range(N_UNITS)]


def test_a_clearly_separated_level_is_named():
    cells, tests, units = answer_study({1: 0.2, 2: 0.4, 3: 0.95})
    answer = study_answer(
        cells,
        tests,
        units,
        "fusion_x",
        LEVELS,
        EMOTIONS,
        300,
        1,
        0.95,
        protocol={"unit": "segment", "strategy": "stratified"},
    )
    assert answer["confidence_set"] == ["3"] and answer["named_row"] == "3"
    assert answer["rows"] == ["1", "2", "3"]
    assert answer["cluster"] == {"kind": "unit", "count": N_UNITS}
    # the set's comparisons use Student's t with (clusters - 1) degrees of freedom
    assert answer["confidence_set_df"] == N_UNITS - 1
    assert answer["validation_choice"] is None and answer["members"] == []
    assert answer["dropped_resamples"] == 0
    assert answer["p_best"]["3"] == pytest.approx(1.0)
    assert sum(answer["p_best"].values()) == pytest.approx(1.0)
    low, high = answer["mean_uar_ci"]["3"]
    assert low <= answer["mean_uar"]["3"] <= high
    pairs = {(p["lower"], p["higher"]): p for p in answer["neighbours"]}
    assert set(pairs) == {(1, 2), (2, 3)}
    assert pairs[(2, 3)]["probability_higher_is_higher"] == 1.0
    assert pairs[(2, 3)]["difference"] > 0.4
    assert answer["protocol"] == {
        "unit": "segment",
        "strategy": "stratified",
        "folds": 3,
        "replicates": 1,
        "bootstrap_units": N_UNITS,
        "fusion_selection": "val",
    }
    text = answer_text(answer)
    lead = text.split("\n")[2]
    assert lead.startswith("**Train on agreement level 3**: the 95% confidence set")
    assert "holds level 3 alone" in lead and f"resamples the {N_UNITS} split units" in lead
    assert "No validation cross-evaluation was given" in lead
    assert "clearly best" not in text and "lead holds" not in text
    assert "The test predictions chose nothing" in text
    assert "epoch chosen on them" in text
    assert "3 grouped, stratified folds" in text
    assert "- level 3 vs 2: +" in text and "- level 3: " in text and "P(best) 1.00 *" in text


def test_tied_levels_are_all_in_the_confidence_set():
    cells, tests, units = answer_study({1: 0.5, 2: 0.5, 3: 0.5})
    for i in (2, 3):  # the same predictions for every train level
        for j in LEVELS:
            cells[(i, j)] = cells[(1, j)]
    answer = study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 200, 1, 0.95)
    assert answer["confidence_set"] == ["1", "2", "3"] and answer["named_row"] is None
    for k in LEVELS:
        assert answer["p_best"][str(k)] == pytest.approx(1 / 3)
    assert all(p["probability_higher_is_higher"] == 0.0 for p in answer["neighbours"])
    answer["train_data"] = {str(k): {"intervals": 10.0 * k, "hours": 0.5 * k} for k in LEVELS}
    text = answer_text(answer, "rst")
    assert text.startswith("The answer\n==========")
    assert "**The best train level is among 1, 2 and 3**" in text
    assert "- level 2: 20 training intervals, 1.00 h of training data; mean UAR" in text


def test_answer_draws_are_the_cells_draws():
    # one level: the mean over test levels is the cell, so the intervals must agree
    cells, tests, units = answer_study({1: 0.6}, levels=[1])
    answer = study_answer(cells, tests, units, "fusion_x", [1], EMOTIONS, 300, 5, 0.9)
    data, test = cells[(1, 1)], tests[1]
    order = [data.interval_ids.index(i) for i in test.interval_ids]
    cell = evaluate_arrays(
        test.emotions,
        data.probs[order],
        EMOTIONS,
        300,
        5,
        0.9,
        units=test.units,
        bootstrap_units=units,
        folds=test.folds,
        replicate_key="fusion_x/train1",
    )
    assert answer["mean_uar"]["1"] == pytest.approx(cell["uar"])
    assert answer["mean_uar_ci"]["1"] == pytest.approx(cell["uar_ci"])


def test_answer_labels_the_interval_protocol_and_optimistic_fusion():
    cells, tests, units = answer_study({1: 0.3, 2: 0.6, 3: 0.5}, has_units=False)
    answer = study_answer(
        cells,
        tests,
        units,
        "fusion_x",
        LEVELS,
        EMOTIONS,
        100,
        1,
        0.95,
        optimistic=True,
        protocol={"unit": "segment", "fusion_selection": "test"},
    )
    assert answer["protocol"]["unit"] == "interval"  # the tables carry no units
    assert answer["protocol"]["folds"] == 1
    text = answer_text(answer)
    assert "the paper's protocol, where intervals of different emotions can overlap" in text
    assert OPTIMISTIC_NOTE in text and "fusion.selection: test" in text
    assert "chose nothing" not in text


def test_answer_replicates_and_misaligned_predictions():
    cells, tests, units = answer_study({1: 0.3, 2: 0.6, 3: 0.5})
    twice = {key: [value, value] for key, value in cells.items()}
    answer = study_answer(twice, tests, units, "fusion_x", LEVELS, EMOTIONS, 100, 1, 0.95)
    single = study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 100, 1, 0.95)
    assert answer["protocol"]["replicates"] == 2
    assert answer["mean_uar"] == single["mean_uar"]  # identical replicates change nothing
    assert answer["p_best"] == single["p_best"]
    broken = dict(cells)
    data = cells[(2, 1)]
    broken[(2, 1)] = PredictionArrays(
        data.path, data.interval_ids[1:], data.emotions_true[1:], data.probs[1:]
    )
    with pytest.raises(ValueError, match="train2/test1.csv"):
        study_answer(broken, tests, units, "fusion_x", LEVELS, EMOTIONS, 10, 1, 0.95)
    with pytest.raises(ValueError, match="not test units of split.csv"):
        study_answer(cells, tests, units[:-1], "fusion_x", LEVELS, EMOTIONS, 10, 1, 0.95)


def test_train_sample_counts(tmp_path):
    path = tmp_path / "level1.csv"
    pd.DataFrame({"split": ["train", "train", "val", "test"]}).to_csv(path, index=False)
    assert train_sample_counts({1: path}) == {1: 2}
    assert train_sample_counts({1: path}, 5) == {1: 2}  # no fold column: one fold
    folds = tmp_path / "level2.csv"
    pd.DataFrame({"split": ["test"] * 7, "fold": [0, 0, 0, 1, 1, 2, 2]}).to_csv(folds, index=False)
    # fold f: test f, val f+1, train the rest: 2 (f=0), 3 (f=1), 2 (f=2) train intervals
    assert train_sample_counts({2: folds}, 3) == {2: pytest.approx(7 / 3)}


def test_paper_tables_are_labelled_as_the_papers():
    md = paper_markdown(3)
    assert "The paper's Table 3" in md and "77.62" in md and "not computed by this workflow" in md


def run_snakemake(workdir, *args, timeout=1200):
    result = subprocess.run(
        [SNAKEMAKE, "--cores", "2", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def test_dry_run_lists_25_metric_jobs_per_system(tmp_path):
    write_study(
        tmp_path, levels=(1, 2, 3, 4, 5), audio=("audio_lr", "audio_lstm"), video=("video_effnet",)
    )
    # drop the predictions so the dry run plans every job of this stage
    shutil.rmtree(tmp_path / "results/predictions")
    for system in ("audio_lr", "audio_lstm", "video_effnet"):
        for i in range(1, 6):
            names = [f"train{i}/{part}{j}" for j in range(1, 6) for part in ("test", "val")]
            names += [f"fold0/train{i}/val"]
            for name in names:
                path = tmp_path / f"results/predictions/{system}/{name}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("interval_id,emotion\n")
    out = run_snakemake(tmp_path, "-n")
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    # one job per cell makes its predictions and its metrics (no separate metrics job)
    assert "metrics" not in counts
    # the harness scores the given single-system predictions (synthetic_cell) where the
    # workflow's audio_predict_* / video_predict jobs predict and score
    assert int(counts["synthetic_cell"]) == 25 * 3
    assert int(counts["fusion_apply"]) == 25 * 2
    assert len(re.findall(r"^\s+output: .*results/metrics/\S+/test\d\.json", out, re.M)) == 25 * 5
    # the same jobs write the validation cross-evaluation (no job of its own)
    assert len(re.findall(r"^\s+output: .*results/metrics/\S+/val\d\.json", out, re.M)) == 25 * 5
    assert int(counts["fusion_weights"]) == 5 * 2  # one per (fused system, train level)
    assert int(counts["report_crosseval"]) == 5


@pytest.mark.slow
def test_end_to_end_tables_figures_and_report(reported_study):
    tmp_path = reported_study  # the finished tiny study (conftest.py)
    results = tmp_path / "results"
    fused = "fusion_audio_lr_video_effnet"
    for system in ("audio_lr", "video_effnet", fused):
        for i in LEVELS:
            for j in LEVELS:
                assert (results / f"metrics/{system}/train{i}/test{j}.json").exists()
        assert_journal_figure(results / f"figures/crosseval/{system}.png")
    for name in ("tradeoff.png", "recall_per_class.png"):
        assert_journal_figure(results / "figures" / name)
    # the audio system skips every 7th interval: counted, not scored
    audio = json.loads((results / "metrics/audio_lr/train1/test1.json").read_text())
    assert audio["n_not_scored"] == 5 and audio["n_scored"] == 25
    fusion = json.loads((results / f"metrics/{fused}/train1/test1.json").read_text())
    assert fusion["fusion"]["n_video_only"] == 5 and fusion["n_not_scored"] == 0
    assert fusion["optimistic"] is False
    # table 2 cells are the metric files' values
    table2 = pd.read_csv(results / "tables/table2_uar.csv")
    for _, row in table2.iterrows():
        system = row["system"].split(" ")[1]
        for k in LEVELS:
            m = json.loads((results / f"metrics/{system}/train{k}/test{k}.json").read_text())
            assert row[f"M{k}"].removesuffix(" *") == format_cell(m)
    best = json.loads((results / "tables/best_system.json").read_text())["system"]
    assert best == fused
    md2 = (results / "tables/table2_uar.md").read_text()
    assert "The paper's Table 2" in md2 and "76.53" in md2
    # video systems are named with the backbone and weights that ran
    assert "V video_effnet (EfficientNet-Lite0, ImageNet weights)" in md2
    assert "(video_effnet: EfficientNet-Lite0, ImageNet weights)" in (
        results / "tables/table3_crosseval.md").read_text()
    departures = (results / "tables/departures.md").read_text()
    assert departures.startswith("# Departures from config/ramas_paper.yaml")
    assert "- **video_effnet backbone**: efficientnet_lite0 (paper: efficientnet_b3)" in departures
    assert (results / "tables/paper_table3.csv").exists()
    crosseval = pd.read_csv(results / f"tables/crosseval/{fused}.csv", index_col="train_level")
    answer = json.loads((results / "tables/answer.json").read_text())
    for level in LEVELS:  # the answer's means are the mean of the cells' UARs
        assert answer["mean_uar"][str(level)] * 100 == pytest.approx(
            crosseval.loc[level, "mean"], abs=1e-2
        )
    assert sum(answer["p_best"].values()) == pytest.approx(1.0)
    assert answer["rows"] == ["1", "2", "3"] and answer["confidence_set"]
    assert set(answer["confidence_set"]) <= set(answer["rows"])
    assert answer["named_row"] == (
        answer["confidence_set"][0] if len(answer["confidence_set"]) == 1 else None)
    assert answer["protocol"]["bootstrap_units"] == 10  # the synthetic test units
    # the synthetic tables put two test units in each session: the sessions are resampled
    assert answer["cluster"] == {"kind": "session", "count": 5}
    assert answer["confidence_set_df"] == 4
    # the row chosen on the validation cross-evaluation, reported with its test mean
    choice = answer["validation_choice"]
    assert choice["row"] in answer["rows"] and choice["mean_val_uar"] is not None
    assert choice["test_mean_uar"] == pytest.approx(answer["mean_uar"][choice["row"]])
    # the fused system beside its better member, on the shared resamples
    (member,) = answer["members"]
    assert member["fused"] == fused and member["member"] in ("audio_lr", "video_effnet")
    low, high = member["difference_ci"]
    assert low <= member["difference"] <= high
    cell = json.loads((results / f"metrics/{fused}/train1/test1.json").read_text())
    assert cell["bootstrap_units"] == 10 and cell["per_fold"]["0"]["n"] == 30
    fusion_cells = [
        json.loads((results / f"metrics/{fused}/train{i}/test{j}.json").read_text())["fusion"]
        for i in LEVELS
        for j in LEVELS
    ]
    video_only = sum(f["n_video_only"] for f in fusion_cells)
    assert video_only == 45  # every 7th of 30 test intervals (5) in each of 9 cells
    md3 = (results / "tables/table3_crosseval.md").read_text()
    assert f"0 test intervals were decided by audio alone and {video_only} by video" in md3
    per_system = answer["best_level_per_system"]
    assert set(per_system) == {"audio_lr", "video_effnet", fused}
    assert per_system[fused]["level"] == int(crosseval["mean"].idxmax())
    text = (results / "tables/answer.md").read_text()
    assert "confidence set for the best train row" in text and "10 split units" in text
    assert "Each fused system beside its better member" in text
    assert f"{fused} (video_effnet: EfficientNet-Lite0, ImageNet weights), the fused" in text
    # reruns resume: nothing left to do
    assert "Nothing to be done" in run_snakemake(tmp_path, "-n")
    run_snakemake(tmp_path, "--report", "results/report.html")
    html = (results / "report.html").read_text()
    assert "P(best)" in html  # the answer at the top
    assert "6. Departures from the paper" in html
    # the report opens with the answer, then the departures' summary and full list
    assert html.index("P(best)") < html.index("Departures from config/ramas_paper.yaml")
    assert html.index("the ones that change results") < html.index("Full list")
    assert "confidence set for the best train" in html
    assert "video_effnet (EfficientNet-Lite0, ImageNet weights)" in html  # captions
    # captions state their rule's params: Table 2, the trade-off and the answer's interval
    for stated in ("95.0% cluster-bootstrap interval", "95.0% interval from the cluster",
                   "95.0% confidence set for the best train"):
        assert stated in html, stated
    for name in ("table2_uar.csv", "table3_crosseval.md", "tradeoff.png", f"{fused}.csv"):
        assert name in html


@pytest.mark.slow
def test_one_modality_corpus_reports_the_best_single_system(tmp_path):
    write_study(tmp_path, levels=(1, 2), audio=("audio_lr", "audio_svm"), video=())
    run_snakemake(tmp_path)
    results = tmp_path / "results"
    assert not (results / "models").exists()  # no fusion planned
    best = json.loads((results / "tables/best_system.json").read_text())
    assert best["system"] in ("audio_lr", "audio_svm")
    val = {
        s: np.mean(
            [
                json.loads((results / f"metrics/{s}/train{k}/val.json").read_text())["uar"]
                for k in (1, 2)
            ]
        )
        for s in ("audio_lr", "audio_svm")
    }
    assert best["system"] == max(val, key=val.get)
    text = (results / "tables/answer.md").read_text()
    assert "no fusion" in text
    table2 = pd.read_csv(results / "tables/table2_uar.csv")
    assert len(table2) == 2


def test_arm_rows_join_the_answer_and_are_compared_with_the_best_level():
    """Mw is far better than every level: the confidence set holds Mw alone and it beats
    the best hard level (level 3) in every resample; Ms is as good as level 1."""
    cells, tests, units = answer_study({1: 0.3, 2: 0.4, 3: 0.6, "Mw": 0.95, "Ms": 0.3})
    rng = np.random.default_rng(5)
    for row, accuracy in (("Mw", 0.95), ("Ms", 0.3)):
        for j in LEVELS:
            test = tests[j]
            codes = np.array([EMOTIONS.index(e) for e in test.emotions])
            pred = np.where(rng.random(len(codes)) < accuracy, codes, (codes + 1) % 6)
            cells[(row, j)] = PredictionArrays(
                f"train{row}/test{j}.csv", list(test.interval_ids), list(test.emotions),
                np.eye(6)[pred] * 0.9 + 0.1 / 6,
            )
    answer = study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 300, 1, 0.95,
                          arm_rows=["Mw", "Ms"])
    assert answer["levels"] == LEVELS and answer["arm_rows"] == ["Mw", "Ms"]
    assert answer["rows"] == ["1", "2", "3", "Mw", "Ms"]
    assert set(answer["p_best"]) == {"1", "2", "3", "Mw", "Ms"}
    assert sum(answer["p_best"].values()) == pytest.approx(1.0)
    assert answer["named_row"] == "Mw" and answer["confidence_set"] == ["Mw"]
    arms = {entry["row"]: entry for entry in answer["arms"]}
    assert arms["Mw"]["best_level"] == 3
    assert arms["Mw"]["probability_arm_is_higher"] == 1.0 and arms["Mw"]["difference"] > 0.2
    assert arms["Ms"]["probability_arm_is_higher"] < 0.5
    assert {(p["lower"], p["higher"]) for p in answer["neighbours"]} == {(1, 2), (2, 3)}
    text = answer_text(answer)
    assert "**Train with the arm Mw**" in text
    assert "- arm Mw:" in text and "- arm Ms:" in text
    assert "Mw vs level 3:" in text and "Ms vs level 3:" in text
    # without arms the answer is what it was
    plain = study_answer({k: v for k, v in cells.items() if isinstance(k[0], int)}, tests,
                         units, "fusion_x", LEVELS, EMOTIONS, 300, 1, 0.95)
    assert "arms" not in plain and set(plain["p_best"]) == {"1", "2", "3"}


def test_table3_and_crosseval_frame_carry_arm_rows():
    rows = [*LEVELS, "Mw", "Mc"]
    cells = {("fusion_x", i, j): metric(0.5) for i in rows for j in LEVELS}
    cells[("fusion_x", "Mc", 2)] = metric(0.8)
    csv, md = build_table3(cells, "fusion_x", LEVELS, rows)
    assert csv["train level"].tolist() == ["M1", "M2", "M3", "Mw", "Mc"]
    assert csv.loc[4, "Test 2"].endswith(" *") and "Rows Mw, Ms, Mc" in md
    frame = crosseval_frame(cells, "fusion_x", LEVELS, rows)
    assert frame.index.tolist() == rows
    assert frame.loc["Mc", "test2"] == pytest.approx(80.0)


def test_load_cells_keys_arm_rows(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(metric(0.5)))
    cells = load_cells([["fusion_x", "Mw", "1"], ["fusion_x", "2", "val"]], [path, path])
    assert set(cells) == {("fusion_x", "Mw", 1), ("fusion_x", 2, "val")}


def test_dry_run_plans_the_arm_rows(tmp_path):
    """Mw and Ms rows for every system; Mc only for the networks and for a pair of two."""
    write_study(tmp_path, levels=(1, 2), audio=("audio_lr", "audio_lstm"),
                video=("video_effnet",), arms=("Mw", "Ms", "Mc"))
    out = run_snakemake(tmp_path, "-n")
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    # rows: audio_lr 2+2, audio_lstm 2+3, video_effnet 2+3, lr+effnet 2+2, lstm+effnet 2+3
    cells = re.findall(r"^\s+output: .*results/metrics/\S+/test\d\.json", out, re.M)
    assert len(cells) == (4 + 5 + 5 + 4 + 5) * 2
    assert int(counts["fusion_weights"]) == 4 + 5
    assert "trainMc/test1" in out and "fusion_audio_lstm_video_effnet/trainMc" in out
    assert "fusion_audio_lr_video_effnet/trainMc" not in out
    assert "audio_lr/trainMc" not in out


@pytest.mark.slow
def test_end_to_end_report_with_arm_rows(tmp_path):
    write_study(tmp_path, levels=(1, 2, 3), audio=("audio_lstm",), video=("video_effnet",),
                arms=("Mw", "Mc"))
    run_snakemake(tmp_path)
    results = tmp_path / "results"
    fused = "fusion_audio_lstm_video_effnet"
    crosseval = pd.read_csv(results / f"tables/crosseval/{fused}.csv", index_col="train_level")
    assert [str(i) for i in crosseval.index] == ["1", "2", "3", "Mw", "Mc"]
    answer = json.loads((results / "tables/answer.json").read_text())
    assert answer["system"] == fused and answer["arm_rows"] == ["Mw", "Mc"]
    for row in ("1", "Mw", "Mc"):  # the answer's means are the mean of the cells' UARs
        assert answer["mean_uar"][row] * 100 == pytest.approx(crosseval.loc[row, "mean"],
                                                              abs=1e-2)
    assert sum(answer["p_best"].values()) == pytest.approx(1.0)
    assert [entry["row"] for entry in answer["arms"]] == ["Mw", "Mc"]
    table3 = pd.read_csv(results / "tables/table3_crosseval.csv")
    assert table3["train level"].tolist() == ["M1", "M2", "M3", "Mw", "Mc"]
    assert "Training arms against the best hard level" in (
        results / "tables/answer.md"
    ).read_text()
    for name in ("tradeoff.png", f"crosseval/{fused}.png"):
        assert (results / "figures" / name).stat().st_size > 1000


def test_unscored_intervals_count_as_errors_in_the_answer():
    """Row 2 predicts perfectly but scores only half of each class's intervals: its cells'
    UAR (scored intervals) is 1.0, its answer mean 0.5 with coverage 0.5."""
    cells, tests, units = answer_study({1: 0.4, 2: 1.0, 3: 0.4})
    for j in LEVELS:
        data = cells[(2, j)]
        index = np.array([int(i.split("_")[1]) for i in data.interval_ids])
        probs = data.probs.copy()
        probs[index % 12 >= 6] = np.nan  # class c: intervals c, c+6, c+12, ...: every other
        cells[(2, j)] = PredictionArrays(data.path, data.interval_ids, data.emotions_true, probs)
    answer = study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 200, 1, 0.95)
    assert answer["mean_uar"]["2"] == pytest.approx(0.5)
    assert answer["coverage"] == {"1": 1.0, "2": 0.5, "3": 1.0}
    text = answer_text(answer)
    assert "Unscored test intervals count as errors here (coverage (share scored): level 2 " \
        "50.0%)" in text


def test_resamples_leaving_a_row_undefined_are_dropped_for_all_rows():
    """Level 3's test intervals all lie in unit u00: a resample that does not draw u00
    leaves every row's mean undefined and is dropped, for every row at once."""
    cells, tests, units = answer_study({1: 0.4, 2: 0.6, 3: 0.5})
    test = tests[3]
    tests[3] = LevelTestSet(test.path, test.interval_ids, test.emotions,
                            ["u00"] * len(test.units), test.folds, True, True)
    answer = study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 300, 2, 0.95)
    from emoagree.evaluation.bootstrap import ClusterBootstrap

    counts = ClusterBootstrap(tuple(units), 300, 2).counts()
    assert answer["dropped_resamples"] == int((counts[:, 0] == 0).sum()) > 0
    assert "resamples left some train row undefined and were dropped" in answer_text(answer)


def test_validation_chosen_row_reports_its_test_mean():
    cells, tests, units = answer_study({1: 0.3, 2: 0.6, 3: 0.7})
    validation = {(i, j): {1: 0.4, 2: 0.62, 3: 0.58}[i] for i in LEVELS for j in LEVELS}
    validation[(3, 2)] = 0.7  # level 3: mean (0.58 + 0.7 + 0.58) / 3 = 0.62: a tie, to 2
    answer = study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 200, 1, 0.95,
                          validation=validation)
    choice = answer["validation_choice"]
    assert choice["row"] == "2" and choice["mean_val_uar"] == pytest.approx(0.62)
    assert choice["test_mean_uar"] == answer["mean_uar"]["2"]
    assert choice["test_mean_uar_ci"] == answer["mean_uar_ci"]["2"]
    lead = answer_text(answer).split("\n")[2]
    assert "Chosen on validation" in lead and "level 2 reaches a test mean UAR of" in lead
    assert "(validation-chosen: the test data did not choose it)" in lead
    validation[(1, 1)] = None  # an unscored level: row 1 cannot be chosen
    answer = study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 50, 1, 0.95,
                          validation=validation)
    assert answer["validation_choice"]["row"] == "2"
    del validation[(2, 3)]
    with pytest.raises(ValueError, match="train row 2 lacks test level"):
        study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 50, 1, 0.95,
                     validation=validation)


def test_answer_resamples_sessions_and_names_them():
    from emoagree.evaluation.parts import StudyClusters

    cells, tests, units = answer_study({1: 0.3, 2: 0.5, 3: 0.9})
    sessions = {u: f"ses{int(u[1:]) // 3}" for u in units}  # 4 sessions of 3 units
    clustered = {
        j: LevelTestSet(t.path, t.interval_ids, t.emotions, t.units, t.folds, True, True,
                        [sessions[u] for u in t.units], "session")
        for j, t in tests.items()
    }
    study = StudyClusters(units, sessions, "session")
    answer = study_answer(cells, clustered, study, "fusion_x", LEVELS, EMOTIONS, 300, 1, 0.95)
    assert answer["cluster"] == {"kind": "session", "count": 4}
    plain = study_answer(cells, tests, units, "fusion_x", LEVELS, EMOTIONS, 300, 1, 0.95)
    assert plain["cluster"] == {"kind": "unit", "count": N_UNITS}
    # 4 clusters instead of 12: wider intervals of the same means
    assert answer["mean_uar"] == plain["mean_uar"]
    width = {k: a["mean_uar_ci"]["2"][1] - a["mean_uar_ci"]["2"][0]
             for k, a in (("session", answer), ("unit", plain))}
    assert width["session"] > width["unit"]
    text = answer_text(answer)
    assert "the bootstrap resamples the 4 sessions the split units nest in" in text
    assert "of the 4 sessions the 12 split units nest in" in text


def test_fused_system_beside_its_better_member():
    cells, tests, units = answer_study({1: 0.5, 2: 0.5, 3: 0.5}, seed=1)
    audio, _, _ = answer_study({1: 0.2, 2: 0.2, 3: 0.2}, seed=2)
    video, _, _ = answer_study({1: 0.7, 2: 0.7, 3: 0.7}, seed=3)
    answer = study_answer(
        cells, tests, units, "fusion_a_v", LEVELS, EMOTIONS, 300, 1, 0.95,
        systems_cells={"a": audio, "v": video}, fusions={"fusion_a_v": ["a", "v"]},
    )
    (entry,) = answer["members"]
    assert entry["fused"] == "fusion_a_v" and entry["member"] == "v"
    assert entry["fused_mean_uar"] == pytest.approx(np.mean(list(answer["mean_uar"].values())))
    assert entry["difference"] == pytest.approx(
        entry["fused_mean_uar"] - entry["member_mean_uar"])
    low, high = entry["difference_ci"]
    assert high < 0 and low < entry["difference"] < high  # the fusion is worse than v
    assert entry["member_mean_uar"] > entry["other_member_mean_uar"]["a"]
    text = answer_text(answer)
    assert "Each fused system beside its better member" in text
    assert "- fusion_a_v: " in text and " vs v " in text


def test_an_effect_like_the_face_corpus_arm_is_still_named():
    """Issue 19's real case: +4.9 points over the best level on 1,218 faces in 5 folds, at
    the precision of the reported interval's lower side: the set holds the arm alone."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "answer_calibration", Path(__file__).resolve().parents[1] / "bench/answer_calibration.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    case = bench.real_case()
    assert case["best_level"] == 3
    assert 100 * case["gap"] == pytest.approx(4.9, abs=0.4)
    low, _ = case["gap_ci"]
    assert 0.5 < 100 * low < 2.0  # the reported interval's lower side: +1.3
    assert case["answer"]["confidence_set"] == ["Ms"] and case["answer"]["named_row"] == "Ms"
