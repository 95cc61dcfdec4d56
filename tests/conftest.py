"""Fixtures shared by test files, and how pytest-xdist groups the tests."""

import importlib.util
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


@pytest.fixture
def restore_stderr():
    """Gives back the stderr and root logging that a test's log_to (a job's log) replaced."""
    import logging

    stderr, handlers = sys.stderr, logging.getLogger().handlers[:]
    level = logging.getLogger().level
    logging.captureWarnings(False)  # a script run by an earlier test may have left it on
    yield
    if sys.stderr is not stderr:
        sys.stderr.close()
    sys.stderr = stderr
    logging.getLogger().handlers[:] = handlers
    logging.getLogger().setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture(scope="session")
def reported_study(tmp_path_factory):
    """A finished tiny study (synthetic RAMAS-format predictions, levels 1-3, audio_lr,
    video_effnet and their fusion) with its HTML report: the study directory."""
    root = tmp_path_factory.mktemp("reported_study")
    write_study(root, corpus_format="ramas")
    for args in ([], ["--report", "results/report.html"]):
        result = subprocess.run([SNAKEMAKE, "--cores", "2", *args], cwd=root,
                                capture_output=True, text=True, timeout=1500)
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


# Parallel runs: `make test` runs the suite on pytest-xdist workers (`-n 2 --dist loadscope`)
# with the scheduler below: a test file is one work unit, so its module fixtures (a finished
# tiny study, ...) are built once, and the files that read the session's finished study
# (`reported_study`) are one unit. (xdist's own `loadgroup` marks do not group under pytest 9,
# whose node ids ignore the suffix xdist adds.) Units are handed out longest first, so that
# no long study starts last while the other worker idles: the order of the longest groups
# below was measured with `pytest --durations=60` (the SLURM study about a third of the
# suite, then the shared study, the tiny study, ...); the other files follow by their
# number of end-to-end (slow) tests.
SHARED_STUDY_FILES = {"test_report.py", "test_figures.py", "test_methods.py", "test_browser.py"}
LONGEST_GROUPS = [
    "test_slurm.py", "reported_study", "test_study.py", "test_folds.py", "test_repeats.py",
    "test_clip_workflow.py", "test_rule_params.py", "test_functionals_workflow.py",
    "test_bad_input.py", "test_levels_workflow.py", "test_arms_workflow.py",
]


def test_group_of(nodeid: str) -> str:
    """The work unit of a test: its file, or ``reported_study`` for the shared study's files."""
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return "reported_study" if name in SHARED_STUDY_FILES else name


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    slow: dict[str, int] = {}
    for item in items:
        group = test_group_of(item.nodeid)
        slow[group] = slow.get(group, 0) + (1 if item.get_closest_marker("slow") else 0)

    def order(item):
        group = test_group_of(item.nodeid)
        if group in LONGEST_GROUPS:
            return (0, LONGEST_GROUPS.index(group))
        return (1, -slow[group])

    # a stable sort keeps each group's tests in file order
    items.sort(key=order)


if importlib.util.find_spec("xdist") is not None:
    from xdist.scheduler import LoadScopeScheduling

    class TestGroupScheduling(LoadScopeScheduling):
        """xdist's scope scheduling with :func:`test_group_of` as the scope."""

        def _split_scope(self, nodeid: str) -> str:
            return test_group_of(nodeid)

    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "loadscope":
            return TestGroupScheduling(config, log)
        return None
