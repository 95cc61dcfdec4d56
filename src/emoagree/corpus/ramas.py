"""The RAMAS adapter: the corpus as distributed, read into the normalized tables.

Layout read (see the project's RAMAS notes)::

    <root>/Annotations/Annotations_by_emotions/data_<Category>.csv   ID, File, Start, End
    <root>/Data/Audio/<id>_mic.wav                                   one microphone per actor
    <root>/Data/Video_close/<id>_Video.mov                           close-up camera
    <root>/Docs/actors_descr.csv                                     Date, ID, Name

- ``<id>`` is ``<date>_<scenario>_<side>`` (e.g. ``10dec_D11_1``). The scenario is the
  middle part; the actor is looked up in ``actors_descr.csv`` from the date and the side.
- ``actors_descr.csv`` encoding: one row per actor and recording date; ``Date`` is the
  date part of the ids (matched without regard to case), ``ID`` the side (1 or 2) the actor
  played that day, ``Name`` the actor. The delimiter (``,`` ``;`` or tab) is detected.
- Recordings are the ids that at least one mark names; media without marks are ignored.
  Each such id must have both its wav and its video, else the error names the marks file
  and row that name it and the missing file.
- ``session`` is ``<date>_<scenario>``: both actors' recordings of one dialogue share a
  clock (and each other's voice as crosstalk), so the split keeps them together.
- ``fps`` is read from each video with OpenCV; ``duration_s`` is the longer of the wav's
  and the video's durations (the two may end a frame apart).
- ``annotations.csv`` keeps the marks of **every** category found (``Neutral`` and the
  extra categories ``Domination``, ``Submission``, ... included): the annotation figure
  shows them, and the level code keeps only the configured emotions. ``annotator`` is the
  ``ID`` column as text, ``emotion`` the ``<Category>`` of the file name.
- Mark times: empty or non-numeric, negative and reversed (start > end) marks are errors,
  as are marks ending past the recording (beyond a small tolerance, within which they are
  clipped). Zero-length marks (start == end) cover no time and are dropped with a count in
  the log, since a distributed corpus cannot be edited by its user.
"""

from __future__ import annotations

import glob
import logging
import os
import re

import pandas as pd

from emoagree.contracts.corpus import ANNOTATION_COLUMNS, RECORDING_COLUMNS
from emoagree.corpus.csv_files import numeric_column, read_rows
from emoagree.corpus.errors import CorpusError, raise_problems, row_label
from emoagree.corpus.marks import DEFAULT_TOLERANCE_S, check_mark_times, recording_id_problem
from emoagree.corpus.media import audio_duration, video_info

log = logging.getLogger(__name__)

EMOTIONS_DIR = os.path.join("Annotations", "Annotations_by_emotions")
AUDIO_DIR = os.path.join("Data", "Audio")
VIDEO_DIR = os.path.join("Data", "Video_close")
ACTORS_FILE = os.path.join("Docs", "actors_descr.csv")
MARK_COLUMNS = ("ID", "File", "Start", "End")
ACTOR_COLUMNS = ("Date", "ID", "Name")
MARKS_FILE = re.compile(r"^data_(?P<category>.+)\.csv$")
RAMAS_ID = re.compile(r"^(?P<date>[^_]+)_(?P<scenario>[^_]+)_(?P<side>[^_]+)$")


def audio_relpath(recording: str) -> str:
    """Where RAMAS keeps a recording's microphone wav, relative to the corpus root."""
    return os.path.join(AUDIO_DIR, f"{recording}_mic.wav")


def video_relpath(recording: str) -> str:
    """Where RAMAS keeps a recording's close-up video, relative to the corpus root."""
    return os.path.join(VIDEO_DIR, f"{recording}_Video.mov")


def media_paths(root: str, recording: str) -> tuple[str, str]:
    """Audio and video paths of one recording as the tables write them.

    A plain join onto the root, not normalized: the demo rule names its outputs the same
    way, and Snakemake matches paths as strings.
    """
    return (
        os.path.join(root, audio_relpath(recording)),
        os.path.join(root, video_relpath(recording)),
    )


def parse_recording_id(recording: str) -> dict[str, str]:
    """Split a RAMAS id ``<date>_<scenario>_<side>`` into its parts.

    Raises:
        ValueError: when the id does not have that shape.
    """
    match = RAMAS_ID.match(recording)
    if not match:
        raise ValueError(
            f"recording id {recording!r} is not of the form <date>_<scenario>_<side> "
            "(e.g. 10dec_D11_1)"
        )
    return match.groupdict()


def marks_files(root: str) -> list[str]:
    """The by-emotion marks files, sorted; errors name the missing folder or file."""
    if not os.path.isdir(root):
        raise CorpusError(f"{root}: RAMAS corpus folder not found")
    folder = os.path.join(root, EMOTIONS_DIR)
    if not os.path.isdir(folder):
        raise CorpusError(f"{folder}: folder not found (RAMAS keeps its marks there)")
    files = sorted(glob.glob(os.path.join(glob.escape(folder), "data_*.csv")))
    if not files:
        raise CorpusError(f"{folder}: no data_<Category>.csv files in the folder")
    return files


def read_marks(root: str) -> pd.DataFrame:
    """Every mark of every by-emotion file, with the file and row each came from.

    Returns:
        ``recording, annotator, emotion, start_s, end_s, source, where`` where ``source``
        is the marks file and ``where`` names the file and row for messages.
    """
    tables = []
    problems: list[str] = []
    for path in marks_files(root):
        category = MARKS_FILE.match(os.path.basename(path)).group("category")
        rows = read_rows(path, MARK_COLUMNS, sniff=True)
        where = pd.Series([f"{path}: {row_label(i)}" for i in rows.index], index=rows.index)
        own: list[str] = []
        start = numeric_column(rows, "Start", own)
        end = numeric_column(rows, "End", own)
        for index in rows.index:
            if rows.at[index, "ID"] == "":
                own.append(f"{row_label(index)}: ID (annotator) is empty")
            problem = recording_id_problem(rows.at[index, "File"])
            if problem is None:
                try:
                    parse_recording_id(rows.at[index, "File"])
                except ValueError as error:
                    problem = str(error)
            if problem:
                own.append(f"{row_label(index)}: File: {problem}")
        problems += [f"{path}: {problem}" for problem in own]
        tables.append(
            pd.DataFrame(
                {
                    "recording": rows["File"],
                    "annotator": rows["ID"],
                    "emotion": category,
                    "start_s": start,
                    "end_s": end,
                    "source": path,
                    "where": where,
                }
            )
        )
    raise_problems(None, problems)
    marks = pd.concat(tables, ignore_index=True)
    if marks.empty:
        raise CorpusError(f"{os.path.join(root, EMOTIONS_DIR)}: the marks files hold no marks")
    log.info("read %d marks from %d by-emotion files", len(marks), len(tables))
    return marks


def read_actors(root: str) -> dict[tuple[str, str], str]:
    """``(date, side) -> actor`` from ``Docs/actors_descr.csv`` (date lower-cased)."""
    path = os.path.join(root, ACTORS_FILE)
    if not os.path.isdir(os.path.dirname(path)):
        raise CorpusError(
            f"{os.path.dirname(path)}: folder not found (RAMAS keeps actors_descr.csv there)"
        )
    rows = read_rows(path, ACTOR_COLUMNS, sniff=True)
    actors: dict[tuple[str, str], str] = {}
    first_row: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    for index in rows.index:
        date, side, name = (rows.at[index, column] for column in ACTOR_COLUMNS)
        if not date or not side or not name:
            problems.append(f"{row_label(index)}: Date, ID and Name must all be given")
            continue
        key = (date.lower(), _side_text(side))
        if key in actors and actors[key] != name:
            problems.append(
                f"{row_label(index)}: date {date} side {side} is already given to "
                f"{actors[key]!r} in {row_label(first_row[key])}, here to {name!r}"
            )
            continue
        actors[key] = name
        first_row.setdefault(key, index)
    raise_problems(path, problems)
    return actors


def _side_text(side: str) -> str:
    """Side numbers as written by spreadsheets (``1.0``) read as ``1``."""
    try:
        number = float(side)
    except ValueError:
        return side
    return str(int(number)) if number.is_integer() else side


def check_media(root: str, marks: pd.DataFrame) -> list[str]:
    """Recording ids named by the marks (sorted), each checked to have its wav and video."""
    recordings = sorted(marks["recording"].unique())
    problems = []
    first_where = marks.groupby("recording", sort=False)["where"].first()
    for recording in recordings:
        missing = [path for path in media_paths(root, recording) if not os.path.isfile(path)]
        if missing:
            problems.append(
                f"{first_where[recording]}: File {recording} has no media: "
                f"{' and '.join(missing)} not found"
            )
    for folder in (AUDIO_DIR, VIDEO_DIR):
        if problems and not os.path.isdir(os.path.join(root, folder)):
            raise CorpusError(f"{os.path.join(root, folder)}: media folder not found")
    raise_problems(None, problems)
    return recordings


def plan_ramas(root: str) -> pd.DataFrame:
    """The recordings :func:`read_ramas` outputs, without opening any media file.

    Returns:
        ``recording, audio_path, video_path`` in the order of the recordings table.
    """
    recordings = check_media(root, read_marks(root))
    paths = [media_paths(root, recording) for recording in recordings]
    return pd.DataFrame(
        {
            "recording": recordings,
            "audio_path": [audio for audio, _ in paths],
            "video_path": [video for _, video in paths],
        }
    )


def read_ramas(
    root: str, *, tolerance_s: float = DEFAULT_TOLERANCE_S
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a RAMAS corpus (or the demo corpus written in its layout).

    Args:
        root: the corpus root folder.
        tolerance_s: how far past its recording's end a mark may end (it is clipped).

    Returns:
        The normalized ``(recordings, annotations)`` tables (columns of
        :data:`~emoagree.contracts.corpus.RECORDING_COLUMNS` plus ``session``, and
        :data:`~emoagree.contracts.corpus.ANNOTATION_COLUMNS`).
    """
    marks = read_marks(root)
    recordings = check_media(root, marks)
    actors = read_actors(root)
    first_where = marks.groupby("recording", sort=False)["where"].first()

    rows = []
    problems = []
    for number, recording in enumerate(recordings, start=1):
        parts = parse_recording_id(recording)
        actor = actors.get((parts["date"].lower(), _side_text(parts["side"])))
        if actor is None:
            problems.append(
                f"{first_where[recording]}: File {recording}: no actor for date "
                f"{parts['date']} and side {parts['side']} in {os.path.join(root, ACTORS_FILE)}"
            )
            continue
        audio_path, video_path = media_paths(root, recording)
        fps, video_s = video_info(video_path)
        duration = max(audio_duration(audio_path), video_s)
        session = f"{parts['date']}_{parts['scenario']}"
        rows.append(
            (recording, actor, parts["scenario"], audio_path, video_path, duration, fps, session)
        )
        if number % 50 == 0 or number == len(recordings):
            log.info("read media of %d/%d recordings", number, len(recordings))
    raise_problems(None, problems)
    table = pd.DataFrame(rows, columns=[*RECORDING_COLUMNS, "session"])
    unmarked = sorted(
        set(
            name[: -len("_mic.wav")]
            for name in os.listdir(os.path.join(root, AUDIO_DIR))
            if name.endswith("_mic.wav")
        )
        - set(recordings)
    )
    if unmarked:
        log.info(
            "%d audio files have no marks and are left out, e.g. %s", len(unmarked), unmarked[:5]
        )

    duration = marks["recording"].map(table.set_index("recording")["duration_s"])
    keep, end = check_mark_times(
        marks["start_s"],
        marks["end_s"],
        duration,
        marks["where"],
        problems,
        tolerance_s=tolerance_s,
        zero_length_is_error=False,
    )
    raise_problems(None, problems)
    if (~keep).any():
        log.warning("dropped %d zero-length marks (start == end)", int((~keep).sum()))
    annotations = marks.assign(end_s=end)[keep][[*ANNOTATION_COLUMNS, "where"]]
    annotations = annotations.sort_values(
        ["recording", "emotion", "annotator", "start_s", "end_s"], kind="stable"
    ).reset_index(drop=True)
    where = list(annotations.pop("where"))
    # how later checks (labels, media) name a mark's row: not a column of the contract
    annotations.attrs["source"] = os.path.join(root, EMOTIONS_DIR)
    annotations.attrs["where"] = where
    return table, annotations
