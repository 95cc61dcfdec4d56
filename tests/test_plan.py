"""The study plan (emoagree.plan): built once from the validated config, for the demo
config and for a csv corpus; its adapter, demo defaults, grid, seeds and protocol."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate
from video_fixtures import write_video

import emoagree.levels.split as split_module
import emoagree.plan.protocol as plan_protocol
import emoagree.report.answer_protocol as answer_protocol
from emoagree.corpus.errors import CorpusError
from emoagree.corpus.plan import ADAPTERS, CorpusAdapter, CsvCorpus, DemoCorpus, RamasCorpus
from emoagree.plan import build_plan, corpus_of
from emoagree.plan.protocol import UNIT_WORDS, describe_protocol
from emoagree.report.answer_protocol import protocol_text
from emoagree.settings import deep_merge, normalize_config, sized_config
from emoagree.training.replicates import replicate_seed

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def validated(user: dict | None = None) -> dict:
    """config.yaml with ``user`` over it, as common.smk hands it to build_plan: demo sizes
    applied, normalized, validated (which fills the schema's defaults)."""
    user = user or {}
    defaults = yaml.safe_load((REPO / "config.yaml").read_text())
    config = normalize_config(sized_config(deep_merge(defaults, user), user))
    validate(config, str(SCHEMA))
    return config


@pytest.fixture
def csv_corpus(tmp_path):
    """Two recordings (one with video), two annotators: levels 1-2 can exist."""
    import numpy as np
    import soundfile

    root = tmp_path / "corpus"
    (root / "media").mkdir(parents=True)
    for name, seconds in (("r1", 2.0), ("r2", 3.0)):
        soundfile.write(root / "media" / f"{name}.wav", np.zeros(int(8000 * seconds)), 8000)
    write_video(root / "media" / "r1.mov", 25, 50)
    (root / "recordings.csv").write_text(
        "recording,actor,scenario,audio_path,video_path,duration_s,fps\n"
        "r1,anna,S1,media/r1.wav,media/r1.mov,2.0,25\n"
        "r2,boris,S2,media/r2.wav,,3.0,\n"
    )
    (root / "annotations.csv").write_text(
        "recording,annotator,emotion,start_s,end_s\n"
        "r1,a1,Angry,0.0,1.5\nr1,a2,Angry,0.5,2.0\nr2,a1,Sad,0.0,3.0\nr2,a2,Sad,0.0,3.0\n"
    )
    return root


def test_demo_defaults_are_the_schemas_alone():
    schema = yaml.safe_load(SCHEMA.read_text())
    demo = schema["properties"]["corpus"]["properties"]["demo"]["properties"]
    defaults = {key: spec["default"] for key, spec in demo.items()}
    assert set(defaults) == set(demo)  # every demo key has its default in the schema
    config = validated()
    del config["corpus"]["demo"]  # a demo config that sets none of the generator's keys
    plan = build_plan(config)
    assert plan.demo_params() == defaults
    assert plan.demo.n_annotators == defaults["n_annotators"] == 6
    # no Python copy of the defaults or of the schema's bounds is left
    source = (REPO / "src/emoagree/corpus/demo/plan.py").read_text()
    assert '"n_actors": 4' not in source and ">= 64" not in source


def test_the_registry_picks_the_adapter(tmp_path):
    assert ADAPTERS == {"demo": DemoCorpus, "ramas": RamasCorpus, "csv": CsvCorpus}
    for fmt, kind in ADAPTERS.items():
        config = {"seed": 1, "corpus": {"format": fmt, "path": str(tmp_path)}}
        adapter = corpus_of(config)
        assert type(adapter) is kind and isinstance(adapter, CorpusAdapter)
        assert adapter.format == fmt and adapter.path == str(tmp_path)
    expected = r"unknown corpus format 'tsv' \(expected csv, demo, ramas\)"
    with pytest.raises(CorpusError, match=expected):
        corpus_of({"seed": 1, "corpus": {"format": "tsv", "path": "x"}})


def dry_run_jobs(tmp_path, *args) -> dict[str, int]:
    """Jobs per rule of ``snakemake -n`` on the repo's workflow."""
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-s", str(REPO / "Snakefile"),
         "-d", str(tmp_path), *args],
        capture_output=True, text=True, check=True,
    )
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout, re.MULTILINE))
    return {rule: int(n) for rule, n in counts.items()}


def test_the_demo_plan_and_its_grid_match_the_dry_run(tmp_path):
    config = validated()
    plan = build_plan(config)
    assert isinstance(plan.corpus, DemoCorpus) and plan.marks is None
    assert plan.levels == (1, 2, 3, 4, 5) and plan.folds == (0, 1, 2, 3, 4)
    assert plan.replicates == ("",) and plan.arms == ("soft",)
    assert len(plan.recordings) == 2 * plan.demo.n_dialogues == 32
    assert set(plan.durations.values()) == {plan.demo.duration_s}
    assert sorted(r for members in plan.shards.values() for r in members) == sorted(
        plan.recordings["recording"])
    jobs = dry_run_jobs(tmp_path)
    assert jobs["total"] == 390
    grid = plan.grid()
    # one model per (system, train row, fold, replicate) of every trained system; one
    # training job per (system, train row, replicate), its folds inside
    trained = [g for g in grid if not g[0].startswith("fusion_")]
    assert len(trained) == len(plan.folds) * sum(jobs[rule] for rule in (
        "audio_train_classic", "audio_train_lstm", "video_vggf_rf_train", "video_effnet_train"))
    # fusion weights: one job per (fused system, train row), its folds inside
    assert len({(s, row) for s, row, _, _ in grid if s.startswith("fusion_")}) == jobs[
        "fusion_weights"]
    # one cell job per (system, train row, test level); one validation score per row
    rows = [(s, row) for s in plan.systems.all for row in plan.train_rows(s)]
    assert len(rows) * len(plan.levels) == sum(jobs[rule] for rule in (
        "audio_predict_classic", "audio_predict_lstm", "video_predict", "fusion_apply"))
    assert len(rows) == jobs["evaluation_metrics_val"]


def test_the_tiny_plan_matches_its_dry_run(tmp_path):
    tiny = yaml.safe_load((REPO / "tests/configs/tiny.yaml").read_text())
    plan = build_plan(validated(tiny))
    jobs = dry_run_jobs(tmp_path, "--configfile", str(REPO / "tests/configs/tiny.yaml"))
    assert jobs["total"] == 309
    assert plan.folds == (0, 1, 2) and plan.arms == ()
    trained = [g for g in plan.grid() if not g[0].startswith("fusion_")]
    assert len(trained) == len(plan.folds) * sum(jobs[rule] for rule in (
        "audio_train_classic", "audio_train_lstm", "video_vggf_rf_train", "video_effnet_train"))


def test_a_csv_plan_reads_the_corpus_once(csv_corpus):
    config = validated({
        "corpus": {"format": "csv", "path": str(csv_corpus)},
        "emotions": ["Angry", "Sad"],
        "levels": [1, 2],
        "split": {"folds": 3, "repeats": 2},
        "replicates": 2,
        "training_arms": [],
    })
    plan = build_plan(config)
    assert isinstance(plan.corpus, CsvCorpus) and plan.demo is None
    assert list(plan.recordings["recording"]) == ["r1", "r2"]
    assert dict(plan.durations) == {"r1": 2.0, "r2": 3.0}
    assert len(plan.marks) == 4
    assert plan.folds == (0, 1, 2, 3, 4, 5) and plan.n_folds == 3 and plan.n_repeats == 2
    assert plan.replicates == ("", ".rep1") and plan.n_replicates == 2
    n_systems = len(plan.systems.audio) + len(plan.systems.video)
    assert len([g for g in plan.grid() if not g[0].startswith("fusion_")]) == (
        n_systems * 2 * 6 * 2)  # systems x levels x (K x R folds) x replicates
    with pytest.raises(CorpusError, match="level\\(s\\) 3 cannot exist"):
        build_plan({**config, "levels": [1, 2, 3]})


def test_one_seed_rule_for_every_system():
    config = validated({"level_overrides": {"2": {"seed": 7}}})
    plan = build_plan(config)
    assert plan.seed == config["seed"]
    assert plan.seed_of(2) == 7 and plan.seed_of(1) == plan.seed
    assert plan.seed_of("Ms") == plan.seed_of(1)  # an arm row trains with level 1's settings
    assert plan.training_seed(2, ".rep1") == replicate_seed(7, ".rep1")


def test_the_protocol_has_one_description_the_answer_uses():
    plan = build_plan(validated())
    assert split_module.describe_protocol is describe_protocol
    assert plan.split.describe() == (
        "split unit: segment; 5-fold cross-validation, val = the next fold, every interval "
        "tested once"
    )
    leaky = build_plan(validated({"split": {"unit": "interval", "folds": 1}})).split
    assert leaky.describe() == describe_protocol("stratified", "interval", 1)
    assert "LEAKS" in leaky.describe()
    # what rule report_answer is given, and the words the answer prints for it
    fields = plan.split.answer_fields("val")
    assert fields == {"unit": "segment", "strategy": "stratified", "fusion_selection": "val"}
    assert answer_protocol.unit_words is plan_protocol.unit_words
    answer = {
        "protocol": {**fields, "folds": 5, "replicates": 1, "bootstrap_units": 32},
        "optimistic": False, "bootstrap_resamples": 200, "seed": 1, "ci_level": 0.95,
    }
    assert f"Split unit: {UNIT_WORDS['segment']}; 5 grouped" in protocol_text(answer)[0]
