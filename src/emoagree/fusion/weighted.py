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

The rules' steps (cross-fitting over folds, the weights files, applying the weights to a
test level) are in :mod:`emoagree.fusion.steps`.

Where only one modality scored an interval, that modality's own probabilities decide
alone (unweighted); where neither did, the interval stays unscored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from emoagree.contracts.predictions import (
    PredictionArrays,
    arrays_from_table,
    make_predictions,
    write_arrays,
)
from emoagree.evaluation.metrics import UNSCORED, batch_uar, encode

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
    fixed = [
        even,
        member_weights(n_classes, normalisation, 0),
        member_weights(n_classes, normalisation, 1),
    ]
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


def _most_even_of_best(weights: np.ndarray, uars: np.ndarray, even: np.ndarray) -> tuple[int, int]:
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
