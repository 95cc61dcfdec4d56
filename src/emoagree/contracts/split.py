"""The split: ``results/corpus/split.csv``, its one reader and writer.

The split is fixed once, on the level-1 intervals (:func:`emoagree.levels.split.make_split`),
and every level's table inherits it. ``split.csv`` is an interval table
(:data:`~emoagree.contracts.levels.INTERVAL_COLUMNS`, ``level`` 1) whose ``split``,
``unit`` and ``fold`` say each level-1 interval's part, split unit and test fold; with
``split.repeats`` R > 1 the columns ``fold_r1 .. fold_r<R-1>`` follow, each holding the
global id (``r * K + f``) of the fold that tests the interval in repeat r
(:mod:`emoagree.levels.folds`). Its dtypes are the level tables'.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emoagree.contracts import levels
from emoagree.contracts.levels import INTERVAL_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

#: Columns of ``split.csv`` (then the repeats' ``fold_r<r>``).
SPLIT_COLUMNS = INTERVAL_COLUMNS


def write_split(split: pd.DataFrame, path: str | Path) -> None:
    """Write ``split.csv``: the contract's columns, then the repeats' fold columns."""
    levels.write_level(split, path)


def read_split(path: str | Path, required: Sequence[str] = SPLIT_COLUMNS) -> pd.DataFrame:
    """``split.csv``, typed (``required``: the columns the caller needs; default all).

    Raises:
        ContractError: naming the file and the missing columns.
    """
    return levels.read_level(path, required)


def read_rows(path: str | Path, required: Sequence[str] = ()) -> tuple[list[str], list[dict]]:
    """``split.csv``'s header and rows (dicts of strings), read without pandas."""
    return levels.read_rows(path, required)


def repeat_columns(columns: Sequence[str]) -> list[str]:
    """The split repeats' fold columns among ``columns`` (``fold_r1, fold_r2, ...``)."""
    return levels.repeat_columns(columns)
