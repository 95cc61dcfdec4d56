"""Which recordings a corpus holds, known before any job runs (for the DAG), and writing
the normalized tables.

:func:`plan_recordings` is called by ``workflow/rules/common.smk`` while the workflow is
parsed, to expand the per-recording feature jobs. It returns exactly the recordings (and
media paths) that the corpus rule will later write to ``results/corpus/recordings.csv``;
the tests check this agreement for every format.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from emoagree.constants import ANNOTATION_COLUMNS, OPTIONAL_RECORDING_COLUMNS, RECORDING_COLUMNS
from emoagree.corpus.csv_adapter import (
    ANNOTATIONS_FILE,
    RECORDINGS_FILE,
    given_durations,
    plan_csv,
)
from emoagree.corpus.csv_files import read_rows
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


def plan_demo_recordings(demo: Mapping[str, Any], seed: int, path: str) -> pd.DataFrame:
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


def plan_recordings(config: Mapping[str, Any]) -> pd.DataFrame:
    """Recordings of the configured corpus: ``recording, audio_path, video_path``.

    Args:
        config: the workflow configuration (``corpus.format``, ``corpus.path``, and for the
            demo ``corpus.demo`` and ``seed``).
    """
    corpus = config["corpus"]
    fmt, path = corpus["format"], str(corpus["path"])
    if fmt == "demo":
        planned = plan_demo_recordings(corpus["demo"], config["seed"], path)
    elif fmt == "ramas":
        planned = plan_ramas(path)
    elif fmt == "csv":
        planned = plan_csv(path)
    else:
        raise CorpusError(f"unknown corpus format {fmt!r} (expected demo, ramas or csv)")
    return planned[PLAN_COLUMNS].reset_index(drop=True)


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


def plan_durations(config: Mapping[str, Any], planned: pd.DataFrame) -> dict[str, float]:
    """Media seconds per planned recording, known while the workflow is parsed.

    The demo's come from its settings (its media is generated later); a csv corpus's from
    its ``duration_s`` column where given, else from the media header (``soundfile.info``
    reads a wav header in well under a millisecond); a RAMAS corpus's from the headers.
    NaN where nothing can be read (such a recording becomes a shard of its own).
    """
    corpus = config["corpus"]
    fmt, path = corpus["format"], str(corpus["path"])
    recordings = [str(r) for r in planned["recording"]]
    if fmt == "demo":
        from emoagree.corpus.demo.plan import demo_settings

        seconds = demo_settings(corpus.get("demo")).duration_s
        return dict.fromkeys(recordings, seconds)
    given = dict.fromkeys(recordings, math.nan)
    if fmt == "csv":
        given.update(given_durations(path))
    durations = {}
    for recording, audio, video in zip(
        recordings, planned["audio_path"], planned["video_path"], strict=True
    ):
        duration = given.get(recording, math.nan)
        if not math.isfinite(duration):
            duration = _header_duration(_text(audio), _text(video))
        durations[recording] = duration
    return durations


def plan_marks(config: Mapping[str, Any]) -> pd.DataFrame | None:
    """The corpus's marks as its source files hold them, read while parsing (text cells).

    ``recording, annotator, emotion, start_s, end_s`` for a csv or RAMAS corpus; ``None``
    for the demo corpus, whose marks are generated by a job. Rows are not checked here (the
    corpus stage does that and names them); this is for planning only.

    Raises:
        CorpusError: the corpus has no marks at all (a header-only annotations.csv).
    """
    corpus = config["corpus"]
    fmt, path = corpus["format"], str(corpus["path"])
    if fmt == "csv":
        marks_path = os.path.join(path, ANNOTATIONS_FILE)
        marks = read_rows(marks_path, ANNOTATION_COLUMNS)
        if marks.empty:
            # said here, before any check that depends on the marks (levels, folds)
            raise CorpusError(f"{marks_path}: the corpus has no marks (the file has a header only)")
    elif fmt == "ramas":
        marks = read_marks(path)
    else:
        return None
    return marks[list(ANNOTATION_COLUMNS)].astype(str).reset_index(drop=True)


def max_annotators(config: Mapping[str, Any], marks: pd.DataFrame | None) -> int:
    """The most annotators that marked any one recording (the highest level that can exist)."""
    if marks is None:
        from emoagree.corpus.demo.plan import demo_settings

        return demo_settings(config["corpus"].get("demo")).n_annotators
    if marks.empty:
        return 0
    return int(marks.groupby("recording")["annotator"].nunique().max())


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


def corpus_input_files(config: Mapping[str, Any], planned: pd.DataFrame) -> list[str]:
    """Every file the corpus rule reads, for its ``input:`` (sorted, unique).

    Args:
        config: the workflow configuration.
        planned: :func:`plan_recordings`'s table; its media files are inputs too, since
            the adapters read their duration and frame rate.
    """
    corpus = config["corpus"]
    fmt, path = corpus["format"], str(corpus["path"])
    if fmt == "demo":
        from emoagree.corpus.demo import demo_files

        tables = [os.path.join(path, p) for p in demo_files(corpus["demo"], config["seed"])]
    elif fmt == "ramas":
        tables = marks_files(path) + [os.path.join(path, ACTORS_FILE)]
    elif fmt == "csv":
        tables = [os.path.join(path, RECORDINGS_FILE), os.path.join(path, ANNOTATIONS_FILE)]
    else:
        raise CorpusError(f"unknown corpus format {fmt!r} (expected demo, ramas or csv)")
    media = [
        p for column in ("audio_path", "video_path") for p in planned[column] if isinstance(p, str)
    ]
    return sorted(set(tables) | {p for p in media if p})


def write_normalized(
    recordings: pd.DataFrame, annotations: pd.DataFrame, out_dir: str
) -> tuple[str, str]:
    """Write ``recordings.csv`` and ``annotations.csv`` (contract columns) into ``out_dir``.

    The optional recording columns (``session``, ``split``) are written when present.

    Returns:
        The two paths written.
    """
    os.makedirs(out_dir, exist_ok=True)
    recording_columns = list(RECORDING_COLUMNS) + [
        column for column in OPTIONAL_RECORDING_COLUMNS if column in recordings.columns
    ]
    paths = (os.path.join(out_dir, "recordings.csv"), os.path.join(out_dir, "annotations.csv"))
    recordings[recording_columns].to_csv(paths[0], index=False)
    annotations[list(ANNOTATION_COLUMNS)].to_csv(paths[1], index=False)
    return paths


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
