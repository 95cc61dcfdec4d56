"""The training arms as the workflow plans them on the default configuration (dry runs),
and the under-trained curriculum's note in the run's log and the answer."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_report import EMOTIONS, LEVELS, answer_study

from emoagree.contracts.predictions import PredictionArrays
from emoagree.evaluation.answer import study_answer
from emoagree.levels.curriculum import curriculum_note
from emoagree.report.answer import answer_text

ROOT = Path(__file__).resolve().parents[1]


def dry_run(tmp_path: Path, extra: dict | None = None) -> subprocess.CompletedProcess:
    """``snakemake -n --forceall`` of config.yaml (the demo) with ``extra`` merged over it
    (config.yaml itself is not passed: a --configfile is the user's, and would win over
    the demo_sizes block)."""
    configfiles = []
    if extra is not None:
        path = tmp_path / "extra.yaml"
        path.write_text(yaml.safe_dump(extra))
        configfiles = ["--configfile", str(path)]
    run = subprocess.run(
        [str(ROOT / ".venv/bin/snakemake"), "-n", "--forceall", "--nolock", "--cores", "1",
         *configfiles],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def test_the_default_config_runs_the_soft_arm(tmp_path):
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert config["training_arms"] == ["soft"]
    out = dry_run(tmp_path).stdout
    tables = set(re.findall(r"^\s+output: results/corpus/arms/(\w+)\.csv$", out, re.M))
    assert tables == {"soft"}
    systems = [*config["systems"]["audio"], *config["systems"]["video"]]
    systems += [f"fusion_{a}_{v}" for a, v in config["systems"]["fusion"]]
    levels = config["levels"]
    for row in ("Ms",):
        # one cell per (system, test level) on the arm's row: every system, both fusions
        cells = set(re.findall(rf"results/metrics/(\w+)/train{row}/test(\d)\.json", out))
        assert cells == {(s, str(j)) for s in systems for j in levels}
        # one model per (trained system, fold), planned once; one training job per trained
        # system for the row, which writes every fold's model
        outputs = re.findall(r"^\s+output: (.*)$", out, re.M)
        model = re.compile(rf"results/models/(\w+)/fold(\d)/train{row}\.(?:joblib|pt)$")
        models = [m.groups() for line in outputs for path in line.split(", ")
                  if (m := model.match(path))]
        folds = [str(f) for f in range(config["split"]["folds"])]
        trained = [m for m in models if not m[0].startswith("fusion_")]
        assert sorted(trained) == sorted((s, f) for s in systems[:5] for f in folds)
        jobs = [line for line in outputs if model.match(line.split(", ")[0])
                and not line.startswith("results/models/fusion_")]
        assert len(jobs) == 5
    assert "trainMc" not in out and "trainMw" not in out


@pytest.mark.slow  # three dry runs
def test_the_under_trained_curriculum_is_said_in_the_log(tmp_path):
    """The demo's EfficientNet (2 epochs) cannot give 5 stages 2 epochs each; the demo's
    LSTM (15 epochs) can (stages 5, 3, 2 of 2 epochs, 9 on all data). 4 epochs fit one
    warm-up stage of 2 and 2 on all data: no note."""
    note = "Mc of video_effnet is under-trained: 2 epochs"
    err = dry_run(tmp_path, {"training_arms": ["curriculum"]}).stderr
    assert note in err and "Mc of audio_lstm" not in err
    err = dry_run(tmp_path, {"training_arms": ["curriculum"],
                             "video": {"effnet": {"epochs": 4}}}).stderr
    assert "under-trained" not in err
    assert "under-trained" not in dry_run(tmp_path).stderr  # no curriculum, no note


def test_the_answer_carries_the_curriculum_note():
    cells, tests, units = answer_study({1: 0.3, 2: 0.4, 3: 0.6, "Mc": 0.3})
    rng = np.random.default_rng(5)
    for j in LEVELS:
        codes = np.array([EMOTIONS.index(e) for e in tests[j].emotions])
        pred = np.where(rng.random(len(codes)) < 0.3, codes, (codes + 1) % 6)
        cells[("Mc", j)] = PredictionArrays(f"trainMc/test{j}.csv", list(tests[j].interval_ids),
                                            list(tests[j].emotions), np.eye(6)[pred])
    answer = study_answer(cells, tests, units, "video_effnet", LEVELS, EMOTIONS, 100, 1, 0.95,
                          arm_rows=["Mc"])
    assert "under-trained" not in answer_text(answer)
    answer["arm_notes"] = [curriculum_note("video_effnet", 2, {})]
    text = answer_text(answer)
    assert "- Note: Mc of video_effnet is under-trained: 2 epochs cannot give every " \
           "curriculum stage 2 epochs (stage 5: 1, stage 1: 1)" in text
    assert text.index("Mc vs level") < text.index("- Note: Mc of video_effnet")
    assert "- Note: Mc" in answer_text(answer, "rst")
