"""Table 1: counts, means and alpha per level; the paper's values beside them for RAMAS."""

import logging

import pandas as pd
import pytest

from emoagree.report.table1 import PAPER_TABLE1, table1, to_markdown, write_table1


def level(split_counts, duration=2.0):
    splits = [part for part, n in split_counts.items() for _ in range(n)]
    return pd.DataFrame({"split": splits, "duration_s": [duration] * len(splits)})


def test_counts_means_and_alpha_per_level():
    levels = {
        1: level({"train": 5, "val": 2, "test": 3}, 3.0),
        2: level({"train": 2, "test": 1}, 1.5),
    }
    alphas = {1: {"alpha": 0.5}, 2: {"alpha": None}}
    table = table1(levels, alphas)
    assert table["level"].tolist() == [1, 2]
    assert table[["train", "val", "test", "total"]].values.tolist() == [[5, 2, 3, 10], [2, 0, 1, 3]]
    assert table["mean_duration_s"].tolist() == [3.0, 1.5]
    assert table["alpha"].iloc[0] == 0.5 and pd.isna(table["alpha"].iloc[1])
    assert "paper_train" not in table.columns


def test_paper_values_and_warning_on_total_difference(tmp_path, caplog):
    # level 1 matches the paper's 2448 + 286 = 2734 within 5 %; level 2 (1854) is 10 % off
    levels = {
        1: level({"train": 2300, "val": 150, "test": 300}),
        2: level({"train": 1500, "val": 100, "test": 68}),
    }
    alphas = {1: {"alpha": 0.7}, 2: {"alpha": 0.8}}
    with caplog.at_level(logging.WARNING):
        table = write_table1(levels, alphas, tmp_path / "t.csv", tmp_path / "t.md", True)
    assert table["paper_train"].tolist() == [2448, 1632]
    assert table["paper_test"].tolist() == [286, 222]
    assert table["paper_alpha"].tolist() == [0.73, 0.81]
    assert table["total_diff"].iloc[0] == pytest.approx(2750 / 2734 - 1)
    warnings = [r.message for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("level 2: 1668 intervals")
    md = (tmp_path / "t.md").read_text()
    assert "**Warning:** level 2" in md and "level 1:" not in md
    assert "| 1 | 2300 | 150 | 300 | 2750 | 2.00 | 0.70 | 2448 | 286 | 0.73 | +0.6% |" in md
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["total"].tolist() == [2750, 1668]


def test_markdown_marks_undefined_values():
    table = table1({1: level({"train": 1})}, {1: {"alpha": None}})
    assert "| 1 | 1 | 0 | 0 | 1 | 2.00 | – |" in to_markdown(table)


def test_paper_table_is_the_papers():
    assert [PAPER_TABLE1[k][0] for k in range(1, 6)] == [2448, 1632, 1462, 1369, 1130]
    assert [PAPER_TABLE1[k][1] for k in range(1, 6)] == [286, 222, 236, 254, 243]


def test_fold_counts_are_means_over_the_folds_and_the_notes_name_the_protocol(tmp_path):
    # 9 intervals in 3 folds of sizes 2, 3, 4: each fold's test is its own fold, val the next
    folds = [0] * 2 + [1] * 3 + [2] * 4
    table = pd.DataFrame({"split": "test", "fold": folds, "duration_s": 1.0})
    result = write_table1(
        {1: table}, {1: {"alpha": 0.5}}, tmp_path / "t.csv", tmp_path / "t.md",
        folds=3, protocol="split unit: segment; 3-fold cross-validation",
    )
    # test: (2 + 3 + 4) / 3 = 3; val: (3 + 4 + 2) / 3 = 3; train: (4 + 2 + 3) / 3 = 3
    assert result[["train", "val", "test", "total"]].values.tolist() == [[3.0, 3.0, 3.0, 9]]
    md = (tmp_path / "t.md").read_text()
    assert "| 1 | 3.0 | 3.0 | 3.0 | 9 | 1.00 | 0.50 |" in md
    assert "Split: split unit: segment; 3-fold cross-validation." in md
    assert "means over the 3 folds" in md
