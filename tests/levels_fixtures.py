"""A small synthetic corpus of annotator marks for the levels, split and agreement tests."""

import numpy as np
import pandas as pd

from emoagree.constants import DEFAULT_EMOTIONS


def make_corpus(
    seed=0, n_actors=4, n_scenarios=3, takes=2, n_annotators=5, duration=60.0, quiet=0.35
):
    """Recordings (two sides per dialogue) and noisy marks of ``n_annotators`` annotators.

    Each recording has episodes of its scenario's two emotions; each annotator marks each
    episode with jittered boundaries, sometimes misses it, sometimes confuses it. Episodes
    follow each other after 0.5-3 s; after an episode, with probability ``quiet``, comes
    a quiet stretch of 4-7 s in all (longer than the split's 2 s guard), so a session
    holds several split units (``quiet=0``: the corpus without quiet stretches, drawn as
    before they existed).
    """
    rng = np.random.default_rng(seed)
    emotions = list(DEFAULT_EMOTIONS)
    recs, marks = [], []
    dialogue = 0
    for scenario in range(n_scenarios):
        pair = [emotions[(2 * scenario) % 6], emotions[(2 * scenario + 1) % 6]]
        for _ in range(takes):
            actors = rng.choice(n_actors, size=2, replace=False)
            for side, actor in enumerate(actors, start=1):
                rec = f"d{dialogue:02d}_S{scenario}_{side}"
                recs.append((rec, f"actor{actor}", f"S{scenario}", "", "", duration, 25.0))
                t = 1.0
                while t < duration - 6:
                    length = rng.uniform(1.0, 5.0)
                    emotion = pair[rng.integers(2)]
                    for annotator in range(n_annotators):
                        if rng.random() < 0.15:
                            continue
                        label = emotion if rng.random() > 0.1 else emotions[rng.integers(6)]
                        start = max(0.0, t + rng.normal(0, 0.3))
                        end = min(duration, t + length + rng.normal(0, 0.3))
                        if end > start:
                            marks.append((rec, f"ann{annotator}", label, start, end))
                    if rng.random() < 0.3:
                        marks.append((rec, "ann0", "Neutral", t, t + length))
                    t += length + rng.uniform(0.5, 3.0)
                    if quiet and rng.random() < quiet:
                        t += rng.uniform(3.5, 4.0)  # a quiet stretch: nobody marks
            dialogue += 1
    recordings = pd.DataFrame(
        recs,
        columns=["recording", "actor", "scenario", "audio_path", "video_path", "duration_s", "fps"],
    )
    annotations = pd.DataFrame(
        marks, columns=["recording", "annotator", "emotion", "start_s", "end_s"]
    )
    return recordings, annotations
