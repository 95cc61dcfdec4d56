"""Speech-like audio: a glottal pulse source through vowel formants, in syllables.

The voice of one actor is a pulse train at the pitch contour (with jitter and, when
scared, tremor; when disgusted, creaky period doubling and shimmer), shaped by a glottal
low-pass whose brightness varies, mixed with breath noise, filtered by the formants of a
vowel per syllable (scaled by the actor's vocal tract), cut into syllables, words and
phrases while the actor holds the floor. Pitch level, range and contour, energy, tempo,
jitter, creak, breathiness and brightness follow the expressed emotions with the actor's
own voice expressiveness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import signal

from emoagree.corpus.demo.actors import PROSODY, VOWELS, Actor
from emoagree.corpus.demo.timeline import CONTROL_RATE

PROSODY_KEYS = (
    "f0", "range", "energy", "tempo", "jitter", "breath", "bright", "tremor", "rise", "creak",
)


def prosody_controls(
    curves: np.ndarray, emotions: Sequence[str], actor: Actor
) -> dict[str, np.ndarray]:
    """Per-control-frame prosody offsets: the emotion curves weighted by :data:`PROSODY`."""
    weights = np.array([[PROSODY[e][k] for k in PROSODY_KEYS] for e in emotions])
    offsets = actor.voice_gain * (weights.T @ curves)
    return {k: offsets[i] for i, k in enumerate(PROSODY_KEYS)}


def _syllables(
    speaking: np.ndarray, tempo: np.ndarray, actor: Actor, rng: np.random.Generator
) -> list[tuple[float, float, int, float]]:
    """``(start, end, vowel, accent)`` of each syllable, inside the speaking frames."""
    n = len(speaking)
    duration = n / CONTROL_RATE
    out = []
    t = 0.0
    in_word, in_phrase = 0, 0
    word_len, phrase_len = int(rng.integers(1, 4)), int(rng.integers(2, 6))
    while t < duration - 0.05:
        frame = min(n - 1, int(t * CONTROL_RATE))
        if not speaking[frame]:
            t += 1.0 / CONTROL_RATE
            in_word, in_phrase = 0, 0
            continue
        length = float(rng.uniform(0.8, 1.2)) / (actor.rate * np.exp(tempo[frame]))
        end = t + length
        stop = min(n, int(end * CONTROL_RATE))
        if not speaking[frame:stop].all():  # the turn ends inside the syllable
            t = end
            continue
        accent = float(rng.uniform(-0.6, 1.6)) if rng.random() < 0.4 else 0.0
        out.append((t, end, int(rng.integers(len(VOWELS))), accent))
        t = end
        in_word += 1
        if in_word >= word_len:
            in_word, word_len = 0, int(rng.integers(1, 4))
            in_phrase += 1
            t += float(rng.uniform(0.03, 0.15))
            if in_phrase >= phrase_len:
                in_phrase, phrase_len = 0, int(rng.integers(2, 6))
                t += float(rng.uniform(0.25, 0.6))
    return out


def _resonators(formants: np.ndarray, sr: int) -> np.ndarray:
    """Cascade of second-order resonators (as sos) for one vowel's formants."""
    sections = []
    for i, freq in enumerate(formants):
        freq = min(freq, 0.45 * sr)
        bandwidth = 70.0 + 30.0 * i
        r = np.exp(-np.pi * bandwidth / sr)
        theta = 2 * np.pi * freq / sr
        a = [1.0, -2 * r * np.cos(theta), r * r]
        gain = sum(a)  # unit gain at DC for each section
        sections.append([gain, 0.0, 0.0, *a])
    return np.array(sections)


def _syllable_shapes(
    syllables: Sequence[tuple[float, float, int, float]], n: int, n_ctrl: int, sr: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the syllables draw on the time axes.

    Returns:
        ``(envelope, vowel_weights, accent, glide)``: per sample the syllables' loudness
        envelope (0..1) and each vowel's on/off weight ``(len(VOWELS), n)``; per control
        frame the accent bump and a 0 -> 1 ramp across each syllable (for rising or
        falling contours).
    """
    env = np.zeros(n)
    vowel_w = np.zeros((len(VOWELS), n))
    accent = np.zeros(n_ctrl)
    glide = np.zeros(n_ctrl)
    for start, end, vowel, acc in syllables:
        i0, i1 = int(start * sr), min(n, int(end * sr))
        if i1 - i0 < 8:
            continue
        m = i1 - i0
        attack = max(1, int(0.3 * m))
        shape = np.ones(m)
        shape[:attack] = np.sin(np.linspace(0, np.pi / 2, attack)) ** 2
        release = np.cos(np.linspace(0, np.pi / 2, attack)) ** 2
        shape[-attack:] = np.minimum(shape[-attack:], release)
        env[i0:i1] = np.maximum(env[i0:i1], shape)
        vowel_w[vowel, i0:i1] = 1.0
        c0, c1 = int(start * CONTROL_RATE), min(n_ctrl, int(end * CONTROL_RATE) + 1)
        accent[c0:c1] = acc * np.sin(np.linspace(0, np.pi, c1 - c0))
        glide[c0:c1] = np.linspace(0.0, 1.0, c1 - c0)
    return env, vowel_w, accent, glide


def _talk_time(speaking: np.ndarray) -> np.ndarray:
    """Seconds the actor has held the floor at each control frame (0 while silent)."""
    talk_time = np.zeros(len(speaking))
    for i in range(1, len(speaking)):
        talk_time[i] = talk_time[i - 1] + 1 / CONTROL_RATE if speaking[i] else 0.0
    return talk_time


def _pitch_track(
    actor: Actor,
    ctl: Mapping[str, np.ndarray],
    accent: np.ndarray,
    glide: np.ndarray,
    speaking: np.ndarray,
    t: np.ndarray,
    t_ctrl: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The per-sample pitch (Hz): the emotions' contour, accents and glides, the phrase's
    declination (pitch drifts down while the actor keeps talking), jitter and tremor.

    Returns:
        ``(f0, tremor, shake)``: the pitch, and the tremor's depth and its 7 Hz wave per
        sample (they move the loudness too).
    """
    n = len(t)
    semitones = (
        ctl["f0"]
        + 2.5 * np.exp(ctl["range"]) * accent
        + ctl["rise"] * glide
        - 0.8 * np.minimum(_talk_time(speaking), 3)
    )
    f0_ctrl = actor.f0 * 2 ** (semitones / 12)
    f0 = np.interp(t, t_ctrl, f0_ctrl)
    jitter = np.interp(t, t_ctrl, actor.jitter + np.clip(ctl["jitter"], 0, None))
    tremor = np.interp(t, t_ctrl, np.clip(ctl["tremor"], 0, None))
    wobble = signal.lfilter([0.02], [1, -0.98], rng.normal(0, 1, n))  # slow random drift
    shake = np.sin(2 * np.pi * 7.0 * t)
    f0 = f0 * (1 + jitter * 6 * wobble + 0.05 * tremor * shake)
    f0 *= 1 + jitter * rng.normal(0, 1, n) * 0.5
    return f0, tremor, shake


def _glottal_source(
    actor: Actor,
    ctl: Mapping[str, np.ndarray],
    f0: np.ndarray,
    t: np.ndarray,
    t_ctrl: np.ndarray,
    sr: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The voice source: a pulse train at ``f0`` (creaky where the emotions say), through
    the actor's glottal low-pass with the emotions' brightness, plus breath noise;
    normalised before the breath."""
    n = len(t)
    phase = np.cumsum(f0 / sr)
    pulses = np.zeros(n)
    onsets = np.flatnonzero(np.diff(np.floor(phase)) > 0) + 1
    # Creak: every other pulse weaker (period doubling) plus random pulse amplitudes.
    creak = np.clip(np.interp(onsets / sr, t_ctrl, ctl["creak"]), 0, 1)
    pulses[onsets] = (1 - 0.7 * creak * (np.arange(len(onsets)) % 2)) * (
        1 + (0.05 + 0.35 * creak) * rng.normal(0, 1, len(onsets))
    )
    glottal = signal.lfilter([1 - actor.tilt], [1, -actor.tilt], pulses)
    glottal = signal.lfilter([1 - actor.tilt], [1, -actor.tilt], glottal)
    bright = np.interp(t, t_ctrl, np.clip(0.6 + 0.5 * ctl["bright"], 0.05, 2.5))
    source = glottal + bright * np.diff(glottal, prepend=0.0) * 4.0
    source /= np.std(source) + 1e-9
    breath = np.interp(t, t_ctrl, actor.breath + np.clip(ctl["breath"], 0, None))
    return source + breath * 6.0 * rng.normal(0, 1, n)


def _vocal_tract(
    source: np.ndarray, vowel_w: np.ndarray, env: np.ndarray, actor: Actor, sr: int
) -> np.ndarray:
    """The source through each syllable's vowel formants (scaled by the actor's vocal
    tract), normalised over the syllables' bodies."""
    # Vowel weights cross-fade over 15 ms so formants glide between syllables.
    fade = np.hanning(max(3, int(0.015 * sr)))
    fade /= fade.sum()
    voice = np.zeros(len(source))
    for v, formants in enumerate(VOWELS):
        weight = np.convolve(vowel_w[v], fade, mode="same")
        if weight.max() <= 0:
            continue
        sos = _resonators(formants * actor.formant_scale, sr)
        voice += weight * signal.sosfilt(sos, source * (weight > 0))
    voice /= np.std(voice[env > 0.1]) + 1e-9 if (env > 0.1).any() else 1.0
    return voice


def _onset_bursts(
    syllables: Sequence[tuple[float, float, int, float]],
    n: int,
    sr: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Consonant-like noise bursts at syllable onsets (high-passed above 3 kHz)."""
    burst = np.zeros(n)
    hp = signal.butter(2, min(3000 / (sr / 2), 0.95), "high", output="sos")
    for start, _, _, _ in syllables:
        if rng.random() < 0.6:
            i0 = int(start * sr)
            m = min(n - i0, int(rng.uniform(0.02, 0.06) * sr))
            if m > 4:
                burst[i0 : i0 + m] += rng.normal(0, 0.5, m) * np.hanning(m)
    return signal.sosfilt(hp, burst)


def synthesize_voice(
    actor: Actor,
    curves: np.ndarray,
    emotions: Sequence[str],
    speaking: np.ndarray,
    duration: float,
    sr: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """One actor's clean speech and its loudness envelope.

    Args:
        curves: expressed intensity per emotion at :data:`CONTROL_RATE`.
        speaking: boolean floor mask at :data:`CONTROL_RATE`.

    Returns:
        ``(speech, envelope)``: float32 samples at ``sr`` and the syllable envelope at
        :data:`CONTROL_RATE` (0..1, used to move the mouth in the video).
    """
    # The random draws, in this order, make the demo corpus: syllables, pitch drift and
    # jitter, pulse amplitudes and breath, onset bursts. Keep it.
    n_ctrl = len(speaking)
    n = int(round(duration * sr))
    ctl = prosody_controls(curves, emotions, actor)
    syllables = _syllables(speaking, ctl["tempo"], actor, rng)
    t_ctrl = np.arange(n_ctrl) / CONTROL_RATE
    t = np.arange(n) / sr
    env, vowel_w, accent, glide = _syllable_shapes(syllables, n, n_ctrl, sr)
    f0, tremor, shake = _pitch_track(actor, ctl, accent, glide, speaking, t, t_ctrl, rng)
    source = _glottal_source(actor, ctl, f0, t, t_ctrl, sr, rng)
    voice = _vocal_tract(source, vowel_w, env, actor, sr)
    voice += _onset_bursts(syllables, n, sr, rng)

    energy_db = np.interp(t, t_ctrl, ctl["energy"])
    loudness = 10 ** (energy_db / 20) * (1 + 0.25 * np.clip(tremor, 0, 1) * shake)
    speech = voice * env * loudness * 0.07
    env_ctrl = np.interp(t_ctrl, t, env) * 10 ** (ctl["energy"] / 40)
    return speech.astype(np.float32), np.clip(env_ctrl, 0, 1.5)


def mix_microphone(
    own: np.ndarray,
    partner: np.ndarray,
    sr: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """One actor's microphone: own voice, attenuated and delayed partner, room noise.

    Peaks above 0.7 of full scale are softly limited (never reaching 1.0).

    Returns int16 samples.
    """
    crosstalk = float(rng.uniform(0.05, 0.12))
    delay = int(rng.uniform(0.003, 0.01) * sr)
    bleed = np.zeros_like(own)
    bleed[delay:] = partner[: len(partner) - delay]
    bleed = signal.lfilter([0.6, 0.4], [1.0], bleed)  # the far mic hears a duller voice
    noise = signal.lfilter([1.0], [1, -0.9], rng.normal(0, 1, len(own)))
    noise *= float(rng.uniform(0.002, 0.005)) / (np.std(noise) + 1e-12)
    hum = 0.001 * np.sin(2 * np.pi * 50.0 * np.arange(len(own)) / sr)
    mic = own + crosstalk * bleed + noise + hum
    # Soft limiter above 0.7 full scale, so loud (angry) peaks never clip.
    peak = np.abs(mic)
    over = peak > 0.7
    mic[over] = np.sign(mic[over]) * (0.7 + 0.29 * np.tanh((peak[over] - 0.7) / 0.29))
    return np.clip(np.round(mic * 32767), -32768, 32767).astype(np.int16)
