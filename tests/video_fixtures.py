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


def make_variable_rate(path: Path, first_frames: int, slow: int = 2) -> Path:
    """Turn an mp4v file that OpenCV wrote into a variable-frame-rate one, in place.

    OpenCV (here without an ffmpeg binary) writes only constant rates, so this rewrites the
    MP4 sample table: the first ``first_frames`` frames keep their duration, the rest last
    ``slow`` times longer: the file becomes two constant-rate parts joined (e.g. 25 fps,
    then 12.5 fps). The ``stts`` box grows by one entry (its parent boxes by 8 bytes);
    the track, movie and edit-list durations are updated. OpenCV's muxer puts ``moov``
    after ``mdat``, so no chunk offset moves.
    """
    import struct

    data = bytearray(path.read_bytes())

    def chain(types):
        offset, end, found = 0, len(data), []
        for box in types:
            while offset < end:
                size, kind = struct.unpack(">I4s", data[offset:offset + 8])
                if kind == box:
                    found.append((offset, size))
                    end, offset = offset + size, offset + 8
                    break
                offset += size
            else:
                raise ValueError(f"{path}: no {box!r} box")
        return found

    boxes = chain([b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stts"])
    stts, stts_size = boxes[-1]
    assert chain([b"mdat"])[0][0] < boxes[0][0], "moov must follow mdat"
    _, entries, count, delta = struct.unpack(">IIII", data[stts + 8:stts + 24])
    assert entries == 1, "expected a constant-rate sample table"
    data[stts:stts + stts_size] = struct.pack(
        ">I4sIIIIII", stts_size + 8, b"stts", 0, 2, first_frames, delta,
        count - first_frames, delta * slow)
    for offset, size in boxes[:-1]:
        struct.pack_into(">I", data, offset, size + 8)
    total = first_frames * delta + (count - first_frames) * delta * slow
    mdhd = chain([b"moov", b"trak", b"mdia", b"mdhd"])[-1][0]
    timescale = struct.unpack(">I", data[mdhd + 20:mdhd + 24])[0]
    struct.pack_into(">I", data, mdhd + 24, total)
    mvhd = chain([b"moov", b"mvhd"])[-1][0]
    movie_duration = round(total / timescale * struct.unpack(">I", data[mvhd + 20:mvhd + 24])[0])
    struct.pack_into(">I", data, mvhd + 24, movie_duration)
    struct.pack_into(">I", data, chain([b"moov", b"trak", b"tkhd"])[-1][0] + 28, movie_duration)
    struct.pack_into(">I", data, chain([b"moov", b"trak", b"edts", b"elst"])[-1][0] + 16,
                     movie_duration)
    path.write_bytes(bytes(data))
    return path
