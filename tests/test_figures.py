"""Every figure is a journal figure (PNG + PDF, no text below 6 pt at one 8.5 cm column),
systems keep one colour and a short name, and the answer's figure shows what the answer
says (its rows, intervals, confidence set or named row, samples per row)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from figure_checks import assert_journal_figure, smallest_print_pt

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.naming import short_name
from emoagree.report import corpus_figures
from emoagree.report.answer_figure import (
    answer_figure,
    check_answer,
    row_samples,
    systems_figure,
)
from emoagree.report.figures import crosseval_heatmap, recall_plot, tradeoff_plot
from emoagree.report.style import MAX_WIDTH_IN, figure_size, system_colour

EMOTIONS = list(DEFAULT_EMOTIONS)
FUSED = "fusion_audio_lr_video_effnet"


def answer_fixture(**changes):
    """answer.json as contract 3 writes it: rows 1-5 and an arm, level 3 named."""
    rows = ["1", "2", "3", "4", "5", "Mw"]
    means = dict(zip(rows, [0.50, 0.55, 0.62, 0.58, 0.45, 0.60], strict=True))
    answer = {
        "system": FUSED,
        "levels": [1, 2, 3, 4, 5],
        "arm_rows": ["Mw"],
        "rows": rows,
        "mean_uar": means,
        "mean_uar_ci": {r: [m - 0.04, m + 0.03] for r, m in means.items()},
        "p_best": dict(zip(rows, [0.0, 0.05, 0.85, 0.05, 0.0, 0.05], strict=True)),
        "confidence_set": ["3"],
        "named_row": "3",
        "ci_level": 0.95,
        "optimistic": False,
    }
    answer.update(changes)
    return answer


COUNTS = {1: 400.0, 2: 300.0, 3: 180.0, 4: 90.0, 5: 20.0}


def test_short_names_and_colours_are_fixed_per_system():
    assert short_name("audio_lr") == "A-LR"
    assert short_name(FUSED) == "A-LR+V-EffNet"
    assert short_name("fusion_audio_lstm_video_vggf_rf") == "A-LSTM+V-VGGF"
    systems = ["audio_svm", "audio_lr", "audio_lstm", "video_vggf_rf", "video_effnet",
               *[f"fusion_{a}_{v}" for a in ("audio_svm", "audio_lr", "audio_lstm")
                 for v in ("video_vggf_rf", "video_effnet")]]
    colours = [system_colour(s) for s in systems]
    assert len(set(colours)) == len(systems)  # one colour per system
    assert system_colour("audio_lr") == "#56B4E9"  # Okabe-Ito sky blue, in every run
    with pytest.raises(ValueError, match="unknown system 'audio_cnn'"):
        system_colour("audio_cnn")
    with pytest.raises(ValueError, match="exceeds"):
        figure_size(MAX_WIDTH_IN + 0.5, 2)


def test_answer_figure_marks_the_named_row_and_counts_samples(tmp_path):
    fig = answer_figure(answer_fixture(), COUNTS, tmp_path / "answer.png")
    assert_journal_figure(tmp_path / "answer.png")
    top, bottom = fig.axes
    assert top.get_shared_x_axes().joined(top, bottom)
    # samples panel: a level keeps its own train samples, the arm Mw level 1's
    assert [p.get_height() for p in bottom.patches] == [400, 300, 180, 90, 20, 400]
    assert bottom.patches[-1].get_hatch() == "///"
    assert [t.get_text() for t in bottom.get_xticklabels()] == ["M1", "M2", "M3", "M4", "M5",
                                                                 "Mw"]
    # UAR panel: one point per row at its mean; only the named row is starred and filled
    points = {int(line.get_xdata()[0]): line for line in top.get_lines()
              if line.get_marker() in ("o", "*")}
    assert sorted(points) == [0, 1, 2, 3, 4, 5]
    assert points[2].get_ydata()[0] == pytest.approx(62.0)
    assert points[2].get_marker() == "*"
    assert mcolors.to_hex(points[2].get_markerfacecolor()) == system_colour(FUSED)
    assert mcolors.to_hex(points[0].get_markerfacecolor()) == "#ffffff"  # outside the set
    assert "named: M3" in top.get_title(loc="left")
    # the interval runs from the lower to the upper bound
    caps = [
        float(y)
        for line in top.get_lines()
        if line.get_marker() == "_"
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
        if x == 4
    ]
    assert sorted(caps) == pytest.approx([41.0, 48.0])  # row 5: 45 % [41, 48]


def test_answer_figure_marks_a_confidence_set_of_several_rows(tmp_path):
    answer = answer_fixture(confidence_set=["2", "3", "Mw"], named_row=None)
    fig = answer_figure(answer, COUNTS, tmp_path / "answer.png")
    top = fig.axes[0]
    assert "95% confidence set: M2, M3, Mw" in top.get_title(loc="left")
    filled = {
        int(line.get_xdata()[0])
        for line in top.get_lines()
        if line.get_marker() in ("o", "*")
        and mcolors.to_hex(line.get_markerfacecolor()) == system_colour(FUSED)
    }
    assert filled == {1, 2, 5}
    assert not any(line.get_marker() == "*" for line in top.get_lines())


def test_answer_figure_requires_the_contract_keys(tmp_path):
    for key in ("confidence_set", "named_row", "rows"):
        answer = answer_fixture()
        del answer[key]
        with pytest.raises(ValueError, match=f"answer.json: no '{key}' key"):
            answer_figure(answer, COUNTS, tmp_path / "answer.png")
    with pytest.raises(ValueError, match="confidence_set row 7 is not one of 'rows'"):
        check_answer(answer_fixture(confidence_set=["7"], named_row=None))
    with pytest.raises(ValueError, match="named_row 4 is not in confidence_set"):
        check_answer(answer_fixture(named_row="4"))
    with pytest.raises(ValueError, match="no training sample count for level 1 .row Mw."):
        row_samples(["2", "Mw"], {2: 10})
    assert not (tmp_path / "answer.png").exists()


def test_systems_figure_has_one_panel_per_system(tmp_path):
    rows = ["1", "2", "3", "4", "5", "Mw"]
    means = {
        s: {r: 50 + n + k for k, r in enumerate(rows)}
        for n, s in enumerate(["audio_lr", "video_effnet", FUSED])
    }
    systems_figure(means, answer_fixture(), tmp_path / "answer_systems.png")
    assert_journal_figure(tmp_path / "answer_systems.png")


def test_evaluation_figures_are_journal_figures(tmp_path):
    frame = pd.DataFrame(
        np.linspace(40, 70, 25).reshape(5, 5),
        index=pd.Index([1, 2, 3, 4, 5], name="train_level"),
        columns=[f"test{j}" for j in range(1, 6)],
    )
    crosseval_heatmap(frame, f"UAR (%) of {short_name(FUSED)}", tmp_path / "heat.png")
    recalls = {k: dict.fromkeys(EMOTIONS, 0.1 * k) for k in range(1, 6)}
    recall_plot(recalls, EMOTIONS, FUSED, tmp_path / "recall.png")
    others = {s: [50.0, 52, 51, 49, 47] for s in
              ["audio_svm", "audio_lr", "audio_lstm", "video_vggf_rf", "video_effnet",
               "fusion_audio_svm_video_effnet", "fusion_audio_lstm_video_effnet",
               "fusion_audio_lr_video_vggf_rf"]}
    tradeoff_plot(COUNTS, answer_fixture(), others, tmp_path / "tradeoff.png")
    for name in ("heat", "recall", "tradeoff"):
        assert_journal_figure(tmp_path / f"{name}.png")


def test_corpus_figures_are_journal_figures(corpus_levels, tmp_path):
    annotations, levels = corpus_levels
    corpus_figures.annotation_example(annotations, levels, EMOTIONS, tmp_path / "fig1.png")
    corpus_figures.sample_counts(levels, EMOTIONS, tmp_path / "fig2.png")
    corpus_figures.interval_lengths(levels, tmp_path / "fig3.png")
    corpus_figures.truth_accuracy({1: 0.6, 2: 0.7, 3: 0.8}, tmp_path / "acc.png")
    for name in ("fig1", "fig2", "fig3", "acc"):
        assert_journal_figure(tmp_path / f"{name}.png")


def test_the_legibility_check_catches_small_text(tmp_path):
    """A figure drawn 7 in wide with 8 pt text prints at 3.8 pt in one column."""
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.set_title("wide", fontsize=8)
    ax.tick_params(labelsize=8)
    fig.savefig(tmp_path / "wide.pdf")
    plt.close(fig)
    assert smallest_print_pt(tmp_path / "wide.pdf") == pytest.approx(8 * 3.346 / 7, abs=0.05)
    with pytest.raises(AssertionError, match="text of 3.82 pt at 8.5 cm"):
        (tmp_path / "wide.png").write_bytes(b"x" * 2000)
        assert_journal_figure(tmp_path / "wide.png")
    with pytest.raises(AssertionError, match="no vector copy narrow.pdf"):
        (tmp_path / "narrow.png").write_bytes(b"x" * 2000)
        assert_journal_figure(tmp_path / "narrow.png")


@pytest.mark.slow
def test_answer_figure_rule_draws_from_the_study(reported_study, tmp_path):
    """Rule report_answer_figure on the tiny study's files, answer.json carrying the
    contract's confidence_set and named_row."""
    study = tmp_path / "study"
    shutil.copytree(reported_study, study, symlinks=True)
    path = study / "results/tables/answer.json"
    answer = json.loads(path.read_text())
    assert {"rows", "confidence_set", "named_row"} <= set(answer)  # the answer writes them
    targets = [f"results/figures/{n}.png" for n in ("answer", "answer_systems")]
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    command = [snakemake, "--cores", "1", "--forcerun", "report_answer_figure", *targets]
    result = subprocess.run(command, cwd=study,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "report_answer_figure" in result.stderr and "report_answer\n" not in result.stderr
    for target in targets:
        assert_journal_figure(study / target)
    log = (study / "logs/report/answer_figure.log").read_text()
    assert "train samples per level: {1: 52, 2: 44, 3: 36}" in log  # 60 - 8 k per level
