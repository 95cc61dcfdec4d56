"""The corpus job's checks after the adapter has read the tables: nothing lost unsaid.

:func:`check_corpus` runs them in order: labels against the configured emotions
(:func:`~emoagree.corpus.labels.check_labels`), media that is really there over every
marked stretch (digital silence, frames that do not decode), the sample rates, and the
recordings without marks of a configured emotion (listed in the log and Table 1's notes,
``results/corpus/unmarked_recordings.csv``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from emoagree.contracts.corpus import read_unmarked
from emoagree.corpus.errors import raise_problems
from emoagree.corpus.labels import check_labels, dropped_summary
from emoagree.corpus.media import (
    frameless_video,
    sample_rate_note,
    silent_audio,
    unmarked_recordings,
)

log = logging.getLogger(__name__)

#: Table 1's note lists at most this many ids of recordings without marks.
MAX_LISTED_IDS = 10


def check_corpus(
    recordings: pd.DataFrame,
    annotations: pd.DataFrame,
    emotions: Sequence[str],
    *,
    fold_labels: bool = False,
    label_map: Mapping[str, str | None] | None = None,
    accept_empty_media: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """Check what the adapter read; return what the corpus job writes and says.

    Returns:
        The marks (labels mapped and folded), the dropped labels table, the recordings
        without marks of a configured emotion, and the lines the job says on the console.

    Raises:
        CorpusError: a label problem (see :func:`check_labels`), or a marked stretch of
            digital silence or without a decodable frame while ``accept_empty_media`` is
            off (naming the file and the time spans).
    """
    attrs = dict(annotations.attrs)
    annotations, dropped = check_labels(annotations, emotions, fold_labels=fold_labels,
                                        label_map=label_map)
    where = attrs.get("where")
    where = pd.Series(list(where), index=annotations.index) if where is not None and len(
        where) == len(annotations) else None
    kept = annotations["emotion"].isin(list(emotions))
    marked = annotations[kept]
    where_kept = where[kept] if where is not None else None
    problems = silent_audio(recordings, marked, where_kept)
    if "fps" in recordings.columns:
        problems += frameless_video(recordings, marked, where_kept)
    if problems and not accept_empty_media:
        raise_problems(None, problems)
    for problem in problems:
        log.warning("%s (accepted: corpus.accept_empty_media)", problem)
    notes = [dropped_summary(dropped)]
    if problems:
        notes.append(f"{len(problems)} file(s) with empty media over marks, accepted")
    rates = sample_rate_note(recordings)
    if rates:
        log.warning(rates)
        notes.append(rates)
    unmarked = unmarked_recordings(recordings, annotations, list(emotions))
    if unmarked:
        line = unmarked_note(unmarked)
        log.warning(line)
        notes.append(line)
    return annotations, dropped, unmarked, notes


def unmarked_note(unmarked: Sequence[str]) -> str:
    """One line naming the recordings without marks (count and the first ids)."""
    listed = ", ".join(unmarked[:MAX_LISTED_IDS])
    more = len(unmarked) - MAX_LISTED_IDS
    return (
        f"{len(unmarked)} recording(s) have no marks of a configured emotion and appear in "
        f"no level: {listed}" + (f" and {more} more" if more > 0 else "")
    )


def unmarked_notes(path: str | Path) -> list[str]:
    """Table 1's note on the recordings without marks (none when every one has marks)."""
    unmarked = read_unmarked(path)
    return [unmarked_note(unmarked)] if unmarked else []
