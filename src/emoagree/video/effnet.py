"""``video_effnet``: EfficientNet fine-tuned end to end with the paper's head.

Head after the backbone's pooled features: FC 1024 -> ReLU -> dropout 0.5 -> n classes;
all layers are trained with Adam. After each epoch the BatchNorm running statistics are
re-estimated on the training crops (optional, on by default): with few small batches the
momentum-averaged statistics still hold the pretraining data's values, and the model in
eval mode then predicts one class for everything. Every epoch writes a checkpoint (model,
optimizer, best model so far, history); a rerun with the same settings resumes after the
last finished epoch. Each epoch seeds its own shuffling and dropout, so an interrupted and
resumed run gives the same model as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import timm
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from emoagree.evaluation.metrics import uar
from emoagree.levels.curriculum import curriculum_rows
from emoagree.training.arm_inputs import ArmInputs
from emoagree.training.arm_loss import class_weights, one_hot, soft_cross_entropy
from emoagree.video.backbones import create_backbone, normalization, resize_crops, to_tensor
from emoagree.video.frames import interval_probabilities

log = logging.getLogger(__name__)


class EmotionNet(nn.Module):
    """Backbone (pooled features) + FC 1024, ReLU, dropout 0.5, FC n_classes."""

    def __init__(self, backbone: nn.Module, n_classes: int, hidden: int = 1024,
                 dropout: float = 0.5):
        super().__init__()
        self.backbone = backbone
        self.head = nn.Sequential(
            nn.Linear(backbone.num_features, hidden), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(hidden, n_classes),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(images))


def build_model(name: str, n_classes: int, weights: Mapping[str, Any] | None,
                hidden: int = 1024, dropout: float = 0.5) -> EmotionNet:
    """The classifier; ``weights=None`` builds the bare architecture for loading a model."""
    backbone = (
        timm.create_model(name, pretrained=False, num_classes=0)
        if weights is None else create_backbone(name, weights, num_classes=0)
    )
    return EmotionNet(backbone, n_classes, hidden, dropout)


class CropDataset(Dataset):
    """uint8 RGB crops (n, s, s, 3) and integer labels; tensors are made per batch.
    ``with_index`` also yields each item's position (the training arms look up its
    weight or soft target by it)."""

    def __init__(self, crops: np.ndarray, labels: np.ndarray, with_index: bool = False):
        self.crops = torch.from_numpy(np.ascontiguousarray(crops))
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        self.with_index = with_index

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        if self.with_index:
            return self.crops[index], self.labels[index], index
        return self.crops[index], self.labels[index]


@dataclass
class TrainSettings:
    epochs: int
    batch_size: int = 32
    learning_rate: float = 1e-3
    image_size: int = 128
    seed: int = 0
    num_workers: int = 0
    device: str = "cpu"
    recalibrate_bn: bool = True
    class_weight: str | None = None  # "balanced": cross-entropy weighted as sklearn's

    def fingerprint(self, extra: Mapping[str, Any]) -> str:
        """What a checkpoint must match to be resumed (epochs may grow)."""
        fields = {k: v for k, v in self.__dict__.items() if k not in ("epochs", "num_workers")}
        text = json.dumps({**fields, **extra}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def loss_function(settings: TrainSettings, labels: np.ndarray, n_classes: int) -> nn.Module:
    """Cross-entropy, class-weighted when ``settings.class_weight`` is ``"balanced"``."""
    if settings.class_weight is None:
        return nn.CrossEntropyLoss()
    if settings.class_weight != "balanced":
        raise ValueError(f"class_weight must be 'balanced' or None, not {settings.class_weight!r}")
    weights = class_weights(labels, n_classes)
    log.info("class weights (balanced): %s", np.round(weights, 3).tolist())
    return nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32))


@dataclass
class TrainResult:
    best_state: dict
    best_epoch: int
    best_uar: float
    history: list = field(default_factory=list)


def _save_atomic(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, dataset: Dataset, settings: TrainSettings,
                          mean, std) -> None:
    """Replace BatchNorm running statistics by their average over ``dataset`` (train mode,
    no gradient; as ``torch.optim.swa_utils.update_bn``)."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta = {}
    for norm in norms:
        norm.reset_running_stats()
        momenta[norm], norm.momentum = norm.momentum, None  # None: cumulative average
    was_training = model.training
    model.train()
    device = next(model.parameters()).device
    for crops, *_ in DataLoader(dataset, batch_size=settings.batch_size, shuffle=False):
        model(to_tensor(crops, settings.image_size, mean, std).to(device))
    for norm in norms:
        norm.momentum = momenta[norm]
    model.train(was_training)


def _state_copy(model: nn.Module) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


@torch.no_grad()
def predict_frames(model: nn.Module, crops: np.ndarray, *, image_size: int,
                   batch_size: int = 64, device: str | torch.device = "cpu") -> np.ndarray:
    """Softmax probabilities (n, n_classes) for uint8 RGB crops."""
    model = model.to(device).eval()
    mean, std = normalization(model.backbone)
    crops = resize_crops(crops, image_size)
    out = []
    for start in range(0, len(crops), batch_size):
        batch = to_tensor(crops[start:start + batch_size], image_size, mean, std).to(device)
        out.append(torch.softmax(model(batch).float(), dim=1).cpu().numpy())
    n_classes = model.head[-1].out_features
    return np.concatenate(out) if out else np.zeros((0, n_classes))


def _arm_loss(arm: ArmInputs, labels: np.ndarray, n_classes: int, device: torch.device,
              class_weight: torch.Tensor | None = None):
    """``loss(logits, index)`` under a training arm: soft cross-entropy with the frames'
    soft targets (one-hot otherwise), agreement weights (1 otherwise) and ``class_weight``
    (None, as the plain loss, unless given)."""
    targets = (
        torch.tensor(arm.targets, dtype=torch.float32) if arm.targets is not None
        else one_hot(labels, n_classes)
    )
    weights = None if arm.weights is None else torch.tensor(arm.weights, dtype=torch.float32)

    def loss(logits: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return soft_cross_entropy(
            logits, targets[index].to(device),
            None if class_weight is None else class_weight.to(device),
            None if weights is None else weights[index].to(device),
        )

    return loss


def _frame_loss(
    arm: ArmInputs, settings: TrainSettings, train_labels: np.ndarray, emotions: Sequence[str],
    device: torch.device,
):
    """:func:`_arm_loss` of the training frames, class-weighted as the plain loss is."""
    n_classes = len(emotions) if len(emotions) else int(np.max(train_labels)) + 1
    class_weight = (
        torch.tensor(class_weights(train_labels, n_classes), dtype=torch.float32)
        if settings.class_weight == "balanced"
        else None
    )
    return _arm_loss(arm, train_labels, n_classes, device, class_weight=class_weight)


def _resume(
    checkpoint: Path | None, fingerprint: str, model: nn.Module, optimizer
) -> tuple[int, float, int, dict | None, list]:
    """``(start epoch, best UAR, best epoch, best state, history)``: a checkpoint's of the
    same settings (loaded into the model and the optimizer), else a fresh start's."""
    if checkpoint is None or not checkpoint.is_file():
        return 0, -1.0, 0, None, []
    saved = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if saved.get("fingerprint") != fingerprint:
        log.info("checkpoint %s is for other settings; training from scratch", checkpoint)
        return 0, -1.0, 0, None, []
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    log.info("resuming from %s after epoch %d", checkpoint, saved["epoch"])
    return (saved["epoch"], saved["best_uar"], saved["best_epoch"], saved["best_state"],
            saved["history"])  # fmt: skip


def _epoch_loader(
    dataset: Dataset, settings: TrainSettings, epoch: int, schedule, arm: ArmInputs | None
) -> DataLoader:
    """Epoch ``epoch``'s shuffled batches (seeded by the epoch; a curriculum's stage admits
    its frames only)."""
    torch.manual_seed(settings.seed * 1000 + epoch)
    order = torch.Generator().manual_seed(settings.seed * 1000 + epoch)
    epoch_data = dataset
    if schedule is not None:
        admitted = curriculum_rows(arm.max_level, schedule[epoch])
        epoch_data = Subset(dataset, admitted.tolist())
        log.info("curriculum stage %d: %d of %d training frames", schedule[epoch],
                 len(admitted), len(dataset))
    return DataLoader(epoch_data, batch_size=settings.batch_size, shuffle=True,
                      generator=order, num_workers=settings.num_workers)


def _train_pass(
    model: nn.Module, loader: DataLoader, optimizer, loss_fn, arm_loss, settings: TrainSettings,
    mean, std, device: torch.device,
) -> tuple[float, int]:
    """One pass over the loader's batches: ``(summed loss, frames seen)``."""
    total, seen = 0.0, 0
    for crops, labels, *index in loader:
        images = to_tensor(crops, settings.image_size, mean, std).to(device)
        labels = labels.to(device)
        optimizer.zero_grad()
        if arm_loss is not None:
            loss = arm_loss(model(images), index[0])
        else:
            loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
        seen += len(labels)
    return total, seen


def _val_uar(
    model: nn.Module, val_crops: np.ndarray, val_frames: pd.DataFrame,
    val_intervals: pd.DataFrame, emotions: Sequence[str], settings: TrainSettings,
    device: torch.device,
) -> dict[str, float]:
    """``{"val_uar": ...}`` over the val intervals with face frames (mean of frame
    probabilities); empty when none has one."""
    probs = predict_frames(model, val_crops, image_size=settings.image_size, device=device)
    interval_probs = interval_probabilities(val_intervals, val_frames, probs, len(emotions))
    scored = ~np.isnan(interval_probs).any(axis=1)
    if not scored.any():
        return {}
    predicted = np.asarray(emotions)[interval_probs[scored].argmax(axis=1)]
    return {"val_uar": uar(val_intervals["emotion"].to_numpy()[scored], predicted, emotions)}


def train_classifier(
    model: EmotionNet,
    train_crops: np.ndarray,
    train_labels: np.ndarray,
    settings: TrainSettings,
    *,
    checkpoint: str | Path | None = None,
    val_crops: np.ndarray | None = None,
    val_frames: pd.DataFrame | None = None,
    val_intervals: pd.DataFrame | None = None,
    emotions: Sequence[str] = (),
    fingerprint_extra: Mapping[str, Any] | None = None,
    arm: ArmInputs | None = None,
) -> TrainResult:
    """Train all layers with Adam and cross-entropy (class-weighted with
    ``settings.class_weight="balanced"``); keep the epoch with the best val UAR.

    Validation UAR is computed on intervals (mean of frame probabilities), over the val
    intervals that have face frames. Without any, the last epoch is kept (logged).

    ``arm`` (per training frame, :mod:`emoagree.levels.arms`): ``weighted`` weights each frame's
    loss by its interval's agreement, ``soft`` trains with soft cross-entropy on its
    interval's soft target, ``curriculum`` trains each epoch on the frames its stage
    admits (BatchNorm is recalibrated on all training frames). The arm enters the
    checkpoint's fingerprint, so a resume never mixes arms.
    """
    if len(train_labels) == 0:
        raise ValueError("no training frames with a face: cannot train the EfficientNet")
    device = torch.device(settings.device)
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    loss_fn = loss_function(settings, train_labels, model.head[-1].out_features).to(device)
    mean, std = normalization(model.backbone)
    extra = dict(fingerprint_extra or {}, n_train=len(train_labels))
    if arm is not None:
        extra["arm"] = arm.fingerprint()
    fingerprint = settings.fingerprint(extra)
    checkpoint = Path(checkpoint) if checkpoint else None

    start_epoch, best_uar, best_epoch, best_state, history = _resume(
        checkpoint, fingerprint, model, optimizer
    )

    has_val = val_crops is not None and val_frames is not None and len(val_frames) > 0
    if not has_val:
        log.warning("no validation frames with a face: keeping the last epoch (no selection)")
    dataset = CropDataset(resize_crops(train_crops, settings.image_size), train_labels,
                          with_index=arm is not None)
    arm_loss = None if arm is None else _frame_loss(arm, settings, train_labels, emotions, device)
    schedule = None if arm is None else arm.schedule(settings.epochs)
    if has_val:
        val_crops = resize_crops(val_crops, settings.image_size)
    for epoch in range(start_epoch, settings.epochs):
        loader = _epoch_loader(dataset, settings, epoch, schedule, arm)
        model.train()
        started = time.monotonic()
        total, seen = _train_pass(model, loader, optimizer, loss_fn, arm_loss, settings,
                                  mean, std, device)  # fmt: skip
        elapsed = time.monotonic() - started
        if settings.recalibrate_bn:
            recalibrate_batchnorm(model, dataset, settings, mean, std)
        entry = {"epoch": epoch + 1, "loss": total / seen, "img_per_s": seen / elapsed}
        if has_val:
            entry.update(_val_uar(model, val_crops, val_frames, val_intervals, emotions,
                                  settings, device))  # fmt: skip
        score = entry.get("val_uar", float(epoch))
        if score > best_uar:
            best_uar, best_epoch, best_state = score, epoch + 1, _state_copy(model)
        history.append(entry)
        log.info("epoch %d/%d: %s", epoch + 1, settings.epochs,
                 ", ".join(f"{k}={v:.4g}" for k, v in entry.items() if k != "epoch"))
        if checkpoint is not None:
            _save_atomic({"epoch": epoch + 1, "model": _state_copy(model),
                          "optimizer": optimizer.state_dict(), "best_uar": best_uar,
                          "best_epoch": best_epoch, "best_state": best_state,
                          "history": history, "fingerprint": fingerprint}, checkpoint)
    if best_state is None:  # zero epochs configured
        best_state = _state_copy(model)
    return TrainResult(best_state, best_epoch, best_uar if has_val else float("nan"), history)
