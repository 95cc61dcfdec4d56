"""A drawn face whose expression follows the expressed emotions, written as a .mov.

The face (shaded head, ears, hair, eyes with pupils, brows, nose, mouth) is drawn with
OpenCV ellipses and lines and slightly blurred: OpenCV's res10 SSD face detector finds
such faces with high confidence. Mouth curvature and opening, brow angle and height,
eye opening and a sneer follow the emotions with the actor's face expressiveness; the
mouth also moves with the actor's own speech; eyes blink; the head moves slightly.

Videos are MPEG-4 part 2 (fourcc ``mp4v``) in a QuickTime container: the codec that
opencv-python-headless both writes and reads back with the right rate and frame count.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np

from emoagree.corpus.demo.actors import EXPRESSION, Actor
from emoagree.corpus.demo.timeline import CONTROL_RATE

EXPRESSION_KEYS = ("curve", "open", "brow_angle", "brow_h", "eye", "sneer")
FOURCC = "mp4v"


def expression_track(
    curves: np.ndarray,
    emotions: Sequence[str],
    actor: Actor,
    talk: np.ndarray,
    fps: int,
    n_frames: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Per-frame face parameters, shape ``(n_frames, 9)``.

    Columns: the :data:`EXPRESSION_KEYS`, then head offset x, y (fractions of the frame)
    and head scale.
    """
    weights = np.array([[EXPRESSION[e][k] for k in EXPRESSION_KEYS] for e in emotions])
    offsets = actor.face_gain * (weights.T @ curves)  # (keys, control frames)
    ctrl = np.minimum((np.arange(n_frames) / fps * CONTROL_RATE).astype(int), curves.shape[1] - 1)
    params = offsets[:, ctrl].T.copy()
    # Small idiosyncratic expression noise (AR(1) at the frame rate).
    alpha = np.exp(-1.0 / (0.5 * fps))
    noise = rng.normal(0, 1, (n_frames, len(EXPRESSION_KEYS)))
    for i in range(1, n_frames):
        noise[i] = alpha * noise[i - 1] + np.sqrt(1 - alpha**2) * noise[i]
    params += noise * np.array([0.08, 0.05, 2.0, 0.05, 0.05, 0.04])
    params[:, 1] += 0.45 * talk[ctrl]  # speaking opens the mouth
    # Blinks: eyes close for ~0.12 s every 2-6 s.
    t = 0.0
    duration = n_frames / fps
    while True:
        t += float(rng.uniform(2.0, 6.0))
        if t >= duration:
            break
        i0, i1 = int(t * fps), int((t + 0.12) * fps) + 1
        params[i0:i1, 4] = -0.9
    # Slow head motion.
    head = np.cumsum(rng.normal(0, 1, (n_frames, 3)), axis=0)
    head -= np.linspace(0, 1, n_frames)[:, None] * head[-1]  # come back to the centre
    head /= np.abs(head).max(axis=0, keepdims=True) + 1e-9
    head *= np.array([0.04, 0.03, 0.04])
    return np.hstack([params, head])


def draw_face(frame_size: tuple[int, int], actor: Actor, p: np.ndarray) -> np.ndarray:
    """One BGR frame of the actor's face with parameters ``p`` (see expression_track)."""
    width, height = frame_size
    curve, mouth_open, brow_angle, brow_h, eye, sneer, dx, dy, ds = p
    img = np.empty((height, width, 3), np.uint8)
    img[:] = actor.background
    cx, cy = int(width * (0.5 + dx)), int(height * (0.5 + dy))
    hh = int(height * 0.34 * actor.head_scale * (1 + ds))
    hw = int(hh * actor.aspect)
    skin = actor.skin
    dark = tuple(int(c * 0.75) for c in skin)
    thick = max(1, height // 80)
    if actor.long_hair:
        cv2.ellipse(img, (cx, cy + hh // 6), (int(hw * 1.2), int(hh * 1.1)), 0, 0, 360,
                    actor.hair, -1)
    cv2.ellipse(img, (cx, cy + int(hh * 1.1)), (int(hw * 0.5), int(hh * 0.5)), 0, 0, 360,
                dark, -1)
    for s in (-1, 1):
        cv2.ellipse(img, (cx + s * hw, cy), (int(hw * 0.15), int(hh * 0.22)), 0, 0, 360,
                    dark, -1)
    cv2.ellipse(img, (cx, cy), (hw, hh), 0, 0, 360, skin, -1)
    for k in range(6):  # shading towards the rim
        tone = tuple(int(c * (0.8 + 0.04 * k)) for c in skin)
        cv2.ellipse(img, (cx, cy), (max(1, hw - 2 * k), max(1, hh - 2 * k)), 0, 0, 360, tone, 2)
    cv2.ellipse(img, (cx, cy - int(hh * 0.35)), (int(hw * 1.02), int(hh * 0.7)), 0, 180, 360,
                actor.hair, -1)
    eye_x = int(hw * actor.eye_spacing)
    eye_y = cy - int(hh * 0.12)
    eye_r = max(2, int(hw * 0.2))
    opening = float(np.clip(1.0 + eye, 0.08, 1.9))
    for s in (-1, 1):
        x = cx + s * eye_x
        cv2.ellipse(img, (x, eye_y), (eye_r, max(1, int(eye_r * 0.6 * opening))), 0, 0, 360,
                    (255, 255, 255), -1)
        cv2.circle(img, (x, eye_y), max(1, int(eye_r * 0.7 * min(1.0, opening))), (40, 30, 20),
                   -1)
        brow_y = eye_y - int(eye_r * (1.3 + brow_h))
        half = int(eye_r * 1.2)
        rise = int(np.sin(np.radians(brow_angle)) * half)
        inner, outer = (x - s * half, x + s * half)
        cv2.line(img, (inner, brow_y - rise), (outer, brow_y + rise), (30, 30, 50),
                 max(2, int(eye_r / 3 * actor.brow_width)))
    cv2.line(img, (cx, eye_y + eye_r), (cx - eye_r // 2, cy + int(hh * 0.2)), dark, thick + 1)
    mouth_y = cy + int(hh * 0.5)
    mouth_w = int(hw * 0.45)
    opened = float(np.clip(mouth_open, 0, 1.4))
    if opened > 0.05:
        cv2.ellipse(img, (cx, mouth_y), (int(mouth_w * (1 - 0.25 * opened)),
                                          max(1, int(hh * 0.18 * opened))),
                    0, 0, 360, (40, 30, 120), -1)
    bend = int(float(np.clip(curve, -1.5, 1.5)) * hh * 0.14)
    lift = int(float(np.clip(sneer, -1, 1.5)) * hh * 0.08)
    lips = np.array([[cx - mouth_w, mouth_y - bend], [cx, mouth_y + bend],
                     [cx + mouth_w, mouth_y - bend - lift]], np.int32)
    cv2.polylines(img, [lips], False, (30, 20, 100), max(2, eye_r // 3))
    sigma = max(0.8, width / 210)
    return cv2.GaussianBlur(img, (0, 0), sigma)


def write_video(
    path: str, frame_size: tuple[int, int], fps: int, actor: Actor, track: np.ndarray
) -> None:
    """Render ``track`` (one row per frame) to ``path`` via a temporary file."""
    tmp = f"{path}.tmp.mov"
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*FOURCC), float(fps), frame_size)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {FOURCC!r} video to {tmp}")
    try:
        for p in track:
            writer.write(draw_face(frame_size, actor, p))
    finally:
        writer.release()
    os.replace(tmp, path)
