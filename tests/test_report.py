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
from synthetic import EMOTIONS, write_study

from emoagree.predictions import make_predictions
from emoagree.report import (
    OPTIMISTIC_NOTE,
    build_table2,
    build_table3,
    choose_best_system,
    crosseval_frame,
    format_cell,
    load_cells,
    paper_markdown,
    study_answer,
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


def test_load_cells_keys_val_and_test(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(metric(0.5)))
    cells = load_cells([["audio_lr", "2", "val"], ["audio_lr", 2, "3"]], [path, path])
    assert set(cells) == {("audio_lr", 2, "val"), ("audio_lr", 2, 3)}
    with pytest.raises(ValueError, match="2 metric keys but 1"):
        load_cells([["a", 1, 1], ["a", 1, 2]], [path])


def test_study_answer_finds_the_best_train_level_with_paired_probabilities():
    rng = np.random.default_rng(0)
    tables = {}
    accuracy = {1: 0.3, 2: 0.5, 3: 0.95}
    for j in LEVELS:
        codes = np.tile(np.arange(6), 8)
        truth = [EMOTIONS[c] for c in codes]
        for i in LEVELS:
            pred = np.where(rng.random(len(codes)) < accuracy[i], codes, (codes + 1) % 6)
            probs = np.eye(6)[pred] * 0.9 + 0.01
            tables[(i, j)] = make_predictions(
                [f"j{j}_{n}" for n in range(len(codes))], truth, probs, EMOTIONS
            )
    answer = study_answer(tables, "fusion_x", LEVELS, EMOTIONS, 300, 1, 0.95)
    assert answer["best_train_level"] == 3
    assert answer["comparisons"]["1"]["probability_best_beats_baseline"] == 1.0
    assert answer["comparisons"]["2"]["probability_best_beats_baseline"] == 1.0
    low, high = answer["mean_uar_ci"]["3"]
    assert low <= answer["mean_uar"]["3"] <= high
    # tables of one test level listing different intervals are an error
    broken = dict(tables)
    broken[(2, 1)] = tables[(2, 1)].iloc[1:]
    with pytest.raises(ValueError, match="train2 test1"):
        study_answer(broken, "fusion_x", LEVELS, EMOTIONS, 10, 1, 0.95)


def test_train_sample_counts(tmp_path):
    path = tmp_path / "level1.csv"
    pd.DataFrame({"split": ["train", "train", "val", "test"]}).to_csv(path, index=False)
    assert train_sample_counts({1: path}) == {1: 2}


def test_paper_tables_are_labelled_as_the_papers():
    md = paper_markdown(3)
    assert "The paper's Table 3" in md and "77.62" in md and "not computed by this workflow" in md


def run_snakemake(workdir, *args, timeout=300):
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
            for name in ["val", *[f"test{j}" for j in range(1, 6)]]:
                path = tmp_path / f"results/predictions/{system}/train{i}/{name}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("interval_id,emotion\n")
    out = run_snakemake(tmp_path, "-n")
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    assert int(counts["metrics"]) == 25 * 5  # 3 single + 2 fused systems
    assert int(counts["fusion_apply"]) == 25 * 2
    assert int(counts["fusion_weights"]) == 5 * 2
    assert int(counts["report_crosseval"]) == 5


@pytest.mark.slow
def test_end_to_end_tables_figures_and_report(tmp_path):
    write_study(tmp_path, corpus_format="ramas")
    run_snakemake(tmp_path)
    results = tmp_path / "results"
    fused = "fusion_audio_lr_video_effnet"
    for system in ("audio_lr", "video_effnet", fused):
        for i in LEVELS:
            for j in LEVELS:
                assert (results / f"metrics/{system}/train{i}/test{j}.json").exists()
        assert (results / f"figures/crosseval/{system}.png").stat().st_size > 1000
    for name in ("tradeoff.png", "recall_per_class.png"):
        assert (results / "figures" / name).stat().st_size > 1000
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
    best_level = answer["best_train_level"]
    assert best_level == int(crosseval["mean"].idxmax())
    assert answer["mean_uar"][str(best_level)] * 100 == pytest.approx(
        crosseval.loc[best_level, "mean"], abs=1e-2
    )
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
    assert per_system[fused]["level"] == best_level
    text = (results / "tables/answer.md").read_text()
    assert f"Training on agreement level **{best_level}**" in text
    assert f"({fused} (video_effnet: EfficientNet-Lite0, ImageNet weights), the fused" in text
    # reruns resume: nothing left to do
    assert "Nothing to be done" in run_snakemake(tmp_path, "-n")
    run_snakemake(tmp_path, "--report", "results/report.html")
    html = (results / "report.html").read_text()
    assert "Training on agreement level" in html  # the answer at the top
    assert "Departures from the paper" in html
    # the report opens with the departures list, then the answer
    assert html.index("Departures from config/ramas_paper.yaml") < html.index(
        "Training on agreement level")
    assert "video_effnet (EfficientNet-Lite0, ImageNet weights)" in html  # captions
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
