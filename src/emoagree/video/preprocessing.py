"""How face crops become network input: a property of the weights, not of the code path.

A network computes the features it was trained for only on input prepared the way its
training data was. Two presets:

- ``imagenet`` (timm's weights): RGB, pixels scaled to 0-1, ImageNet mean and std (or
  the timm model's own ``pretrained_cfg`` values), the crop resized to the input size.
- ``vggface2`` (the VGGFace2 ResNet-50, ``emoagree.video.vggface2``): BGR, the mean
  (91.4953, 103.8827, 131.0912) subtracted from 0-255 pixels, no division by a std, the
  crop resized so that its shorter side is 256 and the centre 224 x 224 taken (scaled
  with the input size: ``image_size * 256 / 224``). The authors grow the face box by 0.3
  to take in the whole head; the cached crop is the detector box grown by
  ``video.detector.margin`` per side, so config/ramas_paper.yaml sets 0.15 (1.3 x the box).

The weights' ``preprocessing`` setting names a preset or overrides it for a file of
one's own, e.g. ``{preset: imagenet, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]}`` or
``{preset: vggface2, channel_order: RGB, mean: [131.0912, 103.8827, 91.4953]}``. Mean and
std are given in the preset's channel order and pixel range (``pixel_range``: 1 or 255).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
#: Per-channel mean of VGGFace2 in BGR order, on 0-255 pixels (the authors' release notes).
VGGFACE2_MEAN_BGR = (91.4953, 103.8827, 131.0912)


@dataclass(frozen=True)
class Preprocessing:
    """Crop (uint8 RGB) -> network input.

    Attributes:
        name: the preset this derives from (``imagenet`` or ``vggface2``).
        channel_order: ``RGB`` or ``BGR``: the channel order the network reads.
        pixel_range: pixels are scaled to 0..pixel_range (1 or 255) before normalising.
        mean, std: per channel, in ``channel_order`` and on the ``pixel_range`` scale.
        crop_fraction: 1: resize the crop to the input size; < 1: resize so that the
            shorter side is ``image_size / crop_fraction`` and take the centre square.
    """

    name: str
    channel_order: str
    pixel_range: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    crop_fraction: float = 1.0

    def __post_init__(self):
        if self.channel_order not in ("RGB", "BGR"):
            raise ValueError(f"channel_order must be RGB or BGR, not {self.channel_order!r}")
        if self.pixel_range not in (1, 255):
            raise ValueError(f"pixel_range must be 1 or 255, not {self.pixel_range!r}")
        if len(self.mean) != 3 or len(self.std) != 3 or min(self.std) <= 0:
            raise ValueError(f"mean and std need 3 values (std > 0): {self.mean}, {self.std}")
        if not 0 < self.crop_fraction <= 1:
            raise ValueError(f"crop_fraction must be in (0, 1], not {self.crop_fraction}")

    def describe(self) -> str:
        resize = ("resized to the input size" if self.crop_fraction == 1 else
                  f"shorter side to input/{self.crop_fraction:.4g}, centre crop")
        return (f"{self.name}: {self.channel_order}, 0-{self.pixel_range:g} pixels, mean "
                f"{list(self.mean)}, std {list(self.std)}, {resize}")


IMAGENET = Preprocessing("imagenet", "RGB", 1, IMAGENET_MEAN, IMAGENET_STD)
VGGFACE2 = Preprocessing("vggface2", "BGR", 255, VGGFACE2_MEAN_BGR, (1.0, 1.0, 1.0),
                         crop_fraction=224 / 256)
PRESETS = {"imagenet": IMAGENET, "vggface2": VGGFACE2}
OVERRIDES = ("channel_order", "pixel_range", "mean", "std", "crop_fraction")


def default_preset(backbone: str) -> str:
    from emoagree.video.vggface2 import NAME

    return "vggface2" if backbone == NAME else "imagenet"


def resolve_preprocessing(
    backbone: str, weights: Mapping[str, Any] | None, model: nn.Module | None = None
) -> Preprocessing:
    """The preprocessing that the configured weights expect.

    ``weights["preprocessing"]``: absent (the backbone's own: ``vggface2`` for the VGGFace2
    ResNet-50, ``imagenet`` for timm models), a preset name, or a mapping with ``preset``
    and any of ``channel_order``, ``pixel_range``, ``mean``, ``std``, ``crop_fraction``.
    For the ``imagenet`` preset without an explicit mean/std, a timm ``model``'s own
    ``pretrained_cfg`` mean and std are used (most are ImageNet's; a few use 0.5).
    """
    spec = (weights or {}).get("preprocessing")
    if spec is None or isinstance(spec, str):
        spec = {"preset": spec or default_preset(backbone)}
    spec = dict(spec)
    preset = spec.pop("preset", None) or default_preset(backbone)
    if preset not in PRESETS:
        raise ValueError(f"unknown preprocessing preset {preset!r}; expected {sorted(PRESETS)}")
    unknown = set(spec) - set(OVERRIDES)
    if unknown:
        raise ValueError(f"unknown preprocessing settings {sorted(unknown)}; "
                         f"expected preset and {OVERRIDES}")
    base = PRESETS[preset]
    cfg = getattr(model, "pretrained_cfg", None) or {}
    if preset == "imagenet" and cfg.get("mean") and cfg.get("std"):
        base = replace(base, mean=tuple(cfg["mean"]), std=tuple(cfg["std"]))
    values = {k: (tuple(float(x) for x in v) if k in ("mean", "std") else v)
              for k, v in spec.items()}
    if "pixel_range" in values:
        values["pixel_range"] = float(values["pixel_range"])
    return replace(base, **values)


def _resize(images: torch.Tensor, height: int, width: int) -> torch.Tensor:
    if images.shape[-2:] == (height, width):
        return images
    return nn.functional.interpolate(images, size=(height, width), mode="bilinear",
                                     align_corners=False, antialias=True)


def prepare(crops: np.ndarray | Sequence, image_size: int, spec: Preprocessing) -> torch.Tensor:
    """uint8 RGB crops (n, h, w, 3) -> float network input (n, 3, image_size, image_size)."""
    images = torch.as_tensor(np.asarray(crops)).permute(0, 3, 1, 2).float()
    if spec.crop_fraction < 1:
        height, width = images.shape[-2:]
        shorter = image_size / spec.crop_fraction
        scale = shorter / min(height, width)
        resized = (max(image_size, round(height * scale)), max(image_size, round(width * scale)))
        images = _resize(images, *resized)
        top = (resized[0] - image_size) // 2
        left = (resized[1] - image_size) // 2
        images = images[..., top:top + image_size, left:left + image_size]
    else:
        images = _resize(images, image_size, image_size)
    if spec.channel_order == "BGR":
        images = images.flip(1)
    if spec.pixel_range == 1:
        images = images / 255.0
    mean = torch.tensor(spec.mean, dtype=images.dtype).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, dtype=images.dtype).view(1, 3, 1, 1)
    return (images - mean) / std
