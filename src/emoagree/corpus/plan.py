"""Which recordings a corpus holds, known before any job runs (for the DAG).

The adapters (:data:`ADAPTERS`, one class per ``corpus.format``) answer what the workflow
must know of a corpus while it is parsed. :func:`plan_recordings` is called by
``workflow/rules/common.smk`` to expand the per-recording feature jobs. It returns exactly
the recordings (and media paths) that the corpus rule will later write to
``results/corpus/recordings.csv``; the tests check this agreement for every format.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from emoagree.contracts.corpus import ANNOTATION_COLUMNS
from emoagree.corpus.csv_adapter import (
    ANNOTATIONS_FILE,
    RECORDINGS_FILE,
    given_durations,
    plan_csv,
)
from emoagree.corpus.csv_files import read_rows
from emoagree.corpus.demo.plan import DemoSettings
from emoagree.corpus.errors import CorpusError
from emoagree.corpus.ramas import (
    ACTORS_FILE,
    audio_relpath,
    marks_files,
    plan_ramas,
    read_marks,
    video_relpath,
)

PLAN_COLUMNS = ["recording", "audio_path", "video_path"]


def plan_demo_recordings(demo: DemoSettings, seed: int, path: str) -> pd.DataFrame:
    """The demo corpus's recordings, from the generator's plan (nothing generated yet).

    The demo is written in the RAMAS layout and read through the RAMAS adapter, so its
    planned media paths must be RAMAS paths; a disagreement is a bug and raises.
    """
    from emoagree.corpus.demo import plan_demo

    plan = plan_demo(demo, seed)
    for column, expected in (("audio_relpath", audio_relpath), ("video_relpath", video_relpath)):
        wrong = plan[plan[column] != plan["recording"].map(expected)]
        if not wrong.empty:
            row = wrong.iloc[0]
            raise CorpusError(
                f"demo plan: recording {row['recording']}: {column} {row[column]!r} is not "
                f"the RAMAS layout's {expected(row['recording'])!r}"
            )
    planned = pd.DataFrame(
        {
            "recording": plan["recording"].astype(str).to_numpy(),
            # joined as the demo rule names its outputs (and as the RAMAS adapter does)
            "audio_path": [os.path.join(path, p) for p in plan["audio_relpath"]],
            "video_path": [os.path.join(path, p) for p in plan["video_relpath"]],
        }
    )
    # The RAMAS adapter lists recordings sorted by id; so does the plan.
    return planned.sort_values("recording", kind="stable").reset_index(drop=True)


def _header_duration(audio_path: str, video_path: str) -> float:
    """Seconds of media from a file header (audio first); NaN when none can be read.

    Only the grouping into shards uses it: a missing or corrupt file is the corpus
    stage's to report, with its row.
    """
    from emoagree.corpus.media import audio_duration, video_info

    try:
        if audio_path and os.path.isfile(audio_path):
            return audio_duration(audio_path)
        if video_path and os.path.isfile(video_path):
            return video_info(video_path)[1]
    except CorpusError:
        pass
    return math.nan


def check_levels(levels: Sequence[int], annotators: int) -> None:
    """Refuse levels that cannot exist: level k needs k annotators on one recording."""
    impossible = [level for level in levels if level > annotators]
    if impossible:
        raise CorpusError(
            f"config levels: level(s) {', '.join(map(str, impossible))} cannot exist: at most "
            f"{annotators} annotator(s) marked any one recording of the corpus, and level k "
            f"needs k of them to agree; use levels up to {annotators}"
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


# --- the corpus adapters: what the workflow knows of a corpus while it is parsed -----------
# One class per ``corpus.format``, in ADAPTERS; a new format is a new class there (and its
# reader in emoagree.corpus.read_corpus). The plan (emoagree.plan) holds one of them.


@dataclass(frozen=True)
class CorpusAdapter:
    """A corpus as the planning stage sees it: its root and (the demo) its settings.

    Attributes:
        path: ``corpus.path``.
        demo: the demo generator's settings (format demo only).
        seed: the study's seed (the demo corpus is generated from it).
    """

    path: str
    demo: DemoSettings | None = None
    seed: int = 0

    format: ClassVar[str] = ""

    def recordings(self) -> pd.DataFrame:
        """``recording, audio_path, video_path`` of every recording, before any job runs."""
        raise NotImplementedError

    def marks(self) -> pd.DataFrame | None:
        """The source marks as text cells (``recording, annotator, emotion, start_s,
        end_s``), or ``None`` where a job makes them (the demo)."""
        raise NotImplementedError

    def max_annotators(self, marks: pd.DataFrame | None) -> int:
        """The most annotators that marked any one recording."""
        if marks is None or marks.empty:
            return 0
        return int(marks.groupby("recording")["annotator"].nunique().max())

    def given_durations(self) -> dict[str, float]:
        """Media seconds the corpus's tables state (the others are read from headers)."""
        return {}

    def durations(self, planned: pd.DataFrame) -> dict[str, float]:
        """Media seconds per planned recording; NaN where nothing can be read."""
        recordings = [str(r) for r in planned["recording"]]
        given = dict.fromkeys(recordings, math.nan)
        given.update(self.given_durations())
        durations = {}
        for recording, audio, video in zip(
            recordings, planned["audio_path"], planned["video_path"], strict=True
        ):
            duration = given.get(recording, math.nan)
            if not math.isfinite(duration):
                duration = _header_duration(_text(audio), _text(video))
            durations[recording] = duration
        return durations

    def table_files(self) -> list[str]:
        """The corpus's own files (not the media) that the corpus rule reads."""
        raise NotImplementedError


@dataclass(frozen=True)
class DemoCorpus(CorpusAdapter):
    """The bundled demo: generated by a job in the RAMAS layout, read as RAMAS."""

    format: ClassVar[str] = "demo"

    def _settings(self) -> DemoSettings:
        if self.demo is None:
            raise CorpusError("corpus.format demo needs the demo settings (corpus.demo)")
        return self.demo

    def recordings(self) -> pd.DataFrame:
        return plan_demo_recordings(self._settings(), self.seed, self.path)

    def marks(self) -> pd.DataFrame | None:
        return None

    def max_annotators(self, marks: pd.DataFrame | None) -> int:
        return self._settings().n_annotators

    def durations(self, planned: pd.DataFrame) -> dict[str, float]:
        # the demo's media is generated later; every recording has the configured length
        return dict.fromkeys((str(r) for r in planned["recording"]), self._settings().duration_s)

    def table_files(self) -> list[str]:
        from emoagree.corpus.demo import demo_files

        return [os.path.join(self.path, p) for p in demo_files(self._settings(), self.seed)]


@dataclass(frozen=True)
class RamasCorpus(CorpusAdapter):
    """A RAMAS corpus root."""

    format: ClassVar[str] = "ramas"

    def recordings(self) -> pd.DataFrame:
        return plan_ramas(self.path)

    def marks(self) -> pd.DataFrame | None:
        return _text_marks(read_marks(self.path))

    def table_files(self) -> list[str]:
        return marks_files(self.path) + [os.path.join(self.path, ACTORS_FILE)]


@dataclass(frozen=True)
class CsvCorpus(CorpusAdapter):
    """A folder with ``recordings.csv`` and ``annotations.csv``."""

    format: ClassVar[str] = "csv"

    def recordings(self) -> pd.DataFrame:
        return plan_csv(self.path)

    def marks(self) -> pd.DataFrame | None:
        marks_path = os.path.join(self.path, ANNOTATIONS_FILE)
        marks = read_rows(marks_path, ANNOTATION_COLUMNS)
        if marks.empty:
            # said here, before any check that depends on the marks (levels, folds)
            raise CorpusError(f"{marks_path}: the corpus has no marks (the file has a header only)")
        return _text_marks(marks)

    def given_durations(self) -> dict[str, float]:
        return given_durations(self.path)

    def table_files(self) -> list[str]:
        return [os.path.join(self.path, RECORDINGS_FILE), os.path.join(self.path, ANNOTATIONS_FILE)]


#: ``corpus.format`` -> its adapter class.
ADAPTERS: dict[str, type[CorpusAdapter]] = {
    adapter.format: adapter for adapter in (DemoCorpus, RamasCorpus, CsvCorpus)
}


def corpus_adapter(
    fmt: str, path: str, demo: DemoSettings | None = None, seed: int = 0
) -> CorpusAdapter:
    """The adapter of ``corpus.format`` ``fmt``.

    Raises:
        CorpusError: no adapter has that format.
    """
    if fmt not in ADAPTERS:
        raise CorpusError(
            f"unknown corpus format {fmt!r} (expected {', '.join(sorted(ADAPTERS))})"
        )
    return ADAPTERS[fmt](path=str(path), demo=demo, seed=int(seed))


def _text_marks(marks: pd.DataFrame) -> pd.DataFrame:
    return marks[list(ANNOTATION_COLUMNS)].astype(str).reset_index(drop=True)


def plan_recordings(corpus: CorpusAdapter) -> pd.DataFrame:
    """Recordings of the configured corpus: ``recording, audio_path, video_path``."""
    return corpus.recordings()[PLAN_COLUMNS].reset_index(drop=True)


def plan_durations(corpus: CorpusAdapter, planned: pd.DataFrame) -> dict[str, float]:
    """Media seconds per planned recording, known while the workflow is parsed.

    The demo's come from its settings (its media is generated later); a csv corpus's from
    its ``duration_s`` column where given, else from the media header (``soundfile.info``
    reads a wav header in well under a millisecond); a RAMAS corpus's from the headers.
    NaN where nothing can be read (such a recording becomes a shard of its own).
    """
    return corpus.durations(planned)


def plan_marks(corpus: CorpusAdapter) -> pd.DataFrame | None:
    """The corpus's marks as its source files hold them, read while parsing (text cells).

    ``recording, annotator, emotion, start_s, end_s`` for a csv or RAMAS corpus; ``None``
    for the demo corpus, whose marks are generated by a job. Rows are not checked here (the
    corpus stage does that and names them); this is for planning only.

    Raises:
        CorpusError: the corpus has no marks at all (a header-only annotations.csv).
    """
    return corpus.marks()


def max_annotators(corpus: CorpusAdapter, marks: pd.DataFrame | None) -> int:
    """The most annotators that marked any one recording (the highest level that can exist)."""
    return corpus.max_annotators(marks)


def corpus_input_files(corpus: CorpusAdapter, planned: pd.DataFrame) -> list[str]:
    """Every file the corpus rule reads, for its ``input:`` (sorted, unique).

    Args:
        corpus: the corpus's adapter.
        planned: :func:`plan_recordings`'s table; its media files are inputs too, since
            the adapters read their duration and frame rate.
    """
    media = [
        p for column in ("audio_path", "video_path") for p in planned[column] if isinstance(p, str)
    ]
    return sorted(set(corpus.table_files()) | {p for p in media if p})


def check_against_plan(recordings: pd.DataFrame, planned: list[str]) -> None:
    """Fail when the adapter's recordings differ from those planned at parse time.

    The per-recording jobs were expanded from the plan; a difference would leave
    recordings without features or features without a recording.
    """
    read = list(recordings["recording"])
    if read != list(planned):
        only_read = sorted(set(read) - set(planned))
        only_planned = sorted(set(planned) - set(read))
        raise CorpusError(
            "the corpus's recordings differ from those planned when the workflow was parsed "
            f"(read only: {only_read[:10]}, planned only: {only_planned[:10]}, "
            f"order differs: {not only_read and not only_planned}); rerun snakemake so it "
            "plans from the current corpus"
        )
