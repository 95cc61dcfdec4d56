"""Every rule's params carry only the settings its code reads, so a setting reruns only the
jobs that read it.

How the rules are walked: the tiny study's jobs are planned (``snakemake -n``), their
outputs are created empty and ``snakemake --touch -F`` marks every job done without running
it. Snakemake then records, per output, the params the job was given, resolved (input
functions, per-level settings, helper functions included), exactly as after a real run.
This checks what reaches the jobs rather than the text of the .smk files (a helper in
common.smk that returned a whole section would escape a text search), and the same
records drive the partial-rerun checks: Snakemake's own params trigger decides what a
changed setting replans, on ``snakemake -n`` job lists. No job runs: the whole module takes
a few dry runs and one touch pass.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from study import REPO, TINY_CONFIG, planned_jobs, snakemake

from emoagree.settings import deep_merge, sized_config

pytestmark = pytest.mark.slow  # ~45 s: four dry runs and a touch pass of ~300 jobs

LEVELS = [1, 2]
#: rules whose output is a directory (a cache folder per shard)
DIRECTORY_RULES = {"audio_lld", "video_faces", "video_embeddings"}
#: (rule, section) pairs where the rule's code reads every key of the section; the keys it
#: reads are listed so that a key added to the section fails here until its readers are
#: checked. report_departures takes the whole configuration: it lists every setting that
#: departs from the paper's.
READS_WHOLE = {
    ("fusion_weights", "fusion"): {"draws", "concentration", "normalisation", "selection",
                                      "shrinkage"},
    ("fusion_apply", "fusion"): {"draws", "concentration", "normalisation", "selection",
                                   "shrinkage"},
    ("report_answer", "evaluation"): {"bootstrap_resamples", "ci_level", "cluster"},
    ("video_effnet_train", "video.effnet"): {
        "backbone", "weights", "image_size", "epochs", "batch_size", "learning_rate",
        "max_frames_per_interval", "val_frames_per_interval", "loader_workers",
        "recalibrate_bn", "class_weight",
    },
}
WHOLE_CONFIG_READERS = {"report_departures"}
#: sections below audio/video that hold the settings of one job kind each but are checked
#: as sections too (video.vggf_rf mixes the embeddings' settings and the forest's)
NESTED_PARENTS = ("audio", "video")


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def touched(tmp_path_factory):
    """A tiny study (levels 1-2, every arm) marked done by --touch, with its metadata."""
    workdir = tmp_path_factory.mktemp("params")
    base = write_config(
        workdir / "base.yaml",
        {"levels": LEVELS, "training_arms": ["weighted", "soft", "curriculum"]},
    )
    configs = (TINY_CONFIG, base)
    for job in planned_jobs(snakemake(workdir, "-n", configfiles=configs)):
        for output in job.outputs:
            path = workdir / output
            if job.rule in DIRECTORY_RULES:
                path.mkdir(parents=True, exist_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
    snakemake(workdir, "--touch", "-F", "--cores", "1", configfiles=configs)
    return workdir, configs


def effective_config(configs) -> dict:
    """config.yaml, the test's config files over it, and the demo_sizes where they apply
    (as common.smk builds it)."""
    user: dict = {}
    for path in configs:
        user = deep_merge(user, yaml.safe_load(Path(path).read_text()))
    config = deep_merge(yaml.safe_load((REPO / "config.yaml").read_text()), user)
    return sized_config(config, user)


def sections(config: dict) -> dict[str, dict]:
    """Every top-level mapping of the configuration, and the mappings inside audio/video."""
    found = {k: v for k, v in config.items() if isinstance(v, dict) and v}
    for parent in NESTED_PARENTS:
        for key, value in config[parent].items():
            if isinstance(value, dict) and value:
                found[f"{parent}.{key}"] = value
    return found


def recorded_params(workdir: Path) -> list[tuple[str, list]]:
    """(rule, params) of every recorded output; params that are no Python literal (they
    cannot be a configuration section) are left out."""
    records = []
    for path in (workdir / ".snakemake" / "metadata").iterdir():
        record = json.loads(path.read_text())
        values = []
        for text in record.get("params") or []:
            try:
                values.append(ast.literal_eval(text))
            except (ValueError, SyntaxError):
                continue
        records.append((record["rule"], values))
    return records


def test_no_rule_takes_a_whole_config_section(touched):
    workdir, configs = touched
    config = effective_config(configs)
    records = recorded_params(workdir)
    rules = {rule for rule, _ in records}
    # the walk covers the training rules whose params were scoped
    assert {"audio_train_classic", "audio_train_lstm", "video_vggf_rf_train",
            "video_effnet_train", "audio_functionals", "fusion_weights"} <= rules
    offences = set()
    for rule, values in records:
        for value in values:
            if value == config and rule not in WHOLE_CONFIG_READERS:
                offences.add((rule, "<the whole configuration>"))
            for name, section in sections(config).items():
                if value == section and (rule, name) not in READS_WHOLE:
                    offences.add((rule, name))
    assert not offences, f"rules taking a whole config section: {sorted(offences)}"
    for (rule, name), keys in READS_WHOLE.items():
        assert set(sections(config)[name]) <= keys, (
            f"{name} has keys {sorted(set(sections(config)[name]) - keys)} that {rule} is "
            "not known to read: pass it only the keys it reads"
        )


def test_the_classic_settings_carry_the_grid_and_not_the_lstm(touched):
    workdir, _ = touched
    classic = [v for rule, values in recorded_params(workdir) if rule == "audio_train_classic"
               for v in values if isinstance(v, dict) and "pca_grid" in v]
    lstm = [v for rule, values in recorded_params(workdir) if rule == "audio_train_lstm"
            for v in values if isinstance(v, dict) and "lstm" in v]
    assert classic and lstm
    # each classic system carries its own section only, and no LSTM setting
    assert all("lstm" not in v and len({"svm", "lr"} & set(v)) == 1 for v in classic)
    assert all("pca_grid" not in v and "svm" not in v for v in lstm)
    # through snakemake: the demo's sizes apply where the test config is silent, and the
    # test config's own values win over them
    assert all(v["pca_grid"] == [25, 50, 100] for v in classic)
    assert all(v["svm"]["c_grid"] == [0.001, 0.01, 0.1, 1.0] for v in classic if "svm" in v)
    assert all(v["lstm"]["hidden_size"] == 8 and v["lstm"]["max_epochs"] == 2 for v in lstm)


def test_a_touched_study_has_nothing_to_do(touched):
    workdir, configs = touched
    assert "Nothing to be done" in snakemake(workdir, "-n", configfiles=configs)


def replanned(touched, change: dict):
    workdir, configs = touched
    extra = write_config(workdir / "change.yaml", change)
    return planned_jobs(snakemake(workdir, "-n", configfiles=(*configs, extra)))


#: rules that may follow a model: its predictions, metrics, fusions and the report
DOWNSTREAM = {
    "evaluation_metrics_val",
    "fusion_weights",
    "fusion_apply",
    "report_best_system",
    "report_crosseval",
    "report_table2",
    "report_table3",
    "report_answer",
    "report_heatmap",
    "report_tradeoff",
    "report_recall",
    "report_departures",
    "report_answer_figure",
    "report_front_figure",
    "report_methods",
}


def systems_of(jobs) -> set[str]:
    """The systems whose models, predictions or metrics the jobs write."""
    found = set()
    for job in jobs:
        for output in job.outputs:
            parts = Path(output).parts
            if len(parts) > 2 and parts[0] == "results" and parts[1] in ("models", "metrics",
                                                                          "predictions"):
                found.add(parts[2])
    return found


def test_changing_the_pca_grid_plans_no_lstm_job(touched):
    jobs = replanned(touched, {"audio": {"pca_grid": [25, 50]}})
    rules = {job.rule for job in jobs}
    assert "audio_train_classic" in rules and "audio_predict_classic" in rules
    assert rules <= {"audio_train_classic", "audio_predict_classic"} | DOWNSTREAM, rules
    trainings = {job.wildcards["system"] for job in jobs if job.rule == "audio_train_classic"}
    assert trainings == {"audio_svm", "audio_lr"}
    assert systems_of(jobs) <= {"audio_svm", "audio_lr", "fusion_audio_svm_video_vggf_rf"}


def test_changing_an_lstm_setting_plans_no_classic_job(touched):
    jobs = replanned(touched, {"audio": {"lstm": {"hidden_size": 4}}})
    rules = {job.rule for job in jobs}
    assert "audio_train_lstm" in rules and "audio_predict_lstm" in rules
    assert rules <= {"audio_train_lstm", "audio_predict_lstm"} | DOWNSTREAM, rules
    assert systems_of(jobs) <= {"audio_lstm", "fusion_audio_lstm_video_effnet"}


def test_changing_the_svm_c_grid_plans_no_lr_job(touched):
    jobs = replanned(touched, {"audio": {"svm": {"c_grid": [0.1, 1.0]}}})
    trainings = {job.wildcards["system"] for job in jobs if job.rule == "audio_train_classic"}
    assert trainings == {"audio_svm"}
    assert systems_of(jobs) <= {"audio_svm", "fusion_audio_svm_video_vggf_rf"}


def test_changing_the_forest_grid_reembeds_nothing(touched):
    jobs = replanned(touched, {"video": {"vggf_rf": {"n_estimators": 10}}})
    rules = {job.rule for job in jobs}
    assert "video_vggf_rf_train" in rules
    assert "video_embeddings" not in rules and "video_faces" not in rules
    assert systems_of(jobs) <= {"video_vggf_rf", "fusion_audio_svm_video_vggf_rf"}


#: the rules that train something for a train row, and the system each one trains
TRAINING_RULES = {"audio_train_classic", "audio_train_lstm", "video_vggf_rf_train",
                  "video_effnet_train", "fusion_weights"}


def trained(jobs) -> set[tuple[str, str]]:
    """(system, train row) of every planned training job (fusion: its weight search)."""
    found = set()
    for job in jobs:
        if job.rule not in TRAINING_RULES:
            continue
        wildcards = job.wildcards
        if job.rule == "fusion_weights":
            system = f"fusion_{wildcards['audio_system']}_{wildcards['video_system']}"
        else:
            system = wildcards.get("system") or {
                "audio_train_lstm": "audio_lstm", "video_vggf_rf_train": "video_vggf_rf",
                "video_effnet_train": "video_effnet"}[job.rule]
        found.add((system, wildcards["train_level"]))
    return found


SINGLE = ("audio_svm", "audio_lr", "audio_lstm", "video_vggf_rf", "video_effnet")
FUSED = ("fusion_audio_svm_video_vggf_rf", "fusion_audio_lstm_video_effnet")
#: systems that can follow a curriculum (the Mc row): the networks and their fused pair
CURRICULUM = {"audio_lstm", "video_effnet", "fusion_audio_lstm_video_effnet"}


@pytest.mark.parametrize(
    ("level", "rows"),
    [("2", {"2"}), ("1", {"1", "Mw", "Ms", "Mc"})],  # the arms' rows train with level 1's
)
def test_a_level_seed_reaches_every_system_and_fusion_of_that_level_only(touched, level, rows):
    """One seed rule (seed_of in common.smk): a per-level seed override replans the
    training of every audio and video system and the fusion weights of that level's train
    rows, and no job of another level; the split and the demo corpus keep the study's
    seed."""
    jobs = replanned(touched, {"level_overrides": {level: {"seed": 99}}})
    expected = {
        (system, row)
        for system in (*SINGLE, *FUSED)
        for row in rows
        if row != "Mc" or system in CURRICULUM
    }
    assert trained(jobs) == expected
    # downstream of those: only the cells, validation scores and fusions of those rows
    other_rows = [job for job in jobs if job.wildcards.get("train_level", min(rows)) not in rows]
    assert not other_rows, other_rows[:3]
    assert not {"demo_corpus", "corpus_normalize", "levels_split", "levels_table",
                "audio_lld", "video_faces", "video_embeddings"} & {job.rule for job in jobs}
