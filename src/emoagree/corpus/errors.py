"""The one error type of the corpus adapters, and how their messages name rows."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

#: At most this many problems are listed in one error; the rest are counted.
MAX_LISTED_PROBLEMS = 20


class CorpusError(ValueError):
    """A corpus cannot be read: a missing folder or file, or a bad table row.

    The message names the path, and for table problems the row and what is wrong with it.
    """


def row_label(index: int) -> str:
    """How a message names the data row at 0-based position ``index`` of a CSV file.

    Data rows are counted from 1 after the header; the file line number (header = line 1)
    is given too, so both a spreadsheet user and an editor user find the row.
    """
    return f"data row {index + 1} (line {index + 2})"


def raise_problems(path: str | PathLike[str] | None, problems: Sequence[str]) -> None:
    """Raise one :class:`CorpusError` listing every problem found (if any).

    Args:
        path: the file the problems are in, put before each of them; ``None`` when every
            problem already names its own file.
        problems: one line per problem, naming the row and what is wrong.
    """
    if not problems:
        return
    where = str(path) if path is not None else "the corpus"
    listed = list(problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - len(listed)
    lines = [f"{path}: {problem}" if path is not None else problem for problem in listed]
    if more > 0:
        lines.append(f"... and {more} more problem(s) in {where}")
    header = f"{len(problems)} problem(s) in {where}:\n" if len(problems) > 1 else ""
    raise CorpusError(header + "\n".join(lines))
