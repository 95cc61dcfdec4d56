"""bench/stage_times.py groups benchmark files by stage."""

import importlib.util
import os
from pathlib import Path

import pytest

SPEC = importlib.util.spec_from_file_location(
    "stage_times", Path(__file__).resolve().parents[1] / "bench/stage_times.py"
)
stage_times = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(stage_times)


def bench_file(root, relative, seconds, end):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"s\th:m:s\tmax_rss\n{seconds}\t0:00:00\t10\n")
    os.utime(path, (end, end))


def test_stage_times_groups_by_stage_and_measures_span(tmp_path, capsys):
    bench_file(tmp_path, "fusion/weights/f/train1.tsv", 2.0, 1000.0)
    bench_file(tmp_path, "fusion/apply/f/train1/test1.tsv", 3.0, 1004.0)
    bench_file(tmp_path, "evaluation/metrics/a/train1/test1.tsv", 1.5, 1010.0)
    bench_file(tmp_path, "audio_features/rec1.tsv", 4.0, 990.0)
    jobs = stage_times.collect(tmp_path)
    summary = stage_times.summarise(jobs)
    assert list(summary.index) == ["audio", "fusion", "evaluation"]
    assert summary.loc["fusion", "jobs"] == 2
    assert summary.loc["fusion", "sum_s"] == pytest.approx(5.0)
    assert summary.loc["fusion", "span_s"] == pytest.approx(1004.0 - 998.0)
    assert summary["share"].sum() == pytest.approx(1.0)
    assert stage_times.main(["--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "total: 4 jobs, 10.5 s summed" in out


def test_stage_times_rejects_a_file_that_is_not_a_benchmark(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "x.tsv").write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match="x.tsv"):
        stage_times.collect(tmp_path)
