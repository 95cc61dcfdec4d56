"""bench/classic_vs_sklearn.py on a tiny speaker-split level with separable functionals."""

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from emoagree.audio.functionals import LevelFunctionals, save_functionals

SPEC = importlib.util.spec_from_file_location(
    "classic_vs_sklearn", Path(__file__).resolve().parents[1] / "bench/classic_vs_sklearn.py"
)
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]


def test_bench_prints_both_figures_and_they_agree_on_an_easy_case(tmp_path, capsys):
    rng = np.random.default_rng(0)
    actors = np.repeat(["A1", "A2", "A3", "A4", "A5"], 18)
    split = np.select([actors == "A5", actors == "A4"], ["test", "val"], "train")
    emotions = np.tile(EMOTIONS[:3], 30)
    table = pd.DataFrame({
        "interval_id": [f"i{k}" for k in range(90)], "recording": actors, "actor": actors,
        "scenario": "s", "emotion": emotions, "level": 1, "start_s": 0.0, "end_s": 1.0,
        "duration_s": 1.0, "split": split,
    })
    levels = tmp_path / "results" / "corpus" / "levels"
    levels.mkdir(parents=True)
    table.to_csv(levels / "level1.csv", index=False)
    centres = rng.normal(0, 3, (3, 30))
    features = centres[[EMOTIONS.index(e) for e in emotions]] + rng.normal(size=(90, 30))
    npz = tmp_path / "results" / "features" / "audio_functionals" / "level1.npz"
    npz.parent.mkdir(parents=True)
    save_functionals(LevelFunctionals(table["interval_id"].to_numpy(dtype=object), features,
                                      [f"f{k}" for k in range(30)],
                                      np.array(["ok"] * 90, dtype=object)), npz)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"emotions": EMOTIONS, "seed": 1, "audio": {
        "pca_grid": [5, 10], "inner_folds": 3, "class_weight": "balanced",
        "svm": {"kernel": "linear", "c_grid": [0.01, 1.0], "probability": "decision"},
        "lr": {"max_iter": 500, "c_grid": [0.01, 1.0]}}}))
    assert bench.main(["--workdir", str(tmp_path), "--config", str(config), "--levels", "1"]) == 0
    out = capsys.readouterr().out
    assert "GridSearchCV(GroupKFold by actor)" in out
    assert out.count("(within 1 point;") == 2  # both systems separate the classes
    rows = [line.split() for line in out.splitlines() if line.strip().startswith("1  audio_")]
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        ("audio_svm", "18", "100.0", "100.0"), ("audio_lr", "18", "100.0", "100.0")]
