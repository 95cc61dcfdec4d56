"""Weighted per-class fusion of an audio and a video system (paper, section 2).

A weight matrix ``W`` of shape ``(2, K)`` (row 0: audio, row 1: video; one column per
emotion) fuses two probability vectors as ``s[c] = W[0, c] * p_audio[c] + W[1, c] *
p_video[c]``: each modality's weight multiplies that modality's own probability of that
class. The predicted class is ``argmax_c s[c]``; the fused probabilities written to files
are ``s`` normalised to sum to one.

Weights are drawn from a Dirichlet distribution (seeded). ``normalisation`` chooses how:

* ``joint`` (default, as the paper describes it): one Dirichlet over all 12 entries of the
  2x6 matrix. The entries then also re-weight classes against each other (a per-class
  bias), not only the modalities within a class.
* ``per_class``: an independent 2-entry Dirichlet per class, so ``W[0, c] + W[1, c] = 1``:
  only the balance of the two modalities within each class is searched.

All draws are scored at once (one ``(draws, n, K)`` array, vectorised UAR) and the draw
with the highest UAR on the selection set wins (the first one on ties).

Where only one modality scored an interval, that modality's own probabilities decide
alone (unweighted); where neither did, the interval stays unscored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emoagree.evaluation import load_checked
from emoagree.metrics import UNSCORED, batch_uar, encode
from emoagree.predictions import (
    make_predictions,
    prob_columns,
    write_predictions,
)

NORMALISATIONS = ("joint", "per_class")
SELECTIONS = ("val", "test")

#: Largest number of (draw x interval x class) values scored in one numpy block.
_BLOCK_VALUES = 20_000_000


def draw_weights(
    n_draws: int, n_classes: int, concentration: float, normalisation: str, seed: int
) -> np.ndarray:
    """Seeded Dirichlet weight matrices, shape ``(n_draws, 2, n_classes)``."""
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"fusion normalisation {normalisation!r} not in {NORMALISATIONS}")
    if n_draws < 1 or concentration <= 0:
        raise ValueError("fusion needs draws >= 1 and a positive concentration")
    rng = np.random.default_rng(seed)
    if normalisation == "joint":
        flat = rng.dirichlet(np.full(2 * n_classes, concentration), size=n_draws)
        return flat.reshape(n_draws, 2, n_classes)
    pairs = rng.dirichlet(np.full(2, concentration), size=(n_draws, n_classes))
    return pairs.transpose(0, 2, 1)


@dataclass(frozen=True)
class Aligned:
    """Audio and video probabilities of the same intervals, in the same order."""

    interval_ids: list[str]
    emotions_true: list[str]
    audio: np.ndarray  # (n, K), NaN rows where audio did not score
    video: np.ndarray  # (n, K)

    @property
    def has_audio(self) -> np.ndarray:
        return ~np.isnan(self.audio).any(axis=1)

    @property
    def has_video(self) -> np.ndarray:
        return ~np.isnan(self.video).any(axis=1)

    def counts(self) -> dict[str, int]:
        a, v = self.has_audio, self.has_video
        return {
            "n_intervals": len(self.interval_ids),
            "n_both": int((a & v).sum()),
            "n_audio_only": int((a & ~v).sum()),
            "n_video_only": int((~a & v).sum()),
            "n_neither": int((~a & ~v).sum()),
        }


def align(
    audio: pd.DataFrame, video: pd.DataFrame, emotions: Sequence[str], names=("audio", "video")
) -> Aligned:
    """Join two prediction tables on ``interval_id``; they must list the same intervals."""
    columns = prob_columns(emotions)
    for table, name in ((audio, names[0]), (video, names[1])):
        duplicated = table["interval_id"][table["interval_id"].duplicated()]
        if len(duplicated):
            raise ValueError(f"{name}: interval_id {duplicated.iloc[0]!r} appears twice")
    ids_a, ids_v = set(audio["interval_id"]), set(video["interval_id"])
    if ids_a != ids_v:
        only_a = sorted(ids_a - ids_v)[:3]
        only_v = sorted(ids_v - ids_a)[:3]
        raise ValueError(
            f"{names[0]} and {names[1]} predict different intervals (only in {names[0]}: "
            f"{only_a}, only in {names[1]}: {only_v})"
        )
    merged = audio.merge(video, on="interval_id", suffixes=("_a", "_v"), sort=True)
    differ = merged["emotion_a"] != merged["emotion_v"]
    if differ.any():
        row = merged[differ].iloc[0]
        raise ValueError(
            f"{names[0]} and {names[1]} disagree on the true emotion of interval "
            f"{row['interval_id']!r}: {row['emotion_a']} vs {row['emotion_v']}"
        )
    return Aligned(
        interval_ids=merged["interval_id"].astype(str).tolist(),
        emotions_true=merged["emotion_a"].astype(str).tolist(),
        audio=merged[[f"{c}_a" for c in columns]].to_numpy(dtype=float),
        video=merged[[f"{c}_v" for c in columns]].to_numpy(dtype=float),
    )


def fuse(weights: np.ndarray, audio: np.ndarray, video: np.ndarray) -> np.ndarray:
    """Fused scores of one weight matrix ``(2, K)`` or many ``(D, 2, K)``.

    Missing modalities (NaN rows) are handled by :func:`fused_probabilities`; this is
    the plain per-class weighted sum, ``(n, K)`` or ``(D, n, K)``.
    """
    weights = np.asarray(weights, dtype=float)
    return weights[..., 0, None, :] * audio + weights[..., 1, None, :] * video


def fused_probabilities(weights: np.ndarray, data: Aligned) -> np.ndarray:
    """Fused probabilities ``(n, K)`` of one weight matrix, with the one-modality rule."""
    a, v = data.has_audio, data.has_video
    out = np.full(data.audio.shape, np.nan)
    both = a & v
    scores = fuse(weights, data.audio[both], data.video[both])
    out[both] = scores / scores.sum(axis=1, keepdims=True)
    out[a & ~v] = data.audio[a & ~v]
    out[~a & v] = data.video[~a & v]
    return out


def predictions_per_draw(weights: np.ndarray, data: Aligned) -> np.ndarray:
    """Predicted class of every interval under every draw, shape ``(D, n)``.

    Intervals with one modality get that modality's argmax (the same for every draw);
    intervals with neither are ``UNSCORED``.
    """
    n_draws = weights.shape[0]
    a, v = data.has_audio, data.has_video
    single = np.full(len(a), UNSCORED, dtype=int)
    if (a & ~v).any():
        single[a & ~v] = np.argmax(data.audio[a & ~v], axis=1)
    if (~a & v).any():
        single[~a & v] = np.argmax(data.video[~a & v], axis=1)
    preds = np.broadcast_to(single, (n_draws, len(a))).copy()
    both = np.flatnonzero(a & v)
    if len(both):
        pa, pv = data.audio[both], data.video[both]
        step = max(1, _BLOCK_VALUES // max(1, pa.size))
        for start in range(0, n_draws, step):
            block = weights[start : start + step]
            preds[start : start + step, both] = np.argmax(fuse(block, pa, pv), axis=2)
    return preds


def search_weights(
    data: Aligned,
    emotions: Sequence[str],
    n_draws: int,
    concentration: float,
    normalisation: str,
    seed: int,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw weights, score all draws by UAR on ``data``, return the best and a summary."""
    emotions = list(emotions)
    y_true = encode(data.emotions_true, emotions, what="true emotion")
    weights = draw_weights(n_draws, len(emotions), concentration, normalisation, seed)
    uars = batch_uar(y_true, predictions_per_draw(weights, data), len(emotions))
    if np.all(np.isnan(uars)):
        raise ValueError("fusion weight search: no interval is scored by either system")
    best = int(np.nanargmax(uars))
    summary = {
        "selected_draw": best,
        "selection_uar": float(uars[best]),
        "draw_uar_median": float(np.nanmedian(uars)),
        "audio_alone_uar": _single_uar(data.audio, y_true, len(emotions)),
        "video_alone_uar": _single_uar(data.video, y_true, len(emotions)),
        **data.counts(),
    }
    return weights[best], summary


def _single_uar(probs: np.ndarray, y_true: np.ndarray, n_labels: int) -> float | None:
    scored = ~np.isnan(probs).any(axis=1)
    pred = np.full(len(y_true), UNSCORED, dtype=int)
    if scored.any():
        pred[scored] = np.argmax(probs[scored], axis=1)
    value = batch_uar(y_true, pred[None, :], n_labels)[0]
    return None if np.isnan(value) else float(value)


def fused_table(weights: np.ndarray, data: Aligned, emotions: Sequence[str]) -> pd.DataFrame:
    """The fused prediction table (same contract as any system's predictions)."""
    return make_predictions(
        data.interval_ids, data.emotions_true, fused_probabilities(weights, data), emotions
    )


def weights_record(weights: np.ndarray, emotions: Sequence[str]) -> dict[str, dict[str, float]]:
    """JSON form of a ``(2, K)`` weight matrix."""
    return {
        modality: {e: float(w) for e, w in zip(emotions, row, strict=True)}
        for modality, row in zip(("audio", "video"), weights, strict=True)
    }


def weights_from_record(record: dict[str, Any], emotions: Sequence[str]) -> np.ndarray:
    """Inverse of :func:`weights_record`; raises when an emotion is missing."""
    try:
        return np.array([[record[m][e] for e in emotions] for m in ("audio", "video")])
    except KeyError as error:
        raise ValueError(f"fusion weights lack an entry for {error}") from error


def _read_pair(audio_path, video_path, emotions) -> Aligned:
    return align(
        load_checked(audio_path, emotions),
        load_checked(video_path, emotions),
        emotions,
        names=(str(audio_path), str(video_path)),
    )


def run_weight_search(
    audio_path: str,
    video_path: str,
    weights_path: str,
    val_predictions_path: str,
    emotions: Sequence[str],
    fusion_settings: dict[str, Any],
    seed: int,
    log=None,
) -> dict[str, Any]:
    """Choose fusion weights on one train level's validation predictions; write them.

    Writes the weights JSON and the fused validation predictions. Under
    ``selection: test`` the same weights file is written (it is what ``val.csv`` uses);
    the per-test-level search happens in :func:`run_apply`.
    """
    data = _read_pair(audio_path, video_path, emotions)
    weights, summary = search_weights(
        data,
        emotions,
        int(fusion_settings["draws"]),
        float(fusion_settings["concentration"]),
        str(fusion_settings["normalisation"]),
        seed,
    )
    record = {
        "audio_predictions": str(audio_path),
        "video_predictions": str(video_path),
        "chosen_on": "val",
        "selection": fusion_settings["selection"],
        "draws": int(fusion_settings["draws"]),
        "concentration": float(fusion_settings["concentration"]),
        "normalisation": fusion_settings["normalisation"],
        "seed": int(seed),
        "weights": weights_record(weights, emotions),
        **summary,
    }
    if log is not None:
        print(
            f"fusion weights: {summary['n_intervals']} val intervals "
            f"({summary['n_audio_only']} audio only, {summary['n_video_only']} video only, "
            f"{summary['n_neither']} neither); best of {record['draws']} draws: UAR "
            f"{summary['selection_uar']:.4f} (audio alone {summary['audio_alone_uar']}, "
            f"video alone {summary['video_alone_uar']})",
            file=log,
        )
    Path(weights_path).parent.mkdir(parents=True, exist_ok=True)
    Path(weights_path).write_text(json.dumps(record, indent=2) + "\n")
    write_predictions(fused_table(weights, data, emotions), val_predictions_path, emotions)
    return record


def run_apply(
    weights_path: str,
    audio_path: str,
    video_path: str,
    predictions_path: str,
    info_path: str,
    emotions: Sequence[str],
    fusion_settings: dict[str, Any],
    seed: int,
    log=None,
) -> dict[str, Any]:
    """Fuse one test level's predictions; write them and what was applied (info JSON).

    Under ``selection: val`` the weights chosen on validation are applied. Under
    ``selection: test`` (the paper's protocol, optimistic) the weights are searched again
    on this test level's own labels, and the info file says so.
    """
    selection = fusion_settings["selection"]
    if selection not in SELECTIONS:
        raise ValueError(f"fusion.selection {selection!r} not in {SELECTIONS}")
    data = _read_pair(audio_path, video_path, emotions)
    chosen = json.loads(Path(weights_path).read_text())
    if selection == "val":
        weights = weights_from_record(chosen["weights"], emotions)
        info = {"chosen_on": "val", **data.counts()}
    else:
        weights, summary = search_weights(
            data,
            emotions,
            int(fusion_settings["draws"]),
            float(fusion_settings["concentration"]),
            str(fusion_settings["normalisation"]),
            seed,
        )
        info = {"chosen_on": "test", **summary}
    info.update(
        selection=selection,
        optimistic=selection == "test",
        weights=weights_record(weights, emotions),
        weights_file=str(weights_path),
    )
    if log is not None:
        print(
            f"fused {info['n_intervals']} intervals with weights chosen on {info['chosen_on']}"
            f"{' (OPTIMISTIC: test labels used)' if info['optimistic'] else ''}: "
            f"{info['n_audio_only']} audio only, {info['n_video_only']} video only, "
            f"{info['n_neither']} unscored",
            file=log,
        )
    write_predictions(fused_table(weights, data, emotions), predictions_path, emotions)
    Path(info_path).parent.mkdir(parents=True, exist_ok=True)
    Path(info_path).write_text(json.dumps(info, indent=2) + "\n")
    return info
