"""A system's cross-evaluation table: ``results/tables/crosseval/{system}.csv``, its one
reader and writer.

One row per train row (``train_level``: an agreement level, or a training arm's row
name such as ``Mw``), one column per test level and ``mean``: UAR in percent
(:func:`emoagree.report.tables.crosseval_frame`). The report's figures, tables and answer
read it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from emoagree.contracts._tables import check_columns

if TYPE_CHECKING:
    import pandas as pd

#: The index column (train rows); the columns the readers need.
INDEX_COLUMN = "train_level"
REQUIRED_COLUMNS = ("mean",)


def write_crosseval(frame: pd.DataFrame, path: str | Path) -> None:
    """Write the table with its index (named :data:`INDEX_COLUMN`) as the first column."""
    if frame.index.name != INDEX_COLUMN:
        raise ValueError(f"cross-evaluation table for {path}: index is not {INDEX_COLUMN!r}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path)


def read_crosseval(path: str | Path) -> pd.DataFrame:
    """The table indexed by train row.

    Raises:
        ContractError: naming the file and a missing column.
    """
    import pandas as pd

    check_columns(path, pd.read_csv(path, nrows=0).columns, (INDEX_COLUMN, *REQUIRED_COLUMNS))
    return pd.read_csv(path, index_col=INDEX_COLUMN)
