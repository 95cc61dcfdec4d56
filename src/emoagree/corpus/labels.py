"""Emotion labels of the marks against the configured emotions: nothing vanishes unsaid.

Marks whose label is not a configured emotion (Neutral, Domination, ...) are dropped
before levels are built. A label that matches a configured emotion only loosely
(``angry``, ``Sad ``) is almost always a typo of the corpus, not a category to drop: by
default it is an error; ``corpus.fold_labels: true`` accepts it under the configured
spelling. Every dropped label is counted per value, in the corpus log and in Table 1's
notes (``results/corpus/dropped_labels.csv``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from emoagree.corpus.errors import CorpusError

log = logging.getLogger(__name__)

DROPPED_COLUMNS = ["label", "marks", "recordings"]


def label_key(label: str) -> str:
    """A label with case and all whitespace ignored (``' Sad '`` and ``'sad'`` -> ``sad``)."""
    return "".join(str(label).split()).casefold()


def near_matches(labels: Sequence[str], emotions: Sequence[str]) -> dict[str, str]:
    """Labels that are not a configured emotion but equal one up to case and whitespace."""
    keys = {label_key(e): e for e in emotions}
    return {
        label: keys[label_key(label)]
        for label in labels
        if label not in emotions and label_key(label) in keys
    }


def check_labels(
    annotations: pd.DataFrame, emotions: Sequence[str], *, fold_labels: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check the marks' labels; fold near-matches when allowed; count what will be dropped.

    Args:
        annotations: the normalized marks (``emotion`` column).
        emotions: the configured emotions.
        fold_labels: rewrite near-matches to the configured spelling instead of failing.

    Returns:
        The marks (labels folded where allowed) and the dropped labels: ``label, marks,
        recordings`` per label value that is not a configured emotion, most marks first.

    Raises:
        CorpusError: a near-match while ``fold_labels`` is off, or fewer than two of the
            configured emotions are left in the corpus.
    """
    labels = annotations["emotion"].astype(str)
    loose = near_matches(sorted(labels.unique()), emotions)
    if loose and not fold_labels:
        counts = labels[labels.isin(loose)].value_counts()
        listed = ", ".join(
            f"{label!r} ({counts[label]} marks) ~ {loose[label]!r}" for label in counts.index
        )
        raise CorpusError(
            f"emotion labels that match a configured emotion only up to case or spaces: "
            f"{listed}. Fix the labels, or set `corpus.fold_labels: true` to count them as "
            f"that emotion (otherwise these marks would be dropped)"
        )
    if loose:
        for label, emotion in loose.items():
            log.warning("label %r read as %r (%d marks; corpus.fold_labels)", label, emotion,
                        int((labels == label).sum()))
        labels = labels.replace(loose)
        annotations = annotations.assign(emotion=labels)
    dropped = dropped_labels(annotations, emotions)
    for row in dropped.itertuples(index=False):
        log.info("dropped label %r: %d marks on %d recordings (not a configured emotion)",
                 row.label, row.marks, row.recordings)
    kept = sorted(set(labels) & set(emotions), key=list(emotions).index)
    if len(kept) < 2:
        left = ", ".join(kept) or "none"
        raise CorpusError(
            f"the corpus has marks of {len(kept)} configured emotion(s) ({left}; "
            f"configured: {', '.join(emotions)}): a classifier needs at least two. "
            f"Labels found: {', '.join(sorted(set(labels)))}"
        )
    return annotations, dropped


def dropped_labels(annotations: pd.DataFrame, emotions: Sequence[str]) -> pd.DataFrame:
    """Marks per label value that is not a configured emotion."""
    other = annotations[~annotations["emotion"].isin(list(emotions))]
    table = (
        other.groupby("emotion")
        .agg(marks=("emotion", "size"), recordings=("recording", "nunique"))
        .reset_index()
        .rename(columns={"emotion": "label"})
    )
    table = table.sort_values(["marks", "label"], ascending=[False, True], kind="stable")
    return table[DROPPED_COLUMNS].reset_index(drop=True)


def write_dropped(table: pd.DataFrame, path: str | Path) -> None:
    table[DROPPED_COLUMNS].to_csv(path, index=False)


def dropped_notes(path: str | Path) -> list[str]:
    """Table 1's notes on the marks whose labels were dropped (one line per label)."""
    table = pd.read_csv(path, dtype={"label": str}, keep_default_na=False)
    return [
        f"{row.marks} marks labelled {row.label!r} ({row.recordings} recordings) were dropped: "
        "not a configured emotion"
        for row in table.itertuples(index=False)
    ]


def _fold_parts(table: pd.DataFrame) -> list[tuple[int, pd.DataFrame]]:
    """Each fold's view of the table when it holds ``split.folds`` K >= 3 folds."""
    if "fold" in table.columns and len(table) and (table["split"] == "test").all():
        from emoagree.levels.split import fold_view

        n_folds = int(table["fold"].astype(int).max()) + 1
        if n_folds >= 3:
            return [(f, fold_view(table, f, n_folds)) for f in range(n_folds)]
    return []


def _present(emotions: Sequence[str], labels: pd.Series) -> list[str]:
    found = set(labels)
    return [e for e in emotions if e in found]


def check_level_emotions(table: pd.DataFrame, level: int, emotions: Sequence[str]) -> None:
    """Refuse a level whose training data holds fewer than two emotions.

    A model trained on one emotion predicts it everywhere: such a level cannot be trained.
    With one split the training data is the ``train`` part; with K >= 3 folds every
    interval trains some fold's model, so the level is refused when all its intervals
    hold fewer than two emotions, and a single fold whose training part does is logged
    as a warning naming the fold and the emotions left.

    Raises:
        CorpusError: naming the level and the emotions left.
    """
    folds = _fold_parts(table)
    train = table if folds else table[table["split"] == "train"]
    left = _present(emotions, train["emotion"])
    if len(left) < 2:
        raise CorpusError(
            f"level {level}: the training data holds intervals of {len(left)} emotion(s) "
            f"({', '.join(left) or 'none'}; {len(train)} intervals), and a classifier needs "
            f"at least two: level {level} cannot be trained. Remove it from `levels`, or "
            f"lower its min_duration_s"
        )
    for fold, view in folds:
        part = _present(emotions, view.loc[view["split"] == "train", "emotion"])
        if len(part) < 2:
            log.warning("level %s, fold %d: the training part holds %d emotion(s) (%s)",
                        level, fold, len(part), ", ".join(part) or "none")
