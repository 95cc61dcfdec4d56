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

The candidates are the Dirichlet draws, each also shrunk towards even weights
(``w' = lam * w + (1 - lam) * even`` for every ``lam`` of ``fusion.shrinkage``, default
0.25, 0.5 and 1), the even mix itself, and each member alone (all weight on audio, or all
on video). Shrinkage is what a small validation set can afford: a raw draw that wins by
fitting noise in 30-50 intervals is as good as its shrunk copy on that set but moves the
unseen predictions more, and since ties keep the candidate closest to even, the shrunk
copy wins such ties. The members alone make sure the search can always fall back to one
modality when the mix does not beat it on the selection set. All candidates are scored
at once (one ``(candidates, n, K)`` array, vectorised UAR) and the one with the highest
UAR on the selection set wins; among candidates tied at that UAR (common on small
validation sets) the one closest to even weights is kept.

Cross-fitting (``K >= 3`` folds, :func:`cross_fit_sets`): fold f's weights are chosen on
the pooled validation predictions of the other folds, leaving out fold f's own (so that
fold f's fused validation score, which chooses the headline system, is out of sample) and
those of fold ``f - 1``, whose validation part is fold f's test part (so that no test
label of fold f chooses the weights fold f is tested with). What remains is fold f's own
training part, predicted by the other folds' models. With one fold there is nothing to
cross-fit: the weights are chosen on the fold's own validation part (in-sample for the
fused validation score), and the weights file and log say so.

Where only one modality scored an interval, that modality's own probabilities decide
alone (unweighted); where neither did, the interval stays unscored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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
#: Default shrinkage factors towards even weights (config ``fusion.shrinkage``).
DEFAULT_SHRINKAGE = (0.25, 0.5, 1.0)

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


def even_weights(n_classes: int, normalisation: str) -> np.ndarray:
    """The even mix in the scale of ``normalisation``'s draws, shape ``(2, n_classes)``."""
    total = 1.0 / (2 * n_classes) if normalisation == "joint" else 0.5
    return np.full((2, n_classes), total)


def member_weights(n_classes: int, normalisation: str, member: int) -> np.ndarray:
    """All weight on one modality (``member`` 0: audio, 1: video), in the draws' scale."""
    weights = np.zeros((2, n_classes))
    weights[member] = 1.0 / n_classes if normalisation == "joint" else 1.0
    return weights


@dataclass(frozen=True)
class Candidates:
    """The weight matrices one search scores and what each is."""

    weights: np.ndarray  # (C, 2, K)
    kinds: list[str]  # "even", "audio_alone", "video_alone" or "draw"
    draw: np.ndarray  # index of the Dirichlet draw (-1 for the fixed candidates)
    shrinkage: np.ndarray  # lam of a draw (1: raw; NaN for the fixed candidates)

    def describe(self, index: int) -> dict[str, Any]:
        kind = self.kinds[index]
        if kind != "draw":
            return {"candidate": kind, "selected_draw": None, "shrinkage": None}
        return {
            "candidate": "draw",
            "selected_draw": int(self.draw[index]),
            "shrinkage": float(self.shrinkage[index]),
        }


def candidate_weights(
    n_draws: int,
    n_classes: int,
    concentration: float,
    normalisation: str,
    seed: int,
    shrinkage: Sequence[float] = DEFAULT_SHRINKAGE,
) -> Candidates:
    """Even weights, each member alone, and every draw shrunk by every ``lam``."""
    lams = sorted({float(lam) for lam in shrinkage})
    if not lams or any(not 0.0 < lam <= 1.0 for lam in lams):
        raise ValueError(f"fusion shrinkage {list(shrinkage)} must be values in (0, 1]")
    draws = draw_weights(n_draws, n_classes, concentration, normalisation, seed)
    even = even_weights(n_classes, normalisation)
    fixed = [even, member_weights(n_classes, normalisation, 0),
             member_weights(n_classes, normalisation, 1)]
    shrunk = [lam * draws + (1.0 - lam) * even for lam in lams]
    return Candidates(
        weights=np.concatenate([np.stack(fixed), *shrunk]),
        kinds=["even", "audio_alone", "video_alone"] + ["draw"] * (n_draws * len(lams)),
        draw=np.concatenate([np.full(3, -1), np.tile(np.arange(n_draws), len(lams))]),
        shrinkage=np.concatenate([np.full(3, np.nan), np.repeat(lams, n_draws)]),
    )


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
    shrinkage: Sequence[float] = DEFAULT_SHRINKAGE,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Score every candidate (:func:`candidate_weights`) by UAR on ``data``; return the
    best and a summary (what won, how many tied, each member's UAR alone)."""
    emotions = list(emotions)
    y_true = encode(data.emotions_true, emotions, what="true emotion")
    candidates = candidate_weights(
        n_draws, len(emotions), concentration, normalisation, seed, shrinkage
    )
    weights = candidates.weights
    uars = batch_uar(y_true, predictions_per_draw(weights, data), len(emotions))
    if np.all(np.isnan(uars)):
        # Nothing to choose on (e.g. a fold of a small level with no trained model): even
        # weights, said so in the summary; every fused prediction then comes from the
        # modalities' own scores, and intervals neither scored stay unscored.
        return even_weights(len(emotions), normalisation), {
            "candidate": "even",
            "selected_draw": None,
            "shrinkage": None,
            "n_candidates": len(weights),
            "n_draws_tied": 0,
            "selection_uar": None,
            "unchosen": "no interval is scored by either system: even weights",
            "draw_uar_median": None,
            "even_uar": None,
            "audio_alone_uar": None,
            "video_alone_uar": None,
            **data.counts(),
        }
    best, n_tied = _most_even_of_best(weights, uars, even_weights(len(emotions), normalisation))
    summary = {
        **candidates.describe(best),
        "n_candidates": len(weights),
        "n_draws_tied": n_tied,
        "selection_uar": float(uars[best]),
        "draw_uar_median": float(np.nanmedian(uars[3:])) if len(uars) > 3 else None,
        "even_uar": _num(uars[0]),
        "audio_alone_uar": _single_uar(data.audio, y_true, len(emotions)),
        "video_alone_uar": _single_uar(data.video, y_true, len(emotions)),
        **data.counts(),
    }
    return weights[best], summary


def _num(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _most_even_of_best(
    weights: np.ndarray, uars: np.ndarray, even: np.ndarray
) -> tuple[int, int]:
    """Index of the selected candidate and how many candidates share the best UAR.

    Small validation sets leave many candidates tied at the best UAR; among them the one
    closest to even weights (least squared distance) is kept, so the data, not the draw
    order, decides how far the weights depart from an even mix (and a member alone, the
    farthest from even, wins only when it is strictly better than every mix).
    """
    top = np.nanmax(uars)
    tied = np.flatnonzero(np.isclose(uars, top, rtol=0, atol=1e-12))
    spread = ((weights[tied] - even) ** 2).sum(axis=(1, 2))
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


def cross_fit_sets(n_folds: int, repeats: int = 1) -> list[list[int]]:
    """For every fold f, the folds whose validation predictions choose f's weights.

    ``K >= 3``: every fold but f (its own validation part: the fused validation score
    must be out of sample) and ``f - 1`` (its validation part is fold f's test part).
    One fold: the fold itself (nothing to cross-fit). With split repeats the folds are
    global ids ``r * K + f`` (repeat-major) and a fold's weights are chosen within its own
    repeat only (another repeat's folds hold fold f's test intervals in their val parts).
    """
    n_folds, repeats = int(n_folds), int(repeats)
    if repeats < 1 or (repeats > 1 and n_folds < 3):
        raise ValueError(f"fusion weights for {repeats} split repeats of {n_folds} folds")
    if n_folds == 1:
        return [[0]]
    if n_folds < 3:
        raise ValueError(f"fusion weights for {n_folds} folds: 1 or at least 3 are possible")
    return [
        [r * n_folds + g for g in range(n_folds) if g not in (f, (f - 1) % n_folds)]
        for r in range(repeats)
        for f in range(n_folds)
    ]


def repeat_blocks(data: PredictionArrays, repeats: int) -> list[PredictionArrays]:
    """A pooled prediction file of R split repeats as R files: the k-th row of an
    interval is its prediction in repeat k (:func:`emoagree.levels.split.pool_folds`)."""
    if repeats == 1:
        return [data]
    rows: list[list[int]] = [[] for _ in range(repeats)]
    seen: dict[str, int] = {}
    for row, interval in enumerate(data.interval_ids):
        k = seen.get(interval, 0)
        if k >= repeats:
            raise ValueError(f"{data.path}: interval {interval!r} is listed over {repeats} times")
        seen[interval] = k + 1
        rows[k].append(row)
    short = [i for i, k in seen.items() if k != repeats]
    if short:
        raise ValueError(
            f"{data.path}: intervals {short[:3]} are not listed once per split repeat "
            f"({repeats} repeats)"
        )
    return [
        PredictionArrays(
            data.path,
            [data.interval_ids[r] for r in own],
            [data.emotions_true[r] for r in own],
            data.probs[own],
        )
        for own in rows
    ]


def _stacked(parts: Sequence[Aligned]) -> Aligned:
    """Aligned blocks one after the other (the split repeats of one cell)."""
    if len(parts) == 1:
        return parts[0]
    return Aligned(
        interval_ids=[i for part in parts for i in part.interval_ids],
        emotions_true=[e for part in parts for e in part.emotions_true],
        audio=np.concatenate([part.audio for part in parts]),
        video=np.concatenate([part.video for part in parts]),
    )


def _read_repeats(audio_path, video_path, emotions, repeats: int) -> list[Aligned]:
    """Each split repeat's aligned audio and video predictions of one pooled file pair."""
    audio = repeat_blocks(read_checked(audio_path, emotions, repeats), repeats)
    video = repeat_blocks(read_checked(video_path, emotions, repeats), repeats)
    return [align_arrays(a, v) for a, v in zip(audio, video, strict=True)]


def pooled(parts: Sequence[Aligned]) -> Aligned:
    """Several folds' aligned predictions as one selection set (their intervals differ)."""
    ids = [i for part in parts for i in part.interval_ids]
    if len(set(ids)) != len(ids):
        raise ValueError("the pooled validation parts share intervals: they must be disjoint")
    return Aligned(
        interval_ids=ids,
        emotions_true=[e for part in parts for e in part.emotions_true],
        audio=np.concatenate([part.audio for part in parts]),
        video=np.concatenate([part.video for part in parts]),
    )


def run_weight_search(
    audio_paths,
    video_paths,
    weights_paths,
    val_predictions_paths,
    emotions: Sequence[str],
    fusion_settings: dict[str, Any],
    seed: int,
    log=None,
    n_folds: int | None = None,
) -> list[dict[str, Any]]:
    """Choose the fusion weights of every fold of one train level (one replicate); write
    each fold's weights JSON and its fused validation predictions.

    The path arguments list one file per fold, in fold order (a single path: one fold);
    with split repeats one per fold of every repeat (global ids ``r * K + f``), and
    ``n_folds`` is K (default: the number of files, one repeat).
    With ``K >= 3`` folds each fold's weights are cross-fitted (:func:`cross_fit_sets`),
    so each fold's fused validation predictions are out of sample; with one fold they
    are chosen on the fold's own validation part (in-sample, said so). Under
    ``selection: test`` the same weights files are written (they fuse ``val``); the
    per-test-level search happens in :func:`run_apply`.
    """
    from emoagree.levels.split import as_fold_paths

    audio_paths, video_paths = as_fold_paths(audio_paths), as_fold_paths(video_paths)
    weights_paths = as_fold_paths(weights_paths)
    val_predictions_paths = as_fold_paths(val_predictions_paths)
    n_global = len(audio_paths)
    if not n_global == len(video_paths) == len(weights_paths) == len(val_predictions_paths):
        raise ValueError("fusion weights: one audio, video, weights and val file per fold")
    n_folds = n_global if n_folds is None else int(n_folds)
    if n_folds < 1 or n_global % n_folds:
        raise ValueError(
            f"fusion weights: {n_global} files are not whole repeats of {n_folds} folds"
        )
    repeats = n_global // n_folds
    data = [_read_pair(a, v, emotions) for a, v in zip(audio_paths, video_paths, strict=True)]
    shrinkage = [float(x) for x in fusion_settings.get("shrinkage", DEFAULT_SHRINKAGE)]
    records = []
    for fold, chosen_on in enumerate(cross_fit_sets(n_folds, repeats)):
        weights, summary = search_weights(
            pooled([data[g] for g in chosen_on]),
            emotions,
            int(fusion_settings["draws"]),
            float(fusion_settings["concentration"]),
            str(fusion_settings["normalisation"]),
            seed,
            shrinkage,
        )
        cross_fitted = n_folds > 1
        before = fold - fold % n_folds + (fold - 1) % n_folds  # f - 1 of the same repeat
        record = {
            "fold": fold,
            "n_folds": n_folds,
            **({"repeat": fold // n_folds, "repeats": repeats} if repeats > 1 else {}),
            "audio_predictions": [str(audio_paths[g]) for g in chosen_on],
            "video_predictions": [str(video_paths[g]) for g in chosen_on],
            "chosen_on": "val",
            "cross_fitted": cross_fitted,
            "selection_folds": chosen_on,
            "val_out_of_sample": cross_fitted,
            "cross_fit": (
                f"chosen on the validation predictions of folds {chosen_on} (pooled): not on "
                f"fold {fold}'s own validation part (its fused validation score is out of "
                f"sample) nor on fold {before}'s (that is fold {fold}'s test part)"
                + (" nor on another split repeat's folds" if repeats > 1 else "")
                if cross_fitted
                else "one fold: nothing to cross-fit; chosen on the fold's own validation "
                "part, so the fused validation score is in-sample"
            ),
            "selection": fusion_settings["selection"],
            "draws": int(fusion_settings["draws"]),
            "concentration": float(fusion_settings["concentration"]),
            "normalisation": fusion_settings["normalisation"],
            "shrinkage_grid": sorted(set(shrinkage)),
            "seed": int(seed),
            "weights": weights_record(weights, emotions),
            **summary,
        }
        if log is not None:
            _log_search(record, emotions, log)
        Path(weights_paths[fold]).parent.mkdir(parents=True, exist_ok=True)
        Path(weights_paths[fold]).write_text(json.dumps(record, indent=2) + "\n")
        write_fused(val_predictions_paths[fold], weights, data[fold], emotions)
        records.append(record)
    return records


def _log_search(record: dict[str, Any], emotions: Sequence[str], log) -> None:
    chosen = (
        f"draw {record['selected_draw']} shrunk by {record['shrinkage']}"
        if record["candidate"] == "draw"
        else record["candidate"]
    )
    print(
        f"fusion weights of fold {record['fold']} of {record['n_folds']}: {record['cross_fit']}; "
        f"{record['n_intervals']} intervals ({record['n_audio_only']} audio only, "
        f"{record['n_video_only']} video only, {record['n_neither']} neither); "
        + (
            f"WARNING: {record['unchosen']}"
            if record.get("unchosen")
            else f"best of {record['n_candidates']} candidates: {chosen}, UAR "
            f"{record['selection_uar']:.4f} (even {record['even_uar']}, audio alone "
            f"{record['audio_alone_uar']}, video alone {record['video_alone_uar']})"
        ),
        file=log,
    )
    if record["n_intervals"] < 2 * len(emotions):
        print(
            f"WARNING: only {record['n_intervals']} selection intervals for {len(emotions)} "
            f"classes; {record['n_draws_tied']} of {record['n_candidates']} candidates tie "
            "at the best UAR: the chosen weights are barely determined",
            file=log,
        )


def part_folds(level_csv: str, n_folds: int, part: str = "test", repeat: int = 0) -> dict[str, int]:
    """``interval_id -> fold`` whose model predicts it, for the intervals of ``part``
    (``test``, or ``val``: each fold's validation part) of a level table (read without
    pandas: fusion jobs are many and short; the rule is the one of
    :func:`emoagree.levels.split.fold_part_rows`). With split repeats, ``repeat`` r reads
    that repeat's column and gives global fold ids ``r * K + f``."""
    import csv

    from emoagree.levels.split import fold_column

    with open(level_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if part not in ("test", "val"):
        raise ValueError(f"part {part!r} is not test or val")
    if n_folds == 1:
        return {r["interval_id"]: 0 for r in rows if r["split"] == part}
    column = fold_column(repeat)
    if rows and column not in rows[0]:
        raise ValueError(f"{level_csv}: no {column!r} column for {n_folds} folds")
    shift = 0 if part == "test" else 1
    base = int(repeat) * n_folds
    return {r["interval_id"]: base + (int(r[column]) - base - shift) % n_folds for r in rows}


def test_folds(level_csv: str, n_folds: int) -> dict[str, int]:
    """:func:`part_folds` of the test part."""
    return part_folds(level_csv, n_folds, "test")


def fuse_by_fold(
    data: Aligned, per_fold: Sequence[np.ndarray], fold_of: Mapping[str, int] | None,
    what: str,
) -> np.ndarray:
    """Fused probabilities, each interval with the weights of the fold whose model
    predicted it (``fold_of``; ``None``: one fold)."""
    if fold_of is None:
        folds = np.zeros(len(data.interval_ids), dtype=int)
    else:
        missing = [i for i in data.interval_ids if i not in fold_of]
        if missing:
            raise ValueError(f"{what}: no fold for intervals {missing[:3]}")
        folds = np.array([fold_of[i] for i in data.interval_ids], dtype=int)
    probs = np.full(data.audio.shape, np.nan)
    for fold, weights in enumerate(per_fold):
        mask = folds == fold
        if mask.any():
            probs[mask] = fused_probabilities(weights, data)[mask]
    return probs


def _fuse_repeats(
    blocks: Sequence[Aligned],
    per_fold: Sequence[np.ndarray],
    level_csv: str | Path | None,
    n_folds: int,
    part: str,
    audio_path: str | Path,
) -> np.ndarray:
    """Fuse each split repeat's block with the weights of the fold that holds each interval
    in that repeat's ``part`` (``test`` or ``val``), blocks stacked in repeat order."""
    return np.concatenate(
        [
            fuse_by_fold(
                block,
                per_fold,
                part_folds(level_csv, n_folds, part, r) if n_folds > 1 else None,
                f"{level_csv} ({part} of {audio_path})",
            )
            for r, block in enumerate(blocks)
        ]
    )


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
    val_paths: tuple[str, str, str] | None = None,
) -> dict[str, Any]:
    """Fuse one test level's predictions; write them and what was applied (info JSON).

    Under ``selection: val`` each interval is fused with the weights chosen for the fold
    that tested it (``weights_paths[f]``; the fold of each interval comes from
    ``level_csv``). Under ``selection: test`` (the paper's protocol, optimistic) one
    weight matrix is searched again on this test level's own labels, and the info file
    says so.

    ``val_paths`` = ``(audio val{j}, video val{j}, fused val{j} out)``: the validation
    cross-evaluation, each interval of a fold's validation part fused with that fold's
    (cross-fitted) weights, whatever ``selection`` says (never chosen on test labels).
    """
    selection = fusion_settings["selection"]
    if selection not in SELECTIONS:
        raise ValueError(f"fusion.selection {selection!r} not in {SELECTIONS}")
    from emoagree.levels.split import as_fold_paths

    weights_paths = as_fold_paths(weights_paths)
    if not weights_paths or len(weights_paths) % n_folds:
        raise ValueError(f"{len(weights_paths)} fusion weight files for {n_folds} folds")
    repeats = len(weights_paths) // n_folds  # split repeats: global fold ids r * K + f
    if n_folds > 1 and level_csv is None:
        raise ValueError("fusing pooled folds needs the test level's table")
    blocks = _read_repeats(audio_path, video_path, emotions, repeats)
    data = _stacked(blocks)
    per_fold = [
        weights_from_record(json.loads(Path(p).read_text())["weights"], emotions)
        for p in weights_paths
    ]
    if selection == "val":
        probs = _fuse_repeats(blocks, per_fold, level_csv, n_folds, "test", audio_path)
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
            [float(x) for x in fusion_settings.get("shrinkage", DEFAULT_SHRINKAGE)],
        )
        probs = fused_probabilities(weights, data)
        info = {"chosen_on": "test", **summary, "weights": weights_record(weights, emotions)}
    info.update(
        selection=selection,
        optimistic=selection == "test",
        weights_file=[str(p) for p in weights_paths],
    )
    if val_paths is not None:
        val_audio, val_video, val_out = val_paths
        val_blocks = _read_repeats(val_audio, val_video, emotions, repeats)
        val = _stacked(val_blocks)
        val_probs = _fuse_repeats(val_blocks, per_fold, level_csv, n_folds, "val", val_audio)
        write_arrays(val_out, val.interval_ids, val.emotions_true, val_probs, emotions)
        info["val"] = {"chosen_on": "val", "cross_fitted": n_folds > 1, **val.counts()}
    if log is not None:
        print(
            f"fused {info['n_intervals']} intervals with weights chosen on {info['chosen_on']}"
            f"{' (OPTIMISTIC: test labels used)' if info['optimistic'] else ''}: "
            f"{info['n_audio_only']} audio only, {info['n_video_only']} video only, "
            f"{info['n_neither']} unscored"
            + (
                f"; and {info['val']['n_intervals']} validation intervals (val{{j}}) with "
                "each fold's weights chosen on val"
                if "val" in info
                else ""
            ),
            file=log,
        )
    write_arrays(predictions_path, data.interval_ids, data.emotions_true, probs, emotions)
    Path(info_path).parent.mkdir(parents=True, exist_ok=True)
    Path(info_path).write_text(json.dumps(info, indent=2) + "\n")
    return info
