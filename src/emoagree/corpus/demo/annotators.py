"""Simulated annotators: continuous real-time marking with individual reliability.

Each simulated annotator has a fixed profile for the whole corpus:

- ``threshold``: how salient an episode must be to be noticed (the probability of
  marking it is a logistic function of salience minus threshold), so weak episodes are
  missed by many, strong ones by few;
- ``lag_start`` / ``lag_end`` and ``jitter``: reaction delay on both boundaries (marking
  happens while watching in real time) and their random spread;
- ``confusion``: the chance of tagging a noticed episode with a similar emotion (Angry
  and Disgusted, Scared and Surprised, Sad and Scared, ...), sometimes in addition to
  the right one; besides, each episode has an *ambiguity* shared by all annotators, the
  chance of taking it for one fixed look-alike emotion, so that wrong labels can also
  reach agreement;
- ``spurious_per_min``: marks where nothing happened (often the scenario's emotion the
  annotator expects), per minute of the dialogue's exchanges and made during them: an
  annotator is drawn to a false emotion while something happens, not in the quiet
  stretches between exchanges;
- ``fragment``: the chance of splitting one episode into two marks;
- ``neutral``: whether the annotator also marks Neutral stretches, and ``extra``: how often
  extra categories (Domination, Submission, Shame, Tiredness) are added. The workflow
  drops both kinds. An annotator who noticed nothing on a recording marks it all
  Neutral, so every recording has all of its annotators in the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emoagree.corpus.demo.timeline import Episode

#: Emotions annotators confuse, in order of likelihood.
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "Angry": ("Disgusted", "Surprised"),
    "Disgusted": ("Angry", "Sad"),
    "Scared": ("Surprised", "Sad"),
    "Surprised": ("Scared", "Happy"),
    "Sad": ("Scared", "Disgusted"),
    "Happy": ("Surprised",),
}

#: Extra categories an annotator may add over an episode of the given emotion.
EXTRA_FOR: dict[str, tuple[str, ...]] = {
    "Angry": ("Domination",),
    "Disgusted": ("Domination", "Shame"),
    "Scared": ("Submission",),
    "Sad": ("Tiredness", "Submission", "Shame"),
    "Happy": ("Domination",),
    "Surprised": ("Submission",),
}

EXTRA_CATEGORIES = ("Domination", "Submission", "Shame", "Tiredness")

MARK_COLUMNS = ["recording", "annotator", "emotion", "start_s", "end_s"]
MIN_MARK_S = 0.25
#: Beta distribution of an episode's ambiguity (the chance that an annotator who notices
#: it takes it for its look-alike emotion); most episodes are hardly ambiguous.
AMBIGUITY_BETA = (0.5, 5.0)


@dataclass(frozen=True)
class Annotator:
    """Reliability profile of one simulated annotator (see the module docstring)."""

    annotator_id: int
    threshold: float
    lag_start: float
    lag_end: float
    jitter: float
    confusion: float
    spurious_per_min: float
    fragment: float
    neutral: bool
    extra: float


def annotator_pool(n: int, seed: int) -> list[Annotator]:
    """``n`` annotators with ids ``1..n`` and their own reliability.

    Traits are drawn by Latin hypercube sampling (each trait's range split into ``n``
    strata, one annotator per stratum, shuffled per trait), so every pool mixes careful
    and careless annotators and the level statistics vary little between seeds.
    """
    rng = np.random.default_rng([int(seed), 7301])

    def spread(low: float, high: float) -> np.ndarray:
        return low + (high - low) * (rng.permutation(n) + rng.random(n)) / n

    threshold = spread(0.05, 0.4)
    lag = spread(0.15, 0.7)
    lag_end_share = spread(0.4, 1.0)
    jitter = spread(0.15, 0.55)
    confusion = spread(0.02, 0.1)
    spurious = spread(0.1, 0.7)  # per minute; episodes come every ~3 s
    fragment = spread(0.0, 0.12)
    neutral = spread(0.0, 1.0) < 0.6
    extra = spread(0.0, 0.3)
    return [
        Annotator(
            annotator_id=i + 1,
            threshold=float(threshold[i]),
            lag_start=float(lag[i]),
            lag_end=float(lag[i] * lag_end_share[i]),
            jitter=float(jitter[i]),
            confusion=float(confusion[i]),
            spurious_per_min=float(spurious[i]),
            fragment=float(fragment[i]),
            neutral=bool(neutral[i]),
            extra=float(extra[i]),
        )
        for i in range(n)
    ]


def _confused(emotion: str, emotions: Sequence[str], rng: np.random.Generator) -> str:
    options = [e for e in CONFUSABLE.get(emotion, ()) if e in emotions]
    if not options:
        options = [e for e in emotions if e != emotion]
    weights = np.array([2.0**-i for i in range(len(options))])
    return options[int(rng.choice(len(options), p=weights / weights.sum()))]


def _mark(start: float, end: float, duration: float) -> tuple[float, float] | None:
    start, end = round(max(0.0, start), 3), round(min(duration, end), 3)
    return (start, end) if end - start >= MIN_MARK_S else None


def _kept(marks: Sequence[tuple[str, float, float]], duration: float) -> list[tuple]:
    """``(emotion, start, end)`` of the marks that last :data:`MIN_MARK_S` or more inside
    the recording, times rounded to milliseconds; in order."""
    kept = []
    for emotion, start, end in marks:
        mark = _mark(start, end, duration)
        if mark is not None:
            kept.append((emotion, *mark))
    return kept


def _episode_marks(
    ep: Episode,
    ann: Annotator,
    emotions: Sequence[str],
    ambiguity: float,
    look_alike: str,
    rng: np.random.Generator,
) -> list[tuple[str, float, float]]:
    """``(emotion, start, end)`` that ``ann`` marks of one episode: nothing if it goes
    unnoticed; else its emotion, or a confused or look-alike one (sometimes beside the
    right one), maybe in two fragments, maybe with an extra category over it."""
    p_notice = 1.0 / (1.0 + np.exp(-(ep.salience - ann.threshold) / 0.07))
    if rng.random() >= p_notice:
        return []
    marks = []
    start = ep.start + ann.lag_start + rng.normal(0, ann.jitter)
    end = ep.end + ann.lag_end + rng.normal(0, ann.jitter)
    label = ep.emotion
    if rng.random() < ann.confusion * (1.6 - ep.salience):
        label = _confused(ep.emotion, emotions, rng)
        if rng.random() < 0.5:  # unsure: tags both
            marks.append((ep.emotion, start, end))
    elif rng.random() < ambiguity:
        label = look_alike
        if rng.random() < 0.3:
            marks.append((ep.emotion, start, end))
    if rng.random() < ann.fragment and end - start > 2.0:
        cut = float(rng.uniform(start + 0.6, end - 0.6))
        gap = float(rng.uniform(0.2, 0.6))
        marks.append((label, start, cut - gap / 2))
        marks.append((label, cut + gap / 2, end))
    else:
        marks.append((label, start, end))
    extras = EXTRA_FOR.get(ep.emotion, ())
    if extras and rng.random() < ann.extra:
        extra = extras[int(rng.integers(len(extras)))]
        marks.append((extra, start + rng.normal(0, 0.5), end + rng.normal(0, 0.5)))
    return marks


def _spurious_marks(
    ann: Annotator,
    spans: Sequence[tuple[float, float]],
    emotions: Sequence[str],
    expected: str,
    rng: np.random.Generator,
) -> list[tuple[str, float, float]]:
    """``(emotion, start, end)`` of ``ann``'s marks where nothing happened, each inside
    one of the ``spans`` (drawn by length): an extra category, the expected emotion or
    any emotion."""
    span_s = np.array([b - a for a, b in spans])
    marks = []
    n_spurious = rng.poisson(ann.spurious_per_min * float(span_s.sum()) / 60.0)
    for _ in range(n_spurious):
        low, high = spans[int(rng.choice(len(spans), p=span_s / span_s.sum()))]
        length = min(float(rng.uniform(1.0, 3.5)), high - low)
        start = low + float(rng.uniform(0.0, max(0.0, high - low - length)))
        u = rng.random()
        if u < 0.15:  # a passing impression outside the six emotions
            emotion = EXTRA_CATEGORIES[int(rng.integers(len(EXTRA_CATEGORIES)))]
        elif u < 0.5 and expected in emotions:
            emotion = expected
        else:
            emotion = emotions[int(rng.integers(len(emotions)))]
        marks.append((emotion, start, start + length))
    return marks


def _neutral_marks(
    ann: Annotator, episodes: Sequence[Episode], duration: float, rng: np.random.Generator
) -> list[tuple[str, float, float]]:
    """``("Neutral", start, end)`` over most stretches of over a second between the
    episodes, with ``ann``'s lags (the other way round: Neutral ends as an episode
    starts)."""
    marks = []
    edges = [0.0] + [x for ep in episodes for x in (ep.start, ep.end)] + [duration]
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start > 1.0 and rng.random() < 0.85:
            marks.append((
                "Neutral",
                start + ann.lag_end + rng.normal(0, ann.jitter),
                end + ann.lag_start + rng.normal(0, ann.jitter),
            ))
    return marks


def annotate(
    recording: str,
    episodes: Sequence[Episode],
    annotators: Sequence[Annotator],
    emotions: Sequence[str],
    expected: str,
    duration: float,
    rng: np.random.Generator,
    windows: Sequence[tuple[float, float]] = (),
) -> pd.DataFrame:
    """Raw marks of ``annotators`` on one recording (``recording, annotator, emotion,
    start_s, end_s``), times rounded to milliseconds.

    Args:
        episodes: the recording's true episodes.
        expected: the emotion annotators expect (the scenario's primary emotion of this
            actor); spurious marks lean towards it.
        windows: the dialogue's exchanges; spurious marks start and end inside one of
            them (empty: anywhere in the recording).
    """
    # The random draws, in this order, make the demo corpus: the episodes' ambiguity and
    # look-alikes, then per annotator its episodes' marks, spurious and Neutral marks.
    spans = [(a, b) for a, b in windows if b > a] or [(0.0, duration)]
    rows: list[tuple[str, int, str, float, float]] = []
    # Some episodes are ambiguous: whoever confuses them picks the same look-alike emotion,
    # so wrong labels can reach agreement too (as RAMAS's moderate alpha shows).
    ambiguity = rng.beta(AMBIGUITY_BETA[0], AMBIGUITY_BETA[1], size=len(episodes))
    look_alike = [_confused(ep.emotion, emotions, rng) for ep in episodes]
    for ann in annotators:
        marks = []
        for index, ep in enumerate(episodes):
            marks += _episode_marks(ep, ann, emotions, ambiguity[index], look_alike[index], rng)
        marks += _spurious_marks(ann, spans, emotions, expected, rng)
        if ann.neutral:
            marks += _neutral_marks(ann, episodes, duration, rng)
        # watched it and saw nothing: the whole file is Neutral
        kept = _kept(marks, duration) or _kept([("Neutral", 0.0, duration)], duration)
        rows += [(recording, ann.annotator_id, *mark) for mark in kept]
    table = pd.DataFrame(rows, columns=MARK_COLUMNS)
    return table.sort_values(["annotator", "start_s", "emotion"], ignore_index=True)
