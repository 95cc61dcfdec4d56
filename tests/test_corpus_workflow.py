"""The corpus rule through snakemake, run from a working directory outside the repo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from test_corpus_adapters import RECORDINGS_HEADER, write_video, write_wav

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_corpus_rule_runs_from_any_working_directory(tmp_path):
    workdir = tmp_path / "work"
    corpus = workdir / "my_corpus"
    write_wav(corpus / "a.wav", 2.0)
    write_video(corpus / "a.mov", 2.0, 50)
    write_wav(corpus / "b.wav", 1.0)
    (corpus / "recordings.csv").write_text(
        RECORDINGS_HEADER + "\na,x,S,a.wav,a.mov,,\nb,y,S,b.wav,,1.0,\n"
    )
    (corpus / "annotations.csv").write_text(
        "recording,annotator,emotion,start_s,end_s\na,1,Angry,0,1\nb,1,Sad,0,1\n"
        "b,1,Neutral,0,1\n"
    )
    # Only what differs from the repo's config.yaml: relative paths are from the workdir.
    config = tmp_path / "elsewhere" / "my.yaml"
    config.parent.mkdir()
    # one annotator: only level 1 can exist
    # (a configured emotion without marks is refused: this corpus has Angry and Sad)
    config.write_text("corpus: {format: csv, path: my_corpus}\nlevels: [1]\n"
                      "emotions: [Angry, Sad]\n")
    cwd = tmp_path / "elsewhere"  # neither the repo nor the workdir
    command = [
        sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-d", str(workdir),
        "--configfile", str(config), "--cores", "1",
        # only the corpus stage: rule all also wants every later stage's outputs
        "results/corpus/recordings.csv", "results/corpus/annotations.csv",
    ]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    # the run's log says which sizes apply: a csv corpus starts from the real-corpus defaults
    assert "emoagree: model sizes: config.yaml's defaults for a real corpus (corpus.format csv" \
        in done.stderr

    recordings = pd.read_csv(workdir / "results/corpus/recordings.csv", keep_default_na=False)
    assert list(recordings["recording"]) == ["a", "b"]
    assert list(recordings["audio_path"]) == ["my_corpus/a.wav", "my_corpus/b.wav"]
    assert list(recordings["fps"]) == ["50.0", ""]  # read from the video; none without one
    marks = pd.read_csv(workdir / "results/corpus/annotations.csv")
    assert list(marks["emotion"]) == ["Angry", "Sad", "Neutral"]
    assert (workdir / "logs/corpus/normalize.log").read_text().strip()
    assert not (cwd / "results").exists()

    # A second run has nothing to do (reruns resume).
    again = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1500)
    assert again.returncode == 0
    assert "Nothing to be done" in again.stdout + again.stderr
