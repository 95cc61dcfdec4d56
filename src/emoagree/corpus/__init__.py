"""Corpus adapters: each reads one corpus format into the normalized tables.

``read_corpus(format, path)`` returns ``(recordings, annotations)`` with the columns of
:data:`~emoagree.contracts.corpus.RECORDING_COLUMNS` and
:data:`~emoagree.contracts.corpus.ANNOTATION_COLUMNS`; ``plan_recordings(config)`` lists the
recordings before any job runs; :func:`emoagree.contracts.corpus.write_normalized` writes
the tables. Every problem raises :class:`CorpusError` naming the file, row and
problem.
"""

from __future__ import annotations

import pandas as pd

from emoagree.corpus.csv_adapter import read_csv_corpus
from emoagree.corpus.errors import CorpusError
from emoagree.corpus.marks import DEFAULT_TOLERANCE_S
from emoagree.corpus.plan import plan_recordings
from emoagree.corpus.ramas import read_ramas

#: Formats and their readers; the demo corpus is written in the RAMAS layout and read as one.
READERS = {"demo": read_ramas, "ramas": read_ramas, "csv": read_csv_corpus}


def read_corpus(
    format: str, path: str, *, tolerance_s: float = DEFAULT_TOLERANCE_S
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a corpus into the normalized ``(recordings, annotations)`` tables.

    Args:
        format: ``demo``, ``ramas`` or ``csv``.
        path: the corpus folder.
        tolerance_s: how far past its recording's end a mark may end (it is clipped).
    """
    if format not in READERS:
        raise CorpusError(f"unknown corpus format {format!r} (expected demo, ramas or csv)")
    return READERS[format](str(path), tolerance_s=tolerance_s)


__all__ = [
    "CorpusError",
    "DEFAULT_TOLERANCE_S",
    "plan_recordings",
    "read_corpus",
]
