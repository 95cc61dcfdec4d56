"""Time Krippendorff's alpha on a RAMAS-sized synthetic corpus (~560 recordings x 6 annotators).

Run: .venv/bin/python bench/agreement_speed.py
"""

import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1] / "src"), str(Path(__file__).parents[1] / "tests")]

from levels_fixtures import make_corpus  # noqa: E402

from emoagree.constants import DEFAULT_EMOTIONS  # noqa: E402
from emoagree.levels.agreement import level_alpha  # noqa: E402
from emoagree.levels.build import agreement_intervals  # noqa: E402

recordings, annotations = make_corpus(seed=1, n_actors=10, n_scenarios=13, takes=22,
                                      n_annotators=6, duration=120.0)
print(f"{len(recordings)} recordings, {len(annotations)} marks")
for level in (1, 5):
    t0 = time.perf_counter()
    intervals = agreement_intervals(annotations, level, DEFAULT_EMOTIONS)
    t1 = time.perf_counter()
    result = level_alpha(intervals, annotations, DEFAULT_EMOTIONS, 0.1)
    t2 = time.perf_counter()
    print(f"level {level}: {len(intervals)} intervals in {t1 - t0:.2f} s; alpha "
          f"{result.alpha:.3f} over {result.n_units} units in {t2 - t1:.2f} s")
