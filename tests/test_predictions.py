"""The prediction contract: the pandas-free arrays and the pandas tables of
emoagree.contracts.predictions write the same bytes and read back the same values."""

import numpy as np
import pytest

from emoagree.contracts.predictions import (
    make_predictions,
    read_arrays,
    read_checked,
    read_predictions,
    write_arrays,
    write_predictions,
)

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]


def sample():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(6), size=5)
    probs[2] = np.nan
    ids = ["b1", "a2", "c3", "a10", "x_5"]
    truth = ["Angry", "Sad", "Happy", "Scared", "Angry"]
    return ids, truth, probs


def test_files_are_byte_identical_and_read_back_the_same(tmp_path):
    ids, truth, probs = sample()
    write_predictions(make_predictions(ids, truth, probs, EMOTIONS), tmp_path / "p.csv", EMOTIONS)
    write_arrays(tmp_path / "a.csv", ids, truth, probs, EMOTIONS)
    assert (tmp_path / "p.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    data = read_arrays(tmp_path / "p.csv", EMOTIONS)
    table = read_predictions(tmp_path / "a.csv", EMOTIONS)
    assert data.interval_ids == list(table["interval_id"]) == ids
    assert data.emotions_true == truth
    np.testing.assert_array_equal(
        np.isnan(data.probs), np.isnan(table.iloc[:, 2:].to_numpy(dtype=float))
    )
    np.testing.assert_allclose(data.probs, table.iloc[:, 2:].to_numpy(dtype=float))


def test_malformed_files_name_the_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("interval_id,emotion,prob_Angry\n")
    with pytest.raises(ValueError, match=r"bad.csv: missing column\(s\) \['prob_Happy'"):
        read_arrays(path, EMOTIONS)
    header = "interval_id,emotion," + ",".join(f"prob_{e}" for e in EMOTIONS)
    path.write_text(header + "\na,Angry,0.5,0.5,0,0,0,0\nb,Sad,x,0.5,0,0,0,0.5\n")
    with pytest.raises(ValueError, match="bad.csv: row 2: could not convert"):
        read_arrays(path, EMOTIONS)
    path.write_text(header + "\na,Angry,1,0,0,0,0,0\na,Sad,1,0,0,0,0,0\n")
    with pytest.raises(ValueError, match="bad.csv: row 2: interval_id 'a' repeated"):
        read_checked(path, EMOTIONS)
    path.write_text(header + "\na,Angry,1,0,0\n")
    with pytest.raises(ValueError, match="row 1: 5 fields, the header has 8"):
        read_arrays(path, EMOTIONS)
