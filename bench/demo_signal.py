"""How much emotion signal the demo corpus's audio carries, per agreement level.

Usage: .venv/bin/python bench/demo_signal.py [--config config.yaml] [--corpus DIR]
       [--feature-set eGeMAPSv02|ComParE_2016] [--no-video]

Generates the configured demo into a temporary folder (or reuses ``--corpus DIR`` if it
holds one), reads it through the RAMAS adapter, builds the split and the level tables as
the workflow does (emoagree.levels.split.make_split / emoagree.levels.build.level_table),
extracts openSMILE functionals of every interval's audio and prints, per level: interval
counts (ratio to level 1 next to RAMAS's), mean length, share of interval time matching
the hidden truth, and the test UAR of StandardScaler + LogisticRegression fit on the train
part (chance = 1 / number of emotions). Also the 5-fold cross-validated UAR on the hidden
true episodes (the ceiling of the audio cue), and, unless --no-video, the same for a cheap
video cue (mean and std of downscaled grey frames of the interval, no face detector).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from emoagree.corpus.demo import generate_demo  # noqa: E402
from emoagree.corpus.ramas import read_ramas  # noqa: E402
from emoagree.levels.build import level_table  # noqa: E402
from emoagree.levels.split import make_split  # noqa: E402
from emoagree.levels.truth import label_accuracy  # noqa: E402

RAMAS_RATIOS = (1.0, 1632 / 2448, 1462 / 2448, 1369 / 2448, 1130 / 2448)


def audio_features(table: pd.DataFrame, paths: dict[str, str], smile) -> np.ndarray:
    """Functionals of each row's ``[start_s, end_s)`` audio."""
    cache: dict[str, tuple[np.ndarray, int]] = {}
    rows = []
    for rec, start, end in table[["recording", "start_s", "end_s"]].itertuples(index=False):
        if rec not in cache:
            cache[rec] = sf.read(paths[rec], dtype="float32")
        wav, sr = cache[rec]
        seg = wav[int(start * sr) : max(int(start * sr) + sr // 10, int(end * sr))]
        rows.append(smile.process_signal(seg, sr).to_numpy()[0])
    return np.nan_to_num(np.array(rows))


def video_features(table: pd.DataFrame, paths: dict[str, str]) -> np.ndarray:
    """Mean and std over the interval of 24x24 grey frames (a crude, detector-free cue)."""
    import cv2

    cache: dict[str, tuple[np.ndarray, float]] = {}
    rows = []
    for rec, start, end in table[["recording", "start_s", "end_s"]].itertuples(index=False):
        if rec not in cache:
            cap = cv2.VideoCapture(paths[rec])
            fps = cap.get(cv2.CAP_PROP_FPS)
            frames = []
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                frames.append(cv2.resize(grey, (24, 24), interpolation=cv2.INTER_AREA))
            cache[rec] = (np.array(frames, dtype=np.float32) / 255.0, fps)
        frames, fps = cache[rec]
        clip = frames[int(start * fps) : max(int(start * fps) + 1, int(end * fps))]
        rows.append(np.concatenate([clip.mean(0).ravel(), clip.std(0).ravel()]))
    return np.array(rows)


def uar_train_test(x: np.ndarray, table: pd.DataFrame, emotions: list[str]) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import recall_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train = (table["split"] != "test").to_numpy()  # train + val, as a tuned model would
    test = ~train
    y = table["emotion"].astype(str).to_numpy()
    if train.sum() < 2 or test.sum() == 0 or len(set(y[train])) < 2:
        return float("nan")
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    model.fit(x[train], y[train])
    return float(recall_score(y[test], model.predict(x[test]), labels=sorted(set(y[test])),
                              average="macro", zero_division=0))


def uar_cv(x: np.ndarray, y: np.ndarray) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import recall_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    pred = cross_val_predict(model, x, y, cv=folds)
    return float(recall_score(y, pred, average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    repo = Path(__file__).resolve().parents[1]
    parser.add_argument("--config", default=str(repo / "config.yaml"))
    parser.add_argument("--corpus", default=None, help="reuse (or write) the demo here")
    parser.add_argument("--feature-set", default="eGeMAPSv02",
                        choices=["eGeMAPSv02", "ComParE_2016"])
    parser.add_argument("--no-video", action="store_true")
    args = parser.parse_args()
    config = yaml.safe_load(Path(args.config).read_text())
    demo, emotions, seed = config["corpus"]["demo"], list(config["emotions"]), config["seed"]
    split_cfg = config["split"]

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.corpus or tmp) / ("" if args.corpus else "demo_ramas")
        if not (root / "truth.csv").exists():
            began = time.perf_counter()
            generate_demo(root, demo, emotions, seed, threads=1, log=lambda message: None)
            print(f"generate_demo: {time.perf_counter() - began:.1f} s wall")
        recordings, annotations = read_ramas(str(root))
        truth = pd.read_csv(root / "truth.csv")
        split = make_split(annotations, recordings, emotions, split_cfg["strategy"],
                           split_cfg["test_fraction"], split_cfg["val_fraction"], seed)
        levels = {k: level_table(annotations, recordings, k, split, emotions)
                  for k in range(1, 6)}
        audio_paths = dict(zip(recordings["recording"], recordings["audio_path"], strict=True))
        video_paths = dict(zip(recordings["recording"], recordings["video_path"], strict=True))

        import opensmile

        smile = opensmile.Smile(
            feature_set=getattr(opensmile.FeatureSet, args.feature_set),
            feature_level=opensmile.FeatureLevel.Functionals,
        )
        began = time.perf_counter()
        print(f"\nchance UAR {1 / len(emotions):.3f}; features {args.feature_set} functionals "
              "+ StandardScaler + LogisticRegression(C=0.1), fit on train+val, scored on test")
        print("level  count  ratio (RAMAS)  train  test  mean_len_s  truth_share  audio_UAR"
              + ("" if args.no_video else "  video_UAR"))
        first = len(levels[1])
        for k, table in levels.items():
            x = audio_features(table, audio_paths, smile)
            line = (f"{k:5d}  {len(table):5d}  {len(table) / first:5.2f} "
                    f"({RAMAS_RATIOS[k - 1]:4.2f})  {(table['split'] != 'test').sum():5d}  "
                    f"{(table['split'] == 'test').sum():4d}  {table['duration_s'].mean():10.2f}"
                    f"  {label_accuracy(table, truth):11.3f}  "
                    f"{uar_train_test(x, table, emotions):9.3f}")
            if not args.no_video:
                v = video_features(table, video_paths)
                line += f"  {uar_train_test(v, table, emotions):9.3f}"
            print(line, flush=True)
        labels = truth["emotion"].astype(str).to_numpy()
        line = (f"hidden true episodes ({len(truth)}): audio 5-fold CV UAR "
                f"{uar_cv(audio_features(truth, audio_paths, smile), labels):.3f}")
        if not args.no_video:
            line += f", video {uar_cv(video_features(truth, video_paths), labels):.3f}"
        print(f"{line}  (features {time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
