"""The predictions: the files between models, fusion and evaluation, their one reader and
writer.

``results/predictions/{system}/train{i}/test{j}.csv`` (and ``val.csv``) hold one row per
interval of the evaluated set: ``interval_id, emotion, prob_<E>...``. An interval that a
system cannot score (audio too short, no face found) is present with empty probabilities.

The files are read and written in two forms, which write byte-identical files (``%.6g``
floats, empty cells for NaN):

- plain arrays (:class:`PredictionArrays`; :func:`read_arrays`, :func:`read_checked`,
  :func:`write_arrays`, :func:`pool_prediction_files`), without pandas: the evaluation and
  fusion stages run one short job per (system, train level, test level) cell, several
  hundred per study; importing pandas would be most of each job's CPU time;
- pandas tables (:func:`make_predictions`, :func:`write_predictions`,
  :func:`read_predictions`, :func:`load_checked`), for the model stages and tests. pandas
  is imported inside these functions, so importing this module does not import it.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from emoagree.contracts._tables import check_columns

if TYPE_CHECKING:
    import pandas as pd

#: How far a scored row's probabilities may sum from one (files keep 6 significant digits).
SUM_TOLERANCE = 0.01


def prob_columns(emotions: Sequence[str]) -> list[str]:
    return [f"prob_{e}" for e in emotions]


def prediction_columns(emotions: Sequence[str]) -> list[str]:
    """The columns of a prediction file, in order."""
    return ["interval_id", "emotion", *prob_columns(emotions)]


# --- plain arrays (no pandas) ----------------------------------------------------------


@dataclass(frozen=True)
class PredictionArrays:
    """One prediction file: interval ids, true emotions, probabilities ``(n, K)``."""

    path: str
    interval_ids: list[str]
    emotions_true: list[str]
    probs: np.ndarray


def read_arrays(path: str | Path, emotions: Sequence[str]) -> PredictionArrays:
    """Read a prediction file; raise naming the file (and row) on a malformed one."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f"{path}: empty file (no header)") from None
        check_columns(path, header, prediction_columns(emotions))
        index = [header.index(c) for c in prediction_columns(emotions)]
        ids, truth, rows = [], [], []
        for number, row in enumerate(reader, start=1):
            if len(row) != len(header):
                raise ValueError(
                    f"{path}: row {number}: {len(row)} fields, the header has {len(header)}"
                )
            ids.append(row[index[0]])
            truth.append(row[index[1]])
            try:
                rows.append([float(row[i]) if row[i] != "" else np.nan for i in index[2:]])
            except ValueError as error:
                raise ValueError(f"{path}: row {number}: {error}") from None
    probs = np.array(rows, dtype=float).reshape(len(rows), len(emotions))
    return PredictionArrays(str(path), ids, truth, probs)


def repeat_count(interval_ids: Sequence[str]) -> int:
    """R when ``interval_ids`` are R consecutive blocks of equal size, each listing the
    same intervals once (a cell pooled over R split repeats,
    :func:`emoagree.levels.folds.pool_folds`); else 1."""
    ids = list(interval_ids)
    distinct = len(set(ids))
    if not ids or distinct == len(ids) or len(ids) % distinct:
        return 1
    blocks = [ids[k : k + distinct] for k in range(0, len(ids), distinct)]
    first = set(blocks[0])
    if all(len(set(block)) == distinct and set(block) == first for block in blocks):
        return len(blocks)
    return 1


def check_arrays(data: PredictionArrays, repeats: int = 1) -> None:
    """Raise a ValueError naming the file and data row (1 = first after the header) of the
    first broken row: a repeated interval, partly empty or negative probabilities, or
    probabilities of a scored row that do not sum to one.

    ``repeats`` R > 1: a cell pooled over R split repeats, which must list every interval
    R times, in R blocks of the same size that each list every interval once
    (:func:`repeat_count`)."""
    if repeats > 1:
        found = repeat_count(data.interval_ids)
        if found != repeats:
            raise ValueError(
                f"{data.path}: {len(data.interval_ids)} rows are not {repeats} blocks (one per "
                f"split repeat) that each list the same intervals once"
            )
    else:
        seen: set[str] = set()
        for row, interval in enumerate(data.interval_ids):
            if interval in seen:
                raise ValueError(f"{data.path}: row {row + 1}: interval_id {interval!r} repeated")
            seen.add(interval)
    probs = data.probs
    empty = np.isnan(probs)
    with np.errstate(invalid="ignore"):
        problems = [
            (empty.any(axis=1) & ~empty.all(axis=1), "some probabilities empty, others not"),
            ((probs < 0).any(axis=1), "negative probability"),
            (
                ~empty.any(axis=1) & (np.abs(np.nansum(probs, axis=1) - 1) > SUM_TOLERANCE),
                "probabilities do not sum to 1",
            ),
        ]
    for mask, problem in problems:
        if mask.any():
            row = int(np.flatnonzero(mask)[0])
            raise ValueError(
                f"{data.path}: row {row + 1} (interval {data.interval_ids[row]!r}): {problem}"
            )


def read_checked(path: str | Path, emotions: Sequence[str], repeats: int = 1) -> PredictionArrays:
    """A prediction file, checked (:func:`check_arrays`; ``repeats``: split repeats)."""
    data = read_arrays(path, emotions)
    check_arrays(data, repeats)
    return data


def write_arrays(
    path: str | Path,
    interval_ids: Sequence[str],
    emotions_true: Sequence[str],
    probs: np.ndarray,
    emotions: Sequence[str],
) -> None:
    """Write a prediction file (the layout ``write_predictions`` gives)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(prediction_columns(emotions))
        for interval, truth, row in zip(interval_ids, emotions_true, probs, strict=True):
            writer.writerow([interval, truth, *("" if np.isnan(v) else f"{v:.6g}" for v in row)])


def pool_prediction_files(
    paths: Sequence[str | Path], out: str | Path, emotions: Sequence[str], repeats: int = 1
) -> PredictionArrays:
    """Concatenate prediction files of disjoint interval sets (e.g. the folds' val parts)
    into one, ordered by ``interval_id``; an interval in two files is an error.

    With ``repeats`` R > 1 (split repeats) ``paths`` holds R equal blocks, one per repeat
    in repeat order (each block's files disjoint); each block is pooled on its own and
    the blocks follow each other (repeat-major), so the k-th row of an interval is its
    prediction in repeat k.
    """
    paths = list(paths)
    if repeats < 1 or len(paths) % repeats:
        raise ValueError(f"{len(paths)} prediction files cannot be split into {repeats} repeats")
    size = len(paths) // repeats
    ids = []
    truth: list[str] = []
    blocks = [np.zeros((0, len(emotions)))]
    for start in range(0, len(paths), max(size, 1)):
        parts = [read_checked(p, emotions) for p in paths[start : start + size]]
        seen: dict[str, str] = {}
        for part in parts:
            for interval in part.interval_ids:
                if interval in seen:
                    raise ValueError(
                        f"interval {interval!r} is in both {seen[interval]} and {part.path}: "
                        "pooled parts must be disjoint"
                    )
                seen[interval] = str(part.path)
        block_ids = [i for part in parts for i in part.interval_ids]
        block_truth = [e for part in parts for e in part.emotions_true]
        probs = (
            np.concatenate([part.probs.reshape(-1, len(emotions)) for part in parts])
            if parts
            else np.zeros((0, len(emotions)))
        )
        order = np.argsort(np.asarray(block_ids, dtype=object), kind="stable")
        ids += [block_ids[i] for i in order]
        truth += [block_truth[i] for i in order]
        blocks.append(probs[order])
    pooled = PredictionArrays(str(out), ids, truth, np.concatenate(blocks))
    write_arrays(out, pooled.interval_ids, pooled.emotions_true, pooled.probs, emotions)
    return pooled


# --- pandas tables ---------------------------------------------------------------------


def make_predictions(
    interval_ids: Sequence[str],
    true_emotions: Sequence[str],
    probabilities: np.ndarray,
    emotions: Sequence[str],
) -> pd.DataFrame:
    """Build a prediction table; rows of ``probabilities`` that are all NaN mean 'not scored'."""
    import pandas as pd

    probabilities = np.asarray(probabilities, dtype=float)
    if probabilities.shape != (len(interval_ids), len(emotions)):
        raise ValueError(
            f"probabilities have shape {probabilities.shape}, expected "
            f"({len(interval_ids)}, {len(emotions)})"
        )
    table = pd.DataFrame({"interval_id": list(interval_ids), "emotion": list(true_emotions)})
    for column, values in zip(prob_columns(emotions), probabilities.T, strict=True):
        table[column] = values
    return table


def write_predictions(table: pd.DataFrame, path: str | Path, emotions: Sequence[str]) -> None:
    check_columns(f"prediction table for {path}", table.columns, prediction_columns(emotions))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    table[prediction_columns(emotions)].to_csv(path, index=False, float_format="%.6g")


def read_predictions(path: str | Path, emotions: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    table = pd.read_csv(path, dtype={"interval_id": str, "emotion": str})
    check_columns(path, table.columns, prediction_columns(emotions))
    return table[prediction_columns(emotions)]


def scored_mask(table: pd.DataFrame, emotions: Sequence[str]) -> np.ndarray:
    """Rows whose probabilities are present (an interval the system could score)."""
    return table[prob_columns(emotions)].notna().all(axis=1).to_numpy()


def arrays_from_table(
    table: pd.DataFrame, emotions: Sequence[str], path: str | Path
) -> PredictionArrays:
    """A prediction table as plain arrays, named ``path`` in error messages."""
    return PredictionArrays(
        str(path),
        [str(i) for i in table["interval_id"]],
        [str(e) for e in table["emotion"]],
        table[prob_columns(emotions)].to_numpy(dtype=float),
    )


def check_predictions(table: pd.DataFrame, path: str, emotions: Sequence[str]) -> None:
    """Check a prediction table as :func:`check_arrays` does."""
    check_arrays(arrays_from_table(table, emotions, path))


def load_checked(path: str, emotions: Sequence[str]) -> pd.DataFrame:
    """Read a prediction file into a DataFrame and check it."""
    table = read_predictions(path, emotions)
    check_predictions(table, str(path), emotions)
    return table
