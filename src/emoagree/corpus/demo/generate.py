"""Write the demo corpus to disk in the RAMAS layout (see the package docstring)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import soundfile as sf

from emoagree.corpus.demo.actors import make_actor
from emoagree.corpus.demo.audio import mix_microphone, synthesize_voice
from emoagree.corpus.demo.plan import (
    RAMAS_CATEGORIES,
    demo_files,
    demo_settings,
    n_frames,
)
from emoagree.corpus.demo.simulate import Dialogue, simulate_dialogues, simulate_marks, truth_table
from emoagree.corpus.demo.timeline import emotion_curves
from emoagree.corpus.demo.video import expression_track, write_video

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """Write ``table`` without index, times with millisecond precision, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    table.to_csv(tmp, index=False, float_format="%.3f", lineterminator="\n")
    os.replace(tmp, path)


def by_emotion_tables(marks: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``data_<Category>.csv`` contents: ``ID, File, Start, End``, one row per mark."""
    tables = {}
    for category in RAMAS_CATEGORIES:
        rows = marks[marks["emotion"] == category].sort_values(
            ["recording", "annotator", "start_s"]
        )
        tables[category] = pd.DataFrame(
            {
                "ID": rows["annotator"].to_numpy(int),
                "File": rows["recording"].astype(str).to_numpy(),
                "Start": rows["start_s"].to_numpy(float),
                "End": rows["end_s"].to_numpy(float),
            }
        )
    return tables


def by_file_table(marks: pd.DataFrame, duration: float, fps: int) -> pd.DataFrame:
    """``<id>_ann.csv`` of one recording: ``Time``, a 0/1 column per category, ``ID``.

    Rows are the video frames (``Time = k / fps``) of each annotator who marked the
    recording, stacked annotator after annotator; a category is 1 at a frame when one of
    the annotator's marks of it covers the frame time (``start <= t < end``).
    """
    times = np.arange(n_frames(duration, fps)) / fps
    blocks = []
    for annotator, own in marks.groupby("annotator", sort=True):
        block = {"Time": times}
        for category in RAMAS_CATEGORIES:
            on = np.zeros(len(times), dtype=int)
            for start, end in own.loc[own["emotion"] == category, ["start_s", "end_s"]].itertuples(
                index=False
            ):
                on[(times >= start) & (times < end)] = 1
            block[category] = on
        block["ID"] = np.full(len(times), int(annotator))
        blocks.append(pd.DataFrame(block))
    return pd.concat(blocks, ignore_index=True)


def actors_table(plan: pd.DataFrame) -> pd.DataFrame:
    """``Docs/actors_descr.csv``: ``Date, ID, Name``: on ``Date`` side ``ID`` was ``Name``."""
    rows = plan.drop_duplicates(["date", "side"])[["date", "side", "actor"]]
    order = {d: i for i, d in enumerate(dict.fromkeys(plan["date"]))}
    rows = rows.assign(order=rows["date"].map(order)).sort_values(["order", "side"])
    return pd.DataFrame(
        {"Date": rows["date"].to_numpy(), "ID": rows["side"].to_numpy(int),
         "Name": rows["actor"].to_numpy()}
    )


def render_dialogue(
    root: Path,
    dlg: Dialogue,
    plan: pd.DataFrame,
    demo: Mapping[str, Any] | None,
    emotions: Sequence[str],
    seed: int,
) -> None:
    """Write both microphones and both close-up videos of one dialogue."""
    cfg = demo_settings(demo)
    rows = plan[plan["dialogue"] == dlg.dialogue].sort_values("side")
    actors = [make_actor(name, seed) for name in rows["actor"]]
    curves = [emotion_curves(dlg.episodes[s], emotions, cfg.duration_s) for s in (0, 1)]
    voices = []
    for side in (0, 1):
        rng = np.random.default_rng([int(seed), 7601, dlg.dialogue, side])
        voices.append(
            synthesize_voice(actors[side], curves[side], emotions, dlg.speaking[side],
                             cfg.duration_s, cfg.sample_rate, rng)
        )
    for side, row in enumerate(rows.itertuples(index=False)):
        rng = np.random.default_rng([int(seed), 7701, dlg.dialogue, side])
        mic = mix_microphone(voices[side][0], voices[1 - side][0], cfg.sample_rate, rng)
        wav = root / row.audio_relpath
        tmp = wav.with_name(wav.name + ".tmp")
        sf.write(tmp, mic, cfg.sample_rate, subtype="PCM_16", format="WAV")
        os.replace(tmp, wav)
        rng = np.random.default_rng([int(seed), 7801, dlg.dialogue, side])
        frames = n_frames(cfg.duration_s, int(row.fps))
        track = expression_track(curves[side], emotions, actors[side], voices[side][1],
                                 int(row.fps), frames, rng)
        write_video(str(root / row.video_relpath), cfg.frame_size, int(row.fps), actors[side],
                    track)


def _remove_stale(root: Path, keep: set[str], log: Log) -> None:
    """Delete generated files of an earlier, differently sized demo under ``root``."""
    patterns = {
        "Data/Audio": "*_mic.wav",
        "Data/Video_close": "*_Video.mov",
        "Annotations/Annotations_by_files": "*_ann.csv",
    }
    for folder, pattern in patterns.items():
        for path in sorted((root / folder).glob(pattern)):
            rel = path.relative_to(root).as_posix()
            if rel not in keep:
                log(f"demo: removing stale {rel} (not part of this demo configuration)")
                path.unlink()


def generate_demo(
    root: str | os.PathLike,
    demo: Mapping[str, Any] | None,
    emotions: Sequence[str],
    seed: int,
    threads: int = 1,
    log: Log = _stderr,
) -> None:
    """Write the demo corpus under ``root`` in the RAMAS layout, plus ``root/truth.csv``.

    Deterministic from ``(demo, emotions, seed)``, whatever ``threads`` is. Every file is
    written under a temporary name and renamed, so an interrupted run leaves no
    half-written file under a final name.

    Args:
        root: corpus root (created if missing).
        demo: ``config["corpus"]["demo"]``.
        emotions: the emotions the actors express (RAMAS categories other than Neutral).
        seed: ``config["seed"]``.
        threads: dialogues rendered in parallel.
        log: receives progress lines (stderr by default).
    """
    began = time.perf_counter()
    cfg = demo_settings(demo)
    emotions = list(emotions)
    root = Path(root)
    plan, dialogues = simulate_dialogues(demo, emotions, seed)
    marks = simulate_marks(dialogues, demo, emotions, seed)
    log(
        f"demo: {len(plan)} recordings ({len(dialogues)} dialogues, {cfg.n_actors} actors, "
        f"{cfg.duration_s:g} s each), {len(marks)} raw marks by {cfg.n_annotators} "
        f"annotators per recording -> {root}"
    )
    for folder in ("Data/Audio", "Data/Video_close", "Annotations/Annotations_by_files",
                   "Annotations/Annotations_by_emotions", "Docs"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    _remove_stale(root, set(demo_files(demo, seed)), log)

    def one(dlg: Dialogue) -> Dialogue:
        render_dialogue(root, dlg, plan, demo, emotions, seed)
        return dlg

    done = 0
    with ThreadPoolExecutor(max_workers=max(1, int(threads))) as pool:
        for dlg in pool.map(one, dialogues):
            done += 1
            log(
                f"demo: dialogue {done}/{len(dialogues)} written "
                f"({', '.join(dlg.recordings)}; {time.perf_counter() - began:.1f} s)"
            )

    for category, table in by_emotion_tables(marks).items():
        write_csv(table, root / f"Annotations/Annotations_by_emotions/data_{category}.csv")
    for row in plan.itertuples(index=False):
        own = marks[marks["recording"] == row.recording]
        write_csv(
            by_file_table(own, cfg.duration_s, int(row.fps)),
            root / f"Annotations/Annotations_by_files/{row.recording}_ann.csv",
        )
    write_csv(actors_table(plan), root / "Docs/actors_descr.csv")
    truth = truth_table(dialogues).sort_values(["recording", "start_s"], ignore_index=True)
    write_csv(truth, root / "truth.csv")
    log(f"demo: annotations, actors and truth written; done in {time.perf_counter() - began:.1f} s")
