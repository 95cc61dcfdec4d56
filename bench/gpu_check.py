"""GPU check: the workflow's CUDA code paths against the CPU, and CUDA against itself.

    .venv/bin/python bench/gpu_check.py [--faces results/features/faces] [--crops N]

Three workloads, each run through the workflow's own functions on the CPU and, when
``torch.cuda.is_available()``, twice on CUDA with the same seed:

1. ``effnet``: one epoch of EfficientNet-B3 fine-tuning at 128 px (``train_classifier``,
   random initialisation: no B3 weights are available offline) on face crops: the demo's
   face caches when ``--faces`` points at them, else cartoon faces drawn here.
2. ``lstm``: the audio LSTM (the paper config's size: 2 bidirectional layers of 128) for a
   few epochs on synthetic 78-column LLD sequences (``train_lstm``).
3. ``embed``: the embedding pass of the VGGFace2 ResNet-50 at 224 px (``embed_crops``,
   random initialisation) over the same crops.

For each it prints the throughput, the largest difference between the CPU's and CUDA's
outputs (class probabilities after training; embeddings), and whether the two CUDA runs
agree bit for bit. CUDA runs use ``emoagree.training.determinism.deterministic_torch`` as the
workflow does. Without a GPU it says so and measures the CPU half only.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from emoagree.training.determinism import deterministic_torch  # noqa: E402

EMOTIONS = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]


def demo_crops(faces_dir: Path | None, n: int, seed: int) -> tuple[np.ndarray, str]:
    """``n`` uint8 RGB face crops: from the face caches in ``faces_dir``, else drawn."""
    if faces_dir is not None and faces_dir.is_dir():
        from emoagree.video.faces import FaceTrack

        crops = []
        for path in sorted(faces_dir.glob("*.npz")):
            track = FaceTrack.load(path)
            crops.extend(track.crops[track.has_face])
            if len(crops) >= n:
                break
        if crops:
            crops = np.stack(crops)
            reps = int(np.ceil(n / len(crops)))
            return np.concatenate([crops] * reps)[:n], f"face caches in {faces_dir}"
    import cv2
    from video_fixtures import draw_face

    rng = np.random.default_rng(seed)
    out = np.empty((n, 128, 128, 3), dtype=np.uint8)
    for i in range(n):
        image = np.full((128, 128, 3), rng.integers(40, 200, 3), np.uint8)
        draw_face(image, 64 + int(rng.integers(-6, 7)), 64 + int(rng.integers(-6, 7)),
                  int(rng.integers(70, 95)), int(rng.integers(90, 115)),
                  skin=tuple(int(v) for v in rng.integers(120, 230, 3)))
        out[i] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return out, "cartoon faces drawn by the check"


def run_effnet(crops, labels, device, seed, image_size, batch_size):
    from emoagree.video.effnet import TrainSettings, build_model, predict_frames, train_classifier

    torch.manual_seed(seed)
    model = build_model("efficientnet_b3", len(EMOTIONS), {"source": "random"})
    settings = TrainSettings(epochs=1, batch_size=batch_size, learning_rate=1e-3,
                             image_size=image_size, seed=seed, device=str(device))
    started = time.perf_counter()
    result = train_classifier(model, crops, labels, settings, emotions=EMOTIONS)
    seconds = time.perf_counter() - started
    probs = predict_frames(model, crops[:64], image_size=image_size, device=device)
    rate = result.history[-1]["img_per_s"]
    return probs, seconds, f"{rate:.1f} img/s (training)"


def lstm_data(seed, n, frames):
    rng = np.random.default_rng(seed)
    labels = [EMOTIONS[i % len(EMOTIONS)] for i in range(n)]
    sequences = []
    for label in labels:
        sequence = rng.standard_normal((frames, 78)).astype(np.float32)
        sequence[:, EMOTIONS.index(label)] += 1.0  # a weak class cue
        sequences.append(sequence)
    return sequences, labels


def run_lstm(data, device, seed, epochs):
    from emoagree.audio.lstm import LstmSettings, predict_sequences, prepare
    from emoagree.audio.lstm_train import train_lstm

    sequences, labels = data
    settings = LstmSettings(hidden_size=128, num_layers=2, bidirectional=True, dropout=0.3,
                            chunk_frames=300, batch_size=64, learning_rate=1e-3,
                            pooling="last", max_epochs=epochs, patience=epochs)
    half = len(sequences) // 2
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        trained = train_lstm(sequences[:half], labels[:half], sequences[half:], labels[half:],
                             EMOTIONS, settings, seed, Path(tmp) / "lstm.ckpt", device=device)
        seconds = time.perf_counter() - started
    val = prepare(sequences[half:], trained.normalizer, settings)
    probs = predict_sequences(trained.model, val, settings, device)
    rate = half * len(trained.history) / seconds
    return probs, seconds, f"{rate:.1f} sequences/s (training, {len(trained.history)} epochs)"


def run_embed(crops, device, seed, image_size, batch_size):
    from emoagree.video.backbones import create_backbone
    from emoagree.video.embeddings import embed_crops

    torch.manual_seed(seed)
    model = create_backbone("vggface2_resnet50", {"source": "random"})
    started = time.perf_counter()
    features = embed_crops(model, crops, image_size=image_size, batch_size=batch_size,
                           device=device)
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    return features, seconds, f"{len(crops) / seconds:.1f} img/s (inference)"


def max_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.nanmax(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faces", type=Path, default=ROOT / "results/features/faces",
                        help="folder of face caches (default: the demo run's)")
    parser.add_argument("--crops", type=int, default=None,
                        help="face crops per workload (default 512 with a GPU, 64 without)")
    parser.add_argument("--sequences", type=int, default=None,
                        help="LSTM sequences, half train, half val (default 512 / 64)")
    parser.add_argument("--lstm-epochs", type=int, default=3)
    parser.add_argument("--effnet-size", type=int, default=128)
    parser.add_argument("--embed-size", type=int, default=224)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(args.threads)

    cuda = torch.cuda.is_available()
    print(f"torch {torch.__version__}, CPU threads {args.threads}")
    if cuda:
        print(f"GPU: {torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}, "
              f"cuDNN {torch.backends.cudnn.version()}")
        print("determinism settings:", deterministic_torch("cuda"))
    else:
        print("No GPU present (torch.cuda.is_available() is False): the CUDA half is "
              "skipped; CPU figures only.")
    n_crops = args.crops or (512 if cuda else 64)
    n_sequences = args.sequences or (512 if cuda else 64)
    crops, source = demo_crops(args.faces, n_crops, args.seed)
    labels = np.random.default_rng(args.seed).integers(0, len(EMOTIONS), n_crops)
    print(f"{n_crops} crops ({source}); {n_sequences} LSTM sequences of 300 frames x 78")
    data = lstm_data(args.seed, n_sequences, 300)
    workloads = {
        "effnet": lambda d: run_effnet(crops, labels, d, args.seed, args.effnet_size, 32),
        "lstm": lambda d: run_lstm(data, d, args.seed, args.lstm_epochs),
        "embed": lambda d: run_embed(crops, d, args.seed, args.embed_size, 64),
    }
    devices = ["cpu"] + (["cuda", "cuda"] if cuda else [])
    print()
    print(f"{'workload':8} {'device':7} {'seconds':>8}  throughput")
    summary = []
    for name, run in workloads.items():
        outputs = []
        for number, device in enumerate(devices):
            out, seconds, rate = run(torch.device(device))
            outputs.append(out)
            label = device if device == "cpu" else f"cuda#{number}"
            print(f"{name:8} {label:7} {seconds:8.1f}  {rate}", flush=True)
        if cuda:
            summary.append((name, max_difference(outputs[0], outputs[1]),
                            bool(np.array_equal(outputs[1], outputs[2], equal_nan=True))))
    print()
    if cuda:
        print(f"{'workload':8} {'max |CPU - CUDA|':>17}  two CUDA runs agree bit for bit")
        for name, difference, same in summary:
            print(f"{name:8} {difference:17.3g}  {'yes' if same else 'NO'}")
    else:
        print("CPU vs CUDA difference and CUDA repeatability: not measured (no GPU).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
