"""Corpus adapters: the CSV adapter's checks, the RAMAS layout, and the parse-time plan."""

from __future__ import annotations

import os
import sys
import types

import cv2
import numpy as np
import pandas as pd
import pytest
import soundfile

from emoagree.contracts.corpus import ANNOTATION_COLUMNS, RECORDING_COLUMNS, write_normalized
from emoagree.corpus import CorpusError, plan_recordings, read_corpus
from emoagree.corpus.plan import corpus_input_files
from emoagree.corpus.ramas import audio_relpath, video_relpath
from emoagree.plan import corpus_of

# --------------------------------------------------------------------------- media helpers


def write_wav(path, duration_s: float, sample_rate: int = 8000, *, silent: bool = False) -> None:
    """A wav of quiet noise (about -32 dBFS), or of exact zeros (digital silence)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    n = int(round(duration_s * sample_rate))
    noise = np.random.default_rng(n).normal(0, 0.025, n)
    samples = np.zeros(n, dtype=np.float32) if silent else noise.astype(np.float32)
    soundfile.write(path, samples, sample_rate)


def write_video(path, duration_s: float, fps: int) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    assert writer.isOpened()
    for i in range(int(round(duration_s * fps))):
        writer.write(np.full((48, 64, 3), (i * 7) % 255, np.uint8))
    writer.release()


# ----------------------------------------------------------------------------- CSV corpus

RECORDINGS_HEADER = "recording,actor,scenario,audio_path,video_path,duration_s,fps"


@pytest.fixture
def csv_corpus(tmp_path):
    """A valid two-recording corpus: one audio+video, one audio-only (empty video_path)."""
    root = tmp_path / "corpus"
    write_wav(root / "media" / "r1.wav", 2.0)
    write_video(root / "media" / "r1.mov", 2.0, 25)
    write_wav(root / "media" / "r2.wav", 3.0)
    (root / "recordings.csv").write_text(
        RECORDINGS_HEADER + ",split\n"
        "r1,anna,S1,media/r1.wav,media/r1.mov,2.0,25,train\n"
        "r2,boris,S2,media/r2.wav,,3.0,,test\n"
    )
    (root / "annotations.csv").write_text(
        "recording,annotator,emotion,start_s,end_s\n"
        "r1,a1,Angry,0.0,1.5\n"
        "r1,a2,Angry,0.5,2.0\n"
        "r2,a1,Sad,0.0,3.0\n"  # a whole-clip rating is a mark over the whole clip
        "r2,a2,Sad,0.0,3.005\n"  # within the tolerance: clipped to the duration
    )
    return root


def rewrite(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_csv_round_trip_keeps_values_split_and_one_modality(csv_corpus, tmp_path):
    recordings, annotations = read_corpus("csv", str(csv_corpus))
    assert list(recordings.columns) == list(RECORDING_COLUMNS) + ["split"]
    assert list(recordings["recording"]) == ["r1", "r2"]
    assert list(recordings["split"]) == ["train", "test"]
    assert recordings.loc[0, "audio_path"] == os.path.join(str(csv_corpus), "media", "r1.wav")
    assert recordings.loc[1, "video_path"] == ""
    assert np.isnan(recordings.loc[1, "fps"])
    assert recordings.loc[0, "fps"] == 25.0
    assert list(recordings["duration_s"]) == [2.0, 3.0]
    assert list(annotations.columns) == list(ANNOTATION_COLUMNS)
    assert list(annotations["end_s"]) == [1.5, 2.0, 3.0, 3.0]

    out = tmp_path / "out"
    write_normalized(recordings, annotations, str(out))
    again = pd.read_csv(out / "recordings.csv", keep_default_na=False)
    assert list(again.columns) == list(RECORDING_COLUMNS) + ["split"]
    assert list(again["video_path"]) == [recordings.loc[0, "video_path"], ""]
    marks = pd.read_csv(out / "annotations.csv")
    pd.testing.assert_frame_equal(marks, annotations, check_dtype=False)


def test_csv_session_column_passes_through(csv_corpus, tmp_path):
    rewrite(csv_corpus / "recordings.csv", ",split\n", ",split,session\n")
    rewrite(csv_corpus / "recordings.csv", ",train\n", ",train,dlg1\n")
    rewrite(csv_corpus / "recordings.csv", ",test\n", ",test,\n")
    recordings, annotations = read_corpus("csv", str(csv_corpus))
    assert list(recordings.columns) == [*RECORDING_COLUMNS, "session", "split"]
    assert list(recordings["session"]) == ["dlg1", ""]  # empty: the recording is its session
    write_normalized(recordings, annotations, str(tmp_path / "out"))
    again = pd.read_csv(tmp_path / "out" / "recordings.csv", keep_default_na=False)
    assert list(again["session"]) == ["dlg1", ""]


def test_csv_reads_empty_duration_and_fps_from_the_media(csv_corpus):
    rewrite(csv_corpus / "recordings.csv", "media/r1.mov,2.0,25,", "media/r1.mov,,,")
    recordings, _ = read_corpus("csv", str(csv_corpus))
    assert recordings.loc[0, "fps"] == 25.0
    assert recordings.loc[0, "duration_s"] == pytest.approx(2.0)


def expect_error(corpus, *fragments: str) -> str:
    with pytest.raises(CorpusError) as raised:
        read_corpus("csv", str(corpus))
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def test_csv_missing_recordings_column(csv_corpus):
    rewrite(csv_corpus / "recordings.csv", "recording,actor,scenario,", "recording,scenario,")
    rewrite(csv_corpus / "recordings.csv", "r1,anna,", "r1,")
    rewrite(csv_corpus / "recordings.csv", "r2,boris,", "r2,")
    expect_error(
        csv_corpus, str(csv_corpus / "recordings.csv"), "line 1 (header)", "missing column(s) actor"
    )


def test_csv_missing_annotations_column(csv_corpus):
    rewrite(csv_corpus / "annotations.csv", "annotator,emotion", "rater,emotion")
    expect_error(
        csv_corpus,
        str(csv_corpus / "annotations.csv"),
        "line 1 (header)",
        "missing column(s) annotator",
    )


def test_csv_start_not_before_end(csv_corpus):
    rewrite(csv_corpus / "annotations.csv", "r1,a2,Angry,0.5,2.0", "r1,a2,Angry,1.2,1.2")
    expect_error(
        csv_corpus,
        str(csv_corpus / "annotations.csv"),
        "data row 2 (line 3)",
        "start 1.2 s is not before end 1.2 s",
    )


def test_csv_negative_time(csv_corpus):
    rewrite(csv_corpus / "annotations.csv", "r2,a1,Sad,0.0,3.0", "r2,a1,Sad,-0.5,3.0")
    expect_error(
        csv_corpus, str(csv_corpus / "annotations.csv"), "data row 3 (line 4)", "negative start"
    )


def test_csv_mark_past_duration(csv_corpus):
    rewrite(csv_corpus / "annotations.csv", "r1,a1,Angry,0.0,1.5", "r1,a1,Angry,0.0,2.02")
    expect_error(
        csv_corpus,
        str(csv_corpus / "annotations.csv"),
        "data row 1 (line 2)",
        "mark ends at 2.02 s, past the recording's duration 2 s",
    )


def test_csv_mark_on_unknown_recording(csv_corpus):
    rewrite(csv_corpus / "annotations.csv", "r2,a2,Sad", "r9,a2,Sad")
    expect_error(
        csv_corpus,
        str(csv_corpus / "annotations.csv"),
        "data row 4 (line 5)",
        "recording 'r9' is not in",
    )


def test_csv_non_numeric_time(csv_corpus):
    rewrite(csv_corpus / "annotations.csv", "r1,a2,Angry,0.5,2.0", "r1,a2,Angry,0.5,two")
    expect_error(
        csv_corpus, str(csv_corpus / "annotations.csv"), "data row 2 (line 3)", "'two' is not"
    )


def test_csv_missing_media_file(csv_corpus):
    os.remove(csv_corpus / "media" / "r2.wav")
    expect_error(
        csv_corpus,
        str(csv_corpus / "recordings.csv"),
        "data row 2 (line 3)",
        "audio_path 'media/r2.wav': file not found",
    )


def test_csv_duplicate_recording_id(csv_corpus):
    rewrite(csv_corpus / "recordings.csv", "r2,boris", "r1,boris")
    expect_error(
        csv_corpus,
        str(csv_corpus / "recordings.csv"),
        "data row 2 (line 3)",
        "duplicate recording id 'r1' (first in data row 1 (line 2))",
    )


def test_csv_invalid_split(csv_corpus):
    rewrite(csv_corpus / "recordings.csv", ",test\n", ",dev\n")
    expect_error(
        csv_corpus,
        str(csv_corpus / "recordings.csv"),
        "data row 2 (line 3)",
        "split 'dev' is not one of train, val, test",
    )


def test_csv_recording_without_any_media(csv_corpus):
    rewrite(csv_corpus / "recordings.csv", "media/r2.wav,,3.0", ",,3.0")
    expect_error(csv_corpus, "data row 2 (line 3)", "both audio_path and video_path are empty")


def test_csv_recording_id_that_cannot_name_files(csv_corpus):
    rewrite(csv_corpus / "recordings.csv", "r2,boris", "r 2,boris")
    expect_error(csv_corpus, "data row 2 (line 3)", "recording id 'r 2' has characters")


def test_csv_lists_every_problem_of_a_file(csv_corpus):
    rewrite(csv_corpus / "annotations.csv", "r1,a1,Angry,0.0,1.5", "r1,a1,Angry,1.5,0.0")
    rewrite(csv_corpus / "annotations.csv", "r2,a1,Sad,0.0,3.0", "r2,a1,Sad,0.0,9.0")
    message = expect_error(csv_corpus, "2 problem(s)", "data row 1 (line 2)", "data row 3")
    assert message.count(str(csv_corpus / "annotations.csv")) == 3  # header + one per line


def test_csv_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    expect_error(missing, str(missing), "folder not found")


# --------------------------------------------------------------------------- RAMAS layout

RAMAS_RECORDINGS = {  # id: (duration_s, fps)
    "10dec_D11_1": (2.0, 25),
    "10dec_D11_2": (2.0, 50),
    "11dec_K02_1": (1.6, 25),
}


@pytest.fixture
def ramas_root(tmp_path):
    """A tiny RAMAS tree: 3 recordings, 3 categories (Neutral and Domination included)."""
    root = tmp_path / "RAMAS"
    for recording, (duration, fps) in RAMAS_RECORDINGS.items():
        write_wav(root / audio_relpath(recording), duration)
        write_video(root / video_relpath(recording), duration, fps)
    write_wav(root / audio_relpath("12dec_O01_1"), 1.0)  # media without marks: not a recording
    marks = root / "Annotations" / "Annotations_by_emotions"
    marks.mkdir(parents=True)
    (marks / "data_Angry.csv").write_text(
        "ID,File,Start,End\n"
        "3,10dec_D11_2,0.5,1.25\n"
        "1,10dec_D11_1,0.0,1.0\n"
        "2,10dec_D11_1,0.2,2.004\n"  # within tolerance of the 2 s recording: clipped
        "2,10dec_D11_1,0.7,0.7\n"  # zero length: dropped
    )
    (marks / "data_Neutral.csv").write_text("ID,File,Start,End\n1,11dec_K02_1,0.0,1.6\n")
    # A spreadsheet export: ';' delimiter, decimal commas, CRLF and a trailing blank line.
    (marks / "data_Domination.csv").write_bytes(
        b"ID;File;Start;End\r\n4;11dec_K02_1;0,1;0,4\r\n\r\n"
    )
    (root / "Docs").mkdir()
    (root / "Docs" / "actors_descr.csv").write_text(
        "Date,ID,Name\n10dec,1,Anna\n10dec,2,Boris\n11DEC,1.0,Boris\n11dec,2,Anna\n"
    )
    return root


def test_ramas_recordings_actors_fps_and_durations(ramas_root):
    recordings, _ = read_corpus("ramas", str(ramas_root))
    assert list(recordings.columns) == [*RECORDING_COLUMNS, "session"]
    table = recordings.set_index("recording")
    # both sides of a dialogue share its session <date>_<scenario>
    assert list(table["session"]) == ["10dec_D11", "10dec_D11", "11dec_K02"]
    assert list(table.index) == sorted(RAMAS_RECORDINGS)
    assert table.loc["10dec_D11_1", "actor"] == "Anna"
    assert table.loc["10dec_D11_2", "actor"] == "Boris"
    assert table.loc["11dec_K02_1", "actor"] == "Boris"
    assert list(table["scenario"]) == ["D11", "D11", "K02"]
    assert list(table["fps"]) == [25.0, 50.0, 25.0]
    for recording, (duration, _) in RAMAS_RECORDINGS.items():
        assert table.loc[recording, "duration_s"] == pytest.approx(duration)
        assert table.loc[recording, "audio_path"] == str(ramas_root / audio_relpath(recording))
        assert table.loc[recording, "video_path"] == str(ramas_root / video_relpath(recording))


def test_ramas_marks_are_normalized_and_keep_every_category(ramas_root):
    _, annotations = read_corpus("ramas", str(ramas_root))
    assert list(annotations.columns) == list(ANNOTATION_COLUMNS)
    rows = [tuple(row) for row in annotations.itertuples(index=False)]
    assert rows == [
        ("10dec_D11_1", "1", "Angry", 0.0, 1.0),
        ("10dec_D11_1", "2", "Angry", 0.2, 2.0),
        ("10dec_D11_2", "3", "Angry", 0.5, 1.25),
        ("11dec_K02_1", "4", "Domination", 0.1, 0.4),
        ("11dec_K02_1", "1", "Neutral", 0.0, 1.6),
    ]


def test_ramas_demo_format_reads_the_same_layout(ramas_root):
    as_ramas = read_corpus("ramas", str(ramas_root))
    as_demo = read_corpus("demo", str(ramas_root))
    for ours, theirs in zip(as_ramas, as_demo, strict=True):
        pd.testing.assert_frame_equal(ours, theirs)


@pytest.mark.parametrize(
    "missing",
    [
        "",
        "Annotations/Annotations_by_emotions",
        "Docs",
        "Docs/actors_descr.csv",
        "Data/Video_close",
    ],
)
def test_ramas_missing_folder_or_file_is_named(ramas_root, missing):
    import shutil

    target = ramas_root / missing
    shutil.rmtree(target) if target.is_dir() else os.remove(target)
    with pytest.raises(CorpusError) as raised:
        read_corpus("ramas", str(ramas_root))
    assert str(target).rstrip("/") in str(raised.value)
    assert "not found" in str(raised.value)


def test_ramas_without_any_mark_is_an_error(ramas_root):
    for path in (ramas_root / "Annotations" / "Annotations_by_emotions").iterdir():
        path.write_text("ID,File,Start,End\n")
    with pytest.raises(CorpusError, match="the marks files hold no marks"):
        read_corpus("ramas", str(ramas_root))


def test_ramas_mark_without_media_names_file_and_row(ramas_root):
    os.remove(ramas_root / video_relpath("10dec_D11_2"))
    with pytest.raises(CorpusError) as raised:
        read_corpus("ramas", str(ramas_root))
    message = str(raised.value)
    assert "data_Angry.csv: data row 1 (line 2)" in message
    assert "File 10dec_D11_2 has no media" in message
    assert str(ramas_root / video_relpath("10dec_D11_2")) in message


def test_ramas_unknown_actor_names_date_side_and_row(ramas_root):
    (ramas_root / "Docs" / "actors_descr.csv").write_text("Date,ID,Name\n10dec,1,Anna\n")
    with pytest.raises(CorpusError) as raised:
        read_corpus("ramas", str(ramas_root))
    message = str(raised.value)
    assert "data_Angry.csv: data row 1 (line 2)" in message
    assert "no actor for date 10dec and side 2" in message


def test_ramas_bad_file_id_and_reversed_mark(ramas_root):
    path = ramas_root / "Annotations" / "Annotations_by_emotions" / "data_Sad.csv"
    path.write_text("ID,File,Start,End\n1,10dec-D11-1,0,1\n1,10dec_D11_1,1.5,0.5\n")
    with pytest.raises(CorpusError) as raised:
        read_corpus("ramas", str(ramas_root))
    message = str(raised.value)
    assert f"{path}: data row 1 (line 2): File: recording id '10dec-D11-1' is not of" in message
    path.write_text("ID,File,Start,End\n1,10dec_D11_1,1.5,0.5\n")
    with pytest.raises(CorpusError) as raised_again:
        read_corpus("ramas", str(ramas_root))
    assert f"{path}: data row 1 (line 2): start 1.5 s is not before end 0.5 s" in str(
        raised_again.value
    )


# ---------------------------------------------------------------------------------- plan


def config_for(fmt: str, path) -> dict:
    return {"seed": 1, "corpus": {"format": fmt, "path": str(path), "tolerance_s": 0.01}}


@pytest.mark.parametrize("fmt", ["csv", "ramas"])
def test_plan_agrees_with_the_adapter(fmt, csv_corpus, ramas_root):
    root = csv_corpus if fmt == "csv" else ramas_root
    planned = plan_recordings(corpus_of(config_for(fmt, root)))
    recordings, _ = read_corpus(fmt, str(root))
    assert list(planned.columns) == ["recording", "audio_path", "video_path"]
    pd.testing.assert_frame_equal(
        planned, recordings[["recording", "audio_path", "video_path"]].reset_index(drop=True)
    )


def test_plan_of_relative_corpus_path_keeps_paths_relative(csv_corpus, monkeypatch):
    monkeypatch.chdir(csv_corpus.parent)
    planned = plan_recordings(corpus_of(config_for("csv", "corpus")))
    assert list(planned["audio_path"]) == ["corpus/media/r1.wav", "corpus/media/r2.wav"]
    recordings, _ = read_corpus("csv", "corpus")
    assert list(recordings["audio_path"]) == list(planned["audio_path"])


def fake_demo(monkeypatch, plan: pd.DataFrame) -> None:
    module = types.ModuleType("emoagree.corpus.demo")
    module.plan_demo = lambda demo, seed: plan
    monkeypatch.setitem(sys.modules, "emoagree.corpus.demo", module)


def test_plan_of_demo_joins_the_generator_plan_onto_the_corpus_path(monkeypatch, ramas_root):
    ids = ["11dec_K02_1", "10dec_D11_1", "10dec_D11_2"]
    fake_demo(
        monkeypatch,
        pd.DataFrame(
            {
                "recording": ids,
                "audio_relpath": [audio_relpath(i) for i in ids],
                "video_relpath": [video_relpath(i) for i in ids],
            }
        ),
    )
    config = config_for("demo", ramas_root) | {"seed": 3}
    config["corpus"]["demo"] = {}
    planned = plan_recordings(corpus_of(config))
    recordings, _ = read_corpus("demo", str(ramas_root))
    pd.testing.assert_frame_equal(planned, recordings[["recording", "audio_path", "video_path"]])


def test_plan_of_demo_refuses_paths_outside_the_ramas_layout(monkeypatch, tmp_path):
    fake_demo(
        monkeypatch,
        pd.DataFrame(
            {"recording": ["a_b_1"], "audio_relpath": ["x.wav"], "video_relpath": ["y.mov"]}
        ),
    )
    config = config_for("demo", tmp_path)
    config["corpus"]["demo"] = {}
    with pytest.raises(CorpusError, match="audio_relpath 'x.wav' is not the RAMAS layout"):
        plan_recordings(corpus_of(config))


@pytest.mark.parametrize("fmt", ["csv", "ramas"])
def test_corpus_rule_inputs_are_the_files_the_adapter_reads(fmt, csv_corpus, ramas_root):
    root = csv_corpus if fmt == "csv" else ramas_root
    config = config_for(fmt, root)
    inputs = corpus_input_files(corpus_of(config), plan_recordings(corpus_of(config)))
    if fmt == "csv":
        expected = [
            "annotations.csv",
            "media/r1.mov",
            "media/r1.wav",
            "media/r2.wav",
            "recordings.csv",
        ]
    else:
        expected = sorted(
            [
                f"Annotations/Annotations_by_emotions/data_{c}.csv"
                for c in ("Angry", "Domination", "Neutral")
            ]
            + ["Docs/actors_descr.csv"]
            + [audio_relpath(r) for r in RAMAS_RECORDINGS]
            + [video_relpath(r) for r in RAMAS_RECORDINGS]
        )
    assert inputs == sorted(os.path.join(str(root), p) for p in expected)


def test_corpus_rule_inputs_of_the_demo_are_the_generator_files(monkeypatch, tmp_path):
    fake_demo(
        monkeypatch,
        pd.DataFrame(
            {
                "recording": ["a_b_1"],
                "audio_relpath": [audio_relpath("a_b_1")],
                "video_relpath": [video_relpath("a_b_1")],
            }
        ),
    )
    sys.modules["emoagree.corpus.demo"].demo_files = lambda demo, seed: [
        "Docs/actors_descr.csv",
        audio_relpath("a_b_1"),
        "truth.csv",
    ]
    config = config_for("demo", tmp_path / "demo")
    config["corpus"]["demo"] = {}
    inputs = corpus_input_files(corpus_of(config), plan_recordings(corpus_of(config)))
    root = str(tmp_path / "demo")
    assert inputs == sorted(
        os.path.join(root, p)
        for p in (
            "Docs/actors_descr.csv",
            audio_relpath("a_b_1"),
            video_relpath("a_b_1"),
            "truth.csv",
        )
    )


@pytest.mark.slow
def test_generated_demo_reads_through_the_ramas_adapter_as_planned(tmp_path):
    demo_module = pytest.importorskip("emoagree.corpus.demo")  # lands with the demo branch
    demo = {"n_actors": 2, "n_dialogues": 1, "duration_s": 6.0, "n_annotators": 5}
    root = tmp_path / "demo"
    demo_module.generate_demo(
        root=str(root),
        demo=demo,
        emotions=["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"],
        seed=5,
        threads=1,
    )
    config = {"seed": 5, "corpus": {"format": "demo", "path": str(root), "demo": demo}}
    recordings, annotations = read_corpus("demo", str(root))
    planned = plan_recordings(corpus_of(config))
    pd.testing.assert_frame_equal(planned, recordings[["recording", "audio_path", "video_path"]])
    plan = demo_module.plan_demo(demo, 5).set_index("recording")
    table = recordings.set_index("recording")
    assert list(table["actor"]) == list(plan.loc[table.index, "actor"])
    assert list(table["scenario"]) == list(plan.loc[table.index, "scenario"])
    assert list(table["fps"]) == [float(f) for f in plan.loc[table.index, "fps"]]
    assert set(annotations["recording"]) == set(table.index)
    assert "Neutral" in set(annotations["emotion"])  # raw marks of every category are kept
    inputs = corpus_input_files(corpus_of(config), planned)
    assert all(os.path.isfile(path) for path in inputs)
