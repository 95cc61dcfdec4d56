"""What the csv contracts share: the column check and the typed pandas read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class ContractError(ValueError):
    """A contract file that breaks its contract (names the file and what is wrong)."""


def check_columns(path: str | Path, present: Iterable[str], required: Sequence[str]) -> None:
    """Raise :class:`ContractError` naming ``path`` and the required columns it lacks."""
    have = set(present)
    missing = [c for c in required if c not in have]
    if missing:
        raise ContractError(f"{path}: missing column(s) {missing}")


def read_table(
    path: str | Path, required: Sequence[str], text_columns: Sequence[str]
) -> pd.DataFrame:
    """A csv table with ``required`` columns checked; ``text_columns`` (those present) are
    read as strings with empty cells kept empty (ids like ``007`` keep their zeros), the
    other columns with empty cells as NaN and nothing else taken for missing."""
    import pandas as pd

    header = pd.read_csv(path, nrows=0).columns
    check_columns(path, header, required)
    dtypes = {c: str for c in text_columns if c in header}
    return pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values={c: [""] for c in header if c not in dtypes},
    )


def write_table(table: pd.DataFrame, path: str | Path, columns: Sequence[str], **options) -> None:
    """Write ``table[columns]`` without its index (``options``: ``to_csv``'s formatting)."""
    check_columns(f"table for {path}", table.columns, columns)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table[list(columns)].to_csv(path, index=False, **options)
