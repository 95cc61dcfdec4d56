"""Actor identities (voice and face) and how each emotion changes voice and face.

Identities differ in voice (base pitch, formant scale i.e. vocal tract length, spectral
tilt, breathiness, speaking rate) and face (skin tone, hair, head shape and size,
eye spacing, background). Each actor also has their own expressiveness, separately for
voice and face: the same emotion is stronger in some actors than in others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Prosody per unit of expressed emotion: pitch shift (semitones), pitch range factor
#: (log), energy (dB), tempo (log rate), jitter, breathiness, brightness (spectral tilt,
#: + flatter i.e. tenser), tremor (7 Hz pitch and loudness wobble), rise (semitones of
#: upward glide across each syllable: rising contours) and creak (period doubling and
#: shimmer: creaky voice). Every emotion has its own profile, so that utterance-level
#: functionals (openSMILE ComParE / eGeMAPS) separate them: Angry loud, tense and bright;
#: Happy high, wide and fast; Surprised highest with rising contours; Sad low, quiet,
#: slow and breathy; Disgusted low, slow and creaky; Scared high, narrow, fast, trembling.
#: Sizes are set so that audio recognition is well above chance at every level yet stays
#: below the face's (bench/demo_signal.py measures both).
PROSODY: dict[str, dict[str, float]] = {
    "Angry": dict(f0=2.5, range=0.2, energy=8.0, tempo=0.1, jitter=0.003, breath=0.0,
                  bright=1.4, tremor=0.0, rise=-1.0, creak=0.0),
    "Happy": dict(f0=4.2, range=0.65, energy=3.5, tempo=0.2, jitter=0.0, breath=0.0,
                  bright=0.4, tremor=0.0, rise=0.0, creak=0.0),
    "Surprised": dict(f0=5.6, range=0.7, energy=2.5, tempo=-0.07, jitter=0.0, breath=0.04,
                      bright=0.15, tremor=0.0, rise=5.0, creak=0.0),
    "Sad": dict(f0=-3.0, range=-0.65, energy=-8.0, tempo=-0.3, jitter=0.003, breath=0.15,
                bright=-1.0, tremor=0.0, rise=-0.7, creak=0.0),
    "Disgusted": dict(f0=-3.2, range=-0.2, energy=0.7, tempo=-0.25, jitter=0.014,
                      breath=0.015, bright=-0.3, tremor=0.0, rise=-0.35, creak=0.7),
    "Scared": dict(f0=5.0, range=-0.35, energy=-1.4, tempo=0.3, jitter=0.007, breath=0.085,
                   bright=0.0, tremor=1.05, rise=0.0, creak=0.0),
}

#: Face expression per unit of expressed emotion: mouth curvature (+ smile), mouth
#: opening, brow angle (degrees, + inner ends raised), brow height, eye opening, mouth
#: asymmetry (sneer).
EXPRESSION: dict[str, dict[str, float]] = {
    "Angry": dict(curve=-0.5, open=0.25, brow_angle=-22.0, brow_h=-0.35, eye=-0.2, sneer=0.0),
    "Happy": dict(curve=1.1, open=0.35, brow_angle=0.0, brow_h=0.15, eye=-0.15, sneer=0.0),
    "Surprised": dict(curve=0.0, open=1.0, brow_angle=4.0, brow_h=0.8, eye=0.55, sneer=0.0),
    "Sad": dict(curve=-0.7, open=0.0, brow_angle=18.0, brow_h=0.1, eye=-0.15, sneer=0.0),
    "Disgusted": dict(curve=-0.6, open=0.15, brow_angle=-12.0, brow_h=-0.2, eye=-0.25,
                      sneer=0.8),
    "Scared": dict(curve=-0.35, open=0.55, brow_angle=20.0, brow_h=0.55, eye=0.45, sneer=0.0),
}

#: Vowel formants (Hz) of an average male voice: a, e, i, o, u.
VOWELS = np.array(
    [[730, 1090, 2440], [530, 1840, 2480], [270, 2290, 3010], [570, 840, 2410], [300, 870, 2240]],
    dtype=float,
)


@dataclass(frozen=True)
class Actor:
    """Voice and face of one actor."""

    name: str
    female: bool
    f0: float
    formant_scale: float
    tilt: float
    breath: float
    jitter: float
    rate: float
    voice_gain: float
    face_gain: float
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    background: tuple[int, int, int]
    head_scale: float
    aspect: float
    eye_spacing: float
    brow_width: float
    long_hair: bool


def make_actor(name: str, seed: int) -> Actor:
    """The actor called ``name`` (``F01``, ``M02``, ...), drawn from ``(seed, name)``."""
    female = name.startswith("F")
    rng = np.random.default_rng([int(seed), 7501, int(name[1:])])
    skin_base = np.array([[185, 205, 235], [140, 175, 215], [105, 140, 190], [75, 105, 150]])
    skin = skin_base[int(rng.integers(len(skin_base)))] + rng.integers(-12, 13, size=3)
    hair_base = np.array([[30, 30, 40], [40, 70, 120], [60, 100, 160], [20, 20, 20],
                          [90, 110, 130]])
    hair = hair_base[int(rng.integers(len(hair_base)))]
    background = rng.integers(150, 225, size=3)
    return Actor(
        name=name,
        female=female,
        f0=float(rng.uniform(185, 235) if female else rng.uniform(100, 135)),
        formant_scale=float(rng.uniform(1.08, 1.2) if female else rng.uniform(0.9, 1.0)),
        tilt=float(rng.uniform(0.86, 0.95)),
        breath=float(rng.uniform(0.02, 0.08)),
        jitter=float(rng.uniform(0.004, 0.012)),
        rate=float(rng.uniform(3.8, 5.2)),
        voice_gain=float(rng.uniform(0.9, 1.4)),
        face_gain=float(rng.uniform(0.7, 1.15)),
        skin=tuple(int(v) for v in np.clip(skin, 0, 255)),
        hair=tuple(int(v) for v in hair),
        background=tuple(int(v) for v in background),
        head_scale=float(rng.uniform(0.9, 1.1)),
        aspect=float(rng.uniform(0.68, 0.86)),
        eye_spacing=float(rng.uniform(0.36, 0.44)),
        brow_width=float(rng.uniform(1.0, 1.4)),
        long_hair=bool(female and rng.random() < 0.7),
    )
