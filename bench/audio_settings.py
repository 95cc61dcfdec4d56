"""Audio model settings compared on a finished run's cached features and level tables.

For each setting and each level k, fits the model on level k's train split (C chosen /
early stopping on its val split, as the workflow does) and prints the test UAR on level
k's test split: mean +- std over a few seeds, since demo test splits hold 20-45
intervals and one seed's UAR moves by several points. Chance is 1 / number of emotions.
The settings are the config's and one-change variants of them: for audio_svm / audio_lr
the PCA size, for audio_lstm the pooling, chunk length and regularisation. Every
variant is scored on the same data in one run.

These are test-split figures of the demo corpus: they show how much a setting matters,
they are not a way to pick settings for a study (the workflow picks C and the LSTM's
epoch on validation only).

Usage::

    .venv/bin/snakemake --cores 2                    # a finished run (results/ filled)
    .venv/bin/python bench/audio_settings.py         # then compare settings on it
    .venv/bin/python bench/audio_settings.py --results /tmp/run/results --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from emoagree.audio.classic import CLASSIC_SYSTEMS, fit_classic, predict_labels  # noqa: E402
from emoagree.audio.functionals import OK  # noqa: E402
from emoagree.audio.lstm import (  # noqa: E402
    LstmSettings,
    predict_sequences,
    prepare,
    train_lstm,
)
from emoagree.audio.lstm_steps import lld_sequences  # noqa: E402
from emoagree.audio.steps import aligned_functionals, read_level, split_rows  # noqa: E402
from emoagree.metrics import uar  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def classic_variants(audio: dict) -> dict[str, dict]:
    """The configured ``audio`` section and variants with other PCA sizes."""
    sizes = dict.fromkeys([audio["pca_components"], 300, 100, 50])
    return {
        ("config" if n == audio["pca_components"] else f"pca_components={n}"): {
            **audio,
            "pca_components": n,
        }
        for n in sizes
    }


def lstm_variants(configured: LstmSettings) -> dict[str, LstmSettings]:
    """The configured settings and one-change-at-a-time variants of them."""
    return {
        "config": configured,
        "pooling=last": replace(configured, pooling="last"),
        "chunk_frames x4": replace(configured, chunk_frames=configured.chunk_frames * 4),
        "no dropout/decay": replace(configured, dropout=0.0, weight_decay=0.0),
        "last, x4 chunks, no reg.": replace(
            configured,
            pooling="last",
            chunk_frames=configured.chunk_frames * 4,
            dropout=0.0,
            weight_decay=0.0,
        ),
    }


def scorable_splits(table: pd.DataFrame, values, status: np.ndarray) -> dict:
    """Per split: (``values`` of its scorable intervals, their labels)."""
    labels = table["emotion"].to_numpy(dtype=object)
    data = {}
    for split in ("train", "val", "test"):
        rows = [r for r in split_rows(table, split) if status[r] == OK]
        data[split] = ([values[r] for r in rows], labels[rows])
    return data


def functionals_data(results: Path, level: int):
    """Per split of ``level``: (functionals, labels) of its scorable intervals."""
    table = read_level(results / "corpus" / "levels" / f"level{level}.csv")
    npz = results / "features" / "audio_functionals" / f"level{level}.npz"
    features, status = aligned_functionals(table, npz)
    return {
        split: (np.asarray(rows), labels)
        for split, (rows, labels) in scorable_splits(table, features, status).items()
    }


def lld_data(results: Path, run_dir: Path, level: int, min_duration_s: float):
    """Per split of ``level``: (LLD sequences, labels) of its scorable intervals."""
    table = read_level(results / "corpus" / "levels" / f"level{level}.csv")
    recordings = pd.read_csv(results / "corpus" / "recordings.csv", dtype=str).fillna("")
    audio = {
        r: str(run_dir / p) if p else ""
        for r, p in zip(recordings.recording, recordings.audio_path, strict=True)
    }
    # the shard folders (lld_sequences finds each recording's file in them)
    lld_paths = sorted(str(p) for p in (results / "features" / "audio_lld").iterdir()
                       if p.is_dir())
    sequences, status = lld_sequences(table, lld_paths, audio, min_duration_s)
    return scorable_splits(table, sequences, status)


def classic_test_uar(data, emotions, system: str, audio: dict, seed: int) -> float:
    model, _ = fit_classic(system, *data["train"], *data["val"], emotions, audio, seed)
    features, labels = data["test"]
    return uar(labels, predict_labels(model, features, emotions), emotions)


def lstm_test_uar(data, emotions, settings: LstmSettings, seed: int, checkpoint: Path) -> float:
    cpu = torch.device("cpu")
    trained = train_lstm(*data["train"], *data["val"], emotions, settings, seed, checkpoint, cpu)
    sequences, labels = data["test"]
    probabilities = predict_sequences(
        trained.model, prepare(sequences, trained.normalizer, settings), settings, cpu
    )
    predicted = np.asarray(emotions, dtype=object)[probabilities.argmax(axis=1)]
    return uar(labels, predicted, emotions)


def print_rows(title: str, levels: list[int], seeds: list[int], rows) -> None:
    """``rows``: (variant name, per-level callable seed -> UAR) pairs, scored and printed."""
    print(f"\n{title}")
    print(f"{'setting':26s}" + "".join(f"{'L' + str(k):>13s}" for k in levels) + "   seconds")
    for name, score in rows:
        started = time.perf_counter()
        cells = []
        for k in levels:
            scores = [100 * score(k, seed) for seed in seeds]
            cells.append(f"{np.mean(scores):7.1f}+-{np.std(scores):4.1f}")
        print(
            f"{name:26s}" + "".join(cells) + f"   {time.perf_counter() - started:7.1f}", flush=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--results", default="results", help="a finished run's results/")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--systems", nargs="+", default=[*CLASSIC_SYSTEMS, "audio_lstm"], help="which to compare"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(1)
    config = yaml.safe_load(Path(args.config).read_text())
    emotions = list(config["emotions"])
    audio = config["audio"]
    results = Path(args.results).resolve()
    levels = [int(k) for k in config["levels"]]
    print(f"results: {results}; seeds {args.seeds}; chance {100 / len(emotions):.1f}%")
    print("test UAR % (train level = test level), mean +- std over seeds")
    for system in [s for s in CLASSIC_SYSTEMS if s in args.systems]:
        data = {k: functionals_data(results, k) for k in levels}
        print_rows(
            system,
            levels,
            args.seeds,
            [
                (
                    name,
                    lambda k, seed, v=variant, d=data, s=system: classic_test_uar(
                        d[k], emotions, s, v, seed
                    ),
                )
                for name, variant in classic_variants(audio).items()
            ],
        )
    if "audio_lstm" in args.systems:
        data = {k: lld_data(results, results.parent, k, audio["min_duration_s"]) for k in levels}
        checkpoint = Path(tempfile.mkdtemp()) / "bench.ckpt"
        configured = LstmSettings.from_config(audio["lstm"])
        print_rows(
            "audio_lstm",
            levels,
            args.seeds,
            [
                (
                    name,
                    lambda k, seed, v=variant: lstm_test_uar(
                        data[k], emotions, v, seed, checkpoint
                    ),
                )
                for name, variant in lstm_variants(configured).items()
            ],
        )


if __name__ == "__main__":
    main()
