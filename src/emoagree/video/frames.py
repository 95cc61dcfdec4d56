"""Which cached face frames belong to which interval of a level table; face coverage."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from emoagree.video.faces import FaceTrack
from emoagree.video.sampling import even_spread


def interval_frames(
    intervals: pd.DataFrame,
    tracks: Mapping[str, FaceTrack],
    *,
    max_frames: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per face frame of each interval: ``interval_id, recording, row, emotion``.

    ``row`` indexes the recording's face track. Only frames with a face are listed; at most
    ``max_frames`` per interval, chosen by a seeded even spread over the interval (None: all).
    Each interval gets its own generator derived from ``seed`` and its position, so the
    choice does not depend on which other intervals are in the table.
    """
    records = []
    for position, item in enumerate(intervals.itertuples(index=False)):
        recording = str(item.recording)
        if recording not in tracks:
            raise KeyError(f"interval {item.interval_id}: no face cache for recording {recording}")
        track = tracks[recording]
        times = track.timestamp_s
        inside = (times >= item.start_s - 1e-9) & (times <= item.end_s + 1e-9)
        rows = np.flatnonzero(inside & track.has_face)
        rng = np.random.default_rng([seed, position])
        for row in rows[even_spread(len(rows), max_frames, rng)]:
            records.append((str(item.interval_id), recording, int(row), str(item.emotion)))
    return pd.DataFrame(records, columns=["interval_id", "recording", "row", "emotion"])


def recording_coverage(tracks: Mapping[str, FaceTrack]) -> pd.DataFrame:
    """Per recording: sampled frames, frames with a face, and their share."""
    rows = [
        {
            "recording": name,
            "fps": track.fps,
            "step": track.step,
            "sampled_frames": len(track.has_face),
            "face_frames": int(track.has_face.sum()),
        }
        for name, track in sorted(tracks.items())
    ]
    columns = ["recording", "fps", "step", "sampled_frames", "face_frames"]
    table = pd.DataFrame(rows, columns=columns)
    table["face_share"] = table["face_frames"] / table["sampled_frames"].where(
        table["sampled_frames"] > 0
    )
    return table


def level_coverage(intervals: pd.DataFrame, tracks: Mapping[str, FaceTrack]) -> pd.DataFrame:
    """Per recording of one level (plus an ``ALL`` row): sampled frames inside its intervals,
    frames with a face, their share, intervals, and intervals without any face frame
    (those get empty probabilities)."""
    rows = []
    for recording, group in intervals.groupby(intervals["recording"].astype(str), sort=True):
        track = tracks[recording]
        sampled = faces = no_face = 0
        for start, end in zip(group["start_s"], group["end_s"], strict=True):
            inside = (track.timestamp_s >= start - 1e-9) & (track.timestamp_s <= end + 1e-9)
            n_face = int((inside & track.has_face).sum())
            sampled += int(inside.sum())
            faces += n_face
            no_face += n_face == 0
        rows.append((recording, sampled, faces, len(group), no_face))
    table = pd.DataFrame(
        rows, columns=["recording", "sampled_frames", "face_frames", "intervals",
                       "intervals_without_face"],
    )
    total = table[["sampled_frames", "face_frames", "intervals", "intervals_without_face"]].sum()
    table.loc[len(table)] = ["ALL", *(int(v) for v in total)]
    table["face_share"] = table["face_frames"] / table["sampled_frames"].where(
        table["sampled_frames"] > 0
    )
    return table


def interval_probabilities(
    intervals: pd.DataFrame, frames: pd.DataFrame, frame_probs: np.ndarray, n_classes: int
) -> np.ndarray:
    """Mean frame probability per interval (intervals order); NaN rows without frames."""
    out = np.full((len(intervals), n_classes), np.nan)
    if len(frames):
        means = (
            pd.DataFrame(frame_probs).assign(interval_id=frames["interval_id"].to_numpy())
            .groupby("interval_id", sort=False).mean()
        )
        ids = intervals["interval_id"].astype(str).to_numpy()
        present = np.isin(ids, means.index.to_numpy())
        out[present] = means.loc[ids[present]].to_numpy()
    return out
