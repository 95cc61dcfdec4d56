"""The normalized corpus: its one reader and writer.

Every corpus adapter's tables are written here, by the corpus stage, and read here by
every later stage:

- ``results/corpus/recordings.csv``: one row per recording (one speaker's view),
  :data:`RECORDING_COLUMNS` then those of :data:`OPTIONAL_RECORDING_COLUMNS` present;
- ``results/corpus/annotations.csv``: one row per raw annotator mark,
  :data:`ANNOTATION_COLUMNS`;
- the corpus stage's notes for Table 1: ``dropped_labels.csv`` (:data:`DROPPED_COLUMNS`,
  marks per label that is not a configured emotion) and ``unmarked_recordings.csv``
  (:data:`UNMARKED_COLUMNS`, recordings without a mark of a configured emotion).

Identifiers (:data:`TEXT_COLUMNS`) are read as strings so that ids like ``007`` keep their
zeros; times are floats written at full precision.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from emoagree.contracts._tables import read_table, write_table

if TYPE_CHECKING:
    import pandas as pd

#: Columns of ``recordings.csv``, in order.
RECORDING_COLUMNS = (
    "recording",
    "actor",
    "scenario",
    "audio_path",
    "video_path",
    "duration_s",
    "fps",
)

#: Optional columns of ``recordings.csv``, written after the required ones when present:
#: ``session`` (views that share one clock, e.g. both actors of a RAMAS dialogue; default:
#: the recording itself) and ``split`` (a corpus's own partition, for ``strategy: corpus``).
OPTIONAL_RECORDING_COLUMNS = ("session", "split")

#: The columns a reader of ``recordings.csv`` needs at least.
REQUIRED_RECORDING_COLUMNS = ("recording", "actor", "scenario")

#: Columns of ``annotations.csv`` (one row per raw annotator mark).
ANNOTATION_COLUMNS = ("recording", "annotator", "emotion", "start_s", "end_s")

#: Columns of ``dropped_labels.csv``.
DROPPED_COLUMNS = ("label", "marks", "recordings")

#: Columns of ``unmarked_recordings.csv``.
UNMARKED_COLUMNS = ("recording",)

#: Columns read as strings (the others are numbers: times, duration, fps, counts).
TEXT_COLUMNS = (
    "recording",
    "annotator",
    "actor",
    "scenario",
    "session",
    "split",
    "emotion",
    "audio_path",
    "video_path",
    "label",
)


def recording_columns(recordings: pd.DataFrame) -> list[str]:
    """The columns ``recordings.csv`` gets from ``recordings``: the required ones, then the
    optional ones it has."""
    optional = [c for c in OPTIONAL_RECORDING_COLUMNS if c in recordings.columns]
    return [*RECORDING_COLUMNS, *optional]


def write_normalized(
    recordings: pd.DataFrame, annotations: pd.DataFrame, out_dir: str
) -> tuple[str, str]:
    """Write ``recordings.csv`` and ``annotations.csv`` (contract columns) into ``out_dir``.

    Returns:
        The two paths written.
    """
    paths = (os.path.join(out_dir, "recordings.csv"), os.path.join(out_dir, "annotations.csv"))
    write_table(recordings, paths[0], recording_columns(recordings))
    write_table(annotations, paths[1], ANNOTATION_COLUMNS)
    return paths


def read_recordings(path: str | Path) -> pd.DataFrame:
    """``recordings.csv`` (needs at least recording, actor, scenario)."""
    return read_table(path, REQUIRED_RECORDING_COLUMNS, TEXT_COLUMNS)


def read_annotations(path: str | Path) -> pd.DataFrame:
    """``annotations.csv``: one row per raw mark."""
    return read_table(path, ANNOTATION_COLUMNS, TEXT_COLUMNS)


def write_dropped(table: pd.DataFrame, path: str | Path) -> None:
    """``dropped_labels.csv``: marks and recordings per dropped label."""
    write_table(table, path, DROPPED_COLUMNS)


def read_dropped(path: str | Path) -> pd.DataFrame:
    return read_table(path, DROPPED_COLUMNS, TEXT_COLUMNS)


def write_unmarked(unmarked: Sequence[str], path: str | Path) -> None:
    """``unmarked_recordings.csv``: the recordings without a mark of a configured emotion."""
    import pandas as pd

    write_table(pd.DataFrame({"recording": list(unmarked)}, columns=list(UNMARKED_COLUMNS)),
                path, UNMARKED_COLUMNS)


def read_unmarked(path: str | Path) -> list[str]:
    return list(read_table(path, UNMARKED_COLUMNS, TEXT_COLUMNS)["recording"])
