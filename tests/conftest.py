"""Fixtures shared by test files."""

import subprocess
import sys
from pathlib import Path

import pytest
from synthetic import write_study

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
