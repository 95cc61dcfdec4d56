"""Reading corpus CSV files so that every problem can name its file, row and column."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import pandas as pd

from emoagree.corpus.errors import CorpusError, raise_problems, row_label

DECIMAL_COMMA = r"^([-+]?\d+),(\d+)$"


def read_rows(path: str, required: Sequence[str], *, sniff: bool = False) -> pd.DataFrame:
    """Read a CSV file as text cells, checking that it exists and has ``required`` columns.

    Cells stay strings (empty cells are ``""``), header names are stripped of spaces, and
    fully empty lines are dropped while the index keeps each row's 0-based position among
    the data rows, so :func:`~emoagree.corpus.errors.row_label` still names the right line.

    Args:
        path: the CSV file.
        required: columns that must be present.
        sniff: detect the delimiter (``,`` ``;`` or tab) instead of assuming ``,``; used for
            the files of a distributed corpus, whose exact dialect we do not control.
    """
    if not os.path.isfile(path):
        raise CorpusError(f"{path}: file not found")
    try:
        table = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            sep=None if sniff else ",",
            engine="python" if sniff else "c",
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError as error:
        raise CorpusError(f"{path}: the file is empty (no header line)") from error
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise CorpusError(f"{path}: cannot parse the CSV file ({error})") from error
    table.columns = [str(column).strip() for column in table.columns]
    missing = [column for column in required if column not in table.columns]
    if missing:
        raise CorpusError(
            f"{path}: line 1 (header): missing column(s) {', '.join(missing)}; "
            f"found {', '.join(table.columns) or 'none'}"
        )
    # The python parser (used to sniff) gives NaN, not "", for the cells of blank lines.
    table = table.fillna("").apply(lambda column: column.astype(str).str.strip())
    table = table[(table != "").any(axis=1)]
    return table


def numeric_column(
    table: pd.DataFrame, column: str, problems: list[str], *, allow_empty: bool = False
) -> pd.Series:
    """Parse one text column as floats, adding a problem per cell that is not a number.

    Empty cells become NaN; they are a problem unless ``allow_empty``. A decimal comma
    (``0,5``, as spreadsheets in many locales write with a ``;`` delimiter) reads as a point.
    """
    text = table[column].str.replace(DECIMAL_COMMA, r"\1.\2", regex=True)
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    values = values.astype(float)
    for index, text in table[column].items():
        value = values.loc[index]
        if text == "":
            if not allow_empty:
                problems.append(f"{row_label(index)}: {column} is empty")
        elif not math.isfinite(value):
            problems.append(f"{row_label(index)}: {column} {text!r} is not a finite number")
    return values


def check(path: str, problems: list[str]) -> None:
    """Raise the problems collected for ``path``, if any."""
    raise_problems(path, problems)
