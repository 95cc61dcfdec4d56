"""Bad input a real corpus brings: each case gives a clear message (issue: no silent drops).

One test per case of the table: loose emotion labels, a wrong duration_s, a corrupt wav,
a wav cut short, a level above the number of annotators, a corpus or level left with one
emotion, the corpus job's one-line error, and the README's rerun advice after kill -9.
"""

from __future__ import annotations

import logging
import re
import runpy
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_corpus_adapters import csv_corpus, rewrite, write_wav  # noqa: F401 (fixture)

from emoagree.contracts.corpus import write_dropped
from emoagree.corpus import CorpusError, read_corpus
from emoagree.corpus.labels import (
    check_labels,
    check_level_emotions,
    dropped_notes,
)
from emoagree.corpus.plan import check_levels, max_annotators, plan_marks
from emoagree.plan import corpus_of
from emoagree.report.table1 import write_table1

ROOT = Path(__file__).resolve().parents[1]
EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]
#: The emotions of the csv_corpus fixture and of LOOSE (a configured emotion needs marks).
TWO = ["Angry", "Sad"]


def marks(*rows):
    return pd.DataFrame(rows, columns=["recording", "annotator", "emotion", "start_s", "end_s"])


# -- loose labels ------------------------------------------------------------------------

LOOSE = marks(
    ("r1", "a1", "Angry", 0.0, 1.0), ("r1", "a2", "angry", 0.0, 1.0),
    ("r1", "a3", "Sad ", 0.0, 1.0), ("r2", "a1", "Sad", 0.0, 1.0),
    ("r2", "a2", "Neutral", 0.0, 1.0), ("r2", "a3", "Neutral", 0.5, 1.0),
)


def test_labels_that_match_an_emotion_only_loosely_are_an_error_by_default():
    with pytest.raises(CorpusError) as error:
        check_labels(LOOSE, TWO)
    message = str(error.value)
    assert "'angry' (1 marks) ~ 'Angry'" in message
    assert "'Sad ' (1 marks) ~ 'Sad'" in message
    assert "corpus.fold_labels: true" in message


def test_fold_labels_reads_them_as_the_emotion_and_every_dropped_label_is_counted(
    tmp_path, caplog
):
    with caplog.at_level(logging.INFO, logger="emoagree.corpus.labels"):
        folded, dropped = check_labels(LOOSE, TWO, fold_labels=True)
    assert list(folded["emotion"]) == ["Angry", "Angry", "Sad", "Sad", "Neutral", "Neutral"]
    assert dropped.to_dict("records") == [{"label": "Neutral", "marks": 2, "recordings": 1}]
    assert "dropped label 'Neutral': 2 marks on 1 recordings" in caplog.text
    # ... and in Table 1's notes
    write_dropped(dropped, tmp_path / "dropped.csv")
    notes = dropped_notes(tmp_path / "dropped.csv")
    assert notes == ["2 marks labelled 'Neutral' (1 recordings) were dropped: not a "
                     "configured emotion"]
    level = pd.DataFrame({"interval_id": ["i1"], "recording": ["r1"], "emotion": ["Angry"],
                          "level": [1], "start_s": [0.0], "end_s": [1.0],
                          "duration_s": [1.0], "split": ["train"]})
    write_table1({1: level}, {1: {"alpha": 0.5}}, tmp_path / "t1.csv", tmp_path / "t1.md",
                 notes=notes)
    assert "2 marks labelled 'Neutral'" in (tmp_path / "t1.md").read_text()


# -- media against recordings.csv -----------------------------------------------------------

def test_a_given_duration_is_checked_against_the_media_header(csv_corpus):  # noqa: F811
    rewrite(csv_corpus / "recordings.csv", "r2,boris,S2,media/r2.wav,,3.0,",
            "r2,boris,S2,media/r2.wav,,30,")
    with pytest.raises(CorpusError, match=r"data row 2 \(line 3\): duration_s 30 differs from "
                                          r"the 3.000 s that audio_path 'media/r2.wav' holds"):
        read_corpus("csv", str(csv_corpus))


def test_a_corrupt_wav_is_named_with_its_row(csv_corpus):  # noqa: F811
    (csv_corpus / "media" / "r2.wav").write_bytes(np.random.default_rng(0).bytes(4000))
    with pytest.raises(CorpusError) as error:
        read_corpus("csv", str(csv_corpus))
    assert re.search(r"recordings\.csv: data row 2 \(line 3\): audio_path 'media/r2.wav' is "
                     r"not a readable audio file \(.+\)", str(error.value)), str(error.value)


def test_a_wav_cut_short_is_named_as_shorter_than_its_marks(csv_corpus):  # noqa: F811
    path = csv_corpus / "media" / "r2.wav"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    rewrite(csv_corpus / "recordings.csv", "r2,boris,S2,media/r2.wav,,3.0,",
            "r2,boris,S2,media/r2.wav,,,")
    with pytest.raises(CorpusError) as error:
        read_corpus("csv", str(csv_corpus))
    message = str(error.value)
    assert "recording 'r2'" in message and "the audio file is shorter than the marks on it" in (
        message), message
    assert "mark ends at" not in message  # not blamed on each annotation row


# -- levels and emotions ------------------------------------------------------------------

def test_a_level_above_the_number_of_annotators_is_refused(csv_corpus):  # noqa: F811
    config = {"corpus": {"format": "csv", "path": str(csv_corpus)}}
    annotators = max_annotators(corpus_of(config), plan_marks(corpus_of(config)))
    assert annotators == 2
    check_levels([1, 2], annotators)
    with pytest.raises(CorpusError, match=r"level\(s\) 7 cannot exist: at most 2 annotator"):
        check_levels([1, 7], annotators)


@pytest.mark.slow
def test_the_workflow_refuses_an_impossible_level_before_any_job(csv_corpus, tmp_path):  # noqa: F811
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
         "-n", "--cores", "1", "--config", "levels=[1,7]", "corpus={'format': 'csv', 'path': '"
         + str(csv_corpus) + "'}"],
        capture_output=True, text=True, timeout=1200,
    )
    assert run.returncode != 0
    assert "level(s) 7 cannot exist: at most 2 annotator(s)" in run.stderr + run.stdout
    assert "Traceback" not in run.stderr and 'File "' not in run.stderr  # one line


def test_a_corpus_left_with_one_emotion_is_refused():
    one = marks(("r1", "a1", "Angry", 0.0, 1.0), ("r1", "a2", "Neutral", 0.0, 1.0))
    with pytest.raises(CorpusError, match=r"configured emotion\(s\) with no marks: 'Sad'"):
        check_labels(one, TWO)


def level_table(emotions, splits, folds=None):
    table = pd.DataFrame({"interval_id": [f"i{i}" for i in range(len(emotions))],
                          "recording": "r1", "emotion": emotions, "split": splits})
    if folds is not None:
        table["fold"] = folds
    return table


def test_a_level_with_one_emotion_in_train_is_not_trained():
    table = level_table(["Angry", "Angry", "Sad"], ["train", "train", "test"])
    with pytest.raises(CorpusError, match=r"level 4: the training data holds intervals of 1 "
                                          r"emotion\(s\) \(Angry; 2 intervals\)"):
        check_level_emotions(table, 4, EMOTIONS)
    check_level_emotions(level_table(["Angry", "Sad"], ["train", "train"]), 4, EMOTIONS)


def test_with_folds_a_level_needs_two_emotions_and_a_thin_fold_is_named(caplog):
    table = level_table(["Angry"] * 6, ["test"] * 6, folds=[0, 0, 1, 1, 2, 2])
    with pytest.raises(CorpusError, match=r"level 2: the training data holds intervals of 1"):
        check_level_emotions(table, 2, EMOTIONS)
    table["emotion"] = ["Angry", "Angry", "Angry", "Sad", "Angry", "Sad"]
    # with 3 folds, fold 1 trains on fold 0 alone (fold 2 is its val): Angry only
    with caplog.at_level(logging.WARNING, logger="emoagree.corpus.labels"):
        check_level_emotions(table, 2, EMOTIONS)
    assert "level 2, fold 1: the training part holds 1 emotion(s) (Angry)" in caplog.text
    assert "fold 0" not in caplog.text and "fold 2" not in caplog.text


# -- the corpus job's message ---------------------------------------------------------------

def run_corpus_script(corpus: Path, out: Path, *, planned=("r1", "r2"), emotions=TWO,
                      label_map=None, accept_empty_media=False):
    """scripts/corpus_normalize.py with a stand-in for the object Snakemake injects."""
    planned = list(planned)
    out.mkdir(parents=True, exist_ok=True)
    fake = types.SimpleNamespace(
        log=[str(out / "normalize.log")],
        params=types.SimpleNamespace(format="csv", path=str(corpus), tolerance_s=0.01,
                                     planned=planned, emotions=emotions,
                                     fold_labels=False, label_map=label_map or {},
                                     accept_empty_media=accept_empty_media),
        output=types.SimpleNamespace(recordings=str(out / "recordings.csv"),
                                     annotations=str(out / "annotations.csv"),
                                     dropped=str(out / "dropped_labels.csv"),
                                     unmarked=str(out / "unmarked_recordings.csv")),
    )
    stderr, handlers = sys.stderr, logging.getLogger().handlers[:]
    try:
        runpy.run_path(str(ROOT / "scripts" / "corpus_normalize.py"),
                       init_globals={"snakemake": fake})
        return None
    except SystemExit as exit_:
        return exit_
    finally:
        sys.stderr.flush()
        sys.stderr = stderr
        logging.getLogger().handlers[:] = handlers


def test_a_corpus_error_ends_the_job_with_one_line_naming_file_row_and_problem(
    csv_corpus, tmp_path  # noqa: F811
):
    rewrite(csv_corpus / "annotations.csv", "r2,a1,Sad,0.0,3.0", "r2,a1,Sad,2.0,1.0")
    exit_ = run_corpus_script(csv_corpus, tmp_path / "out")
    assert exit_ is not None and exit_.code == 1
    log = (tmp_path / "out" / "normalize.log").read_text()
    assert "Traceback" not in log
    message = log.rstrip().splitlines()[-1]
    assert message.startswith("corpus error: ")
    assert "annotations.csv: data row 3 (line 4): start 2 s is not before end 1 s" in message


def test_the_corpus_script_writes_the_tables_and_the_dropped_labels(csv_corpus, tmp_path):  # noqa: F811
    rewrite(csv_corpus / "annotations.csv", "r2,a2,Sad,0.0,3.005", "r2,a2,Neutral,0.0,3.0")
    assert run_corpus_script(csv_corpus, tmp_path / "out") is None
    dropped = pd.read_csv(tmp_path / "out" / "dropped_labels.csv")
    assert dropped.to_dict("records") == [{"label": "Neutral", "marks": 1, "recordings": 1}]


# -- kill -9 ------------------------------------------------------------------------------

def test_the_readme_says_how_to_rerun_after_a_hard_kill():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Reruns after an interruption"):]
    section = section[: section.index("\n#", 1)]
    assert "kill -9" in section and "snakemake --unlock" in section


# -- issue: nothing lost, nothing silently ignored ------------------------------------------
# Each numbered finding has a test here (the slow workflow ones further below).

# 1. ids that name a folder or a path -----------------------------------------------------

@pytest.mark.parametrize("bad", ["..", ".", "...", ".hidden"])
def test_an_id_that_names_a_folder_or_hides_a_file_is_refused_with_its_row(csv_corpus, bad):  # noqa: F811
    rewrite(csv_corpus / "recordings.csv", "r2,boris", f"{bad},boris")
    rewrite(csv_corpus / "annotations.csv", "r2,a1", f"{bad},a1")
    with pytest.raises(CorpusError) as error:
        read_corpus("csv", str(csv_corpus))
    message = str(error.value)
    assert f"recordings.csv: data row 2 (line 3): recording id {bad!r}" in message, message
    assert "folder" in message or "starts with a dot" in message


def test_a_path_is_not_an_id(csv_corpus):  # noqa: F811
    rewrite(csv_corpus / "recordings.csv", "r2,boris", "../r2,boris")
    with pytest.raises(CorpusError, match=r"data row 2 \(line 3\): recording id '\.\./r2' has "
                                          r"characters outside .* a path is not an id"):
        read_corpus("csv", str(csv_corpus))


# 3. config typos --------------------------------------------------------------------------

def load_schema():
    import yaml

    return yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())


def default_config():
    import yaml

    from emoagree.settings import normalize_config

    return normalize_config(yaml.safe_load((ROOT / "config.yaml").read_text()))


@pytest.mark.parametrize("typo, key, meant", [
    ({"min_duration": 1.0}, "min_duration", "min_duration_s"),
    ({"split": {"fold": 3}}, "split.fold", "split.folds"),
    ({"agreement": {"frame_step": 0.1}}, "agreement.frame_step", "agreement.frame_step_s"),
    ({"systems": {"fusions": "all"}}, "systems.fusions", "systems.fusion"),
    ({"level_overrides": {"3": {"min_duraton_s": 1.0}}}, "level_overrides.3.min_duraton_s",
     "level_overrides.3.min_duration_s"),
])
def test_an_unknown_config_key_is_named_with_the_nearest_known_one(tmp_path, typo, key, meant):
    import yaml

    from emoagree.config_check import config_problem
    from emoagree.settings import deep_merge
    user = tmp_path / "study.yaml"
    user.write_text(yaml.safe_dump(typo))
    config = deep_merge(default_config(), typo)
    problem = config_problem(config, load_schema(), [ROOT / "config.yaml", user])
    assert problem.startswith(f"{user}: unknown config key `{key}` (did you mean `{meant}`?)")
    assert "\n" not in problem


def test_level_overrides_keep_taking_any_top_level_key_and_a_valid_config_passes():
    from emoagree.config_check import config_problem
    from emoagree.settings import deep_merge

    config = deep_merge(default_config(), {"level_overrides": {"3": {
        "min_duration_s": 1.0, "audio": {"min_duration_s": 0.5}, "split": {"folds": 3}}}})
    assert config_problem(config, load_schema(), [ROOT / "config.yaml"]) is None
    bad = deep_merge(default_config(), {"corpus": {"tolerance_s": -1}})
    assert config_problem(bad, load_schema(), [ROOT / "config.yaml"]) == (
        f"{ROOT / 'config.yaml'}: config `corpus.tolerance_s`: -1 is less than the minimum of 0")


# 4. misspelled emotions and labels ------------------------------------------------------------

SIX = marks(
    ("r1", "a1", "Angry", 0.0, 1.0), ("r1", "a2", "Happy", 0.0, 1.0),
    ("r2", "a1", "Sad", 0.0, 1.0), ("r2", "a2", "Sad", 0.5, 1.0), ("r2", "a3", "Neutral", 0, 1),
)


def test_a_configured_emotion_without_marks_is_named_with_the_labels_and_the_nearest():
    with pytest.raises(CorpusError) as error:
        check_labels(SIX, ["Angry", "Happy", "Sadd"])
    message = str(error.value)
    # 'Sad' is one letter from 'Sadd': the message names both spellings and the way out
    assert "'Sad' (2 marks) ~ 'Sadd' - which has no marks under its own spelling" in message
    assert "`emotions` in the config" in message
    far = marks(("r1", "a1", "Angry", 0, 1), ("r1", "a2", "Happy", 0, 1),
                ("r2", "a1", "Neutral", 0, 1))
    with pytest.raises(CorpusError) as error:
        check_labels(far, ["Angry", "Happy", "Disgusted"])
    assert ("configured emotion(s) with no marks: 'Disgusted' (nearest label: "
            in str(error.value))
    assert "Labels the corpus has (marks): 'Angry' (1), 'Happy' (1), 'Neutral' (1)" in str(
        error.value)


def test_a_label_one_typo_from_an_emotion_names_annotations_csv_and_its_row(csv_corpus):  # noqa: F811
    rewrite(csv_corpus / "annotations.csv", "r2,a1,Sad,0.0,3.0\nr2,a2,Sad,",
            "r2,a1,Sad,0.0,3.0\nr2,a2,Sda,")
    recordings, annotations = read_corpus("csv", str(csv_corpus))
    with pytest.raises(CorpusError) as error:
        check_labels(annotations, TWO)
    message = str(error.value)
    assert message.startswith(f"{csv_corpus / 'annotations.csv'}: emotion labels that match")
    assert (f"'Sda' (1 marks; first at {csv_corpus / 'annotations.csv'}: data row 4 (line 5)) "
            "~ 'Sad'") in message
    # accepted by corpus.fold_labels or by naming it in corpus.label_map
    folded, _ = check_labels(annotations, TWO, fold_labels=True)
    assert list(folded["emotion"]) == ["Angry", "Angry", "Sad", "Sad"]
    mapped, _ = check_labels(annotations, TWO, label_map={"Sda": "Sad"})
    assert list(mapped["emotion"]) == ["Angry", "Angry", "Sad", "Sad"]


def test_label_map_can_declare_a_near_label_a_category_of_its_own_and_refuses_non_emotions():
    mad = marks(("r1", "a1", "Angry", 0, 1), ("r1", "a2", "Sad", 0, 1),
                ("r2", "a1", "Sat", 0, 1))
    with pytest.raises(CorpusError, match="'Sat' .* ~ 'Sad'"):
        check_labels(mad, TWO)
    kept, dropped = check_labels(mad, TWO, label_map={"Sat": None})
    assert dropped.to_dict("records") == [{"label": "Sat", "marks": 1, "recordings": 1}]
    with pytest.raises(CorpusError, match=r"corpus.label_map: 'Sat' is mapped to 'Sadness'"):
        check_labels(mad, TWO, label_map={"Sat": "Sadness"})
    # 'Mad' is not taken for a typo of 'Sad' (another first letter)
    assert check_labels(marks(("r1", "a1", "Angry", 0, 1), ("r1", "a2", "Sad", 0, 1),
                              ("r1", "a3", "Mad", 0, 1)), TWO)[1]["label"].tolist() == ["Mad"]


def test_the_dropped_label_counts_reach_the_console_line_of_the_corpus_job(
    csv_corpus, tmp_path, capfd  # noqa: F811
):
    rewrite(csv_corpus / "annotations.csv", "r2,a2,Sad,0.0,3.005", "r2,a2,Neutral,0.0,3.0")
    assert run_corpus_script(csv_corpus, tmp_path / "out") is None
    console = capfd.readouterr().err
    assert ("corpus: 2 recordings, 4 marks; dropped 1 marks of labels that are no configured "
            "emotion: 1 'Neutral'") in console


# 5. media that is really there ----------------------------------------------------------------

def test_a_silent_wav_is_an_error_naming_file_and_span_unless_accepted(csv_corpus, tmp_path):  # noqa: F811
    write_wav(csv_corpus / "media" / "r2.wav", 3.0, silent=True)
    exit_ = run_corpus_script(csv_corpus, tmp_path / "out")
    assert exit_ is not None and exit_.code == 1
    last = (tmp_path / "out" / "normalize.log").read_text().rstrip().splitlines()[-1]
    assert last.startswith(f"corpus error: {csv_corpus / 'media' / 'r2.wav'}: the audio of "
                           "recording 'r2' is digital silence (peak at most -84 dBFS) over 1 "
                           f"marked stretch(es): 0-3 s ({csv_corpus / 'annotations.csv'}: "
                           "data row 3 (line 4))"), last
    assert "corpus.accept_empty_media: true" in last
    assert run_corpus_script(csv_corpus, tmp_path / "ok", accept_empty_media=True) is None


def test_a_quiet_but_live_wav_passes_and_a_silent_stretch_in_it_is_found(tmp_path):
    import soundfile

    from emoagree.corpus.media import silent_audio

    rate = 8000
    signal = np.random.default_rng(0).normal(0, 10 ** (-60 / 20), 4 * rate)  # -60 dBFS noise
    signal[2 * rate: 3 * rate] = 0.0  # one second of digital silence
    soundfile.write(tmp_path / "q.wav", signal.astype(np.float32), rate, subtype="PCM_16")
    recordings = pd.DataFrame({"recording": ["q"], "audio_path": [str(tmp_path / "q.wav")]})
    quiet = marks(("q", "a1", "Sad", 0.0, 2.0), ("q", "a2", "Sad", 3.0, 4.0))
    assert silent_audio(recordings, quiet) == []
    gap = marks(("q", "a1", "Sad", 0.0, 2.0), ("q", "a2", "Sad", 2.1, 2.9))
    (problem,) = silent_audio(recordings, gap)
    assert "over 1 marked stretch(es): 2.1-2.9 s" in problem


def test_mixed_sample_rates_are_said_once_with_how_they_are_handled(csv_corpus, tmp_path, capfd):  # noqa: F811
    write_wav(csv_corpus / "media" / "r2.wav", 3.0, sample_rate=16000)
    assert run_corpus_script(csv_corpus, tmp_path / "out") is None
    console = capfd.readouterr().err
    assert console.count("sample rates") == 1
    assert ("2 sample rates: 8000 Hz (1 recording(s), e.g. r1), 16000 Hz (1 recording(s), "
            "e.g. r2). Each file's features are computed at its own rate, not resampled") in console


def test_a_marked_stretch_without_a_decodable_frame_is_named(csv_corpus):  # noqa: F811
    from emoagree.corpus.media import frameless_video

    video = str(csv_corpus / "media" / "r1.mov")  # 2 s at 25 fps
    recordings = pd.DataFrame({"recording": ["r1"], "video_path": [video], "fps": [25.0]})
    assert frameless_video(recordings, marks(("r1", "a1", "Angry", 0.5, 1.9))) == []
    (problem,) = frameless_video(recordings, marks(("r1", "a1", "Angry", 0.5, 1.9),
                                                   ("r1", "a2", "Angry", 2.2, 2.6)))
    assert problem.startswith(f"{video}: no frame of the video of recording 'r1' decodes in 1 "
                              "marked stretch(es): 2.2-2.6 s")


# 6. recordings without marks -------------------------------------------------------------------

def test_recordings_without_marks_are_listed_in_the_log_and_table_1(csv_corpus, tmp_path, capfd):  # noqa: F811
    write_wav(csv_corpus / "media" / "r3.wav", 2.0)
    with open(csv_corpus / "recordings.csv", "a") as handle:
        handle.write("r3,carl,S1,media/r3.wav,,,,train\n")
    rewrite(csv_corpus / "annotations.csv", "r2,a2,Sad,0.0,3.005", "r2,a2,Sad,0.0,3.0\n"
            "r3,a1,Neutral,0.0,1.0")
    assert run_corpus_script(csv_corpus, tmp_path / "out", planned=["r1", "r2", "r3"]) is None
    note = "1 recording(s) have no marks of a configured emotion and appear in no level: r3"
    assert note in capfd.readouterr().err
    assert note in (tmp_path / "out" / "normalize.log").read_text()
    from emoagree.corpus.checks import unmarked_notes

    assert unmarked_notes(tmp_path / "out" / "unmarked_recordings.csv") == [note]


# 7. the right message first ----------------------------------------------------------------------

def test_a_header_only_annotations_file_is_a_corpus_problem_not_a_level_one(csv_corpus):  # noqa: F811
    (csv_corpus / "annotations.csv").write_text("recording,annotator,emotion,start_s,end_s\n")
    config = {"corpus": {"format": "csv", "path": str(csv_corpus)}}
    with pytest.raises(CorpusError, match=r"annotations.csv: the corpus has no marks \(the "
                                          r"file has a header only\)"):
        plan_marks(corpus_of(config))


def test_a_split_refusal_ends_the_job_with_one_line(tmp_path, capfd):
    from emoagree.contracts.split import write_split  # noqa: F401 (the contract module)

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pd.DataFrame({"recording": ["r1"], "actor": ["a"], "scenario": ["S"], "audio_path": ["x"],
                  "video_path": [""], "duration_s": [3.0], "fps": [np.nan]}).to_csv(
        corpus / "recordings.csv", index=False)
    marks(("r1", "a1", "Angry", 0.0, 1.0), ("r1", "a1", "Sad", 2.0, 3.0)).to_csv(
        corpus / "annotations.csv", index=False)
    fake = types.SimpleNamespace(
        log=[str(tmp_path / "split.log")],
        input=types.SimpleNamespace(recordings=str(corpus / "recordings.csv"),
                                    annotations=str(corpus / "annotations.csv")),
        output=[str(tmp_path / "split.csv")],
        params=types.SimpleNamespace(emotions=TWO, strategy="stratified", unit="segment",
                                     folds=9, test_fraction=0.25, val_fraction=0.25, seed=1,
                                     guard_s=2.0, repeats=1),
    )
    stderr, handlers = sys.stderr, logging.getLogger().handlers[:]
    try:
        with pytest.raises(SystemExit) as exit_:
            runpy.run_path(str(ROOT / "scripts" / "levels_split.py"),
                           init_globals={"snakemake": fake})
    finally:
        sys.stderr = stderr
        logging.getLogger().handlers[:] = handlers
    assert exit_.value.code == 1
    console = capfd.readouterr().err
    assert "Traceback" not in console
    assert console.strip().startswith("split error: split.folds: 9 needs at least 9 split units")
    assert "Traceback" not in (tmp_path / "split.log").read_text()



def run_script(script: str, fake) -> SystemExit | None:
    stderr, handlers = sys.stderr, logging.getLogger().handlers[:]
    try:
        runpy.run_path(str(ROOT / "scripts" / script), init_globals={"snakemake": fake})
        return None
    except SystemExit as exit_:
        return exit_
    finally:
        sys.stderr = stderr
        logging.getLogger().handlers[:] = handlers


def test_a_level_refusal_ends_the_job_with_one_line(tmp_path, capfd):
    from emoagree.contracts.split import write_split
    from emoagree.levels.split import make_split

    recordings = pd.DataFrame({"recording": [f"r{i}" for i in range(4)], "actor": "a",
                               "scenario": "S", "audio_path": "x", "video_path": "",
                               "duration_s": 3.0, "fps": np.nan})
    rows = []
    for i in range(4):  # level 2 holds Angry only: one annotator marks Sad
        rows += [(f"r{i}", "a1", "Angry", 0.0, 1.0), (f"r{i}", "a2", "Angry", 0.0, 1.0),
                 (f"r{i}", "a1", "Sad", 2.0, 3.0)]
    annotations = marks(*rows)
    recordings.to_csv(tmp_path / "recordings.csv", index=False)
    annotations.to_csv(tmp_path / "annotations.csv", index=False)
    split = make_split(annotations, recordings, TWO, "stratified", 0.25, 0.25, 1, unit="recording")
    write_split(split, tmp_path / "split.csv")
    fake = types.SimpleNamespace(
        log=[str(tmp_path / "level2.log")],
        input=types.SimpleNamespace(recordings=str(tmp_path / "recordings.csv"),
                                    annotations=str(tmp_path / "annotations.csv"),
                                    split=str(tmp_path / "split.csv")),
        output=[str(tmp_path / "level2.csv")],
        params=types.SimpleNamespace(level=2, emotions=TWO, min_duration_s=0.0),
    )
    exit_ = run_script("levels_level.py", fake)
    assert exit_ is not None and exit_.code == 1
    console = capfd.readouterr().err
    assert console.strip().startswith("level error: level 2: the training data holds intervals "
                                      "of 1 emotion(s) (Angry;"), console
    assert "Traceback" not in console + (tmp_path / "level2.log").read_text()

# -- the same through the workflow (slow: snakemake runs) ------------------------------------

def audio_corpus(root: Path, seconds: dict[str, float]) -> Path:
    """An audio-only csv corpus: quiet noise per recording, Angry and Sad marks on each."""
    rows, lines = [], []
    for i, (recording, duration) in enumerate(seconds.items()):
        write_wav(root / "media" / f"w{i}.wav", duration)
        rows.append(f"{recording},actor{i % 3},S{i % 2},media/w{i}.wav,,,")
        half = round(duration / 2, 3)
        lines += [f"{recording},a1,Angry,0.0,{half}", f"{recording},a2,Angry,0.1,{half}",
                  f"{recording},a1,Sad,{half},{duration}"]
    (root / "recordings.csv").write_text(
        "recording,actor,scenario,audio_path,video_path,duration_s,fps\n" + "\n".join(rows)
        + "\n")
    (root / "annotations.csv").write_text(
        "recording,annotator,emotion,start_s,end_s\n" + "\n".join(lines) + "\n")
    return root


def run_workflow(workdir: Path, config: dict, *args: str) -> subprocess.CompletedProcess:
    """snakemake on the repo's Snakefile: targets and options first, --configfile last."""
    import yaml

    workdir.mkdir(parents=True, exist_ok=True)
    configfile = workdir.parent / f"{workdir.name}.yaml"
    configfile.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
         "--cores", "1", *args, "--configfile", str(configfile)],
        capture_output=True, text=True, timeout=1500,
    )


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_ids_cannot_reach_other_files_and_every_recording_keeps_its_cache(tmp_path):
    """Finding 1 and 2: ids `..` and `.` are refused before any job; a 20 s recording `g0`
    and ids shaped like shard names keep their own caches, and nothing is written outside
    results/, logs/, benchmarks/ and .snakemake/."""
    from emoagree.shards import recording_caches

    # audio_lstm reads the LLD caches (the classic systems read the wavs)
    study = {"levels": [1], "emotions": ["Angry", "Sad"], "training_arms": [],
             "systems": {"audio": ["audio_lstm"], "video": [], "fusion": []},
             "features": {"shard_media_s": 1200, "own_shard_s": 15, "embedding_media_s": 6000}}
    for bad in ("..", "."):
        corpus = audio_corpus(tmp_path / f"bad{len(bad)}", {"x1": 3.0, bad: 16.0, "x2": 3.0})
        run = run_workflow(tmp_path / f"wd{len(bad)}", study | {
            "corpus": {"format": "csv", "path": str(corpus), "tolerance_s": 0.01}},
            "--until", "audio_lld")
        assert run.returncode == 1
        assert "Traceback" not in run.stderr
        assert (f"emoagree: {corpus / 'recordings.csv'}: data row 2 (line 3): recording id "
                f"{bad!r} names a folder, not a file") in run.stderr, run.stderr
        assert not (tmp_path / f"wd{len(bad)}" / "results").exists()

    ids = {"g0": 16.0, "rec-g0": 3.0, "shard-ring": 3.0, "c1": 3.0, "c2": 2.0, "rec-c1": 16.0}
    corpus = audio_corpus(tmp_path / "corpus", ids)
    before = snapshot(tmp_path)
    workdir = tmp_path / "wd"
    run = run_workflow(workdir, study | {
        "corpus": {"format": "csv", "path": str(corpus), "tolerance_s": 0.01}},
        "--until", "audio_lld")
    assert run.returncode == 0, run.stderr[-3000:]
    after = snapshot(tmp_path)
    changed = {p for p in after if before.get(p) != after[p]}
    allowed = tuple(f"wd/{top}/" for top in ("results", "logs", "benchmarks", ".snakemake"))
    assert changed and all(p.startswith(allowed) or p == "wd.yaml" for p in changed), sorted(
        p for p in changed if not p.startswith(allowed))
    lld = workdir / "results" / "features" / "audio_lld"
    shards = sorted(p.name for p in lld.iterdir())
    assert "rec-g0" in shards and "rec-rec-c1" in shards
    assert all(name.startswith(("rec-", "shard-")) for name in shards)
    caches = recording_caches([lld / name for name in shards])
    assert sorted(caches) == sorted(ids)


@pytest.mark.slow
@pytest.mark.parametrize("typo, line", [
    ({"min_duration": 1.0}, "unknown config key `min_duration` (did you mean `min_duration_s`?)"),
    ({"split": {"fold": 3}}, "unknown config key `split.fold` (did you mean `split.folds`?)"),
])
def test_the_workflow_refuses_a_config_typo_before_any_job_in_one_line(tmp_path, typo, line):
    run = run_workflow(tmp_path / "wd", typo)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "File \"" not in run.stderr
    (message,) = [m for m in run.stderr.splitlines() if m.startswith("emoagree: ")]
    assert message == f"emoagree: {tmp_path / 'wd.yaml'}: {line}" + message.split(line, 1)[1]
    assert not (tmp_path / "wd" / "results").exists()


@pytest.mark.slow
def test_the_workflow_says_no_marks_and_refuses_too_many_folds_in_one_line(tmp_path):
    corpus = audio_corpus(tmp_path / "corpus", {"x1": 3.0, "x2": 3.0})
    study = {"levels": [1, 2], "emotions": ["Angry", "Sad"], "training_arms": [],
             "systems": {"audio": ["audio_lr"], "video": [], "fusion": []},
             "corpus": {"format": "csv", "path": str(corpus), "tolerance_s": 0.01},
             "split": {"strategy": "stratified", "folds": 9, "test_fraction": 0.25,
                       "val_fraction": 0.25}}
    run = run_workflow(tmp_path / "wd", study, "results/corpus/split.csv")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "split error: split.folds: 9 needs at least 9 split units" in run.stderr, run.stderr
    (corpus / "annotations.csv").write_text("recording,annotator,emotion,start_s,end_s\n")
    run = run_workflow(tmp_path / "wd2", study, "-n")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert (f"emoagree: {corpus / 'annotations.csv'}: the corpus has no marks (the file has a "
            "header only)") in run.stderr
    assert "levels up to 0" not in run.stderr


# 8. README and code agree ---------------------------------------------------------------------

def readme_section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(title):]
    return re.sub(r"\n +", " ", section[: section.index("\n#", 1)])  # unwrapped


def test_a_trailing_space_in_a_csv_label_is_read_as_the_readme_says(csv_corpus):  # noqa: F811
    rewrite(csv_corpus / "annotations.csv", "r2,a1,Sad,", "r2,a1,Sad ,")
    _, annotations = read_corpus("csv", str(csv_corpus))
    checked, dropped = check_labels(annotations, TWO)
    assert list(checked["emotion"]) == ["Angry", "Angry", "Sad", "Sad"] and dropped.empty
    corpus = readme_section("## Corpus formats")
    assert "`Sad ` in `annotations.csv` is read as `Sad`" in corpus
    # ... while a label that keeps its inner space is the near-miss error the README names
    with pytest.raises(CorpusError, match="'S ad' .* ~ 'Sad'"):
        check_labels(marks(("r1", "a1", "Angry", 0, 1), ("r1", "a2", "Sad", 0, 1),
                           ("r1", "a3", "S ad", 0, 1)), TWO)


def test_the_readme_states_the_id_rule_the_config_order_and_a_bad_input_table():
    from emoagree.corpus.marks import recording_id_problem

    corpus = readme_section("## Corpus formats")
    assert "use only `A-Z a-z 0-9 _ . -` and do not start with a dot" in corpus
    for refused in ("..", ".", ".hidden", "a/b"):
        assert recording_id_problem(refused)
    assert recording_id_problem("g0") is None and recording_id_problem("a.b-c_1") is None
    runs = readme_section("## Ways to run")
    assert "snakemake results/tables/table1_samples.md --config levels=[1,2]" in runs
    table = readme_section("### Bad input: what you see")
    for cell in ("names a folder, not a file", "did you mean `min_duration_s`?",
                 "did you mean `split.folds`?", "configured emotion(s) with no marks",
                 "~ 'Happy'", "is digital silence (peak at most -84 dBFS)",
                 "2 sample rates", "no frame of the video", "appear in no level",
                 "the corpus has no marks (the file has a header only)",
                 "split error: split.folds: 9 needs at least 9 split units",
                 "dropped 14 marks of labels that are no configured emotion"):
        assert cell in table, cell
