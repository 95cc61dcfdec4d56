"""Audio model settings compared on validation, on a finished run's features and levels.

Every figure a setting is judged by is a validation figure; test UAR is printed in a
separate, labelled column for information and is not used for any choice.

For each level k, on the parts of one fold of the run's split (``--fold``):

- ``audio_svm`` / ``audio_lr``: for each PCA size (the config's ``pca_grid``, its members
  alone and a few others), C is chosen exactly as the workflow chooses it, by grouped
  inner CV over the units of train+val. Printed: the inner-CV UAR of the chosen setting
  (what the workflow selects on), the val-part UAR of that setting fitted on the train
  part only (the out-of-sample predictions fusion weights are chosen on), and the test
  UAR of the refit on train+val (for information).
- ``audio_lstm``: the configured settings and one-change variants, each trained on the
  train part with early stopping on the val part. Printed: the val UAR of the kept epoch
  (what the workflow selects on) and the test UAR (for information).

Figures are mean +- std over a few seeds (inner folds, Platt scaling, network weights):
demo levels hold 20-200 intervals and one seed's UAR moves by several points. Chance is
1 / number of emotions.

Usage::

    .venv/bin/snakemake --cores 2 --until audio_functionals audio_lld   # features only
    .venv/bin/python bench/audio_settings.py                            # then compare
    .venv/bin/python bench/audio_settings.py --results /tmp/run/results --seeds 0 1 2
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
from emoagree.audio.lstm import LstmSettings, predict_sequences, prepare  # noqa: E402
from emoagree.audio.lstm_steps import lld_sequences  # noqa: E402
from emoagree.audio.lstm_train import train_lstm  # noqa: E402
from emoagree.audio.steps import aligned_functionals, split_rows  # noqa: E402
from emoagree.contracts.levels import MODEL_COLUMNS, read_level  # noqa: E402
from emoagree.evaluation.metrics import uar  # noqa: E402
from emoagree.levels.folds import fold_view  # noqa: E402
from emoagree.settings import sized_config  # noqa: E402
from emoagree.training.selection import units_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("train", "val", "test")
TEST_LABEL = "test, for information: not used for any choice"


def n_folds_of(table: pd.DataFrame) -> int:
    """K of the run's split: 1 when the ``split`` column holds the parts itself."""
    if "fold" in table.columns and (table["split"] == "test").all():
        return int(table["fold"].max()) + 1
    return 1


def level_view(results: Path, level: int, fold: int) -> pd.DataFrame:
    table = read_level(results / "corpus" / "levels" / f"level{level}.csv", MODEL_COLUMNS)
    return fold_view(table, fold, n_folds_of(table)).reset_index(drop=True)


def classic_variants(audio: dict) -> dict[str, dict]:
    """The configured ``audio`` section and variants with a single PCA size each."""
    configured = [int(n) for n in audio["pca_grid"]]
    sizes = dict.fromkeys([*configured, 25, 50, 100, 300])
    variants = {f"config pca_grid={configured}": audio}
    variants.update({f"pca_grid=[{n}]": {**audio, "pca_grid": [n]} for n in sizes})
    return variants


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


def scorable_parts(table: pd.DataFrame, values, status: np.ndarray) -> dict:
    """Per part: (``values``, labels, units) of its scorable intervals."""
    labels = table["emotion"].to_numpy(dtype=object)
    units = units_of(table)
    data = {}
    for part in PARTS:
        rows = [r for r in split_rows(table, part) if status[r] == OK]
        data[part] = ([values[r] for r in rows], labels[rows], units[rows])
    return data


def functionals_data(results: Path, level: int, fold: int):
    """Per part of ``level`` in ``fold``: (functionals, labels, units), scorable only."""
    table = level_view(results, level, fold)
    npz = results / "features" / "audio_functionals" / f"level{level}.npz"
    features, status = aligned_functionals(table, npz)
    parts = scorable_parts(table, list(features), status)
    return {
        part: (np.asarray(rows).reshape(len(labels), features.shape[1]), labels, units)
        for part, (rows, labels, units) in parts.items()
    }


def lld_data(results: Path, run_dir: Path, level: int, fold: int, min_duration_s: float):
    """Per part of ``level`` in ``fold``: (LLD sequences, labels, units), scorable only."""
    table = level_view(results, level, fold)
    recordings = pd.read_csv(results / "corpus" / "recordings.csv", dtype=str).fillna("")
    audio = {
        r: str(run_dir / p) if p else ""
        for r, p in zip(recordings.recording, recordings.audio_path, strict=True)
    }
    # the shard folders (lld_sequences finds each recording's file in them)
    lld_paths = sorted(str(p) for p in (results / "features" / "audio_lld").iterdir()
                       if p.is_dir())
    sequences, status = lld_sequences(table, lld_paths, audio, min_duration_s)
    return scorable_parts(table, sequences, status)


def _uar(labels, predicted, emotions) -> float:
    return uar(labels, predicted, emotions) if len(labels) else float("nan")


def classic_scores(data, emotions, system: str, audio: dict, seed: int) -> dict[str, float]:
    """Inner-CV, val-part and test UAR of the workflow's choice under ``audio``."""
    (x_tr, y_tr, u_tr), (x_va, y_va, u_va) = data["train"], data["val"]
    fitted = fit_classic(system, x_tr, y_tr, u_tr, x_va, y_va, u_va, audio, seed)
    grid = fitted.report["grid"]
    chosen = fitted.report["chosen"]
    inner = next(
        (g["uar"] for g in grid
         if (g["pca_components"], g["c"]) == (chosen["pca_components"], chosen["c"])),
        float("nan"),
    )
    x_te, y_te, _ = data["test"]
    return {
        "inner": inner,
        "val": _uar(y_va, predict_labels(fitted.val_model, x_va, emotions), emotions),
        "test": _uar(y_te, predict_labels(fitted.model, x_te, emotions), emotions),
    }


def lstm_scores(data, emotions, settings: LstmSettings, seed: int, checkpoint: Path) -> dict:
    cpu = torch.device("cpu")
    (train, y_train, _), (val, y_val, _) = data["train"], data["val"]
    trained = train_lstm(train, y_train, val, y_val, emotions, settings, seed, checkpoint, cpu)
    sequences, labels, _ = data["test"]
    probabilities = predict_sequences(
        trained.model, prepare(sequences, trained.normalizer, settings), settings, cpu
    )
    predicted = np.asarray(emotions, dtype=object)[probabilities.argmax(axis=1)]
    best = trained.best_val_uar
    return {
        "val": float("nan") if best is None else best,
        "test": _uar(labels, predicted, emotions),
    }


def print_rows(title: str, levels: list[int], seeds: list[int], columns: dict, rows) -> None:
    """``columns``: score key -> heading; ``rows``: (name, (level, seed) -> scores)."""
    print(f"\n{title}")
    levels_line = "".join(f"{'L' + str(k):>6s}" for k in levels) + f"{'mean':>12s}"
    widths = [max(len(levels_line), len(heading)) for heading in columns.values()]
    print(f"{'':30s}" + "".join(
        f" | {heading:<{w}s}" for heading, w in zip(columns.values(), widths, strict=True)))
    print(f"{'setting':30s}" + "".join(f" | {levels_line:>{w}s}" for w in widths) + "   seconds")
    for name, score in rows:
        started = time.perf_counter()
        runs = {(k, s): score(k, s) for k in levels for s in seeds}
        cells = []
        for key, w in zip(columns, widths, strict=True):
            per_level = [100 * np.nanmean([runs[k, s][key] for s in seeds]) for k in levels]
            per_seed = [100 * np.nanmean([runs[k, s][key] for k in levels]) for s in seeds]
            cell = (
                "".join(f"{v:6.1f}" for v in per_level)
                + f"{np.mean(per_seed):7.1f}+-{np.std(per_seed):3.1f}"
            )
            cells.append(f"{cell:>{w}s}")
        line = "".join(f" | {c}" for c in cells)
        print(f"{name:30s}{line}   {time.perf_counter() - started:7.1f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "config.yaml"))
    parser.add_argument("--results", default="results", help="a finished run's results/")
    parser.add_argument("--fold", type=int, default=0, help="which fold's parts to use")
    parser.add_argument("--levels", type=int, nargs="+", help="default: the config's")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--systems", nargs="+", default=[*CLASSIC_SYSTEMS, "audio_lstm"], help="which to compare"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(1)
    config = yaml.safe_load(Path(args.config).read_text())
    # the demo's sizes (config.yaml's demo_sizes) while corpus.format is demo, as in a run
    config = sized_config(config, {})
    emotions = list(config["emotions"])
    audio = config["audio"]
    results = Path(args.results).resolve()
    levels = args.levels or [int(k) for k in config["levels"]]
    print(f"results: {results}; fold {args.fold}; seeds {args.seeds}; "
          f"chance {100 / len(emotions):.1f}%")
    print("UAR % per train level (= test level) and the mean over levels (+- std over seeds)")
    for system in [s for s in CLASSIC_SYSTEMS if s in args.systems]:
        data = {k: functionals_data(results, k, args.fold) for k in levels}
        print_rows(
            f"{system}: C (and PCA within the grid) chosen by grouped inner CV",
            levels,
            args.seeds,
            {
                "inner": "validation: inner CV over train+val (selects)",
                "val": "validation: val part, fitted on train",
                "test": TEST_LABEL,
            },
            [
                (name, lambda k, seed, v=variant, s=system, d=data: classic_scores(
                    d[k], emotions, s, v, seed))
                for name, variant in classic_variants(audio).items()
            ],
        )
    if "audio_lstm" in args.systems:
        data = {
            k: lld_data(results, results.parent, k, args.fold, audio["min_duration_s"])
            for k in levels
        }
        checkpoint = Path(tempfile.mkdtemp()) / "bench.ckpt"
        configured = LstmSettings.from_config(audio["lstm"])
        print_rows(
            "audio_lstm: epoch chosen on the val part",
            levels,
            args.seeds,
            {"val": "validation: val part, kept epoch (selects)", "test": TEST_LABEL},
            [
                (name, lambda k, seed, v=variant: lstm_scores(
                    data[k], emotions, v, seed, checkpoint))
                for name, variant in lstm_variants(configured).items()
            ],
        )


if __name__ == "__main__":
    main()
