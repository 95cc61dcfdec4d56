"""The level tables: their one reader and writer.

- ``results/corpus/levels/level{k}.csv``: the intervals of agreement level k, what every
  model, fusion and evaluation job of that level reads;
- ``results/corpus/intervals.csv``: every level's intervals in one table (for people and
  tables; no rule downstream reads it);
- ``results/corpus/arms/{arm}.csv``: the level-1 intervals with a training arm's columns
  (``weight``, ``target_<Emotion>``, ``max_level``; :mod:`emoagree.levels.arms`), read as
  a level table by the models.

Every one holds :data:`INTERVAL_COLUMNS`, then the split repeats' fold columns
``fold_r1 .. fold_r<R-1>`` where ``split.repeats`` R > 1 (the split's, see
:mod:`emoagree.contracts.split`), then (arm tables) the arm's columns. Identifiers
(:data:`TEXT_COLUMNS`) are read as strings so that ids like ``007`` keep their zeros; times
are floats written at full precision.

Two readers: :func:`read_level` (pandas, typed) and :func:`read_rows` (plain strings, no
pandas: the evaluation and fusion jobs are many and short).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emoagree.contracts._tables import check_columns, read_table, write_table

if TYPE_CHECKING:
    import pandas as pd

#: Columns of an interval table, in order. ``session`` is the session of the interval's
#: recording (:func:`emoagree.levels.units.sessions_of`): the views that share one clock,
#: the cluster a bootstrap of the study resamples.
INTERVAL_COLUMNS = (
    "interval_id",
    "recording",
    "actor",
    "scenario",
    "session",
    "emotion",
    "level",
    "start_s",
    "end_s",
    "duration_s",
    "split",
    "unit",
    "fold",
)

#: The columns the model stages (audio, video) read from a level table.
MODEL_COLUMNS = ("interval_id", "recording", "emotion", "start_s", "end_s", "split")

#: Integer columns (and every split repeat's ``fold_r<r>``); the times in seconds are
#: floats, and every other contract column is read as a string.
INT_COLUMNS = ("level", "fold")
FLOAT_COLUMNS = ("start_s", "end_s", "duration_s")
TEXT_COLUMNS = tuple(c for c in INTERVAL_COLUMNS if c not in INT_COLUMNS + FLOAT_COLUMNS)


def repeat_columns(columns: Sequence[str]) -> list[str]:
    """The split repeats' fold columns among ``columns`` (``fold_r1, fold_r2, ...``)."""
    from emoagree.levels.folds import repeat_columns as repeats

    return repeats(list(columns))


def table_columns(table: pd.DataFrame, extra: Sequence[str] = ()) -> list[str]:
    """The columns an interval table is written with: the contract's, the repeats', then
    ``extra``."""
    return [*INTERVAL_COLUMNS, *repeat_columns(table.columns), *extra]


def read_level(path: str | Path, required: Sequence[str] = INTERVAL_COLUMNS) -> pd.DataFrame:
    """An interval table (a level's, ``intervals.csv``, an arm's or ``split.csv``), typed.

    Args:
        path: the table.
        required: the columns the caller needs (default: all of the contract's); the
            contract's dtypes apply to every one present.

    Raises:
        ContractError: naming the file and the missing columns, or repeat columns that do
            not run 1..R-1.
    """
    table = read_table(path, required, TEXT_COLUMNS)
    try:
        repeated = repeat_columns(table.columns)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    dtypes = {
        **{c: int for c in INT_COLUMNS if c in table.columns},
        **{c: float for c in FLOAT_COLUMNS if c in table.columns},
        **dict.fromkeys(repeated, int),
    }
    return table.astype(dtypes) if dtypes else table


def write_level(table: pd.DataFrame, path: str | Path) -> None:
    """Write an interval table (a level's, ``intervals.csv``): the contract's columns in
    order, then the split repeats' fold columns."""
    write_table(table, path, table_columns(table))


def write_arm_table(table: pd.DataFrame, path: str | Path, arm_columns: Sequence[str]) -> None:
    """Write an arm's table: a level table's columns, then ``arm_columns``.

    The table keeps its own column order (the level-1 table's, then the arm's), which
    must be the contract's."""
    columns = table_columns(table, arm_columns)
    if list(table.columns) != columns:
        raise ValueError(f"arm table for {path}: columns {list(table.columns)}, not {columns}")
    write_table(table, path, columns)


def read_rows(path: str | Path, required: Sequence[str] = ()) -> tuple[list[str], list[dict]]:
    """An interval table's header and rows (dicts of strings), read without pandas.

    Raises:
        ContractError: naming the file and the ``required`` columns it lacks.
    """
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        check_columns(path, header, required)
        return header, list(reader)
