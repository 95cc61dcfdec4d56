"""Training the LSTM (:mod:`emoagree.audio.lstm`): early stopping on validation UAR,
a checkpoint after every epoch (an interrupted training resumes where it stopped, with the
same random state), and the training arms' losses and curriculum.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from emoagree.audio.lstm import (
    LstmClassifier,
    LstmSettings,
    Normalizer,
    TrainedLstm,
    _batch,
    chunk_dataset,
    pick_device,
    predict_sequences,
    prepare,
)
from emoagree.evaluation.metrics import uar
from emoagree.levels.curriculum import curriculum_rows, is_final_stage
from emoagree.training.arm_inputs import ArmInputs
from emoagree.training.arm_loss import class_weights, one_hot, soft_cross_entropy

log = logging.getLogger(__name__)


def fingerprint(*parts) -> str:
    """Hash of what a checkpoint depends on (settings, data), to refuse a stale resume."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def _save_checkpoint(state: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def _arm_loss(
    chunk_arm: ArmInputs, chunk_labels: np.ndarray, n_classes: int, device: torch.device
) -> Callable[[torch.Tensor, np.ndarray], torch.Tensor]:
    """``loss(logits, batch)`` of a training arm: class-weighted soft cross-entropy with
    the chunks' soft targets (one-hot otherwise) and agreement weights (1 otherwise)."""
    targets = (
        chunk_arm.targets if chunk_arm.targets is not None
        else one_hot(chunk_labels, n_classes).numpy()
    )
    class_weight = torch.tensor(
        class_weights(targets, n_classes), dtype=torch.float32, device=device
    )
    targets = torch.tensor(targets, dtype=torch.float32)
    sample_weight = (
        None if chunk_arm.weights is None
        else torch.tensor(chunk_arm.weights, dtype=torch.float32)
    )

    def loss(logits: torch.Tensor, batch: np.ndarray) -> torch.Tensor:
        index = torch.from_numpy(np.asarray(batch, dtype=np.int64))
        return soft_cross_entropy(
            logits,
            targets[index].to(device),
            class_weight,
            None if sample_weight is None else sample_weight[index].to(device),
        )

    return loss


def _loss_function(
    chunk_arm: ArmInputs | None, chunk_labels: np.ndarray, n_classes: int, device: torch.device
) -> Callable:
    """The training loss: class-weighted cross-entropy, or a training arm's loss
    (:func:`_arm_loss`, called with the batch's chunk positions)."""
    if chunk_arm is not None:
        return _arm_loss(chunk_arm, chunk_labels, n_classes, device)
    weights = torch.tensor(class_weights(chunk_labels, n_classes), dtype=torch.float32)
    return nn.CrossEntropyLoss(weight=weights.to(device))


def _val_uar(
    model: nn.Module, val_seq, val_labels: np.ndarray, emotions: list[str],
    settings: LstmSettings, device: torch.device,
) -> float:
    """The model's UAR on the validation intervals."""
    probs = predict_sequences(model, val_seq, settings, device)
    return uar(val_labels, np.asarray(emotions, dtype=object)[probs.argmax(1)], emotions)


def _resume(
    checkpoint_path: Path, key: str, model: nn.Module, optimizer, rng: np.random.Generator,
    state: dict,
) -> tuple[dict, int | None]:
    """Load a checkpoint of the same settings and data into the model, the optimizer and
    both random states: ``(its training state, the epoch resumed after)``; else
    ``(state, None)``."""
    if not checkpoint_path.exists():
        return state, None
    saved = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
    if saved.get("fingerprint") != key:
        log.warning(
            "LSTM: %s was written for other settings or data; starting afresh", checkpoint_path
        )
        return state, None
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    rng.bit_generator.state = saved["numpy_rng"]
    torch.set_rng_state(saved["torch_rng"])
    state = saved["state"]
    log.info("LSTM: resuming from %s after epoch %d", checkpoint_path, state["epoch"])
    return state, state["epoch"]


def _train_epoch(
    model: nn.Module, optimizer, loss_fn, chunks, chunk_labels: np.ndarray, order: np.ndarray,
    settings: LstmSettings, device: torch.device, arm_loss: bool,
) -> float:
    """One pass over the chunks in ``order`` (batches of ``settings.batch_size``); the
    summed loss (each batch's mean times its size). An arm's loss takes the batch's chunk
    positions, the plain loss their labels."""
    total = 0.0
    for first in range(0, len(order), settings.batch_size):
        batch = order[first : first + settings.batch_size]
        padded, lengths = _batch([chunks[i] for i in batch], device)
        optimizer.zero_grad()
        if arm_loss:
            loss = loss_fn(model(padded, lengths), batch)
        else:
            loss = loss_fn(
                model(padded, lengths), torch.from_numpy(chunk_labels[batch]).to(device)
            )
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch)
    return total


def _keep_best(
    state: dict, record: dict, model: nn.Module, no_val: bool, schedule, epoch: int
) -> bool:
    """Early stopping's bookkeeping after an epoch: keep the model when the validation UAR
    improved (always without validation), else count a bad epoch (in a curriculum only
    on the last stage). Whether it improved."""
    improved = no_val or state["best_uar"] is None or record["val_uar"] > state["best_uar"]
    if improved:
        state.update(
            best_uar=record.get("val_uar"),
            best_epoch=epoch,
            bad_epochs=0,
            best_state={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        )
    elif schedule is None or is_final_stage(schedule, epoch):
        state["bad_epochs"] += 1
    return improved


@dataclass
class _Run:
    """What every epoch of one LSTM training uses."""

    model: nn.Module
    optimizer: Any
    loss_fn: Callable
    rng: np.random.Generator
    chunks: list
    chunk_labels: np.ndarray
    chunk_arm: ArmInputs | None
    schedule: list[int] | None
    val_seq: list
    val_labels: np.ndarray
    emotions: list[str]
    settings: LstmSettings
    device: torch.device
    key: str
    checkpoint_path: Path


def _run_epoch(run: _Run, state: dict, epoch: int) -> None:
    """Train one epoch (the chunks in a seeded order; a curriculum's admitted ones), score
    validation, keep the best model, log, and write the checkpoint."""
    model, settings, schedule = run.model, run.settings, run.schedule
    model.train()
    if schedule is None:
        order = run.rng.permutation(len(run.chunks))
    else:
        admitted = curriculum_rows(run.chunk_arm.max_level, schedule[epoch - 1])
        order = admitted[run.rng.permutation(len(admitted))]
    total = _train_epoch(
        model, run.optimizer, run.loss_fn, run.chunks, run.chunk_labels, order, settings,
        run.device, arm_loss=run.chunk_arm is not None,
    )  # fmt: skip
    record = {"epoch": epoch, "train_loss": total / len(order)}
    if schedule is not None:
        record.update(stage=schedule[epoch - 1], train_chunks=len(order))
    if len(run.val_labels):
        record["val_uar"] = _val_uar(
            model, run.val_seq, run.val_labels, run.emotions, settings, run.device
        )
    improved = _keep_best(state, record, model, len(run.val_labels) == 0, schedule, epoch)
    state["epoch"] = epoch
    state["history"].append(record)
    log.info(
        "LSTM epoch %d/%d: %s%s",
        epoch,
        settings.max_epochs,
        ", ".join(f"{k}={v:.4f}" for k, v in record.items() if k != "epoch"),
        " (best)" if improved else "",
    )
    _save_checkpoint(
        {
            "fingerprint": run.key,
            "model": model.state_dict(),
            "optimizer": run.optimizer.state_dict(),
            "numpy_rng": run.rng.bit_generator.state,
            "torch_rng": torch.get_rng_state(),
            "state": state,
        },
        run.checkpoint_path,
    )


def train_lstm(
    train_sequences: Sequence[np.ndarray],
    train_labels: Sequence[str],
    val_sequences: Sequence[np.ndarray],
    val_labels: Sequence[str],
    emotions: Sequence[str],
    settings: LstmSettings,
    seed: int,
    checkpoint_path: str | Path,
    device: torch.device | None = None,
    on_epoch_end: Callable[[int], None] | None = None,
    arm: ArmInputs | None = None,
    keep_checkpoint: bool = False,
) -> TrainedLstm:
    """Train with early stopping on validation UAR, checkpointing after every epoch.

    If ``checkpoint_path`` holds a checkpoint of the same settings and data, training
    resumes after its last completed epoch with the same random state, so an interrupted
    and resumed run ends with the same weights as an uninterrupted one. The checkpoint
    is removed once training ends, unless ``keep_checkpoint`` (a job that trains several
    folds removes them all at its end: :mod:`emoagree.training.fold_jobs`).

    Args:
        on_epoch_end: called with the epoch number after its checkpoint is written
            (tests use it to simulate an interruption).
        arm: a training arm's values per training interval (:mod:`emoagree.levels.arms`): each
            chunk takes its interval's agreement weight (``weighted``: weighted loss), soft
            target (``soft``: soft cross-entropy, class weights from the target mass) or
            highest level (``curriculum``: each epoch trains on the chunks its stage
            admits; early stopping counts only the epochs of the last stage). Validation
            and model selection are unchanged; the arm enters the checkpoint's fingerprint.
    """
    device = device or pick_device()
    emotions = list(emotions)
    if not train_sequences:
        raise ValueError("no scorable training intervals: cannot train the LSTM")
    normalizer = Normalizer.fit([s[:: settings.frame_stride] for s in train_sequences])
    train_seq = prepare(train_sequences, normalizer, settings)
    val_seq = prepare(val_sequences, normalizer, settings)
    y_train = np.array([emotions.index(e) for e in train_labels], dtype=np.int64)
    val_labels = np.asarray(val_labels, dtype=object)
    chunks, owner = chunk_dataset(train_seq, settings.chunk_frames)
    chunk_labels = y_train[owner]
    chunk_arm = None if arm is None else arm.take(owner)
    schedule = None if arm is None else arm.schedule(settings.max_epochs)
    checkpoint_path = Path(checkpoint_path)
    key = fingerprint(
        asdict(settings), seed, emotions, y_train, [len(s) for s in train_seq],
        normalizer.mean, val_labels.tolist(), *([] if arm is None else [arm.fingerprint()]),
    )  # fmt: skip

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = LstmClassifier(train_seq[0].shape[1], len(emotions), settings).to(device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    loss_fn = _loss_function(chunk_arm, chunk_labels, len(emotions), device)
    state = {"epoch": 0, "best_state": None, "best_uar": None, "best_epoch": 0,
             "bad_epochs": 0, "history": []}  # fmt: skip
    state, resumed_from = _resume(checkpoint_path, key, model, optimizer, rng, state)
    if not len(val_labels):
        log.warning("LSTM: no scorable validation intervals; no early stopping, last epoch kept")

    run = _Run(model, optimizer, loss_fn, rng, chunks, chunk_labels, chunk_arm, schedule,
               val_seq, val_labels, emotions, settings, device, key, checkpoint_path)  # fmt: skip
    for epoch in range(state["epoch"] + 1, settings.max_epochs + 1):
        if state["bad_epochs"] >= settings.patience:
            break
        _run_epoch(run, state, epoch)
        if on_epoch_end is not None:
            on_epoch_end(epoch)
    if state["bad_epochs"] >= settings.patience:
        log.info("LSTM: early stop, no validation gain for %d epochs", settings.patience)
    model.load_state_dict(state["best_state"])
    if not keep_checkpoint:
        checkpoint_path.unlink(missing_ok=True)
    return TrainedLstm(model, normalizer, settings, emotions, state["history"],
                       state["best_epoch"], state["best_uar"], resumed_from)  # fmt: skip
