"""Per-frame face embeddings from a pretrained backbone, cached once per recording."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch
from torch import nn

from emoagree.atomic import save_npz_atomic
from emoagree.video.backbones import prepare_crops
from emoagree.video.faces import FaceTrack

log = logging.getLogger(__name__)


@torch.no_grad()
def embed_crops(
    model: nn.Module, crops: np.ndarray, *, image_size: int, batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Pooled backbone features (n, d) of uint8 RGB crops (n, h, w, 3), each prepared as
    the backbone's weights expect (``model.preprocessing``)."""
    model = model.to(device).eval()
    outputs = []
    for start in range(0, len(crops), batch_size):
        batch = prepare_crops(crops[start:start + batch_size], image_size, model).to(device)
        outputs.append(model(batch).float().cpu().numpy())
    if not outputs:
        return np.zeros((0, int(model.num_features)), dtype=np.float32)
    return np.concatenate(outputs).astype(np.float32)


def embed_track(
    model: nn.Module, track: FaceTrack, *, image_size: int, batch_size: int = 64,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """Embeddings aligned with the track's frames; rows without a face are NaN."""
    features = embed_crops(model, track.crops[track.has_face], image_size=image_size,
                           batch_size=batch_size, device=device)
    out = np.full((len(track.has_face), features.shape[1] if len(features) else
                   int(model.num_features)), np.nan, dtype=np.float32)
    out[track.has_face] = features
    return out


def save_embeddings(path: str | Path, track: FaceTrack, embeddings: np.ndarray) -> None:
    save_npz_atomic(path, compressed=True, frame_index=track.frame_index,
                    timestamp_s=track.timestamp_s, has_face=track.has_face, embeddings=embeddings)

