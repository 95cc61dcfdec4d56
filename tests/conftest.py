"""Fixtures shared by test files."""

import subprocess
import sys
from pathlib import Path

import pytest
from levels_fixtures import make_corpus
from synthetic import write_study

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.levels.build import level_table
from emoagree.levels.split import make_split

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


@pytest.fixture(scope="session")
def reported_study(tmp_path_factory):
    """A finished tiny study (synthetic RAMAS-format predictions, levels 1-3, audio_lr,
    video_effnet and their fusion) with its HTML report: the study directory."""
    root = tmp_path_factory.mktemp("reported_study")
    write_study(root, corpus_format="ramas")
    for args in ([], ["--report", "results/report.html"]):
        result = subprocess.run([SNAKEMAKE, "--cores", "2", *args], cwd=root,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def corpus_levels():
    """A small synthetic corpus (seed 2) and its level tables 1-5 (one stratified split,
    20 % test and 20 % validation): (annotations, {level: table})."""
    emotions = list(DEFAULT_EMOTIONS)
    recordings, annotations = make_corpus(seed=2)
    split = make_split(annotations, recordings, emotions, "stratified", 0.2, 0.2, 1)
    levels = {k: level_table(annotations, recordings, k, split, emotions) for k in range(1, 6)}
    return annotations, levels
