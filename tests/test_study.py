"""The whole study on a tiny demo corpus, through snakemake: every stage, every system.

One run (levels 1-3) serves all tests here: the outputs a user looks at, a rerun that has
nothing to do, and the partial reruns a user relies on (change level 3's settings, add
level 4), checked on what ``snakemake -n`` plans.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
import yaml
from study import TINY_CONFIG, planned_jobs, snakemake

pytestmark = pytest.mark.slow

LEVELS = [1, 2, 3]
LEVEL_WILDCARDS = ("level", "train_level", "test_level")
#: rules that work once per recording or on the whole corpus: no partial rerun may plan them
CORPUS_AND_FEATURE_RULES = {
    "demo_corpus",
    "corpus_normalize",
    "levels_split",
    "audio_lld",
    "video_faces",
    "video_embeddings",
}


def write_config(path, data):
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("study")
    levels = write_config(workdir / "levels.yaml", {"levels": LEVELS})
    snakemake(workdir, "--cores", "2", configfiles=(TINY_CONFIG, levels))
    return workdir, levels


def systems(workdir):
    return sorted(p.name for p in (workdir / "results" / "metrics").iterdir())


def test_every_system_has_every_cell_of_the_grid(study):
    workdir, _ = study
    found = systems(workdir)
    assert {"audio_svm", "audio_lr", "audio_lstm", "video_vggf_rf", "video_effnet"} <= set(found)
    assert {"fusion_audio_lstm_video_effnet", "fusion_audio_svm_video_vggf_rf"} <= set(found)
    for system in found:
        for i in LEVELS:
            for j in LEVELS:
                cell = json.loads(
                    (workdir / f"results/metrics/{system}/train{i}/test{j}.json").read_text()
                )
                assert 0.0 <= cell["uar"] <= 1.0 or cell["uar"] is None
            predictions = pd.read_csv(
                workdir / f"results/predictions/{system}/train{i}/test{i}.csv"
            )
            level = pd.read_csv(workdir / f"results/corpus/levels/level{i}.csv")
            assert set(predictions["interval_id"]) == set(
                level.loc[level["split"] == "test", "interval_id"]
            )


def test_tables_figures_and_report_exist(study):
    workdir, levels = study
    for name in ("table1_samples", "table2_uar", "table3_crosseval"):
        for ext in ("csv", "md"):
            assert (workdir / f"results/tables/{name}.{ext}").stat().st_size > 0
    table1 = pd.read_csv(workdir / "results/tables/table1_samples.csv")
    assert len(table1) == len(LEVELS)
    for figure in ("fig1_annotation_example", "fig2_counts", "fig3_lengths", "fig_truth_accuracy"):
        assert (workdir / f"results/figures/{figure}.png").stat().st_size > 1000
    snakemake(
        workdir,
        "--cores",
        "1",
        "--report",
        "results/report.html",
        configfiles=(TINY_CONFIG, levels),
    )
    html = (workdir / "results/report.html").read_text(errors="replace")
    assert "table3_crosseval" in html or "Cross-evaluation" in html


def test_a_finished_study_has_nothing_to_do(study):
    workdir, levels = study
    out = snakemake(workdir, "-n", configfiles=(TINY_CONFIG, levels))
    assert "Nothing to be done" in out, out[-3000:]


def involves(job, level):
    return any(job.wildcards.get(key) == str(level) for key in LEVEL_WILDCARDS)


def cells_of(jobs) -> set[tuple[str, str, str]]:
    """(system, train row, test level) of every planned cell: each cell is one job whose
    outputs include results/metrics/<system>/train<i>/test<j>.json."""
    cells = set()
    for job in jobs:
        for output in job.outputs:
            match = re.fullmatch(r"results/metrics/(\w+)/train(\w+)/test(\d+)\.json", output)
            if match:
                cells.add(match.groups())
    return cells


def test_changing_level3_settings_plans_only_level3_jobs(study):
    workdir, levels = study
    change = write_config(
        workdir / "level3.yaml",
        {"levels": LEVELS, "level_overrides": {"3": {"min_duration_s": 0.25}}},
    )
    jobs = planned_jobs(snakemake(workdir, "-n", configfiles=(TINY_CONFIG, change)))
    assert jobs, "changing level 3's settings planned nothing"
    assert not [j for j in jobs if j.rule in CORPUS_AND_FEATURE_RULES]
    for job in jobs:
        if any(key in job.wildcards for key in LEVEL_WILDCARDS):
            assert involves(job, 3), f"{job.rule} {job.wildcards} does not involve level 3"
    assert any(j.rule == "levels_table" and j.wildcards == {"level": "3"} for j in jobs)
    # every system's row and column of level 3 in the grid, and nothing else
    metric_cells = cells_of(jobs)
    expected = {
        (s, str(i), str(k))
        for s in systems(workdir)
        for i in LEVELS
        for k in LEVELS
        if i == 3 or k == 3
    }
    assert metric_cells == expected


def test_adding_a_level_plans_only_the_new_level(study):
    workdir, _ = study
    more = write_config(workdir / "level4.yaml", {"levels": [*LEVELS, 4]})
    jobs = planned_jobs(snakemake(workdir, "-n", configfiles=(TINY_CONFIG, more)))
    assert not [j for j in jobs if j.rule in CORPUS_AND_FEATURE_RULES]
    for job in jobs:
        if any(key in job.wildcards for key in LEVEL_WILDCARDS):
            assert involves(job, 4), f"{job.rule} {job.wildcards} does not involve level 4"
    metric_cells = cells_of(jobs)
    all_levels = [*LEVELS, 4]
    assert metric_cells == {
        (s, str(i), str(k))
        for s in systems(workdir)
        for i in all_levels
        for k in all_levels
        if i == 4 or k == 4
    }
