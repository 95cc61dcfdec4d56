"""The demo corpus without media: plan, hidden truth, speaking turns and raw marks.

Cheap (no audio or video), deterministic from the seed, and independent of the order in
which recordings are later rendered: every dialogue and recording draws from its own
random stream ``(seed, purpose, dialogue[, side])``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from emoagree.corpus.demo.annotators import annotate, annotator_pool
from emoagree.corpus.demo.plan import (
    RAMAS_EMOTIONS,
    demo_settings,
    plan_demo,
    scenario_emotions,
    scenario_index,
)
from emoagree.corpus.demo.timeline import (
    Episode,
    episodes_table,
    exchange_windows,
    speaking_masks,
    true_episodes,
)

#: Extra annotators in the pool beyond those marking each recording, so that recordings
#: are marked by different subsets (as in RAMAS, where each file had at least 5).
EXTRA_POOL = 2


@dataclass
class Dialogue:
    """One simulated dialogue: its exchanges, both actors' truth and speaking masks."""

    dialogue: int
    recordings: tuple[str, str]
    primaries: tuple[str, str]
    episodes: tuple[list[Episode], list[Episode]]
    speaking: tuple[np.ndarray, np.ndarray]
    windows: tuple[tuple[float, float], ...] = ()


def check_emotions(emotions: Sequence[str]) -> list[str]:
    """The demo's emotions must be RAMAS categories other than Neutral."""
    names = list(emotions)
    bad = [e for e in names if e not in RAMAS_EMOTIONS or e == "Neutral"]
    if bad or len(names) < 2:
        raise ValueError(
            f"demo corpus: emotions must be at least 2 of {list(RAMAS_EMOTIONS[:6])}; "
            f"got {names}" + (f" (unknown: {bad})" if bad else "")
        )
    return names


def simulate_dialogues(
    demo: Mapping[str, Any] | None, emotions: Sequence[str], seed: int
) -> tuple[pd.DataFrame, list[Dialogue]]:
    """The plan and every dialogue's truth and speaking turns."""
    emotions = check_emotions(emotions)
    cfg = demo_settings(demo)
    plan = plan_demo(demo, seed)
    pairs = scenario_emotions(emotions)
    dialogues = []
    for dialogue, rows in plan.groupby("dialogue", sort=True):
        rows = rows.sort_values("side")
        primaries = pairs[scenario_index(rows["scenario"].iloc[0])]
        rng = np.random.default_rng([int(seed), 7201, int(dialogue)])
        windows = exchange_windows(cfg.duration_s, rng)
        eps_a = true_episodes(primaries[0], primaries[1], emotions, windows, rng)
        eps_b = true_episodes(primaries[1], primaries[0], emotions, windows, rng)
        speaking = speaking_masks(eps_a, eps_b, cfg.duration_s, rng)
        dialogues.append(
            Dialogue(
                dialogue=int(dialogue),
                recordings=(rows["recording"].iloc[0], rows["recording"].iloc[1]),
                primaries=primaries,
                episodes=(eps_a, eps_b),
                speaking=speaking,
                windows=tuple(windows),
            )
        )
    return plan, dialogues


def simulate_marks(
    dialogues: Sequence[Dialogue],
    demo: Mapping[str, Any] | None,
    emotions: Sequence[str],
    seed: int,
) -> pd.DataFrame:
    """Raw marks of the simulated annotators on every recording (incl. Neutral, extras)."""
    cfg = demo_settings(demo)
    pool = annotator_pool(cfg.n_annotators + EXTRA_POOL, seed)
    tables = []
    for dlg in dialogues:
        for side in (0, 1):
            rng = np.random.default_rng([int(seed), 7401, dlg.dialogue, side])
            chosen = sorted(rng.choice(len(pool), size=cfg.n_annotators, replace=False))
            tables.append(
                annotate(
                    dlg.recordings[side],
                    dlg.episodes[side],
                    [pool[i] for i in chosen],
                    list(emotions),
                    dlg.primaries[side],
                    cfg.duration_s,
                    rng,
                    windows=dlg.windows,
                )
            )
    return pd.concat(tables, ignore_index=True)


def truth_table(dialogues: Sequence[Dialogue]) -> pd.DataFrame:
    """The hidden truth: ``recording, emotion, start_s, end_s`` of every true episode."""
    tables = [
        episodes_table(dlg.recordings[side], dlg.episodes[side])
        for dlg in dialogues
        for side in (0, 1)
    ]
    return pd.concat(tables, ignore_index=True)


def simulate_corpus(
    demo: Mapping[str, Any] | None, emotions: Sequence[str], seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Plan, truth and raw marks of the demo corpus, without media (fast)."""
    plan, dialogues = simulate_dialogues(demo, emotions, seed)
    return plan, truth_table(dialogues), simulate_marks(dialogues, demo, emotions, seed)
