"""End to end: the corpus stage (demo corpus -> levels -> Table 1, figures) through snakemake."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image as mpimg
import pandas as pd
import pytest
from figure_checks import assert_journal_figure
from study import planned_jobs, snakemake

TINY_DEMO = """\
corpus:
  format: demo
  path: demo_corpus
  demo: {n_actors: 2, n_dialogues: 4, duration_s: 12.0, n_annotators: 6,
         frame_size: [160, 120], sample_rate: 8000}
split: {unit: segment, folds: 3}
"""

TARGETS = [
    "results/corpus/intervals.csv",
    "results/corpus/split_overlap.json",
    "results/tables/table1_samples.csv",
    "results/tables/table1_samples.md",
    "results/figures/fig1_annotation_example.png",
    "results/figures/fig2_counts.png",
    "results/figures/fig3_lengths.png",
    "results/figures/fig_truth_accuracy.png",
]


pytestmark = pytest.mark.slow


def run_corpus_stage(workdir: Path, *args: str, configfiles: tuple[Path, ...]) -> str:
    """The corpus-stage targets through snakemake on 2 cores; its output (raises on failure)."""
    return snakemake(workdir, *TARGETS, "--cores", "2", *args, configfiles=configfiles,
                     timeout=1500)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("levels_e2e")
    workdir = root / "work"
    workdir.mkdir()
    config = root / "tiny.yaml"
    config.write_text(TINY_DEMO)
    run_corpus_stage(workdir, configfiles=(config,))
    return workdir, config


def test_table1_shows_the_trade_off(run):
    workdir, _ = run
    table = pd.read_csv(workdir / "results/tables/table1_samples.csv")
    assert table["level"].tolist() == [1, 2, 3, 4, 5]
    # means over 3 folds: test and val are each a third of every level's intervals
    assert (table["train"] + table["val"] + table["test"]).tolist() == pytest.approx(
        table["total"].tolist(), abs=0.02
    )
    assert table["test"].tolist() == pytest.approx((table["total"] / 3).tolist(), abs=0.01)
    assert table.loc[0, "train"] > 0 and table.loc[0, "test"] > 0
    first, last = table.iloc[0], table.iloc[-1]
    assert last["total"] < first["total"]
    assert last["mean_duration_s"] < first["mean_duration_s"]
    assert last["alpha"] > first["alpha"]
    assert "paper_train" not in table.columns  # the paper's values only beside RAMAS
    md = (workdir / "results/tables/table1_samples.md").read_text()
    assert md.count("\n| ") == 6  # header + 5 levels
    assert "Split: split unit: segment; 3-fold cross-validation" in md


def test_levels_inherit_the_level_one_unit_and_fold(run):
    workdir, _ = run
    levels = {
        k: pd.read_csv(workdir / f"results/corpus/levels/level{k}.csv", dtype={"recording": str})
        for k in range(1, 6)
    }
    one = levels[1]
    assert sorted(one["fold"].unique()) == [0, 1, 2]
    assert (one.groupby("unit")["fold"].nunique() == 1).all()
    # the demo goes through the RAMAS adapter: a segment can span both sides of a dialogue
    assert one["unit"].str.match(r"^seg:[^_]+_[^_]+:\d{8}$").all()
    for k, table in levels.items():
        assert set(table["split"]) <= {"test"}
        for row in table.itertuples():
            parent = one[
                (one["recording"] == row.recording)
                & (one["emotion"] == row.emotion)
                & (one["start_s"] <= row.start_s + 1e-6)
                & (one["end_s"] >= row.end_s - 1e-6)
            ]
            assert parent[["unit", "fold"]].values.tolist() == [[row.unit, row.fold]], (
                k,
                row.interval_id,
            )
    combined = pd.read_csv(workdir / "results/corpus/intervals.csv")
    assert len(combined) == sum(map(len, levels.values()))
    assert combined["interval_id"].is_unique


def test_no_test_time_is_train_or_val_time(run):
    workdir, _ = run
    summary = json.loads((workdir / "results/corpus/split_overlap.json").read_text())
    assert (summary["unit"], summary["folds"]) == ("segment", 3)
    assert [fold["overlap_s"] for fold in summary["per_fold"]] == [0.0, 0.0, 0.0]
    assert all(fold["test_s"] > 0 for fold in summary["per_fold"])
    # units of one session closer than split.guard_s (2 s by default) are one unit
    assert summary["guard_s"] == 2.0
    gaps = [fold["min_gap_s"] for fold in summary["per_fold"] if fold["min_gap_s"] is not None]
    assert gaps and min(gaps) >= 2.0 and summary["min_gap_s"] == min(gaps)
    md = (workdir / "results/tables/table1_samples.md").read_text()
    assert "Smallest gap between test time and train or val time within one session: " in md
    assert "split.guard_s = 2 s." in md
    # every level table names the session (<date>_<scenario>) of its interval's recording
    level = pd.read_csv(workdir / "results/corpus/levels/level2.csv", dtype=str)
    assert (level["session"] == level["recording"].str.rsplit("_", n=1).str[0]).all()


def test_figures_are_written(run):
    workdir, _ = run
    for name in ("fig1_annotation_example", "fig2_counts", "fig3_lengths", "fig_truth_accuracy"):
        image = mpimg.imread(workdir / f"results/figures/{name}.png")
        assert image.shape[0] > 100 and image[..., :3].std() > 0.05, name
        assert_journal_figure(workdir / f"results/figures/{name}.png")  # and its PDF
    assert (workdir / "logs/levels/corpus_figures.log").read_text().startswith("Figure 1")


def test_changing_one_levels_setting_reruns_only_that_level(run):
    workdir, config = run
    again = run_corpus_stage(workdir, "-n", configfiles=(config,))
    assert "Nothing to be done" in again
    override = workdir.parent / "level3.yaml"
    override.write_text('level_overrides:\n  "3": {min_duration_s: 0.5}\n')
    planned = planned_jobs(run_corpus_stage(workdir, "-n", configfiles=(config, override)))
    outputs = {output for job in planned for output in job.outputs}
    assert "results/corpus/levels/level3.csv" in outputs
    for other in (1, 2, 4, 5):
        assert f"results/corpus/levels/level{other}.csv" not in outputs
    assert "results/corpus/split.csv" not in outputs
    assert {job.wildcards.get("level") for job in planned if job.wildcards} <= {"3"}
