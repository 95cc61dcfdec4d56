"""Display names: every video system shows the backbone and weights that ran."""

from pathlib import Path

import pytest
import yaml

from emoagree.naming import system_label, system_labels
from emoagree.report.answer import add_labels, answer_text
from emoagree.report.tables import build_table2, build_table3
from emoagree.video.vggface2 import NAME

ROOT = Path(__file__).resolve().parents[1]
DEMO = yaml.safe_load((ROOT / "config.yaml").read_text())
PAPER_VIDEO = yaml.safe_load((ROOT / "config/ramas_paper.yaml").read_text())["video"]
PAPER = {**DEMO, "video": {**DEMO["video"], **PAPER_VIDEO}}


@pytest.mark.parametrize(("system", "config", "expected"), [
    ("video_vggf_rf", DEMO, "video_vggf_rf (EfficientNet-Lite0, ImageNet weights)"),
    ("video_effnet", DEMO, "video_effnet (EfficientNet-Lite0, ImageNet weights)"),
    ("fusion_audio_lstm_video_effnet", DEMO,
     "fusion_audio_lstm_video_effnet (video_effnet: EfficientNet-Lite0, ImageNet weights)"),
    ("audio_lstm", DEMO, "audio_lstm"),
    ("video_vggf_rf", PAPER,
     "video_vggf_rf (VGGFace2 ResNet-50, VGGFace2 weights from resnet50_ft_weight.pkl)"),
    ("video_effnet", PAPER, "video_effnet (EfficientNet-B3, ImageNet weights from the timm hub)"),
])
def test_system_label_names_backbone_and_weights(system, config, expected):
    assert system_label(system, config["video"]) == expected


def test_random_and_foreign_weights_are_named_as_such():
    config = {"video": {"vggf_rf": {"backbone": NAME, "weights": {"source": "random"}},
                        "effnet": {"backbone": "resnet50",
                                   "weights": {"source": "file", "path": "/x/mine.pth"}}}}
    assert system_label("video_vggf_rf", config["video"]) == (
        "video_vggf_rf (VGGFace2 ResNet-50, random weights)")
    assert system_label("video_effnet", config["video"]) == (
        "video_effnet (ResNet-50, weights from mine.pth)")


def metric(uar):
    return {"uar": uar, "uar_ci": [uar - 0.05, uar + 0.05], "coverage": 1.0,
            "optimistic": False}


def test_tables_and_answer_show_the_labels():
    systems = ["audio_lr", "video_vggf_rf", "fusion_audio_lr_video_vggf_rf"]
    labels = system_labels(systems, DEMO["video"])
    cells = {(s, i, j): metric(0.5) for s in systems for i in (1, 2) for j in (1, 2)}
    table2, md2 = build_table2(cells, systems, systems[-1], [1, 2], labels=labels)
    assert list(table2["system"])[:2] == [
        "A audio_lr", "V video_vggf_rf (EfficientNet-Lite0, ImageNet weights)"]
    assert "video_vggf_rf: EfficientNet-Lite0, ImageNet weights" in table2["system"].iloc[2]
    assert "V video_vggf_rf (EfficientNet-Lite0, ImageNet weights)" in md2
    _, md3 = build_table3(cells, systems[-1], [1, 2], labels=labels)
    assert "(video_vggf_rf: EfficientNet-Lite0, ImageNet weights)" in md3.splitlines()[0]
    answer = {
        "system": systems[-1], "optimistic": False, "levels": [1, 2],
        "mean_uar": {"1": 0.4, "2": 0.5}, "mean_uar_ci": {"1": [0.3, 0.5], "2": [0.4, 0.6]},
        "p_best": {"1": 0.1, "2": 0.9}, "rows": ["1", "2"], "confidence_set": ["2"],
        "named_row": "2", "cluster": {"kind": "session", "count": 18},
        "validation_choice": None, "members": [], "neighbours": [],
        "protocol": {"unit": "segment", "folds": 1, "replicates": 1,
                     "fusion_selection": "val", "bootstrap_units": 10},
        "bootstrap_resamples": 10, "ci_level": 0.95, "seed": 1,
        "best_level_per_system": {"video_vggf_rf": {"level": 2, "mean_uar": 50.0}},
    }
    add_labels(answer, labels)
    text = answer_text(answer)
    assert f"{labels[systems[-1]]}, the fused system chosen on validation" in text
    assert "video_vggf_rf (EfficientNet-Lite0, ImageNet weights): level 2" in text
    # the per-system best rows are a maximum over test numbers: labelled as such
    orientation = next(line for line in text.splitlines() if line.startswith("For orientation"))
    assert "read off the test predictions" in orientation and "optimistic" in orientation
