"""The demo corpus plan: actors, dates, dialogues and recordings, known without any media.

Everything here is cheap and deterministic from ``(demo settings, seed)``, so that the
workflow can list the recordings (and the generator's output files) before any job runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from emoagree.schema import section_defaults

#: Categories of RAMAS's annotation files, in the column order of ``<id>_ann.csv``.
RAMAS_EMOTIONS = ("Angry", "Sad", "Disgusted", "Happy", "Scared", "Surprised", "Neutral")
#: Extra categories annotated in RAMAS that the workflow drops.
RAMAS_EXTRA = ("Domination", "Submission", "Shame", "Tiredness")
RAMAS_CATEGORIES = RAMAS_EMOTIONS + RAMAS_EXTRA

#: Default demo settings (``config["corpus"]["demo"]``); keys missing there take these.
#: They are the ``default`` values of the JSON schema's ``corpus.demo`` properties, which
#: is also where the bounds of every key are checked (when the workflow validates the
#: config); no copy of either is kept here.
DEMO_DEFAULTS: dict[str, Any] = section_defaults("corpus", "demo")

#: RAMAS has 13 scenarios; their codes are a letter D/K/N/O and two digits.
N_SCENARIOS = 13
SCENARIO_LETTERS = ("D", "K", "N", "O")
MONTHS = ("dec", "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov")

PLAN_COLUMNS = [
    "recording", "actor", "scenario", "date", "side", "dialogue", "partner",
    "audio_relpath", "video_relpath", "fps",
]


@dataclass(frozen=True)
class DemoSettings:
    """Validated demo settings (see :data:`DEMO_DEFAULTS`)."""

    n_actors: int
    n_dialogues: int
    duration_s: float
    n_annotators: int
    frame_size: tuple[int, int]
    sample_rate: int
    dialogues_per_date: int


def demo_settings(demo: Mapping[str, Any] | DemoSettings | None) -> DemoSettings:
    """``demo`` over the schema's defaults, typed (a :class:`DemoSettings` is returned as
    it is). The bounds and unknown keys are the schema's to refuse: the workflow validates
    the config before anything reads it."""
    if isinstance(demo, DemoSettings):
        return demo
    merged = {**DEMO_DEFAULTS, **(demo or {})}
    size = merged["frame_size"]
    return DemoSettings(
        n_actors=int(merged["n_actors"]),
        n_dialogues=int(merged["n_dialogues"]),
        duration_s=float(merged["duration_s"]),
        n_annotators=int(merged["n_annotators"]),
        frame_size=(int(size[0]), int(size[1])),
        sample_rate=int(merged["sample_rate"]),
        dialogues_per_date=int(merged["dialogues_per_date"]),
    )


def demo_config(demo: DemoSettings) -> dict[str, Any]:
    """``demo`` as the config writes it (``frame_size`` a list), for a rule's params."""
    return {**asdict(demo), "frame_size": list(demo.frame_size)}


def scenario_codes(n: int = N_SCENARIOS) -> list[str]:
    """Scenario codes ``D11, K11, N11, O11, D12, ...`` (a letter and two digits)."""
    return [f"{SCENARIO_LETTERS[i % 4]}{11 + i // 4:02d}" for i in range(n)]


def scenario_emotions(emotions: Sequence[str]) -> list[tuple[str, str]]:
    """The two primary emotions of each scenario (index = scenario number).

    Pairs come from a round-robin 1-factorization of the emotion set, so each block of
    ``len(emotions) // 2`` consecutive scenarios covers every emotion once (for the six
    RAMAS emotions: 3 scenarios per block, every emotion in 4-5 of the 13 scenarios, as
    in RAMAS).
    """
    names = list(emotions)
    if len(names) < 2:
        raise ValueError(f"the demo needs at least 2 emotions, got {names}")
    if len(names) % 2:
        names.append(None)  # a bye: its partner pairs with the next round instead
    m = len(names)
    pairs: list[tuple[str, str]] = []
    leftovers: list[str] = []
    round_index = 0
    while len(pairs) < N_SCENARIOS:
        r = round_index % (m - 1)
        ring = [names[(r + i) % (m - 1)] for i in range(m - 1)]
        matching = [(names[m - 1], ring[0])] + [
            (ring[i], ring[m - 1 - i]) for i in range(1, m // 2)
        ]
        for a, b in matching:
            if a is None or b is None:
                leftovers.append(b if a is None else a)
                if len(leftovers) == 2:
                    pairs.append((leftovers[0], leftovers[1]))
                    leftovers = []
            else:
                pairs.append((a, b))
        round_index += 1
    return pairs[:N_SCENARIOS]


def actor_names(n_actors: int) -> list[str]:
    """Actor ids: ``F01, M02, F03, ...`` (sex alternates, as RAMAS has 5 female, 5 male)."""
    return [f"{'F' if i % 2 == 0 else 'M'}{i + 1:02d}" for i in range(n_actors)]


def _pair_schedule(n_actors: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Actor pairs in round-robin order, so consecutive dates spread over all actors."""
    players: list[int | None] = list(rng.permutation(n_actors))
    if len(players) % 2:
        players.append(None)
    m = len(players)
    schedule: list[tuple[int, int]] = []
    for r in range(m - 1):
        ring = players[:1] + players[1:][r:] + players[1:][:r]
        for i in range(m // 2):
            a, b = ring[i], ring[m - 1 - i]
            if a is not None and b is not None:
                schedule.append((int(a), int(b)))
    return schedule


def _date_name(index: int) -> str:
    """Recording dates ``10dec, 11dec, ... 28dec, 10jan, ...`` (RAMAS ids start with one)."""
    return f"{10 + index % 19}{MONTHS[(index // 19) % len(MONTHS)]}"


def plan_demo(demo: Mapping[str, Any] | None, seed: int) -> pd.DataFrame:
    """The demo corpus's recordings, without generating any media.

    Dialogue ``d`` takes place on date ``d // dialogues_per_date``; every date has one
    actor pair (round-robin over all pairs, sides alternating). Each dialogue gives two
    recordings, ``<date>_<scenario>_1`` and ``<date>_<scenario>_2``, one per actor. Videos
    alternate per actor (an actor's k-th recording is at 50 fps when ``k + actor number``
    is even, else at 25 fps), so every actor with two or more recordings has both rates
    and the rate says nothing about who is filmed; a corpus with a single rate (possible
    only with one dialogue) gets its last recording switched to the other rate.

    Returns:
        One row per recording: ``recording, actor, scenario, date, side, dialogue,
        partner, audio_relpath, video_relpath, fps``.
    """
    cfg = demo_settings(demo)
    rng = np.random.default_rng([int(seed), 7101])
    names = actor_names(cfg.n_actors)
    schedule = _pair_schedule(cfg.n_actors, rng)
    codes = scenario_codes()
    # Consecutive scenario numbers form blocks that cover every emotion (see
    # scenario_emotions), so dialogues take them in order.
    rows = []
    for dialogue in range(cfg.n_dialogues):
        date_index = dialogue // cfg.dialogues_per_date
        pair = schedule[date_index % len(schedule)]
        if (date_index // len(schedule)) % 2:
            pair = (pair[1], pair[0])
        number = dialogue % N_SCENARIOS
        date = _date_name(date_index)
        for side in (1, 2):
            actor = names[pair[side - 1]]
            partner = names[pair[2 - side]]
            recording = f"{date}_{codes[number]}_{side}"
            rows.append({
                "recording": recording,
                "actor": actor,
                "scenario": codes[number],
                "date": date,
                "side": side,
                "dialogue": dialogue,
                "partner": partner,
                "audio_relpath": f"Data/Audio/{recording}_mic.wav",
                "video_relpath": f"Data/Video_close/{recording}_Video.mov",
                "fps": 0,
            })
    plan = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    seen = plan.groupby("actor").cumcount()
    number = plan["actor"].map(lambda name: int(name[1:]))
    plan["fps"] = np.where((seen + number) % 2 == 0, 50, 25)
    if plan["fps"].nunique() == 1:
        plan.loc[plan.index[-1], "fps"] = 75 - int(plan["fps"].iloc[-1])
    duplicated = plan["recording"][plan["recording"].duplicated()]
    if len(duplicated):  # cannot happen with dialogues_per_date <= 13; guards the id scheme
        raise AssertionError(f"demo plan produced duplicate recording ids: {list(duplicated)}")
    return plan.astype({"side": int, "dialogue": int, "fps": int})


def scenario_index(code: str) -> int:
    """Scenario number of a code from :func:`scenario_codes`."""
    codes = scenario_codes()
    if code not in codes:
        raise ValueError(f"unknown demo scenario code {code!r}")
    return codes.index(code)


def annotation_files() -> list[str]:
    """Relative paths of the by-emotion annotation files."""
    return [f"Annotations/Annotations_by_emotions/data_{c}.csv" for c in RAMAS_CATEGORIES]


def demo_files(demo: Mapping[str, Any] | None, seed: int) -> list[str]:
    """Every path (relative to the corpus root) that :func:`generate_demo` writes."""
    plan = plan_demo(demo, seed)
    files: list[str] = []
    for row in plan.itertuples(index=False):
        files += [
            row.audio_relpath,
            row.video_relpath,
            f"Annotations/Annotations_by_files/{row.recording}_ann.csv",
        ]
    files += annotation_files()
    files += ["Docs/actors_descr.csv", "truth.csv"]
    return files


def n_frames(duration_s: float, fps: int) -> int:
    """Frames of a video of ``duration_s`` seconds at ``fps``."""
    return int(math.floor(duration_s * fps + 1e-9))
