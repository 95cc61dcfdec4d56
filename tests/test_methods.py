"""The text to paste: every number read from the run's settings and answer.json."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from study import TINY_CONFIG, snakemake
from test_figures import answer_fixture

from emoagree.report.answer_figure import row_label
from emoagree.report.methods import (
    BIBTEX,
    UNIT_PHRASES,
    members_sentence,
    methods_latex,
    methods_markdown,
    methods_paragraphs,
    methods_settings,
)

SYSTEMS = ["audio_lr", "video_effnet", "fusion_audio_lr_video_effnet"]
LABELS = {
    "video_effnet": "video_effnet (EfficientNet-Lite0, ImageNet weights)",
    "fusion_audio_lr_video_effnet": "fusion_audio_lr_video_effnet (video_effnet: "
    "EfficientNet-Lite0, ImageNet weights)",
}
COUNTS = {1: 900, 2: 700, 3: 480, 4: 250, 5: 60}
#: a run's configuration: the methods text reads its corpus format, emotions and fusion
#: draws (methods_settings), the split and everything else from answer.json
CONFIG = {
    "seed": 7,
    "corpus": {"format": "demo", "path": "demo_corpus"},
    "emotions": ["Angry", "Happy", "Sad"],
    "split": {"unit": "segment", "folds": 5},
    "fusion": {"draws": 1000, "selection": "val", "concentration": 1.0},
}
SETTINGS = methods_settings(
    CONFIG["corpus"]["format"], CONFIG["emotions"], CONFIG["fusion"]["draws"]
)
MEMBER = {"fused": "fusion_audio_lr_video_effnet", "member": "video_effnet",
          "rows": ["1", "2", "3", "4", "5", "Mw"], "fused_mean_uar": 0.583,
          "member_mean_uar": 0.6105, "other_member_mean_uar": {"audio_lr": 0.41},
          "difference": -0.0275, "difference_ci": [-0.061, 0.0042]}


def answer(folds=5, **changes):
    base = answer_fixture(
        cluster={"kind": "session", "count": 24},
        protocol={"unit": "segment", "strategy": "stratified", "folds": folds,
                  "replicates": 2, "bootstrap_units": 31, "fusion_selection": "val"},
        bootstrap_resamples=1000,
        seed=7,
        members=[MEMBER],
    )
    base.update(changes)
    return base


def assert_text_matches_answer(text: str, answer: dict) -> None:
    """The methods text names the split unit, the folds, the cluster count, the resamples
    and the seed, and every train row's mean and interval, as answer.json gives them."""
    protocol = answer["protocol"]
    folds = protocol["folds"]
    split = "split once into" if folds == 1 else f"split into {folds} folds by"
    assert f"{split}" in text
    assert f"by {UNIT_PHRASES[protocol['unit']]}" in text
    assert (f"cluster bootstrap of {answer['bootstrap_resamples']} resamples over "
            f"{answer['cluster']['count']} {answer['cluster']['kind']} clusters "
            f"(seed {answer['seed']})") in text
    for row in answer["rows"]:
        low, high = answer["mean_uar_ci"][row]
        assert f"{row_label(row)}: {100 * answer['mean_uar'][row]:.1f}% " \
               f"[{100 * low:.1f}, {100 * high:.1f}]" in text
    members = [row_label(r) for r in answer["confidence_set"]]
    if answer["named_row"] is None:
        assert f"holds {len(members)} rows ({', '.join(members)})" in text
    else:
        assert f"holds one row, {row_label(answer['named_row'])}: train on it." in text


def test_methods_name_the_protocol_and_the_answer_with_its_numbers():
    text = methods_paragraphs(SETTINGS, answer(), COUNTS, SYSTEMS, LABELS)
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
    assert_text_matches_answer(methods + " " + results, answer())
    # the fused system beside its better member, with the paired difference
    assert ("fusion_audio_lr_video_effnet (video_effnet: EfficientNet-Lite0, ImageNet "
            "weights) 58.3% vs video_effnet (EfficientNet-Lite0, ImageNet weights) 61.1%, "
            "-2.8 points [-6.1, +0.4].") in results
    # how the set was built, with the t degrees of freedom of answer.json (clusters - 1)
    jackknifed = methods_paragraphs(SETTINGS, answer(confidence_set_df=23), COUNTS, SYSTEMS,
                                    LABELS)["methods"]
    assert "delete-one-cluster jackknife standard error" in jackknifed
    assert "Student's t with 23 degrees of freedom" in jackknifed


def test_methods_settings_are_what_the_text_reads_of_the_config():
    assert SETTINGS == {"corpus_format": "demo", "emotions": ["Angry", "Happy", "Sad"],
                        "fusion_draws": 1000}
    changed = methods_settings("csv", CONFIG["emotions"], 50)
    text = methods_paragraphs(changed, answer(), COUNTS, SYSTEMS, LABELS)["methods"]
    assert "We used a corpus given as interval tables" in text
    assert "Fusion weights (50 Dirichlet draws)" in text
    # without a fused system no fusion is described
    single = methods_paragraphs(SETTINGS, answer(members=[]), COUNTS, ["audio_lr"])
    assert "Dirichlet" not in single["methods"] and "fused" not in single["results"]
    assert "The headline system was chosen by its mean validation UAR." in single["methods"]


def test_members_sentence_names_each_fusion_and_its_better_member():
    other = MEMBER | {"fused": "fusion_audio_svm_video_vggf_rf", "member": "audio_svm",
                      "fused_mean_uar": 0.52, "member_mean_uar": 0.5, "difference": 0.02,
                      "difference_ci": [None, None]}
    sentence = members_sentence([MEMBER, other], {})
    assert sentence.startswith(" Each fused system beside its better member")
    assert ("fusion_audio_lr_video_effnet 58.3% vs video_effnet 61.1%, -2.8 points "
            "[-6.1, +0.4]; fusion_audio_svm_video_vggf_rf 52.0% vs audio_svm 50.0%, "
            "+2.0 points [n/a].") in sentence
    assert members_sentence([], {}) == ""


def test_the_text_follows_the_folds_the_set_and_the_validation_choice():
    one = methods_paragraphs(SETTINGS, answer(1), COUNTS, SYSTEMS, LABELS)["methods"]
    five = methods_paragraphs(SETTINGS, answer(5), COUNTS, SYSTEMS, LABELS)["methods"]
    assert "split once into train, validation and test parts by segments" in one
    assert "folds" not in one.split("split once")[1].split(".")[0]
    assert one != five
    several = answer(confidence_set=["2", "3", "Mw"], named_row=None,
                     validation_choice={"row": "2", "mean_val_uar": 0.6,
                                        "test_mean_uar": 0.551, "test_mean_uar_ci": [0.5, 0.6]})
    results = methods_paragraphs(SETTINGS, several, COUNTS, SYSTEMS, LABELS)["results"]
    assert "holds 3 rows (M2, M3, Mw): the data do not single out one level" in results
    assert "Chosen on validation, row M2 reached 55.1% [50.0, 60.0] on test." in results


def test_methods_need_the_contract_keys():
    broken = answer()
    del broken["cluster"]
    with pytest.raises(ValueError, match="answer.json: no 'cluster' key"):
        methods_paragraphs(SETTINGS, broken, COUNTS, SYSTEMS, LABELS)
    broken = answer()
    del broken["confidence_set"]
    with pytest.raises(ValueError, match="answer.json: no 'confidence_set' key"):
        methods_paragraphs(SETTINGS, broken, COUNTS, SYSTEMS, LABELS)


def test_markdown_and_latex_carry_the_text_and_the_bibtex():
    text = methods_paragraphs(SETTINGS, answer(), COUNTS, SYSTEMS, LABELS)
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
    keys): the numbers are the study's, and the fused system stands beside its better
    member, with the paired difference and its interval, in answer.json, the answer's
    text, the methods text and the report."""
    study = tmp_path / "study"
    shutil.copytree(reported_study, study, symlinks=True)
    path = study / "results/tables/answer.json"
    data = json.loads(path.read_text())
    assert {"rows", "confidence_set", "named_row", "cluster", "members"} <= set(data)
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    result = subprocess.run([snakemake, "--cores", "1", "--forcerun", "report_methods",
                             "results/tables/methods.md"],
                            cwd=study, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    text = (study / "results/tables/methods.md").read_text()
    assert_text_matches_answer(text, data)
    # the synthetic level tables: 60 - 8 k train, 24 val and 30 test intervals
    assert "intervals: 106 (level 1), 98 (level 2), 90 (level 3)" in text
    assert "split once into train, validation and test parts" in text  # one fold
    assert (study / "results/tables/methods.tex").exists()
    # fusion_audio_lr_video_effnet beside its better member, on the fused system's rows
    (entry,) = data["members"]
    assert entry["fused"] == "fusion_audio_lr_video_effnet" and entry["rows"] == data["rows"]
    assert entry["member"] in ("audio_lr", "video_effnet")
    low, high = entry["difference_ci"]
    assert low <= entry["difference"] <= high
    assert entry["difference"] == pytest.approx(
        entry["fused_mean_uar"] - entry["member_mean_uar"])
    labels = data["member_labels"]
    assert members_sentence(data["members"], labels) in text
    fused, member = labels[entry["fused"]], labels[entry["member"]]
    answer_line = (f"- {fused}: {100 * entry['fused_mean_uar']:.2f}% vs {member} "
                   f"{100 * entry['member_mean_uar']:.2f}%: {100 * entry['difference']:+.2f} "
                   f"points [{100 * low:+.1f}, {100 * high:+.1f}]")
    assert answer_line in (study / "results/tables/answer.md").read_text()
    # the report's front page carries the answer's text, that line included
    html = (study / "results/report.html").read_text()
    assert answer_line[2:] in html


@pytest.mark.slow
def test_methods_follow_the_folds_of_a_tiny_study(tmp_path):
    """The workflow on the tiny demo corpus (levels 1-2, audio_lr alone; about a minute):
    methods.md names the split unit, folds, cluster count, resamples and the answer's
    numbers as answer.json has them; with split.folds changed from 3 to 4 the split is
    redone and the text follows it (folds, and the answer's numbers)."""
    small = tmp_path / "small.yaml"
    small.write_text(yaml.safe_dump({
        "levels": [1, 2], "systems": {"audio": ["audio_lr"], "video": [], "fusion": []},
    }))
    four = tmp_path / "four.yaml"
    four.write_text(yaml.safe_dump({"split": {"folds": 4}}))
    found = {}
    for folds, configs in ((3, (TINY_CONFIG, small)), (4, (TINY_CONFIG, small, four))):
        snakemake(tmp_path, "--cores", "2", "results/tables/methods.md", configfiles=configs)
        tables = tmp_path / "results/tables"
        answer = json.loads((tables / "answer.json").read_text())
        text = (tables / "methods.md").read_text()
        assert answer["protocol"]["folds"] == folds and answer["protocol"]["unit"] == "segment"
        assert_text_matches_answer(text, answer)
        assert f"split into {folds} folds by segments" in text
        assert "We trained 1 system: audio_lr (logistic regression" in text
        assert "Dirichlet" not in text  # no fused system ran
        found[folds] = (text, answer)
    (three, answer3), (fourth, answer4) = found[3], found[4]
    assert "split into 3 folds" not in fourth
    # a new split: the level tables (and so the answer's numbers) change with it
    assert answer3["mean_uar"] != answer4["mean_uar"]
    assert three.split("## Results")[1] != fourth.split("## Results")[1]
