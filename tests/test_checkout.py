"""The package is installed, not put on a path, and a run refuses another checkout's copy.

`make install` installs the checkout editable into .venv; each conda env installs it from
the checkout after creation (envs/<env>.post-deploy.sh). The workflow (common.smk) and
every job (joblog.log_to) check that the package they import is their checkout's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from emoagree import checkout, joblog

ROOT = Path(__file__).resolve().parents[1]
ENV_NAMES = sorted(path.stem for path in (ROOT / "envs").glob("*.yaml"))


def fake_checkout(base: Path) -> Path:
    (base / "scripts").mkdir(parents=True)
    (base / "scripts" / "job.py").write_text("")
    (base / "src" / "emoagree").mkdir(parents=True)
    return base


def test_this_checkout_runs_its_own_package():
    assert checkout.package_dir() == (ROOT / "src" / "emoagree").resolve()
    assert checkout.source_problem(ROOT) is None
    assert checkout.checkout_of_script(ROOT / "scripts" / "levels_split.py") == ROOT.resolve()


def test_a_package_from_another_checkout_is_named_with_the_fix(tmp_path):
    other = fake_checkout(tmp_path / "other")
    problem = checkout.source_problem(other)
    assert problem is not None
    assert str((other / "src" / "emoagree").resolve()) in problem
    assert str(checkout.package_dir()) in problem
    assert f"pip install -e {other}" in problem and "make install" in problem


def test_only_a_checkouts_scripts_are_checked(tmp_path):
    base = fake_checkout(tmp_path / "co")
    assert checkout.checkout_of_script(base / "scripts" / "job.py") == base.resolve()
    (tmp_path / "notebook.py").write_text("")
    assert checkout.checkout_of_script(tmp_path / "notebook.py") is None
    assert checkout.checkout_of_script(ROOT / "tests" / "conftest.py") is None


def test_a_job_of_another_checkout_is_refused_with_its_message(tmp_path, capsys):
    base = fake_checkout(tmp_path / "co")
    with pytest.raises(SystemExit) as stop:
        joblog.check_package_source(str(base / "scripts" / "job.py"))
    assert stop.value.code == 1
    assert f"package error: the emoagree package in use is {checkout.package_dir()}" in (
        capsys.readouterr().err)
    joblog.check_package_source(str(ROOT / "scripts" / "levels_split.py"))  # its own: runs


def test_the_workflow_refuses_a_package_copied_elsewhere(tmp_path):
    copy = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "src" / "emoagree", copy / "emoagree",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(copy))
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-s", str(ROOT / "Snakefile"), "-d",
         str(tmp_path / "run"), "--cores", "1"],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode != 0
    assert f"the emoagree package in use is {(copy / 'emoagree').resolve()}" in result.stderr
    assert f"not this workflow's {(ROOT / 'src' / 'emoagree').resolve()}" in result.stderr


def test_the_workflow_puts_nothing_on_the_import_path():
    for path in [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]:
        text = path.read_text()
        assert "sys.path" not in text and "PYTHONPATH" not in text, path
    assert "os.environ.update({CHECKOUT_VARIABLE: workflow.basedir})" in (
        ROOT / "workflow" / "rules" / "common.smk").read_text()


@pytest.mark.parametrize("name", ENV_NAMES)
def test_every_conda_env_installs_the_package_after_creation(name):
    script = ROOT / "envs" / f"{name}.post-deploy.sh"
    assert script.is_file(), f"envs/{name}.yaml has no post-deploy script"
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    command = re.search(r"^python -m pip install (.+)$", text, re.MULTILINE)
    assert command, text
    assert "--no-deps" in command.group(1) and "--editable" in command.group(1)
    assert f'"${{{checkout.CHECKOUT_VARIABLE}:?' in command.group(1)
    dependencies = yaml.safe_load((ROOT / "envs" / f"{name}.yaml").read_text())["dependencies"]
    assert "pip" in dependencies and "setuptools>=64" in dependencies
