"""A job's log (emoagree.joblog.log_to, what every script calls) and the atomic cache write
(emoagree.atomic.save_npz_atomic, what every feature cache goes through)."""

import logging
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from emoagree.atomic import save_npz_atomic
from emoagree.joblog import log_to

ROOT = Path(__file__).resolve().parents[1]


def test_log_to_sends_prints_logging_and_warnings_to_the_log(tmp_path, restore_stderr):
    path = tmp_path / "logs" / "job.log"
    path.parent.mkdir()
    stream = log_to(str(path))
    assert stream is sys.stderr
    print("a printed note", file=sys.stderr)
    logging.getLogger("emoagree.some.module").info("%d intervals", 12)
    warnings.warn("a library's warning", UserWarning, stacklevel=1)
    lines = path.read_text().splitlines()
    assert lines[0] == "a printed note"
    assert re.fullmatch(r".+ INFO emoagree\.some\.module: 12 intervals", lines[1])
    assert any("WARNING py.warnings" in line and "a library's warning" in line for line in lines)


def test_log_to_keeps_font_subsetting_chatter_out_and_its_warnings_in(tmp_path, restore_stderr):
    path = tmp_path / "job.log"
    levels = {name: logging.getLogger(name).level for name in ("fontTools", "matplotlib", "PIL")}
    log_to(str(path))
    try:
        print("Figure 1 shows recording r1", file=sys.stderr)
        logging.getLogger("fontTools.subset").info("maxp pruned")
        logging.getLogger("fontTools.subset").warning("glyph missing")
        lines = path.read_text().splitlines()
        # a figure script's log starts with what it says of the figure
        assert lines[0] == "Figure 1 shows recording r1"
        assert not any("pruned" in line for line in lines)
        assert any("WARNING fontTools.subset: glyph missing" in line for line in lines)
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_every_script_logs_through_log_to():
    scripts = sorted((ROOT / "scripts").glob("*.py"))
    assert len(scripts) > 30
    for script in scripts:
        text = script.read_text()
        assert "log_to(snakemake.log[0])" in text, script.name
        assert "open(snakemake.log" not in text and "basicConfig" not in text, script.name


@pytest.mark.parametrize("compressed", [False, True])
def test_save_npz_atomic_writes_the_arrays_and_leaves_no_temporary(tmp_path, compressed):
    path = tmp_path / "shard" / "rec1.npz"
    crops = np.zeros((40, 32, 32, 3), np.uint8)
    save_npz_atomic(path, compressed=compressed, crops=crops, fps=np.float64(25.0))
    with np.load(path) as data:
        assert data["crops"].shape == (40, 32, 32, 3) and float(data["fps"]) == 25.0
    assert [p.name for p in path.parent.iterdir()] == ["rec1.npz"]
    uncompressed = tmp_path / "plain.npz"
    save_npz_atomic(uncompressed, crops=crops)
    assert (path.stat().st_size < uncompressed.stat().st_size) == compressed


def test_save_npz_atomic_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "rec1.npz"
    save_npz_atomic(path, values=np.arange(3))
    with pytest.raises(ValueError, match="cannot be written"):
        save_npz_atomic(path, values=np.arange(5), broken=_Unwritable())
    with np.load(path) as data:
        assert data["values"].tolist() == [0, 1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["rec1.npz"]


class _Unwritable:
    """An array-like that numpy cannot turn into an array: the write fails half-way."""

    def __array__(self, *args, **kwargs):
        raise ValueError("cannot be written")
