"""Synthetic media for the video tests: cartoon faces the res10 SSD finds, tiny videos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def draw_face(image: np.ndarray, cx: int, cy: int, w: int, h: int,
              skin=(150, 180, 220)) -> tuple[int, int, int, int]:
    """Draw a cartoon face (skin ellipse, eyes, brows, nose, mouth); returns its box."""
    cv2.ellipse(image, (cx, cy), (w // 2, h // 2), 0, 0, 360, skin, -1)
    ex, ey = w // 5, h // 8
    for sx in (-1, 1):
        cv2.ellipse(image, (cx + sx * ex, cy - ey), (w // 10, h // 16), 0, 0, 360,
                    (255, 255, 255), -1)
        cv2.circle(image, (cx + sx * ex, cy - ey), max(2, w // 22), (40, 30, 20), -1)
        cv2.line(image, (cx + sx * ex - w // 9, cy - ey - h // 8),
                 (cx + sx * ex + w // 9, cy - ey - h // 8), (40, 40, 60), max(2, w // 40))
    cv2.ellipse(image, (cx, cy + h // 20), (w // 20, h // 10), 0, 0, 360, (120, 150, 200), -1)
    cv2.ellipse(image, (cx, cy + h // 4), (w // 6, h // 16), 0, 0, 180, (60, 60, 160), -1)
    return cx - w // 2, cy - h // 2, cx + w // 2, cy + h // 2


def face_frame(size=(320, 240), center=(160, 120), face=(110, 140)) -> np.ndarray:
    image = np.full((size[1], size[0], 3), (90, 110, 90), np.uint8)
    draw_face(image, *center, *face)
    return image


def write_video(path: Path, fps: float, n_frames: int, size=(160, 120),
                face_from: int = 0) -> Path:
    """An mp4v video with a face on frames >= face_from; frame i's brightness encodes i."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    assert writer.isOpened(), f"cannot write {path}"
    for index in range(n_frames):
        image = np.full((size[1], size[0], 3), (90, 110, 90), np.uint8)
        width = size[0] // 8
        for bit in range(8):  # the top stripe spells the frame index in 8 black/white bits
            image[:8, bit * width:(bit + 1) * width] = 255 * ((index >> bit) & 1)
        if index >= face_from:
            draw_face(image, size[0] // 2, size[1] // 2, size[0] // 3, int(size[1] / 1.7))
        writer.write(image)
    writer.release()
    return path


def frame_number(image: np.ndarray) -> int:
    """The frame index that :func:`write_video` drew into a frame's top stripe."""
    width = image.shape[1] // 8
    bits = [image[2:6, b * width + 2:(b + 1) * width - 2].mean() > 127 for b in range(8)]
    return sum(1 << b for b, on in enumerate(bits) if on)


def iou(a, b) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area
