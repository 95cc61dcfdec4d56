"""Fold views: the parts each fold of a level table sees, and predictions pooled over folds.

The split (:mod:`emoagree.levels.split`) writes each interval's test fold; this module
is the one place that turns it into parts.

Folds (config ``split.folds: K``, see :func:`n_folds`):

``K >= 3`` (default 5)
    The units are dealt into K folds (:func:`emoagree.levels.split.deal_folds`); every
    interval is tested once, in fold ``fold``, and its ``split`` column is ``test``. The
    parts of fold f come only from :func:`fold_view`: test = fold f, val = fold
    (f + 1) % K, train = the rest. ``test_fraction`` and ``val_fraction`` are not used.
``K == 1``
    One held-out test part, ``split`` in train/val/test and ``fold`` 0 everywhere.
``K == 2``
    Refused: the validation fold of fold f would be the other fold, leaving no training
    part.

Repeats (config ``split.repeats: R``, default 1, ``K >= 3`` only; see :func:`n_repeats`):
the units are dealt into K folds R times, repeat r with the seed
:func:`emoagree.levels.split.repeat_seed` (repeat 0 with the split seed itself, so
``R = 1`` is the plain K-fold split). Folds have global ids ``g = r * K + f``
(:func:`global_folds`): repeat 0's are 0..K-1 and keep their column (``fold``) and paths;
repeat r >= 1 adds the column ``fold_r<r>`` holding the global id of the fold that tests
the interval in that repeat (:func:`fold_column`). Fold ``g``'s parts are those of fold
``f = g % K`` within repeat ``g // K``. A cell pools every repeat: each interval is
predicted once per repeat (:func:`pool_folds`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from emoagree.constants import DEFAULT_FOLDS, SPLITS


def check_folds(folds: int) -> int:
    """``folds`` as an int; 1 or at least 3, else a ValueError that says why."""
    k = int(folds)
    if k == 2:
        raise ValueError(
            "split.folds: 2 is refused: validation of fold f is fold (f + 1) % K, which with "
            "two folds is the other fold and leaves no training part; use 1 or at least 3"
        )
    if k < 1:
        raise ValueError(f"split.folds must be 1 or at least 3, not {k}")
    return k


def n_folds(split_config: Mapping[str, Any]) -> int:
    """The number of folds of a ``split`` config section.

    ``strategy: corpus`` always gives 1 (the corpus's own partition); otherwise
    ``folds`` (default :data:`~emoagree.constants.DEFAULT_FOLDS`), checked by
    :func:`check_folds`.
    """
    if split_config.get("strategy", "stratified") == "corpus":
        return 1
    return check_folds(split_config.get("folds", DEFAULT_FOLDS))


#: The first repeat column's name prefix: ``fold_r<r>`` holds repeat r's global fold id.
REPEAT_COLUMN_PREFIX = "fold_r"


def check_repeats(repeats: int, folds: int) -> int:
    """``repeats`` as an int; at least 1, and 1 unless there are K >= 3 folds."""
    r = int(repeats)
    if r < 1:
        raise ValueError(f"split.repeats must be at least 1, not {r}")
    if r > 1 and int(folds) < 3:
        raise ValueError(
            f"split.repeats: {r} needs split.folds >= 3 (and a strategy other than corpus): "
            "a repeat re-deals the units into K folds so that every interval is tested once "
            "per repeat; with one held-out part most intervals would never be tested"
        )
    return r


def n_repeats(split_config: Mapping[str, Any]) -> int:
    """The number of repeats R of a ``split`` config section (default 1), checked against
    its folds (:func:`check_repeats`)."""
    return check_repeats(split_config.get("repeats", 1), n_folds(split_config))


def fold_column(repeat: int) -> str:
    """The column holding each interval's test fold in repeat ``repeat``: ``fold`` for
    repeat 0 (fold f), ``fold_r<r>`` for repeat r >= 1 (global id r * K + f)."""
    return "fold" if int(repeat) == 0 else f"{REPEAT_COLUMN_PREFIX}{int(repeat)}"


def repeat_columns(columns: Sequence[str]) -> list[str]:
    """The repeat columns ``fold_r1, fold_r2, ...`` among ``columns``, in repeat order;
    they must run from 1 without a gap."""
    found = sorted(
        int(c[len(REPEAT_COLUMN_PREFIX) :])
        for c in columns
        if c.startswith(REPEAT_COLUMN_PREFIX) and c[len(REPEAT_COLUMN_PREFIX) :].isdigit()
    )
    if found != list(range(1, len(found) + 1)):
        raise ValueError(f"repeat columns {found} do not run 1..{len(found)} without a gap")
    return [fold_column(r) for r in found]


def table_repeats(table: pd.DataFrame | Sequence[str]) -> int:
    """R of an interval table (or of its column names): 1 + its repeat columns."""
    columns = table.columns if isinstance(table, pd.DataFrame) else table
    return 1 + len(repeat_columns(list(columns)))


def global_folds(n_folds: int, repeats: int = 1) -> list[int]:
    """Every fold of every repeat, by global id ``r * K + f``: ``range(R * K)``."""
    return list(range(int(repeats) * int(n_folds)))


def split_counts(table: pd.DataFrame) -> Mapping[str, int]:
    """Number of intervals per part, every part present."""
    counts = table["split"].value_counts()
    return {part: int(counts.get(part, 0)) for part in SPLITS}


def mean_part_counts(table: pd.DataFrame, folds: int, by: Sequence[str] = ()) -> pd.Series:
    """Intervals per part (and per ``by`` columns), as the mean over the ``folds`` folds.

    Each fold's parts come from :func:`fold_view`; with one fold these are the table's own
    counts. Every part in ``SPLITS`` is present (0 where empty). With K folds the three
    means add up to the number of intervals (every fold sees every interval once); with
    split repeats the mean runs over every fold of every repeat.

    Returns:
        Floats indexed by ``split`` (then the ``by`` columns).
    """
    folds = check_folds(folds)
    keys = ["split", *by]
    if table.empty:
        mean = pd.Series(dtype=float)
    else:
        every = global_folds(folds, table_repeats(table) if folds >= 3 else 1)
        counts = [fold_view(table, fold, folds).groupby(keys).size() for fold in every]
        mean = pd.concat(counts, axis=1).fillna(0).mean(axis=1)
    if not by:
        return mean.reindex(list(SPLITS), fill_value=0.0).astype(float).rename_axis("split")
    return mean.astype(float)


def fold_view(table: pd.DataFrame, fold: int, n_folds: int, with_val: bool = True) -> pd.DataFrame:
    """The intervals as fold ``fold`` of ``n_folds`` sees them: ``split`` set to its part.

    With one fold the table's own ``split`` column is the partition (``fold`` must be 0).
    With ``K >= 3`` folds the ``fold`` column says in which fold each interval is tested:
    in fold ``f`` the intervals of fold ``f`` are ``test``, those of fold ``(f + 1) % K``
    are ``val`` (validation is carved from the fold's training part by whole folds, so by
    the same split units) and the rest are ``train``; ``with_val=False`` (no validation
    part) leaves them in ``train``. With split repeats, ``fold`` is a global id
    ``r * K + f`` (0 <= fold < R * K): fold f of repeat r, read from the column
    :func:`fold_column` of r. Every consumer of a level table that needs the parts of one
    fold goes through this function.
    """
    fold, n_folds = int(fold), int(n_folds)
    if n_folds < 1 or n_folds == 2:
        raise ValueError(f"split.folds must be 1 or at least 3, not {n_folds}")
    if n_folds == 1:
        if fold != 0:
            raise ValueError(f"fold {fold} is outside 0..0")
        return table
    if "fold" not in table.columns:
        raise ValueError(f"the interval table has no 'fold' column for {n_folds} folds")
    n_global = n_folds * table_repeats(table)
    if not 0 <= fold < n_global:
        raise ValueError(f"fold {fold} is outside 0..{n_global - 1}")
    repeat, local = divmod(fold, n_folds)
    folds = table[fold_column(repeat)].astype(int).to_numpy() - repeat * n_folds
    part = np.where(folds == local, "test", "train").astype(object)
    if with_val:
        part[folds == (local + 1) % n_folds] = "val"
    return table.assign(split=part)


#: The parts a cell's job predicts with each fold's model: the fold's test part (the
#: cell's ``test{j}`` file) and its validation part (the validation cross-evaluation,
#: ``val{j}``).
PREDICTED_PARTS = ("test", "val")


def part_fold_ids(
    split: Sequence[str] | None,
    test_fold: Sequence[int] | None,
    n_folds: int,
    part: str = "test",
    repeat: int = 0,
) -> np.ndarray:
    """The global id of the fold whose ``part`` holds each row, in repeat ``repeat``.

    The one rule from a level table's columns to the fold that predicts each interval:
    with one fold, 0 for the rows whose ``split`` is ``part`` and -1 for the others
    (``test_fold`` is not read); with ``K >= 3`` folds (parts of :func:`fold_view`) every
    row is in one fold's part: fold f tests the rows whose local test fold is f and
    validates on those whose local test fold is ``(f + 1) % K``.

    Args:
        split: each row's ``split`` value; None with K >= 3 folds.
        test_fold: each row's value in the column :func:`fold_column` of ``repeat`` (a
            global id ``repeat * K + f``); None with one fold.
        n_folds: K.
        part: ``test`` or ``val``.
        repeat: the split repeat r; the ids returned are global (``r * K + f``).
    """
    if part not in PREDICTED_PARTS:
        raise ValueError(f"part {part!r} is not one of {', '.join(PREDICTED_PARTS)}")
    n_folds = int(n_folds)
    if n_folds == 1:
        return np.where(np.asarray(split, dtype=str) == part, 0, -1)
    base = int(repeat) * n_folds
    shift = 0 if part == "test" else 1
    local = np.asarray(test_fold, dtype=int) - base
    return base + (local - shift) % n_folds


def fold_part_rows(
    table: pd.DataFrame, n_folds: int, part: str = "test"
) -> list[tuple[int, np.ndarray]]:
    """``(fold, rows)`` for every fold: the positions of the intervals in fold's ``part``.

    ``part`` is ``test`` or ``val``; the rule is :func:`part_fold_ids`. Each interval is
    in at most one fold's rows of one part, so a cell's pooled predictions of either part
    hold every interval once, each predicted by a model that did not train on it. With
    split repeats the folds of every repeat are listed by global id (``r * K + f``,
    repeat-major), and each interval is in one fold's rows per repeat.
    """
    if part not in PREDICTED_PARTS:
        raise ValueError(f"part {part!r} is not one of {', '.join(PREDICTED_PARTS)}")
    n_folds = int(n_folds)
    if n_folds == 1:
        split = table["split"].astype(str).to_numpy()
        return [(0, np.flatnonzero(part_fold_ids(split, None, 1, part) == 0))]
    fold_view(table.iloc[:0], 0, n_folds)  # checks n_folds and the fold column
    out = []
    for repeat in range(table_repeats(table)):
        test_fold = table[fold_column(repeat)].astype(int).to_numpy()
        fold_of = part_fold_ids(None, test_fold, n_folds, part, repeat)
        out += [
            (repeat * n_folds + f, np.flatnonzero(fold_of == repeat * n_folds + f))
            for f in range(n_folds)
        ]
    return out


def fold_test_rows(table: pd.DataFrame, n_folds: int) -> list[tuple[int, np.ndarray]]:
    """:func:`fold_part_rows` of the test part."""
    return fold_part_rows(table, n_folds, "test")


def pool_folds(
    table: pd.DataFrame, n_folds: int, n_classes: int, predict_fold, part: str = "test"
) -> tuple:
    """Predictions of one part (``test``: the cell; ``val``: its validation
    cross-evaluation) pooled over the folds.

    Args:
        table: the test level's interval table.
        n_folds: K.
        n_classes: number of probability columns.
        predict_fold: ``predict_fold(fold, rows) -> probabilities (len(rows), n_classes)``,
            the model of ``fold`` (a global id with split repeats) applied to those rows of
            ``table`` (NaN rows: not scored).
        part: which part of each fold (:func:`fold_part_rows`).

    Returns:
        ``(rows, probabilities)``: every row of the part once, in table order, and its
        probabilities from the model of the fold whose ``part`` holds it. With R split
        repeats every row of the part appears R times, repeat-major (repeat 0's rows in
        table order, then repeat 1's, ...): the k-th time an interval is listed is its
        prediction in repeat k.
    """
    parts = fold_part_rows(table, n_folds, part)
    by_repeat: dict[int, list[tuple[int, np.ndarray]]] = {}
    for fold, fold_rows in parts:
        by_repeat.setdefault(fold // max(int(n_folds), 1), []).append((fold, fold_rows))
    all_rows, all_probabilities = [np.zeros(0, int)], [np.zeros((0, n_classes))]
    for repeat in sorted(by_repeat):
        own = by_repeat[repeat]
        rows = np.sort(np.concatenate([r for _, r in own]))
        position = {int(r): i for i, r in enumerate(rows)}
        probabilities = np.full((len(rows), n_classes), np.nan)
        for fold, fold_rows in own:
            if len(fold_rows) == 0:
                continue
            values = np.asarray(predict_fold(fold, fold_rows), dtype=float)
            probabilities[[position[int(r)] for r in fold_rows]] = values
        all_rows.append(rows)
        all_probabilities.append(probabilities)
    return np.concatenate(all_rows), np.concatenate(all_probabilities)


def as_fold_paths(paths) -> list:
    """One model file per fold, in fold order; a single path stands for a one-fold study."""
    if isinstance(paths, (str, bytes)) or hasattr(paths, "__fspath__"):
        return [paths]
    return list(paths)
