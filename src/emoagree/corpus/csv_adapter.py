"""The generic CSV adapter: any multi-annotator corpus already in the normalized columns.

A corpus folder holds two files:

``recordings.csv``: ``recording, actor, scenario, audio_path, video_path, duration_s, fps``
and optionally ``session`` and ``split``.

- ``recording`` ids are unique, use only ``A-Z a-z 0-9 _ . -`` and do not start with a
  dot (they name files: ``.``, ``..`` and paths are refused).
- ``actor`` and ``scenario`` are required (write one value, e.g. ``all``, when a corpus
  has no scenarios); the split is stratified by scenario and can hold out actors.
- ``audio_path`` / ``video_path``: relative paths resolve against the corpus folder; one
  of the two may be empty (a one-modality corpus), not both. Given files must exist.
- ``duration_s`` and ``fps``: when a cell is empty the value is read from the media
  (duration from the wav, else the video; fps from the video with OpenCV). ``fps`` stays
  empty for a recording without video. Every media header is read: a file that cannot
  be decoded is an error naming its row, and a given ``duration_s`` must agree with the
  file within the tolerance.
- ``session`` (optional): recordings that share one clock (e.g. the two sides of a
  dialogue) carry the same session, so the split keeps them together; an empty cell or
  no column makes each recording its own session.
- ``split`` (optional, a corpus's own partition): every row ``train``, ``val`` or ``test``.

``annotations.csv``: ``recording, annotator, emotion, start_s, end_s``, one row per mark.
Whole-clip ratings are marks from 0 to the clip's duration. Marks must name a known
recording, have ``0 <= start_s < end_s`` and end no later than the recording's duration
plus :data:`~emoagree.corpus.marks.DEFAULT_TOLERANCE_S` (ends within it are clipped).

Every problem is reported with the file, the data row (counted from 1 after the header,
with its line number in the file) and what is wrong; all problems of a file are listed
together.
"""

from __future__ import annotations

import logging
import math
import os

import pandas as pd

from emoagree.constants import SPLITS
from emoagree.contracts.corpus import (
    ANNOTATION_COLUMNS,
    OPTIONAL_RECORDING_COLUMNS,
    RECORDING_COLUMNS,
)
from emoagree.corpus.csv_files import numeric_column, read_rows
from emoagree.corpus.errors import CorpusError, raise_problems, row_label
from emoagree.corpus.marks import DEFAULT_TOLERANCE_S, check_mark_times, recording_id_problem
from emoagree.corpus.media import audio_duration, video_info

log = logging.getLogger(__name__)

RECORDINGS_FILE = "recordings.csv"
ANNOTATIONS_FILE = "annotations.csv"


def resolve_media(root: str, path: str) -> str:
    """A media path as the tables write it: relative paths joined onto the corpus folder."""
    if path == "":
        return ""
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(root, path))


def _recordings_rows(root: str) -> tuple[str, pd.DataFrame, list[str]]:
    """``recordings.csv`` with ids, paths and splits checked (media not opened)."""
    if not os.path.isdir(root):
        raise CorpusError(f"{root}: CSV corpus folder not found")
    path = os.path.join(root, RECORDINGS_FILE)
    rows = read_rows(path, RECORDING_COLUMNS)
    if rows.empty:
        raise CorpusError(f"{path}: no recordings (the file has a header only)")
    problems: list[str] = []
    first_row: dict[str, int] = {}
    for index in rows.index:
        label = row_label(index)
        recording = rows.at[index, "recording"]
        problem = recording_id_problem(recording)
        if problem:
            problems.append(f"{label}: {problem}")
        elif recording in first_row:
            problems.append(
                f"{label}: duplicate recording id {recording!r} "
                f"(first in {row_label(first_row[recording])})"
            )
        else:
            first_row[recording] = index
        for column in ("actor", "scenario"):
            if rows.at[index, column] == "":
                problems.append(f"{label}: {column} is empty")
        audio, video = rows.at[index, "audio_path"], rows.at[index, "video_path"]
        if audio == "" and video == "":
            problems.append(f"{label}: both audio_path and video_path are empty")
        for column, media in (("audio_path", audio), ("video_path", video)):
            resolved = resolve_media(root, media)
            if resolved and not os.path.isfile(resolved):
                problems.append(f"{label}: {column} {media!r}: file not found ({resolved})")
        if "split" in rows.columns and rows.at[index, "split"] not in SPLITS:
            problems.append(
                f"{label}: split {rows.at[index, 'split']!r} is not one of {', '.join(SPLITS)}"
            )
    return path, rows, problems


def plan_csv(root: str) -> pd.DataFrame:
    """The recordings :func:`read_csv_corpus` outputs, read from ``recordings.csv`` only.

    Returns:
        ``recording, audio_path, video_path`` (media paths resolved) in file order.
    """
    path, rows, problems = _recordings_rows(root)
    raise_problems(path, problems)
    return pd.DataFrame(
        {
            "recording": rows["recording"].to_numpy(),
            "audio_path": [resolve_media(root, p) for p in rows["audio_path"]],
            "video_path": [resolve_media(root, p) for p in rows["video_path"]],
        }
    )


def given_durations(root: str) -> dict[str, float]:
    """``duration_s`` of the rows of ``recordings.csv`` that give a usable one (for planning)."""
    rows = read_rows(os.path.join(root, RECORDINGS_FILE), RECORDING_COLUMNS)
    values = pd.to_numeric(rows["duration_s"].str.strip(), errors="coerce")
    keep = values.notna() & (values > 0)
    return dict(zip(rows.loc[keep, "recording"], values[keep].astype(float), strict=True))


def _media_header(column: str, given: str, path: str) -> tuple[float, float, str]:
    """``(seconds, fps, problem)`` of one media file from its header (fps: video only)."""
    kind = "audio" if column == "audio_path" else "video"
    try:
        if kind == "audio":
            return audio_duration(path), math.nan, ""
        fps, seconds = video_info(path)
        return seconds, fps, ""
    except CorpusError as error:
        reason = str(error).removeprefix(f"{path}: ")
        return math.nan, math.nan, f"{column} {given!r} is not a readable {kind} file ({reason})"


def read_recordings(root: str, *, tolerance_s: float = DEFAULT_TOLERANCE_S) -> pd.DataFrame:
    """The checked, normalized recordings table of a CSV corpus.

    Every media file's header is read: a file that cannot be decoded is named with its
    row, and a given ``duration_s`` must agree with the header within ``tolerance_s``
    (for a video-only row, within one frame more), since every mark is checked against it.
    """
    path, rows, problems = _recordings_rows(root)
    duration = numeric_column(rows, "duration_s", problems, allow_empty=True)
    fps = numeric_column(rows, "fps", problems, allow_empty=True)
    raise_problems(path, problems)

    table = rows.copy()
    table["audio_path"] = [resolve_media(root, p) for p in rows["audio_path"]]
    table["video_path"] = [resolve_media(root, p) for p in rows["video_path"]]
    for index in rows.index:
        label = row_label(index)
        headers = {}
        for column in ("audio_path", "video_path"):
            if table.at[index, column]:
                headers[column] = _media_header(
                    column, rows.at[index, column], table.at[index, column]
                )
        broken = [problem for _, _, problem in headers.values() if problem]
        if broken:
            problems.extend(f"{label}: {problem}" for problem in broken)
            continue
        column = "audio_path" if "audio_path" in headers else "video_path"
        seconds, video_fps = headers[column][0], headers.get("video_path", (0, math.nan))[1]
        if math.isnan(fps[index]) and "video_path" in headers:
            fps[index] = video_fps
        slack = tolerance_s + (1.0 / video_fps if column == "video_path" else 0.0)
        if math.isnan(duration[index]):
            duration[index] = seconds
        elif abs(duration[index] - seconds) > slack:
            problems.append(
                f"{label}: duration_s {duration[index]:g} differs from the {seconds:.3f} s "
                f"that {column} {rows.at[index, column]!r} holds (tolerance {slack:g} s); "
                "leave duration_s empty to take it from the file"
            )
            continue
        if duration[index] <= 0:
            problems.append(f"{label}: duration_s {duration[index]:g} is not positive")
        if not math.isnan(fps[index]) and fps[index] <= 0:
            problems.append(f"{label}: fps {fps[index]:g} is not positive")
        if "video_path" not in headers and not math.isnan(fps[index]):
            problems.append(f"{label}: fps is given but video_path is empty")
    raise_problems(path, problems)
    table["duration_s"] = duration
    table["fps"] = fps
    optional = [column for column in OPTIONAL_RECORDING_COLUMNS if column in rows.columns]
    columns = list(RECORDING_COLUMNS) + optional
    return table[columns].reset_index(drop=True)


def _short_media(
    rows: pd.DataFrame, end: pd.Series, recordings: pd.DataFrame, tolerance_s: float
) -> tuple[list[str], set[str]]:
    """Recordings whose media file is shorter than most of the marks on it.

    A file cut short (or the wrong file) makes every mark that reaches its end look wrong;
    one message about the file says what happened. A single mark running past the end is
    left to the per-row check.
    """
    table = recordings.set_index("recording")
    problems, short = [], set()
    marks = pd.DataFrame({"recording": rows["recording"], "end": end})
    marks = marks[marks["recording"].isin(table.index) & marks["end"].notna()]
    for recording, group in marks.groupby("recording", sort=False):
        seconds = float(table.at[recording, "duration_s"])
        late = group[group["end"] > seconds + tolerance_s]
        if len(late) < 2 or len(late) * 2 < len(group):
            continue
        media = table.at[recording, "audio_path"] or table.at[recording, "video_path"]
        kind = "audio" if table.at[recording, "audio_path"] else "video"
        problems.append(
            f"recording {recording!r}: {media} holds {seconds:.3f} s, but {len(late)} of its "
            f"{len(group)} marks end later (up to {group['end'].max():g} s; first "
            f"{row_label(late.index[0])}): the {kind} file is shorter than the marks on it "
            "(cut short, or the wrong file?)"
        )
        short.add(recording)
    return problems, short


def read_annotations(root: str, recordings: pd.DataFrame, *, tolerance_s: float) -> pd.DataFrame:
    """The checked, normalized marks of a CSV corpus."""
    path = os.path.join(root, ANNOTATIONS_FILE)
    rows = read_rows(path, ANNOTATION_COLUMNS)
    if rows.empty:
        raise CorpusError(f"{path}: no marks (the file has a header only)")
    problems: list[str] = []
    start = numeric_column(rows, "start_s", problems)
    end = numeric_column(rows, "end_s", problems)
    known = set(recordings["recording"])
    for index in rows.index:
        label = row_label(index)
        recording = rows.at[index, "recording"]
        if recording not in known:
            problems.append(
                f"{label}: recording {recording!r} is not in {os.path.join(root, RECORDINGS_FILE)}"
            )
        for column in ("annotator", "emotion"):
            if rows.at[index, column] == "":
                problems.append(f"{label}: {column} is empty")
    short_problems, short = _short_media(rows, end, recordings, tolerance_s)
    problems.extend(short_problems)
    duration = rows["recording"].map(recordings.set_index("recording")["duration_s"])
    duration[rows["recording"].isin(short)] = math.nan  # already reported, per recording
    where = pd.Series([row_label(i) for i in rows.index], index=rows.index)
    _, end = check_mark_times(
        start, end, duration.astype(float), where, problems, tolerance_s=tolerance_s
    )
    raise_problems(path, problems)
    table = rows.assign(start_s=start, end_s=end)[list(ANNOTATION_COLUMNS)]
    table = table.reset_index(drop=True)
    # how later checks (labels, media) name a mark's row: not a column of the contract
    table.attrs["source"] = path
    table.attrs["where"] = [f"{path}: {row_label(i)}" for i in rows.index]
    return table


def read_csv_corpus(
    root: str, *, tolerance_s: float = DEFAULT_TOLERANCE_S
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read and check a CSV corpus folder.

    Args:
        root: folder holding ``recordings.csv`` and ``annotations.csv``.
        tolerance_s: how far past its recording's end a mark may end (it is clipped).

    Returns:
        The normalized ``(recordings, annotations)`` tables.
    """
    recordings = read_recordings(root, tolerance_s=tolerance_s)
    annotations = read_annotations(root, recordings, tolerance_s=tolerance_s)
    log.info("read %d recordings and %d marks from %s", len(recordings), len(annotations), root)
    return recordings, annotations
