"""Audio features: ComParE functionals per interval, cached LLDs, unscorable intervals."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import opensmile
import pandas as pd
import pytest
import soundfile as sf
from audio_synth import SAMPLE_RATE, make_corpus, tone, write_recording

from emoagree.audio.functionals import (
    NAN_FEATURES,
    OK,
    TOO_SHORT,
    extract_functionals,
    extract_level_functionals,
    load_functionals,
    save_functionals,
    write_status_counts,
)
from emoagree.audio.io import AudioReadError, read_wav, slice_signal
from emoagree.audio.lld import (
    cache_recording_lld,
    delta_regression,
    extract_lld,
    load_lld,
)

MFCC_CONFIG = Path(__file__).resolve().parents[1] / "resources/opensmile/mfcc.conf"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio")
    table, paths = make_corpus(root, {"train": 1, "test": 1}, n_recordings=2)
    return table, paths


def compare_functionals() -> opensmile.Smile:
    return opensmile.Smile(
        feature_set=opensmile.FeatureSet.ComParE_2016,
        feature_level=opensmile.FeatureLevel.Functionals,
    )


def test_functionals_equal_direct_opensmile_call(corpus):
    table, paths = corpus
    result = extract_level_functionals(table, paths, min_duration_s=0.1, threads=2)
    assert result.features.shape == (len(table), 6373)
    assert list(result.status) == [OK] * len(table)
    smile = compare_functionals()
    for row in range(len(table)):
        record = table.iloc[row]
        samples, rate = sf.read(paths[record["recording"]], dtype="float32")
        first = int(round(record["start_s"] * rate))
        stop = int(round(record["end_s"] * rate))
        direct = smile.process_signal(samples[first:stop], rate).to_numpy()[0]
        np.testing.assert_allclose(result.features[row], direct, rtol=1e-5, atol=1e-6)
        # the array call the extraction uses gives openSMILE's values exactly
        np.testing.assert_array_equal(extract_functionals(smile, samples[first:stop], rate),
                                      direct)
    assert result.interval_ids.tolist() == table["interval_id"].tolist()


def test_functionals_roundtrip_through_npz(corpus, tmp_path):
    table, paths = corpus
    subset = table.head(3)
    result = extract_level_functionals(subset, paths, min_duration_s=0.1)
    save_functionals(result, tmp_path / "level1.npz")
    loaded = load_functionals(tmp_path / "level1.npz")
    np.testing.assert_array_equal(loaded.features, result.features)
    assert list(loaded.interval_ids) == subset["interval_id"].tolist()
    assert len(loaded.columns) == 6373
    assert not list(tmp_path.glob("*.tmp"))


def test_too_short_intervals_are_marked_and_counted(tmp_path):
    rng = np.random.default_rng(1)
    marks = write_recording(tmp_path / "r.wav", [("Angry", 1.0)], rng)
    _, start, _ = marks[0]
    durations = [0.05, 0.099, 0.1, 0.5]
    table = pd.DataFrame(
        {
            "interval_id": [f"i{k}" for k in range(4)],
            "recording": "r",
            "start_s": start,
            "end_s": [start + d for d in durations],
        }
    )
    result = extract_level_functionals(table, {"r": str(tmp_path / "r.wav")}, 0.1)
    assert list(result.status) == [TOO_SHORT, TOO_SHORT, OK, OK]
    assert np.isnan(result.features[:2]).all()
    assert np.isfinite(result.features[2:]).all()
    report = write_status_counts(result.status, 3, 0.1, tmp_path / "level3.json")
    on_disk = json.loads((tmp_path / "level3.json").read_text())
    assert on_disk == report
    assert (on_disk["n_intervals"], on_disk["n_too_short"], on_disk["n_ok"]) == (4, 2, 2)


def test_compare_nan_below_threshold_is_not_scorable_either(tmp_path, caplog):
    """With the threshold off, ComParE's all-NaN output for 0.05 s is still caught."""
    rng = np.random.default_rng(2)
    marks = write_recording(tmp_path / "r.wav", [("Sad", 0.5)], rng)
    _, start, _ = marks[0]
    table = pd.DataFrame(
        {"interval_id": ["tiny"], "recording": ["r"], "start_s": [start], "end_s": [start + 0.05]}
    )
    with caplog.at_level(logging.WARNING):
        result = extract_level_functionals(table, {"r": str(tmp_path / "r.wav")}, 0.0)
    assert list(result.status) == [NAN_FEATURES]
    assert "tiny" in caplog.text


def test_interval_past_end_of_audio_names_file_and_interval(tmp_path):
    rng = np.random.default_rng(3)
    write_recording(tmp_path / "r.wav", [("Happy", 0.5)], rng)
    table = pd.DataFrame(
        {"interval_id": ["late"], "recording": ["r"], "start_s": [0.5], "end_s": [5.0]}
    )
    with pytest.raises(ValueError, match=r"r\.wav \(interval late\).*ends after the audio"):
        extract_level_functionals(table, {"r": str(tmp_path / "r.wav")}, 0.1)


def test_slice_signal_uses_rounded_sample_bounds():
    signal = np.arange(16000, dtype=np.float32)
    assert slice_signal(signal, 16000, 0.5, 0.75).tolist() == list(range(8000, 12000))
    # a mark that overshoots the audio by less than the tolerance is clipped
    assert len(slice_signal(signal, 16000, 0.9, 1.04)) == 1600


def test_lld_columns_and_frame_grid(corpus):
    _, paths = corpus
    signal, rate = read_wav(paths["rec0"])
    cache = extract_lld(signal, rate, MFCC_CONFIG, threads=2)
    assert len(cache.columns) == 78 == cache.features.shape[1]
    assert cache.columns[:1] == ["Loudness_sma3"]
    assert cache.columns[25] == "Loudness_sma3_de"
    assert cache.columns[50:52] == ["mfcc[1]", "mfcc[2]"]
    assert cache.columns[-1] == "mfcc_de[14]"
    np.testing.assert_allclose(np.diff(cache.times), 0.01, atol=1e-9)
    assert cache.times[0] == 0.0
    # frames cover the signal up to the last full analysis window
    assert len(signal) / rate - 0.1 < cache.times[-1] < len(signal) / rate
    assert np.isfinite(cache.features).all()


def test_delta_regression_matches_opensmile_deltas(corpus):
    _, paths = corpus
    signal, rate = read_wav(paths["rec0"])
    table = opensmile.Smile(feature_set=str(MFCC_CONFIG), feature_level="mfcc_de").process_signal(
        signal, rate
    )
    values = table.to_numpy()
    ours = delta_regression(values[:, :14])
    np.testing.assert_allclose(ours[2:-2], values[2:-2, 14:], rtol=1e-4, atol=1e-4)


def test_sliced_cache_equals_interval_extracted_alone(corpus):
    _, paths = corpus
    signal, rate = read_wav(paths["rec1"])
    cache = extract_lld(signal, rate, MFCC_CONFIG)
    start, end = 1.0, 2.5
    alone = extract_lld(signal[int(start * rate) : int(end * rate)], rate, MFCC_CONFIG)
    sliced = cache.slice(start, end)
    # the slice has the interval's frames plus at most the few the alone run cannot fit
    assert 0 <= len(sliced) - len(alone.features) <= 6
    n = len(alone.features)
    head, tail = 4, 3  # boundary frames: analysis windows and deltas that see outside
    spectral = [
        j for j, c in enumerate(cache.columns) if c.startswith(("mfcc", "Loudness", "alpha"))
    ]
    np.testing.assert_allclose(
        sliced[head : n - tail][:, spectral],
        alone.features[head : n - tail][:, spectral],
        rtol=1e-3,
        atol=1e-3,
    )
    # voicing-dependent LLDs (F0 and formants: 60 ms windows, smoothing) see about
    # 0.12 s past the interval's end; jitter and shimmer carry a period history of
    # about 0.3 s from its start
    np.testing.assert_allclose(
        sliced[30 : n - 12], alone.features[30 : n - 12], rtol=1e-3, atol=1e-3
    )
    same = np.isclose(sliced[:n], alone.features, rtol=1e-3, atol=1e-3)
    assert same.mean() > 0.9


def test_corrupt_or_missing_wav_names_file_and_keeps_other_caches(tmp_path):
    rng = np.random.default_rng(4)
    write_recording(tmp_path / "good.wav", [("Scared", 0.8)], rng)
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00junk that is not audio" * 10)
    caches = tmp_path / "features"
    cache_recording_lld(tmp_path / "good.wav", caches / "good.npz", MFCC_CONFIG)
    before = (caches / "good.npz").read_bytes()
    mtime = os.stat(caches / "good.npz").st_mtime_ns

    with pytest.raises(AudioReadError, match=r"broken\.wav: cannot decode audio"):
        cache_recording_lld(tmp_path / "broken.wav", caches / "broken.npz", MFCC_CONFIG)
    with pytest.raises(AudioReadError, match=r"absent\.wav: audio file not found"):
        cache_recording_lld(tmp_path / "absent.wav", caches / "absent.npz", MFCC_CONFIG)

    assert sorted(p.name for p in caches.iterdir()) == ["good.npz"]
    assert (caches / "good.npz").read_bytes() == before
    assert os.stat(caches / "good.npz").st_mtime_ns == mtime
    assert load_lld(caches / "good.npz").features.shape[1] == 78


def test_failed_write_leaves_previous_cache_whole(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    write_recording(tmp_path / "r.wav", [("Sad", 0.6)], rng)
    target = tmp_path / "r.npz"
    cache_recording_lld(tmp_path / "r.wav", target, MFCC_CONFIG)
    before = target.read_bytes()

    def crash(stream, **arrays):
        stream.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        cache_recording_lld(tmp_path / "r.wav", target, MFCC_CONFIG)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


def test_functionals_missing_wav_names_file(tmp_path):
    table = pd.DataFrame(
        {"interval_id": ["a"], "recording": ["r"], "start_s": [0.0], "end_s": [0.5]}
    )
    with pytest.raises(AudioReadError, match=r"nowhere\.wav: audio file not found"):
        extract_level_functionals(table, {"r": str(tmp_path / "nowhere.wav")}, 0.1)


def test_stereo_is_mixed_to_mono(tmp_path):
    rng = np.random.default_rng(6)
    left = tone("Angry", 0.3, rng)
    sf.write(tmp_path / "s.wav", np.stack([left, np.zeros_like(left)], axis=1), SAMPLE_RATE)
    signal, rate = read_wav(tmp_path / "s.wav")
    assert rate == SAMPLE_RATE
    np.testing.assert_allclose(signal, left / 2, atol=1e-4)


def test_shard_lld_values_do_not_depend_on_threads(corpus, tmp_path):
    from emoagree.audio.lld import cache_shard_lld

    _, paths = corpus
    assert len(paths) == 2
    cache_shard_lld(paths, tmp_path / "one", MFCC_CONFIG, threads=1)
    cache_shard_lld(paths, tmp_path / "two", MFCC_CONFIG, threads=2)
    for recording in paths:
        one = load_lld(tmp_path / "one" / f"{recording}.npz")
        two = load_lld(tmp_path / "two" / f"{recording}.npz")
        assert one.features.shape[0] > 100 and one.columns == two.columns
        np.testing.assert_array_equal(one.times, two.times)
        np.testing.assert_array_equal(one.features, two.features)
