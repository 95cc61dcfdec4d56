"""The VGGFace2 ResNet-50 as its authors released it for PyTorch (``resnet50_ft``).

This is the original (Caffe) ResNet-50, not the "v1.5" layout of timm and torchvision:
the stride-2 step of stages 2-4 sits in the first 1x1 convolution of the stage's first
bottleneck (``conv1``), the 3x3 convolution (``conv2``) keeps stride 1, and the max pool
after the stem rounds up (kernel 3, stride 2, no padding, ``ceil_mode``). The weight
shapes are the same in both layouts, so a converted state dict loads into timm's
``resnet50`` without complaint and then computes different features; hence a module of
its own, with the authors' module names (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer1.0.downsample.0``, ..., ``fc``), so their weight file loads as it is.

The authors' weight file (``resnet50_ft_weight.pkl``) is a pickled dict of numpy arrays
keyed by those names (BatchNorm running statistics included, ``fc`` the 8631 identities
of VGGFace2's training set). A plain PyTorch state dict with the same keys is accepted
too. The classifier ``fc`` is not part of this feature extractor: its output is the
2048-d global-average-pooled feature.
"""

from __future__ import annotations

import logging
import pickle
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from torch import nn

log = logging.getLogger(__name__)

#: The backbone name that selects this module in ``create_backbone``.
NAME = "vggface2_resnet50"
STAGE_BLOCKS = (3, 4, 6, 3)
STAGE_WIDTHS = (64, 128, 256, 512)
EXPANSION = 4


class Bottleneck(nn.Module):
    """1x1 (carries the stride) -> 3x3 -> 1x1 (x4 channels), with a projected shortcut."""

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * EXPANSION, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * EXPANSION)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + shortcut)


class VGGFace2ResNet50(nn.Module):
    """Caffe-layout ResNet-50; ``forward`` gives the pooled 2048-d feature per image.

    Input: (n, 3, 224, 224) BGR images with the VGGFace2 mean subtracted from 0-255
    pixels (see ``emoagree.video.preprocessing.VGGFACE2``).
    """

    num_features = STAGE_WIDTHS[-1] * EXPANSION

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=0, ceil_mode=True)
        inplanes = 64
        for index, (planes, blocks) in enumerate(zip(STAGE_WIDTHS, STAGE_BLOCKS, strict=True)):
            stride = 1 if index == 0 else 2
            layer, inplanes = _stage(inplanes, planes, blocks, stride)
            setattr(self, f"layer{index + 1}", layer)
        # Adaptive rather than the authors' AvgPool2d(7): identical at 224 px, and it still
        # gives one vector per image at other input sizes.
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def stages(self) -> list[nn.Sequential]:
        return [self.layer1, self.layer2, self.layer3, self.layer4]

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for stage in self.stages():
            x = stage(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(self.avgpool(self.forward_features(x)), 1)


def _stage(inplanes: int, planes: int, blocks: int, stride: int) -> tuple[nn.Sequential, int]:
    downsample = None
    if stride != 1 or inplanes != planes * EXPANSION:
        downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes * EXPANSION, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(planes * EXPANSION),
        )
    layers = [Bottleneck(inplanes, planes, stride, downsample)]
    layers += [Bottleneck(planes * EXPANSION, planes) for _ in range(1, blocks)]
    return nn.Sequential(*layers), planes * EXPANSION


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts of numpy arrays and nothing else (a pickle can run any code)."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"), ("numpy", "dtype"), ("collections", "OrderedDict"),
        ("_codecs", "encode"),  # how protocol 2 (Python 2) pickles store bytes
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f"weight file holds {module}.{name}; expected a dict of numpy arrays"
            )
        return super().find_class(module, name)


def read_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors by module name from the authors' pickle or a PyTorch state dict file.

    The authors' file (Python 2 pickle of numpy arrays) is read with a restricted
    unpickler; a ``torch.save`` file with ``weights_only=True``. A checkpoint that wraps the
    state dict under ``state_dict`` and names saved from ``nn.DataParallel`` (``module.``)
    are unwrapped.
    """
    path = Path(path)
    if zipfile.is_zipfile(path):
        raw = torch.load(path, map_location="cpu", weights_only=True)
    else:
        problem = None
        try:
            with open(path, "rb") as handle:
                raw = _ArrayUnpickler(handle, encoding="latin1").load()
        except (pickle.UnpicklingError, EOFError, ValueError) as error:
            raw, problem = None, error
        if not isinstance(raw, Mapping):  # a legacy (not zip) torch.save file?
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    raw = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as error:  # noqa: BLE001 (report the more telling error)
                raise ValueError(f"{path}: not a VGGFace2 weight file "
                                 f"({problem or error})") from error
    if isinstance(raw, Mapping) and isinstance(raw.get("state_dict"), Mapping):
        raw = raw["state_dict"]
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: expected a dict of arrays, found {type(raw).__name__}")
    tensors = {}
    for key, value in raw.items():
        key = str(key).removeprefix("module.")
        tensors[key] = (torch.from_numpy(np.array(value)) if isinstance(value, np.ndarray)
                        else torch.as_tensor(value))
    return tensors


def load_weights(model: VGGFace2ResNet50, path: str | Path) -> VGGFace2ResNet50:
    """Load the weight file into ``model``: every backbone tensor must be present and fit.

    ``fc.*`` (the identity classifier) is skipped; BatchNorm's ``num_batches_tracked``
    counters, absent from the authors' file, keep their initial value.
    """
    tensors = read_weights(path)
    target = model.state_dict()
    extra = sorted(k for k in tensors if k not in target and not k.startswith("fc."))
    missing = sorted(k for k in target if k not in tensors
                     and not k.endswith("num_batches_tracked"))
    if missing or extra:
        raise ValueError(
            f"{path}: does not fit the VGGFace2 ResNet-50 (missing {missing[:5]}"
            f"{' ...' if len(missing) > 5 else ''}, unexpected {extra[:5]}"
            f"{' ...' if len(extra) > 5 else ''})"
        )
    state = {}
    for key, value in target.items():
        if key not in tensors:
            state[key] = value
            continue
        tensor = tensors[key]
        if tuple(tensor.shape) != tuple(value.shape):
            raise ValueError(f"{path}: {key} has shape {tuple(tensor.shape)}, the model "
                             f"expects {tuple(value.shape)}")
        state[key] = tensor.to(value.dtype)
    model.load_state_dict(state)
    skipped = [k for k in tensors if k.startswith("fc.")]
    log.info("%s: VGGFace2 ResNet-50 weights loaded (%d tensors%s)", path, len(state),
             f"; identity classifier {', '.join(skipped)} not used" if skipped else "")
    return model


def create_vggface2_resnet50(path: str | Path | None = None) -> VGGFace2ResNet50:
    """The feature extractor, with the weights of ``path`` (None: random initialisation)."""
    model = VGGFace2ResNet50()
    if path is not None:
        load_weights(model, path)
    return model.eval()
