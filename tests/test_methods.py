"""The text to paste: every number read from the run's settings and answer.json."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_figures import answer_fixture

from emoagree.report.methods import (
    BIBTEX,
    methods_latex,
    methods_markdown,
    methods_paragraphs,
)

SYSTEMS = ["audio_lr", "video_effnet", "fusion_audio_lr_video_effnet"]
LABELS = {
    "video_effnet": "video_effnet (EfficientNet-Lite0, ImageNet weights)",
    "fusion_audio_lr_video_effnet": "fusion_audio_lr_video_effnet (video_effnet: "
    "EfficientNet-Lite0, ImageNet weights)",
}
COUNTS = {1: 900, 2: 700, 3: 480, 4: 250, 5: 60}


def config(folds=5):
    return {
        "seed": 7,
        "corpus": {"format": "demo"},
        "emotions": ["Angry", "Happy", "Sad"],
        "split": {"unit": "segment", "folds": folds},
        "fusion": {"draws": 1000, "selection": "val"},
    }


def answer(folds=5, **changes):
    base = answer_fixture(
        cluster={"kind": "session", "count": 24},
        protocol={"unit": "segment", "strategy": "stratified", "folds": folds,
                  "replicates": 2, "bootstrap_units": 31, "fusion_selection": "val"},
        bootstrap_resamples=1000,
        seed=7,
    )
    base.update(changes)
    return base


def test_methods_name_the_protocol_and_the_answer_with_its_numbers():
    text = methods_paragraphs(config(), answer(), COUNTS, SYSTEMS, LABELS)
    methods, results = text["methods"], text["results"]
    assert "split into 5 folds by segments" in methods
    assert "intervals: 900 (level 1), 700 (level 2), 480 (level 3), 250 (level 4), " \
           "60 (level 5)" in methods
    assert "2 seeded training replicates" in methods
    assert "1000 resamples over 24 session clusters (seed 7)" in methods
    assert "95% percentile intervals" in methods and "1000 Dirichlet draws" in methods
    assert "video_effnet (EfficientNet-Lite0, ImageNet weights) (a fine-tuned" in methods
    # every train row's mean and interval from answer.json, in percent
    assert "M3: 62.0% [58.0, 65.0]" in results and "Mw: 60.0% [56.0, 63.0]" in results
    assert "holds one row, M3: train on it." in results
    # how the set was built, with the t degrees of freedom of answer.json (clusters - 1)
    jackknifed = methods_paragraphs(config(), answer(confidence_set_df=23), COUNTS, SYSTEMS,
                                    LABELS)["methods"]
    assert "delete-one-cluster jackknife standard error" in jackknifed
    assert "Student's t with 23 degrees of freedom" in jackknifed


def test_the_text_follows_the_folds_the_set_and_the_validation_choice():
    one = methods_paragraphs(config(1), answer(1), COUNTS, SYSTEMS, LABELS)["methods"]
    five = methods_paragraphs(config(5), answer(5), COUNTS, SYSTEMS, LABELS)["methods"]
    assert "split once into train, validation and test parts by segments" in one
    assert "folds" not in one.split("split once")[1].split(".")[0]
    assert one != five
    several = answer(confidence_set=["2", "3", "Mw"], named_row=None,
                     validation_choice={"row": "2", "mean_val_uar": 0.6,
                                        "test_mean_uar": 0.551, "test_mean_uar_ci": [0.5, 0.6]})
    results = methods_paragraphs(config(), several, COUNTS, SYSTEMS, LABELS)["results"]
    assert "holds 3 rows (M2, M3, Mw): the data do not single out one level" in results
    assert "Chosen on validation, row M2 reached 55.1% [50.0, 60.0] on test." in results


def test_methods_need_the_contract_keys():
    broken = answer()
    del broken["cluster"]
    with pytest.raises(ValueError, match="answer.json: no 'cluster' key"):
        methods_paragraphs(config(), broken, COUNTS, SYSTEMS, LABELS)
    broken = answer()
    del broken["confidence_set"]
    with pytest.raises(ValueError, match="answer.json: no 'confidence_set' key"):
        methods_paragraphs(config(), broken, COUNTS, SYSTEMS, LABELS)


def test_markdown_and_latex_carry_the_text_and_the_bibtex():
    text = methods_paragraphs(config(), answer(), COUNTS, SYSTEMS, LABELS)
    md = methods_markdown(text)
    assert text["methods"] in md and text["results"] in md and BIBTEX in md
    for key in ("ryumina2021annotation", "moelder2021snakemake", "eyben2010opensmile",
                "pedregosa2011sklearn", "paszke2019pytorch", "wightman2019timm"):
        assert f"{{{key}," in md
    tex = methods_latex(text)
    assert r"62.0\% [58.0, 65.0]" in tex and "fusion\\_audio\\_lr\\_video\\_effnet" in tex
    assert "% @inproceedings{ryumina2021annotation," in tex


@pytest.mark.slow
def test_methods_rule_reads_the_tiny_study(reported_study, tmp_path):
    """Rule report_methods on the tiny study's files (answer.json with the contract's
    keys): the numbers are the study's."""
    study = tmp_path / "study"
    shutil.copytree(reported_study, study, symlinks=True)
    path = study / "results/tables/answer.json"
    data = json.loads(path.read_text())
    assert {"rows", "confidence_set", "named_row", "cluster"} <= set(data)
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    result = subprocess.run([snakemake, "--cores", "1", "results/tables/methods.md"],
                            cwd=study, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    text = (study / "results/tables/methods.md").read_text()
    for row in data["rows"]:
        low, high = data["mean_uar_ci"][row]
        assert f"M{row}: {100 * data['mean_uar'][row]:.1f}% [{100 * low:.1f}, " \
               f"{100 * high:.1f}]" in text
    assert f"over {data['cluster']['count']} {data['cluster']['kind']} clusters" in text
    assert f"{data['bootstrap_resamples']} resamples" in text
    # the synthetic level tables: 60 - 8 k train, 24 val and 30 test intervals
    assert "intervals: 106 (level 1), 98 (level 2), 90 (level 3)" in text
    assert "split once into train, validation and test parts" in text  # one fold
    assert (study / "results/tables/methods.tex").exists()
