"""Configuration normalisation: the command-line forms of levels and per-level keys."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from emoagree.settings import deep_merge, level_settings, normalize_config

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (["1", "2", "3"], [1, 2, 3]),  # snakemake --config levels=[1,2,3]
        ([1, 2, 3], [1, 2, 3]),  # YAML
        ("[1,2,3]", [1, 2, 3]),
        ("3", [3]),  # --config levels=3
        (3, [3]),
        ([" 2 ", 4.0], [2, 4]),
    ],
)
def test_levels_become_a_list_of_integers(given, expected):
    assert normalize_config({"levels": given})["levels"] == expected


def test_levels_that_are_not_numbers_are_left_for_the_schema_to_name():
    assert normalize_config({"levels": ["one", True]})["levels"] == ["one", True]


def test_level_override_keys_become_strings():
    config = normalize_config({"levels": [1, 3], "level_overrides": {3: {"seed": 1},
                                                                     "1": {"seed": 2}}})
    assert config["level_overrides"] == {"3": {"seed": 1}, "1": {"seed": 2}}
    assert level_settings(config | {"seed": 0}, 3)["seed"] == 1


@pytest.mark.slow
def test_snakemake_accepts_the_command_line_form_of_levels(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
         "-n", "--cores", "1", "--config", "levels=[1,2,3]", "training_arms=[]"],
        capture_output=True, text=True, timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    stats = run.stdout[run.stdout.index("Job stats:"):]
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)}
    assert counts["levels_table"] == 3
    assert counts["audio_predict_lstm"] == 9  # the 3 x 3 grid


@pytest.mark.slow
def test_replicates_plan_r_seeded_models_per_fold_and_one_job_per_cell(tmp_path):
    """replicates: 2 doubles every training job (replicate 1 under ``.rep1`` paths) and
    leaves one job per cell, which predicts with both replicates."""
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
         "-n", "--cores", "1", "--config", "replicates=2", "levels=[1,2]",
         "training_arms=[]"],
        capture_output=True, text=True, timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    stats = run.stdout[run.stdout.index("Job stats:"):]
    counts = {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)}
    # one training job per (system, train level, replicate), its 5 folds inside
    assert counts["audio_train_lstm"] == 2 * 2  # replicates x train levels
    assert counts["video_effnet_train"] == 2 * 2
    assert counts["audio_train_classic"] == 2 * 2 * 2  # svm and lr
    assert counts["audio_predict_lstm"] == 4  # the 2 x 2 grid: one job per cell
    assert counts["fusion_weights"] == 2 * 2  # per (fused pair, train level)
    # the validation cross-evaluation adds no job: the cell jobs write val{j} too
    for rule, cells in (("audio_predict_lstm", 4), ("audio_predict_classic", 2 * 4),
                        ("video_predict", 2 * 4), ("fusion_apply", 2 * 4)):
        assert counts[rule] == cells, rule
    assert counts["evaluation_metrics_val"] == 7 * 2  # 5 single + 2 fused systems x 2 train levels
    for val in ("audio_lstm/train2/val1.rep1.csv", "audio_svm/train1/val2.csv",
                "video_vggf_rf/train2/val2.rep1.csv",
                "fusion_audio_lstm_video_effnet/train1/val2.rep1.csv"):
        assert f"results/predictions/{val}" in run.stdout, val
    assert "results/metrics/fusion_audio_lstm_video_effnet/train2/val1.json" in run.stdout
    assert "results/models/audio_lstm/fold4/train2.rep1.pt" in run.stdout
    assert "results/predictions/audio_lstm/train2/test1.rep1.csv" in run.stdout
    assert "results/models/fusion_audio_lstm_video_effnet/fold0/train1.rep1.json" in run.stdout


def test_the_former_clear_best_threshold_is_refused_with_what_replaced_it():
    import pytest

    from emoagree.settings import normalize_config

    with pytest.raises(ValueError, match="evaluation.clear_best is gone.*95 % confidence set"):
        normalize_config({"evaluation": {"bootstrap_resamples": 10, "clear_best": 0.8}})


AUDIO = {
    "min_duration_s": 0.1, "mfcc_config": "m.conf", "threads": 1, "device": "auto",
    "pca_grid": [25, 300], "inner_folds": 3, "class_weight": "balanced",
    "svm": {"kernel": "linear", "c_grid": [1.0]}, "lr": {"max_iter": 10, "c_grid": [1.0]},
    "lstm": {"hidden_size": 8},
}


def test_each_training_rule_gets_only_the_audio_settings_it_reads():
    from emoagree.settings import classic_settings, lstm_settings

    assert classic_settings(AUDIO, "audio_svm") == {
        "pca_grid": [25, 300], "inner_folds": 3, "class_weight": "balanced",
        "svm": {"kernel": "linear", "c_grid": [1.0]},
    }
    assert set(classic_settings(AUDIO, "audio_lr")) == {"pca_grid", "inner_folds",
                                                        "class_weight", "lr"}
    assert lstm_settings(AUDIO) == {"min_duration_s": 0.1, "device": "auto",
                                    "lstm": {"hidden_size": 8}}
    with pytest.raises(ValueError, match="audio_lstm"):
        classic_settings(AUDIO, "audio_lstm")


def test_the_forest_gets_no_embedding_setting():
    from emoagree.settings import forest_settings

    vggf_rf = {"backbone": "b", "weights": {"source": "random"}, "image_size": 96,
               "batch_size": 64, "n_estimators": 100, "grid": {"max_depth": [None]},
               "inner_folds": 3, "class_weight": None, "max_frames_per_interval": 4}
    assert forest_settings(vggf_rf) == {"n_estimators": 100, "grid": {"max_depth": [None]},
                                        "inner_folds": 3, "class_weight": None,
                                        "max_frames_per_interval": 4}


def config_yaml():
    import yaml

    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_a_demo_config_gets_the_demo_sizes_and_a_csv_config_the_defaults():
    from emoagree.settings import describe_sizes, sized_config

    defaults = config_yaml()
    demo = sized_config(defaults, {})
    # the demo runs at its CPU size (the values its study was measured with)
    assert demo["audio"]["pca_grid"] == [25, 50, 100]
    assert demo["audio"]["svm"]["c_grid"] == [0.001, 0.01, 0.1, 1.0]
    assert demo["audio"]["lstm"]["hidden_size"] == 32 and demo["audio"]["lstm"]["max_epochs"] == 15
    assert demo["video"]["effnet"]["epochs"] == 2 and demo["video"]["effnet"]["image_size"] == 64
    assert demo["video"]["vggf_rf"]["image_size"] == 96
    assert demo["video"]["detector"]["crop_size"] == 96
    # keys demo_sizes leaves alone keep the defaults
    assert demo["audio"]["lstm"]["pooling"] == defaults["audio"]["lstm"]["pooling"]
    assert demo["video"]["effnet"]["backbone"] == defaults["video"]["effnet"]["backbone"]
    assert "demo_sizes block of config.yaml applied" in describe_sizes(demo)

    user = {"corpus": {"format": "csv", "path": "my_corpus"}}
    csv = sized_config(deep_merge(defaults, user), user)
    assert csv["audio"]["pca_grid"] == [25, 50, 100, 300, None]  # the paper's 300, no reduction
    assert csv["audio"]["svm"]["c_grid"][0] == 0.0001 and csv["audio"]["svm"]["c_grid"][-1] == 10
    assert csv["audio"]["lstm"]["hidden_size"] == 128  # the paper's
    assert csv["video"]["effnet"]["epochs"] == 10 and csv["video"]["effnet"]["image_size"] == 128
    assert csv["video"]["effnet"]["max_frames_per_interval"] is None
    assert "defaults for a real corpus" in describe_sizes(csv)
    assert "csv" in describe_sizes(csv)


def test_a_users_own_setting_wins_over_the_demo_sizes():
    from emoagree.settings import sized_config

    user = {"audio": {"lstm": {"hidden_size": 8}}, "video": {"effnet": {"epochs": 1}}}
    demo = sized_config(deep_merge(config_yaml(), user), user)
    assert demo["audio"]["lstm"]["hidden_size"] == 8
    assert demo["video"]["effnet"]["epochs"] == 1
    assert demo["audio"]["lstm"]["max_epochs"] == 15  # the demo size where the user is silent


def test_every_demo_size_differs_from_the_real_corpus_default_and_a_csv_config_keeps_it():
    """Each leaf of demo_sizes is a CPU size over a real-corpus default of config.yaml; a
    csv config resolves every one of them (EfficientNet epochs, frames, image size, ...) to
    the default, the demo to the demo size."""
    from emoagree.settings import sized_config

    defaults = config_yaml()

    def leaves(tree, prefix=()):
        for key, value in tree.items():
            if isinstance(value, dict):
                yield from leaves(value, (*prefix, key))
            else:
                yield (*prefix, key), value

    def at(tree, path):
        for key in path:
            tree = tree[key]
        return tree

    user = {"corpus": {"format": "csv", "path": "my_corpus"}}
    csv = sized_config(deep_merge(defaults, user), user)
    demo = sized_config(defaults, {})
    found = dict(leaves(defaults["demo_sizes"]))
    assert ("video", "effnet", "max_frames_per_interval") in found
    for path, size in found.items():
        assert at(defaults, path) != size, f"demo_sizes {'.'.join(path)} equals the default"
        assert at(csv, path) == at(defaults, path)
        assert at(demo, path) == size
    effnet = csv["video"]["effnet"]
    assert (effnet["epochs"], effnet["image_size"], effnet["max_frames_per_interval"],
            effnet["val_frames_per_interval"]) == (10, 128, None, None)
    assert (demo["video"]["effnet"]["epochs"], demo["video"]["effnet"]["image_size"],
            demo["video"]["effnet"]["max_frames_per_interval"]) == (2, 64, 2)
