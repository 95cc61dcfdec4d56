"""The embedding step (rule ``video_embed``): per-frame embeddings of the face crops by the
``video_vggf_rf`` backbone. Imports PyTorch and timm (through the backbones); the forest's
own steps (:mod:`~emoagree.video.forest_steps`) do not."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from emoagree.shards import cache_path, recording_caches, run_shard
from emoagree.video.backbones import create_backbone, device_for_job
from emoagree.video.embeddings import embed_track, save_embeddings
from emoagree.video.faces import FaceTrack

log = logging.getLogger(__name__)


def _embedder(cfg: Mapping[str, Any], threads: int):
    torch.set_num_threads(max(1, threads))
    device = device_for_job()
    return create_backbone(cfg["backbone"], cfg["weights"], num_classes=0), device


def _embed(model, device, faces_path, cfg, out_path) -> None:
    track = FaceTrack.load(faces_path)
    embeddings = embed_track(model, track, image_size=int(cfg["image_size"]),
                             batch_size=int(cfg["batch_size"]), device=device)
    save_embeddings(out_path, track, embeddings)
    log.debug("%s: %d face frames embedded (%d values each) on %s", faces_path,
              int(track.has_face.sum()), embeddings.shape[1], device)


def embed_recording(faces_path: str | Path, cfg: Mapping[str, Any], out_path: str | Path,
                    threads: int = 1) -> None:
    """Per-frame embeddings of one recording's face crops (``cfg``: video.vggf_rf)."""
    model, device = _embedder(cfg, threads)
    _embed(model, device, faces_path, cfg, out_path)


def embed_shard(faces_dirs: Sequence[str | Path], cfg: Mapping[str, Any],
                out_dir: str | Path, threads: int = 1) -> None:
    """Embeddings of every face cache of some face shard folders: ``out_dir/{recording}.npz``.

    The backbone is built once for all of them.
    """
    model, device = _embedder(cfg, threads)
    log.info("backbone %s on %s", cfg["backbone"], device)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    run_shard(
        recording_caches(faces_dirs),
        lambda recording, faces: _embed(model, device, faces, cfg,
                                        cache_path(out_dir, recording)),
        label=f"embeddings into {out_dir}",
    )
