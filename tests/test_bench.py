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
    assert summary["cpu_s"].isna().all()  # files without cpu_time


def test_stage_times_sums_cpu_seconds_per_stage_and_folder(tmp_path, capsys):
    for relative, wall, cpu in (("audio/train/a_fold0_train1.tsv", 9.0, 2.5),
                                ("audio/train/a_fold1_train1.tsv", 7.0, 1.5),
                                ("audio/predict/a_train1_test1.tsv", 3.0, 1.25)):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"s\th:m:s\tcpu_time\n{wall}\t0:00:00\t{cpu}\n")
    jobs = stage_times.collect(tmp_path)
    assert stage_times.summarise(jobs).loc["audio", "cpu_s"] == pytest.approx(5.25)
    folders = stage_times.summarise(jobs, "folder")
    assert list(folders.index) == ["audio/train", "audio/predict"]  # most CPU first
    assert folders.loc["audio/train", "cpu_s"] == pytest.approx(4.0)
    assert folders.loc["audio/train", "jobs"] == 2
    assert stage_times.main(["--root", str(tmp_path), "--by", "folder"]) == 0
    assert "5.2 s summed job CPU time" in capsys.readouterr().out


def test_stage_times_rejects_a_file_that_is_not_a_benchmark(tmp_path):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "x.tsv").write_text("a\tb\n1\t2\n")
    with pytest.raises(ValueError, match="x.tsv"):
        stage_times.collect(tmp_path)


ANSWER_SPEC = importlib.util.spec_from_file_location(
    "answer_seeds", Path(__file__).resolve().parents[1] / "bench/answer_seeds.py"
)
answer_seeds = importlib.util.module_from_spec(ANSWER_SPEC)
ANSWER_SPEC.loader.exec_module(answer_seeds)


def seed_answer(top, clearly):
    return {"named_row": str(top) if clearly else None}


def test_answers_of_seeds_are_consistent_unless_two_name_different_clear_winners():
    consistent = answer_seeds.consistent
    assert consistent({1: seed_answer(3, True), 2: seed_answer(3, True)})
    assert consistent({1: seed_answer(3, True), 2: seed_answer(2, False)})
    assert consistent({1: seed_answer(1, False), 2: seed_answer(2, False)})
    assert not consistent({1: seed_answer(3, True), 2: seed_answer(2, True)})


def test_answer_description_lists_every_row_and_the_verdict():
    answer = {
        "system": "fusion_a_v", "mean_uar": {"1": 0.4, "2": 0.5},
        "mean_uar_ci": {"1": [0.3, 0.5], "2": [0.4, 0.6]}, "p_best": {"1": 0.1, "2": 0.9},
        "named_row": "2", "confidence_set": ["2"], "cluster": {"kind": "session", "count": 18},
        "arms": [{"row": "Mw", "best_level": 2, "difference": -0.05,
                  "difference_ci": [-0.1, 0.0], "probability_arm_is_higher": 0.04}],
    }
    text = "\n".join(answer_seeds.describe(answer))
    assert "train   2: mean UAR  50.0   [40.0, 60.0]  P(best) 0.90" in text
    assert "answer: named 2 (95% confidence set 2; 18 session clusters)" in text
    assert "arm Mw - level 2: -5.0 points [-10.0, +0.0], P(arm higher) 0.04" in text


def test_answer_seeds_arm_words_become_a_training_arms_list():
    assert answer_seeds.arm_list(None) is None  # config.yaml's own
    assert answer_seeds.arm_list([]) == ["weighted", "soft", "curriculum"]
    assert answer_seeds.arm_list(["soft", "weighted", "soft"]) == ["soft", "weighted"]
    assert answer_seeds.arm_list(["none"]) == []
    with pytest.raises(SystemExit, match="--arms none takes no other arm"):
        answer_seeds.arm_list(["none", "soft"])


def test_clip_study_bare_script_searches_the_workflows_real_corpus_grid():
    import yaml

    spec = importlib.util.spec_from_file_location(
        "clip_study", Path(__file__).resolve().parents[1] / "bench/clip_study.py")
    clip_study = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(clip_study)
    config = yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())
    audio, seed = clip_study.csv_corpus_settings()
    # a csv corpus gets config.yaml's defaults, not the demo's CPU sizes
    demo_grid = config["demo_sizes"]["audio"]["pca_grid"]
    assert audio["pca_grid"] == config["audio"]["pca_grid"] != demo_grid
    assert audio["svm"]["c_grid"] == config["audio"]["svm"]["c_grid"]
    assert seed == config["seed"]


def test_fold_workers_bench_reads_the_jobs_workers_and_finds_differing_files(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "fold_workers", Path(__file__).resolve().parents[1] / "bench/fold_workers.py")
    fold_workers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fold_workers)
    logs = tmp_path / "logs/audio/train"
    logs.mkdir(parents=True)
    log = logs / "audio_svm_train1.log"
    log.write_text("2026-12-06 INFO emoagree.training.fold_jobs: folds [0, 1, 2, 3, 4]: "
                   "2 side by side in worker processes (one BLAS thread each)\n")
    assert fold_workers.job_workers(tmp_path, "audio_svm") == 2
    log.write_text("2026-12-06 INFO emoagree.training.fold_jobs: fold 0: 1 of 5 in this job\n")
    assert fold_workers.job_workers(tmp_path, "audio_svm") == 1
    left, right = tmp_path / "left", tmp_path / "right"
    for root, model in ((left, b"a"), (right, b"b")):
        (root / "fold0").mkdir(parents=True)
        (root / "fold0/m.joblib").write_bytes(model)
        (root / "fold0/val.csv").write_text("same")
    (left / "fold0/only_left.json").write_text("{}")
    assert fold_workers.differing_files(left, right) == ["fold0/m.joblib", "fold0/only_left.json"]
