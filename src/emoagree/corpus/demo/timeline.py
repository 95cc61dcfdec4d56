"""Hidden truth of the demo corpus: emotional episodes and who speaks when.

Each recording (one actor's view of a dyadic dialogue) has a true emotion timeline:
episodes of the actor's primary emotion, a few episodes of other emotions (often the
partner's primary emotion, as emotions spread in a dialogue), neutral in between. A
dialogue alternates *exchanges* (stretches where both actors' episodes happen) with
*quiet stretches* of a few seconds where neither actor shows any emotion, as real
dialogues calm down between emotional moments (:func:`exchange_windows`). Each
episode has a *salience* in (0, 1]: how strongly it is expressed. Salience scales the
actor's expression in voice and face and drives how many annotators notice it. Some
episodes are *silent*: the actor listens while the partner talks, so only the face
shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Resolution of the control signals (speaking masks, expression curves), in Hz.
CONTROL_RATE = 100

#: Share of subtle episodes (low salience).
WEAK_SHARE = 0.36

#: Median length of a true episode (s).
EPISODE_MEDIAN_S = 1.9

#: Share of voiced episodes; the rest are silent (listening), shown by the face only.
VOICED_SHARE = 0.85

#: Length (s) of an exchange: a stretch of a dialogue in which episodes happen.
EXCHANGE_S = (3.5, 6.0)

#: Length (s) of a quiet stretch between exchanges: no true episode for either actor.
#: Annotators react late and with jitter (up to ~1.5 s past an episode's end), so a quiet
#: stretch of 3.5-4.5 s leaves about 3 s that nobody marks (2.9 s at the least on the
#: default demo), more than the split's 2 s guard.
QUIET_S = (3.5, 4.5)

#: Neutral time (s) between two episodes of one actor inside an exchange.
NEUTRAL_GAP_S = (0.4, 1.2)


@dataclass(frozen=True)
class Episode:
    """One true emotional episode of one actor."""

    emotion: str
    start: float
    end: float
    salience: float
    voiced: bool


def exchange_windows(duration: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    """The exchanges of one dialogue: ``(start, end)`` stretches, shared by both actors.

    The first starts 0.5-1.5 s in; exchanges last :data:`EXCHANGE_S` seconds and are
    separated by quiet stretches of :data:`QUIET_S` seconds; the last ends at least 0.5 s
    before the end (cut short there when at least 0.9 s of it fits). A 15 s dialogue has
    two exchanges, sometimes three.
    """
    windows: list[tuple[float, float]] = []
    t = float(rng.uniform(0.5, 1.5))
    while True:
        end = min(t + float(rng.uniform(*EXCHANGE_S)), duration - 0.5)
        if end - t < 0.9:
            break
        windows.append((round(t, 3), round(end, 3)))
        t = end + float(rng.uniform(*QUIET_S))
    return windows


def true_episodes(
    primary: str,
    partner_primary: str,
    emotions: Sequence[str],
    windows: Sequence[tuple[float, float]],
    rng: np.random.Generator,
) -> list[Episode]:
    """Draw one actor's emotional episodes inside the exchanges ``windows``.

    Episodes last 0.9-6 s (log-normal, median ~1.9 s, cut at the exchange's end) and are
    separated by neutral stretches of :data:`NEUTRAL_GAP_S` seconds; an exchange holds one
    or two episodes per actor. Two episodes in three are of the primary emotion; the rest
    are the partner's primary emotion or another one. Nothing happens outside ``windows``.
    """
    others = [e for e in emotions if e != primary]
    episodes: list[Episode] = []
    for start, stop in windows:
        episodes += _episodes_in(primary, partner_primary, others, start, stop, rng)
    return episodes


def _episodes_in(
    primary: str,
    partner_primary: str,
    others: Sequence[str],
    start: float,
    stop: float,
    rng: np.random.Generator,
) -> list[Episode]:
    """One actor's episodes between ``start`` and ``stop`` (see :func:`true_episodes`)."""
    episodes: list[Episode] = []
    t = start + float(rng.uniform(0.0, 0.4))
    while True:
        length = float(np.clip(rng.lognormal(np.log(EPISODE_MEDIAN_S), 0.4), 0.9, 6.0))
        length = min(length, stop - t)
        if length < 0.9:
            break
        u = rng.random()
        if u < 0.66 or not others:
            emotion = primary
        elif u < 0.80 and partner_primary in others:
            emotion = partner_primary
        else:
            emotion = others[int(rng.integers(len(others)))]
        # Most episodes are clear; about one in four is subtle, noticed by few annotators.
        if rng.random() < WEAK_SHARE:
            salience = float(np.clip(rng.beta(1.5, 4.0), 0.05, 1.0))
        else:
            salience = float(np.clip(rng.beta(3.0, 1.3), 0.05, 1.0))
        voiced = bool(rng.random() < VOICED_SHARE)
        episodes.append(Episode(emotion, round(t, 3), round(t + length, 3), salience, voiced))
        t += length + float(rng.uniform(*NEUTRAL_GAP_S))
    return episodes


def episodes_table(recording: str, episodes: Sequence[Episode]) -> pd.DataFrame:
    """The truth table rows of one recording: ``recording, emotion, start_s, end_s``."""
    return pd.DataFrame(
        {
            "recording": [recording] * len(episodes),
            "emotion": [e.emotion for e in episodes],
            "start_s": [e.start for e in episodes],
            "end_s": [e.end for e in episodes],
        }
    )


def _frames(start: float, end: float, n: int) -> slice:
    return slice(max(0, int(round(start * CONTROL_RATE))), min(n, int(round(end * CONTROL_RATE))))


def speaking_masks(
    episodes_a: Sequence[Episode],
    episodes_b: Sequence[Episode],
    duration: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Who holds the floor, at :data:`CONTROL_RATE`, for the two actors of a dialogue.

    Turns alternate (1.5-4.5 s, short silences between). A voiced episode gives its actor
    the floor (both talk when both have one); a silent episode makes its actor listen
    while the partner talks.
    """
    n = int(np.ceil(duration * CONTROL_RATE))
    base = np.zeros(n, dtype=bool)
    silence = np.zeros(n, dtype=bool)
    t, speaker = 0.0, bool(rng.random() < 0.5)
    while t < duration:
        length = float(rng.uniform(1.5, 4.5))
        base[_frames(t, t + length, n)] = speaker
        gap = float(rng.uniform(0.1, 0.5))
        silence[_frames(t + length, t + length + gap, n)] = True
        t += length + gap
        speaker = not speaker
    masks = []
    for own, other in ((episodes_a, episodes_b), (episodes_b, episodes_a)):
        voiced_own = np.zeros(n, dtype=bool)
        silent_own = np.zeros(n, dtype=bool)
        voiced_other = np.zeros(n, dtype=bool)
        silent_other = np.zeros(n, dtype=bool)
        for ep in own:
            (voiced_own if ep.voiced else silent_own)[_frames(ep.start, ep.end, n)] = True
        for ep in other:
            (voiced_other if ep.voiced else silent_other)[_frames(ep.start, ep.end, n)] = True
        masks.append((voiced_own, silent_own, voiced_other, silent_other))
    a = base & ~silence
    b = ~base & ~silence
    (va, sa, vb, sb), _ = masks
    a = (a | sb | va) & ~(vb & ~va) & ~sa
    b = (b | sa | vb) & ~(va & ~vb) & ~sb
    return a, b


def emotion_curves(
    episodes: Sequence[Episode], emotions: Sequence[str], duration: float, ramp_s: float = 0.35
) -> np.ndarray:
    """Expressed intensity of each emotion over time, shape ``(len(emotions), n)``.

    Each episode contributes ``0.3 + 0.7 * salience`` with smooth onset and offset ramps of
    ``ramp_s`` seconds, so voice and face change gradually, as people do.
    """
    n = int(np.ceil(duration * CONTROL_RATE))
    t = np.arange(n) / CONTROL_RATE
    curves = np.zeros((len(emotions), n))
    index = {e: i for i, e in enumerate(emotions)}
    for ep in episodes:
        rise = np.clip((t - ep.start) / ramp_s + 0.5, 0, 1)
        fall = np.clip((ep.end - t) / ramp_s + 0.5, 0, 1)
        shape = np.minimum(rise, fall)
        shape = shape * shape * (3 - 2 * shape)  # smoothstep
        strength = 0.3 + 0.7 * ep.salience  # even a barely noticed episode shows a little
        curves[index[ep.emotion]] = np.maximum(curves[index[ep.emotion]], strength * shape)
    return curves
