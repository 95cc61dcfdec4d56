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

from emoagree.corpus import CorpusError, read_corpus
from emoagree.corpus.labels import (
    check_labels,
    check_level_emotions,
    dropped_notes,
    write_dropped,
)
from emoagree.corpus.plan import check_levels, max_annotators, plan_marks
from emoagree.report.table1 import write_table1

ROOT = Path(__file__).resolve().parents[1]
EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]


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
        check_labels(LOOSE, EMOTIONS)
    message = str(error.value)
    assert "'angry' (1 marks) ~ 'Angry'" in message
    assert "'Sad ' (1 marks) ~ 'Sad'" in message
    assert "corpus.fold_labels: true" in message


def test_fold_labels_reads_them_as_the_emotion_and_every_dropped_label_is_counted(
    tmp_path, caplog
):
    with caplog.at_level(logging.INFO, logger="emoagree.corpus.labels"):
        folded, dropped = check_labels(LOOSE, EMOTIONS, fold_labels=True)
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
    annotators = max_annotators(config, plan_marks(config))
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
        capture_output=True, text=True, timeout=300,
    )
    assert run.returncode != 0
    assert "level(s) 7 cannot exist: at most 2 annotator(s)" in run.stderr + run.stdout


def test_a_corpus_left_with_one_emotion_is_refused():
    one = marks(("r1", "a1", "Angry", 0.0, 1.0), ("r1", "a2", "Neutral", 0.0, 1.0))
    with pytest.raises(CorpusError, match=r"marks of 1 configured emotion\(s\) \(Angry;"):
        check_labels(one, EMOTIONS)


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

def run_corpus_script(corpus: Path, out: Path):
    """scripts/corpus_normalize.py with a stand-in for the object Snakemake injects."""
    out.mkdir(parents=True, exist_ok=True)
    fake = types.SimpleNamespace(
        log=[str(out / "normalize.log")],
        params=types.SimpleNamespace(format="csv", path=str(corpus), tolerance_s=0.01,
                                     planned=["r1", "r2"], emotions=EMOTIONS,
                                     fold_labels=False),
        output=types.SimpleNamespace(recordings=str(out / "recordings.csv"),
                                     annotations=str(out / "annotations.csv"),
                                     dropped=str(out / "dropped_labels.csv")),
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
