"""Emotion labels of the marks against the configured emotions: nothing vanishes unsaid.

Marks whose label is not a configured emotion (Neutral, Domination, ...) are dropped
before levels are built. A label that matches a configured emotion only loosely
(``angry``, ``S ad``, or a typo such as ``Hapy``) is almost always a mistake of the corpus,
not a category to drop: by default it is an error naming the file and row;
``corpus.fold_labels: true`` accepts it under the configured spelling, and
``corpus.label_map`` names labels one by one. A configured emotion without marks is an
error too (``emotions: [.., Sadd]``). Every dropped label is counted per value, on the
corpus job's console line, in its log and in Table 1's notes
(``results/corpus/dropped_labels.csv``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from emoagree.contracts.corpus import DROPPED_COLUMNS, read_dropped
from emoagree.corpus.errors import CorpusError

log = logging.getLogger(__name__)


def label_key(label: str) -> str:
    """A label with case and all whitespace ignored (``' Sad '`` and ``'sad'`` -> ``sad``)."""
    return "".join(str(label).split()).casefold()


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) that turn ``a`` into ``b``."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (char_a != char_b))
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def typo_distance(emotion: str) -> int:
    """How many edits a label may be from ``emotion`` to count as its typo.

    One edit for names of up to five letters (Sad, Angry, Happy), two for longer ones
    (Surprised, Disgusted). Different emotions' names are further apart than that.
    """
    return 1 if len(label_key(emotion)) <= 5 else 2


def is_typo_of(label: str, emotion: str) -> bool:
    """``label`` is a likely misspelling of ``emotion``: the same first letter and within
    :func:`typo_distance` edits (case and spaces ignored). ``Mad`` is no typo of ``Sad``."""
    key, target = label_key(label), label_key(emotion)
    if not key or key == target or key[0] != target[0]:
        return False
    return edit_distance(key, target) <= typo_distance(emotion)


def near_matches(labels: Sequence[str], emotions: Sequence[str]) -> dict[str, str]:
    """Labels that are not a configured emotion but equal one up to case and whitespace,
    or are a likely typo of one (:func:`is_typo_of`)."""
    keys = {label_key(e): e for e in emotions}
    found = {}
    for label in labels:
        if label in emotions:
            continue
        if label_key(label) in keys:
            found[label] = keys[label_key(label)]
            continue
        typos = [e for e in emotions if is_typo_of(label, e)]
        if typos:
            found[label] = min(typos, key=lambda e: edit_distance(label_key(label),
                                                                  label_key(e)))
    return found


def nearest_label(emotion: str, labels: Sequence[str]) -> str | None:
    """The corpus label closest to ``emotion`` (case and spaces ignored)."""
    if not labels:
        return None
    return min(sorted(labels), key=lambda label: edit_distance(label_key(label),
                                                               label_key(emotion)))


def read_labels(
    labels: pd.Series,
    emotions: Sequence[str],
    fold_labels: bool = False,
    label_map: Mapping[str, str | None] | None = None,
) -> pd.Series:
    """Labels as the corpus stage reads them once accepted: ``label_map`` applied, then
    near-matches folded when ``fold_labels`` (for planning, e.g. the face stretches)."""
    label_map = dict(label_map or {})
    labels = labels.astype(str).replace(
        {k: v for k, v in label_map.items() if v is not None and v in emotions})
    if fold_labels:
        candidates = [label for label in sorted(labels.unique()) if label not in label_map]
        labels = labels.replace(near_matches(candidates, emotions))
    return labels


def _where(annotations: pd.DataFrame) -> pd.Series | None:
    """How messages name each mark's source row (``annotations.attrs['where']``), if known."""
    where = annotations.attrs.get("where")
    if where is None or len(where) != len(annotations):
        return None
    return pd.Series(list(where), index=annotations.index)


def _source(annotations: pd.DataFrame) -> str:
    return str(annotations.attrs.get("source") or "the corpus's marks")


def _counted(labels: pd.Series) -> str:
    counts = labels.value_counts()
    return ", ".join(f"{label!r} ({counts[label]})" for label in sorted(counts.index))


def _mapped_labels(
    labels: pd.Series, label_map: Mapping[str, str | None], emotions: Sequence[str]
) -> pd.Series:
    """The labels with ``corpus.label_map`` applied (each mapping logged); a label mapped
    to something that is not a configured emotion is an error."""
    wrong = {k: v for k, v in label_map.items() if v is not None and v not in emotions}
    if wrong:
        label, value = next(iter(wrong.items()))
        raise CorpusError(
            f"config corpus.label_map: {label!r} is mapped to {value!r}, which is not a "
            f"configured emotion ({', '.join(emotions)}); map it to one of them, or to null "
            "to drop it as a category of its own"
        )
    mapped = {k: v for k, v in label_map.items() if v is not None and k in set(labels)}
    if mapped:
        for label, emotion in mapped.items():
            log.info("label %r read as %r (%d marks; corpus.label_map)", label, emotion,
                     int((labels == label).sum()))
        labels = labels.replace(mapped)
    return labels


def _refuse_near_matches(
    labels: pd.Series,
    loose: Mapping[str, str],
    present: set[str],
    where: pd.Series | None,
    source: str,
) -> None:
    """The error for labels that match a configured emotion only up to case, spaces or a
    typo (``corpus.fold_labels`` off), naming each one's first row."""
    counts = labels[labels.isin(loose)].value_counts()
    listed = []
    for label in counts.index:
        first = f"; first at {where[labels == label].iloc[0]}" if where is not None else ""
        unmarked = (" - which has no marks under its own spelling"
                    if loose[label] not in present else "")
        listed.append(f"{label!r} ({counts[label]} marks{first}) ~ {loose[label]!r}"
                      f"{unmarked}")
    raise CorpusError(
        f"{source}: emotion labels that match a configured emotion only up to case, "
        f"spaces or a typo: {'; '.join(listed)}. Fix the labels (or `emotions` in the "
        "config, if that is the misspelled side), set `corpus.fold_labels: true` to "
        "count them as that emotion, or name them in `corpus.label_map` (a label "
        "mapped to null is dropped as a category of its own); otherwise these marks "
        "would be dropped"
    )


def check_labels(
    annotations: pd.DataFrame,
    emotions: Sequence[str],
    *,
    fold_labels: bool = False,
    label_map: Mapping[str, str | None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check the marks' labels; map and fold where allowed; count what will be dropped.

    The rules, in this order:

    1. ``label_map`` renames a label to a configured emotion; a label mapped to ``None``
       is declared a category of its own (dropped and counted, never called a typo).
    2. A label equal to a configured emotion up to case and spaces (``'sad'``, ``'Sad '``),
       or a likely typo of one (:func:`is_typo_of`: ``'Hapy'``), is an error naming the
       source file and the first row, unless ``fold_labels`` reads it as that emotion.
    3. A configured emotion with no marks at all is an error naming the labels the corpus
       has and the nearest of them (``emotions: [.., Sadd]`` with ``Sad`` marks).
    4. Any other label is no configured emotion: dropped, counted per value.

    Args:
        annotations: the normalized marks (``emotion`` column); ``attrs['where']`` (one
            ``file: row`` per mark) and ``attrs['source']`` name rows in messages.
        emotions: the configured emotions.
        fold_labels: rewrite near-matches to the configured spelling instead of failing.
        label_map: ``corpus.label_map``.

    Returns:
        The marks (labels mapped and folded where allowed) and the dropped labels:
        ``label, marks, recordings`` per label value that is not a configured emotion,
        most marks first.

    Raises:
        CorpusError: a near-match while ``fold_labels`` is off, or a configured emotion
            without marks (so every configured emotion, at least two, has marks).
    """
    where, source = _where(annotations), _source(annotations)
    labels = annotations["emotion"].astype(str)
    label_map = dict(label_map or {})
    labels = _mapped_labels(labels, label_map, emotions)
    candidates = [label for label in sorted(labels.unique()) if label not in label_map]
    loose = near_matches(candidates, emotions)
    present = set(labels)
    if loose and not fold_labels:
        _refuse_near_matches(labels, loose, present, where, source)
    if loose:
        for label, emotion in loose.items():
            log.warning("label %r read as %r (%d marks; corpus.fold_labels)", label, emotion,
                        int((labels == label).sum()))
        labels = labels.replace(loose)
    annotations = annotations.assign(emotion=labels)
    missing = [e for e in emotions if e not in set(labels)]
    if missing:
        others = sorted(set(labels))
        named = "; ".join(
            f"{e!r} (nearest label: {nearest_label(e, others)!r})" for e in missing
        )
        raise CorpusError(
            f"{source}: configured emotion(s) with no marks: {named}. Labels the corpus "
            f"has (marks): {_counted(labels)}. Fix `emotions` in the config, or the labels"
        )
    dropped = dropped_labels(annotations, emotions)
    for row in dropped.itertuples(index=False):
        log.info("dropped label %r: %d marks on %d recordings (not a configured emotion)",
                 row.label, row.marks, row.recordings)
    return annotations, dropped


def dropped_summary(dropped: pd.DataFrame) -> str:
    """One line for the console: marks dropped per label (``'none'`` when nothing)."""
    if dropped.empty:
        return "no marks dropped"
    parts = ", ".join(f"{row.marks} {row.label!r}" for row in dropped.itertuples(index=False))
    return f"dropped {int(dropped['marks'].sum())} marks of labels that are no configured " \
           f"emotion: {parts}"


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
    return table[list(DROPPED_COLUMNS)].reset_index(drop=True)


def dropped_notes(path: str | Path) -> list[str]:
    """Table 1's notes on the marks whose labels were dropped (one line per label)."""
    table = read_dropped(path)
    return [
        f"{row.marks} marks labelled {row.label!r} ({row.recordings} recordings) were dropped: "
        "not a configured emotion"
        for row in table.itertuples(index=False)
    ]


def _fold_parts(table: pd.DataFrame) -> list[tuple[int, pd.DataFrame]]:
    """Each fold's view of the table when it holds ``split.folds`` K >= 3 folds (every
    split repeat's folds, by global id)."""
    if "fold" in table.columns and len(table) and (table["split"] == "test").all():
        from emoagree.levels.folds import fold_view, global_folds, table_repeats

        n_folds = int(table["fold"].astype(int).max()) + 1
        if n_folds >= 3:
            every = global_folds(n_folds, table_repeats(table))
            return [(f, fold_view(table, f, n_folds)) for f in every]
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
