"""Reading and writing the normalized corpus tables and the interval tables as csv.

Identifiers (recording, annotator, actor, scenario, split) are read as strings so that ids
like ``007`` keep their zeros; times are floats written at full precision.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from emoagree.constants import ANNOTATION_COLUMNS, INTERVAL_COLUMNS

ID_COLUMNS = (
    "recording",
    "annotator",
    "actor",
    "scenario",
    "split",
    "session",
    "unit",
    "emotion",
    "interval_id",
    "audio_path",
    "video_path",
)


def _read(path: str | Path, required: tuple[str, ...]) -> pd.DataFrame:
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in required if c not in header]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    dtypes = {c: str for c in ID_COLUMNS if c in header}
    return pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values={c: [""] for c in header if c not in dtypes},
    )


def read_recordings(path: str | Path) -> pd.DataFrame:
    """``results/corpus/recordings.csv`` (needs at least recording, actor, scenario)."""
    return _read(path, ("recording", "actor", "scenario"))


def read_annotations(path: str | Path) -> pd.DataFrame:
    """``results/corpus/annotations.csv``: one row per raw mark."""
    return _read(path, ANNOTATION_COLUMNS)


def _repeat_columns(columns) -> list[str]:
    from emoagree.levels.folds import repeat_columns

    return repeat_columns(list(columns))


def read_intervals(path: str | Path) -> pd.DataFrame:
    """An interval table (``split.csv``, ``levels/level{k}.csv`` or ``intervals.csv``),
    with the split repeats' fold columns (``fold_r<r>``) where it has them."""
    table = _read(path, INTERVAL_COLUMNS)
    try:
        repeated = _repeat_columns(table.columns)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    return table.astype(
        {
            "level": int,
            "start_s": float,
            "end_s": float,
            "duration_s": float,
            "fold": int,
            **dict.fromkeys(repeated, int),
        }
    )


def write_intervals(table: pd.DataFrame, path: str | Path) -> None:
    """Write an interval table in the contract's column order, then its split repeats'
    fold columns (``fold_r1 .. fold_r<R-1>``, only with ``split.repeats`` > 1)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table[[*INTERVAL_COLUMNS, *_repeat_columns(table.columns)]].to_csv(path, index=False)
