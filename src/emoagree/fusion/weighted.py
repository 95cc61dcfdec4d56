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
with the highest UAR on the selection set wins; among draws tied at that UAR (common on
small validation sets) the most even one is kept.

Where only one modality scored an interval, that modality's own probabilities decide
alone (unweighted); where neither did, the interval stays unscored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emoagree.evaluation.metrics import UNSCORED, batch_uar, encode
from emoagree.predictions import (
    PredictionArrays,
    arrays_from_table,
    make_predictions,
    read_checked,
    write_arrays,
)

if TYPE_CHECKING:  # pandas is imported lazily: short fusion jobs do without it
    import pandas as pd

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
    return align_arrays(
        *(
            arrays_from_table(table, emotions, name)
            for table, name in ((audio, names[0]), (video, names[1]))
        )
    )


def align_arrays(audio: PredictionArrays, video: PredictionArrays) -> Aligned:
    """Pair two systems' predictions of the same intervals, ordered by ``interval_id``."""
    rows = []
    for data in (audio, video):
        index = {}
        for row, interval in enumerate(data.interval_ids):
            if interval in index:
                raise ValueError(f"{data.path}: interval_id {interval!r} appears twice")
            index[interval] = row
        rows.append(index)
    if rows[0].keys() != rows[1].keys():
        only_a = sorted(rows[0].keys() - rows[1].keys())[:3]
        only_v = sorted(rows[1].keys() - rows[0].keys())[:3]
        raise ValueError(
            f"{audio.path} and {video.path} predict different intervals (only in "
            f"{audio.path}: {only_a}, only in {video.path}: {only_v})"
        )
    ids = sorted(rows[0])
    order_a = np.array([rows[0][i] for i in ids], dtype=int)
    order_v = np.array([rows[1][i] for i in ids], dtype=int)
    for interval, ra, rv in zip(ids, order_a, order_v, strict=True):
        if audio.emotions_true[ra] != video.emotions_true[rv]:
            raise ValueError(
                f"{audio.path} and {video.path} disagree on the true emotion of interval "
                f"{interval!r}: {audio.emotions_true[ra]} vs {video.emotions_true[rv]}"
            )
    return Aligned(
        interval_ids=ids,
        emotions_true=[audio.emotions_true[r] for r in order_a],
        audio=audio.probs[order_a].reshape(len(ids), audio.probs.shape[-1]),
        video=video.probs[order_v].reshape(len(ids), video.probs.shape[-1]),
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
        # Nothing to choose on (e.g. a fold of a small level with no trained model): even
        # weights, said so in the summary; every fused prediction then comes from the
        # modalities' own scores, and intervals neither scored stay unscored.
        return np.full((2, len(emotions)), 0.5), {
            "selected_draw": None,
            "n_draws_tied": 0,
            "selection_uar": None,
            "unchosen": "no interval is scored by either system: even weights",
            "draw_uar_median": None,
            "audio_alone_uar": None,
            "video_alone_uar": None,
            **data.counts(),
        }
    best, n_tied = _most_even_of_best(weights, uars)
    summary = {
        "selected_draw": best,
        "n_draws_tied": n_tied,
        "selection_uar": float(uars[best]),
        "draw_uar_median": float(np.nanmedian(uars)),
        "audio_alone_uar": _single_uar(data.audio, y_true, len(emotions)),
        "video_alone_uar": _single_uar(data.video, y_true, len(emotions)),
        **data.counts(),
    }
    return weights[best], summary


def _most_even_of_best(weights: np.ndarray, uars: np.ndarray) -> tuple[int, int]:
    """Index of the selected draw and how many draws share the best UAR.

    Small validation sets leave many draws tied at the best UAR; among them the most even
    one (least squared deviation from its own mean weight) is kept, so the data, not the
    draw order, decides how far the weights depart from an even mix.
    """
    top = np.nanmax(uars)
    tied = np.flatnonzero(np.isclose(uars, top, rtol=0, atol=1e-12))
    spread = ((weights[tied] - weights[tied].mean(axis=(1, 2), keepdims=True)) ** 2).sum(
        axis=(1, 2)
    )
    return int(tied[np.argmin(spread)]), int(len(tied))


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


def write_fused(path, weights: np.ndarray, data: Aligned, emotions: Sequence[str]) -> None:
    """Write the fused predictions (same contract as any system's prediction file)."""
    probs = fused_probabilities(weights, data)
    write_arrays(path, data.interval_ids, data.emotions_true, probs, emotions)


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
    return align_arrays(read_checked(audio_path, emotions), read_checked(video_path, emotions))


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
            f"{summary['n_neither']} neither); "
            + (
                f"WARNING: {summary['unchosen']}"
                if summary.get("unchosen")
                else f"best of {record['draws']} draws: UAR {summary['selection_uar']:.4f} "
                f"(audio alone {summary['audio_alone_uar']}, "
                f"video alone {summary['video_alone_uar']})"
            ),
            file=log,
        )
        if summary["n_intervals"] < 2 * len(emotions):
            print(
                f"WARNING: only {summary['n_intervals']} validation intervals for "
                f"{len(emotions)} classes; {summary['n_draws_tied']} of {record['draws']} "
                "draws tie at the best UAR: the chosen weights are barely determined",
                file=log,
            )
    Path(weights_path).parent.mkdir(parents=True, exist_ok=True)
    Path(weights_path).write_text(json.dumps(record, indent=2) + "\n")
    write_fused(val_predictions_path, weights, data, emotions)
    return record


def test_folds(level_csv: str, n_folds: int) -> dict[str, int]:
    """``interval_id -> fold`` that tests it, for the test intervals of a level table
    (read without pandas: fusion jobs are many and short; the rule is the one of
    :func:`emoagree.levels.split.fold_test_rows`)."""
    import csv

    with open(level_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if n_folds == 1:
        return {r["interval_id"]: 0 for r in rows if r["split"] == "test"}
    if rows and "fold" not in rows[0]:
        raise ValueError(f"{level_csv}: no 'fold' column for {n_folds} folds")
    return {r["interval_id"]: int(r["fold"]) for r in rows}


def run_apply(
    weights_paths: Sequence[str],
    audio_path: str,
    video_path: str,
    predictions_path: str,
    info_path: str,
    emotions: Sequence[str],
    fusion_settings: dict[str, Any],
    seed: int,
    level_csv: str | None = None,
    n_folds: int = 1,
    log=None,
) -> dict[str, Any]:
    """Fuse one test level's predictions; write them and what was applied (info JSON).

    Under ``selection: val`` each interval is fused with the weights chosen on the
    validation part of the fold that tested it (``weights_paths[f]``; the fold of each
    interval comes from ``level_csv``). Under ``selection: test`` (the paper's protocol,
    optimistic) one weight matrix is searched again on this test level's own labels, and
    the info file says so.
    """
    selection = fusion_settings["selection"]
    if selection not in SELECTIONS:
        raise ValueError(f"fusion.selection {selection!r} not in {SELECTIONS}")
    from emoagree.levels.split import as_fold_paths

    weights_paths = as_fold_paths(weights_paths)
    if len(weights_paths) != n_folds:
        raise ValueError(f"{len(weights_paths)} fusion weight files for {n_folds} folds")
    data = _read_pair(audio_path, video_path, emotions)
    if selection == "val":
        per_fold = [
            weights_from_record(json.loads(Path(p).read_text())["weights"], emotions)
            for p in weights_paths
        ]
        if n_folds == 1:
            folds = np.zeros(len(data.interval_ids), dtype=int)
        else:
            if level_csv is None:
                raise ValueError("fusing pooled folds needs the test level's table")
            fold_of = test_folds(level_csv, n_folds)
            missing = [i for i in data.interval_ids if i not in fold_of]
            if missing:
                raise ValueError(
                    f"{level_csv}: no test fold for intervals {missing[:3]} of {audio_path}"
                )
            folds = np.array([fold_of[i] for i in data.interval_ids], dtype=int)
        probs = np.full(data.audio.shape, np.nan)
        for fold, weights in enumerate(per_fold):
            mask = folds == fold
            probs[mask] = fused_probabilities(weights, data)[mask]
        info = {"chosen_on": "val", **data.counts()}
        info.update(
            weights_per_fold=[weights_record(w, emotions) for w in per_fold],
            weights=weights_record(per_fold[0], emotions),
        )
    else:
        weights, summary = search_weights(
            data,
            emotions,
            int(fusion_settings["draws"]),
            float(fusion_settings["concentration"]),
            str(fusion_settings["normalisation"]),
            seed,
        )
        probs = fused_probabilities(weights, data)
        info = {"chosen_on": "test", **summary, "weights": weights_record(weights, emotions)}
    info.update(
        selection=selection,
        optimistic=selection == "test",
        weights_file=[str(p) for p in weights_paths],
    )
    if log is not None:
        print(
            f"fused {info['n_intervals']} intervals with weights chosen on {info['chosen_on']}"
            f"{' (OPTIMISTIC: test labels used)' if info['optimistic'] else ''}: "
            f"{info['n_audio_only']} audio only, {info['n_video_only']} video only, "
            f"{info['n_neither']} unscored",
            file=log,
        )
    write_arrays(predictions_path, data.interval_ids, data.emotions_true, probs, emotions)
    Path(info_path).parent.mkdir(parents=True, exist_ok=True)
    Path(info_path).write_text(json.dumps(info, indent=2) + "\n")
    return info
