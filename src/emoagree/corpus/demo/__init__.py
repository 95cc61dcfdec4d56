"""Demo corpus generator: a small, fair stand-in for RAMAS, written in RAMAS's layout.

The generator writes, under the corpus root::

    Data/Audio/<id>_mic.wav                 16-bit mono wav, one microphone per actor
    Data/Video_close/<id>_Video.mov         close-up face video (mp4v in .mov), 25 or 50 fps
    Annotations/Annotations_by_emotions/data_<Category>.csv
                                            ID (annotator), File (<id>), Start, End (s)
    Annotations/Annotations_by_files/<id>_ann.csv
                                            Time, 0/1 per category, ID; annotators stacked
    Docs/actors_descr.csv                   Date, ID, Name
    truth.csv                               recording, emotion, start_s, end_s (hidden truth)

- ``<id>`` is ``<date>_<scenario>_<side>`` (e.g. ``10dec_D11_1``): a date such as
  ``10dec``, a scenario code (letter D/K/N/O and two digits, 13 scenarios) and the side
  (1 or 2) of the dyad.
- Categories, in the column order of ``<id>_ann.csv``: Angry, Sad, Disgusted, Happy,
  Scared, Surprised, Neutral, then the extra categories Domination, Submission, Shame,
  Tiredness. Every by-emotion file exists, possibly with a header only.
- ``Docs/actors_descr.csv`` encoding: one row per (date, side); ``Date`` is the date part
  of the ids (``10dec``), ``ID`` is the side number (``1`` or ``2``, the last part of the
  ids) and ``Name`` is the actor (``F01``, ``M02``, ...). The actor of recording
  ``<date>_<scenario>_<side>`` is the ``Name`` of the row with that ``Date`` and
  ``ID == side``. One actor pair plays every dialogue of a date.
- ``<id>_ann.csv`` rows are the video frames ``Time = k / fps`` of each annotator of the
  file; a category is 1 when a mark of it covers the frame time (``Start <= t < End``).
  Times are written with millisecond precision.
- ``truth.csv`` is not part of RAMAS: it lists each recording's true emotional
  episodes (neutral elsewhere), for checking labels against the truth.

What is simulated (details in the submodules): actors differing in voice and face, each
with own expressiveness (:mod:`.actors`); dyadic dialogues with two primary emotions,
emotional exchanges separated by quiet stretches nobody marks, true episodes with a
salience, turn taking with silent (listening) episodes (:mod:`.timeline`); speech-like
audio whose prosody follows the emotions, with partner crosstalk and noise
(:mod:`.audio`); a drawn face that OpenCV's SSD detects, whose
expression follows the emotions (:mod:`.video`); and annotators with individual
reliability (:mod:`.annotators`).
"""

from emoagree.corpus.demo.generate import generate_demo
from emoagree.corpus.demo.plan import (
    DEMO_DEFAULTS,
    RAMAS_CATEGORIES,
    RAMAS_EMOTIONS,
    RAMAS_EXTRA,
    demo_files,
    plan_demo,
)
from emoagree.corpus.demo.simulate import simulate_corpus

__all__ = [
    "DEMO_DEFAULTS",
    "RAMAS_CATEGORIES",
    "RAMAS_EMOTIONS",
    "RAMAS_EXTRA",
    "demo_files",
    "generate_demo",
    "plan_demo",
    "simulate_corpus",
]
