"""Frame-level classifier: an LSTM over LLD sequences.

Long intervals are split into chunks of at most ``chunk_frames`` frames; each chunk is a
training sample with its interval's label, and an interval's prediction is the mean of
its chunks' class probabilities. Sequences are packed (no padding reaches the LSTM). The
loss is class-weighted cross entropy; training stops early on validation UAR. Every epoch
ends with a checkpoint, so an interrupted training resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from emoagree.evaluation.metrics import uar
from emoagree.levels.curriculum import curriculum_rows, is_final_stage
from emoagree.training.arm_inputs import ArmInputs
from emoagree.training.arm_loss import class_weights, one_hot, soft_cross_entropy

log = logging.getLogger(__name__)


#: How a chunk's LSTM outputs become one vector: the last hidden state (both directions
#: if bidirectional) or the mean of the outputs over the chunk's frames.
POOLINGS = ("last", "mean")


@dataclass(frozen=True)
class LstmSettings:
    hidden_size: int = 32
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    chunk_frames: int = 200
    frame_stride: int = 1
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    pooling: str = "last"
    max_epochs: int = 15
    patience: int = 5

    @classmethod
    def from_config(cls, section: dict) -> LstmSettings:
        return cls(**section)


class LstmClassifier(nn.Module):
    """LSTM whose pooled outputs (``settings.pooling``) feed a linear layer."""

    def __init__(self, input_size: int, n_classes: int, settings: LstmSettings):
        super().__init__()
        if settings.pooling not in POOLINGS:
            raise ValueError(f"LSTM pooling must be one of {POOLINGS}, not {settings.pooling!r}")
        self.lstm = nn.LSTM(
            input_size,
            settings.hidden_size,
            num_layers=settings.num_layers,
            bidirectional=settings.bidirectional,
            dropout=settings.dropout if settings.num_layers > 1 else 0.0,
            batch_first=True,
        )
        directions = 2 if settings.bidirectional else 1
        self.dropout = nn.Dropout(settings.dropout)
        self.head = nn.Linear(settings.hidden_size * directions, n_classes)
        self.directions = directions
        self.pooling = settings.pooling

    def forward(self, padded: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(padded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, (hidden, _) = self.lstm(packed)
        if self.pooling == "last":
            summary = torch.cat(list(hidden[-self.directions :]), dim=1)
        else:
            steps, _ = pad_packed_sequence(outputs, batch_first=True)  # padded steps are 0
            summary = steps.sum(dim=1) / lengths.to(steps.device, steps.dtype)[:, None]
        return self.head(self.dropout(summary))


def split_chunks(sequence: np.ndarray, chunk_frames: int) -> list[np.ndarray]:
    """Near-equal consecutive chunks of at most ``chunk_frames`` frames."""
    n_chunks = max(1, -(-len(sequence) // chunk_frames))
    return [c for c in np.array_split(sequence, n_chunks) if len(c)]


def chunk_dataset(
    sequences: Sequence[np.ndarray], chunk_frames: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """All chunks of all sequences and, per chunk, the index of its sequence."""
    chunks, owner = [], []
    for index, sequence in enumerate(sequences):
        for chunk in split_chunks(sequence, chunk_frames):
            chunks.append(chunk)
            owner.append(index)
    return chunks, np.asarray(owner, dtype=np.int64)


@dataclass
class Normalizer:
    """Per-column standardisation fitted on the training frames."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, sequences: Sequence[np.ndarray]) -> Normalizer:
        frames = np.concatenate(sequences).astype(np.float64)
        std = frames.std(axis=0)
        return cls(
            frames.mean(axis=0).astype(np.float32), np.where(std > 0, std, 1).astype(np.float32)
        )

    def __call__(self, sequence: np.ndarray) -> np.ndarray:
        return ((sequence - self.mean) / self.std).astype(np.float32)


def prepare(
    sequences: Sequence[np.ndarray], normalizer: Normalizer, settings: LstmSettings
) -> list[np.ndarray]:
    """Every ``frame_stride``-th frame of each sequence, standardised: the model's input."""
    return [normalizer(s[:: settings.frame_stride]) for s in sequences]


def _batch(chunks: Sequence[np.ndarray], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    tensors = [torch.from_numpy(np.ascontiguousarray(c)) for c in chunks]
    lengths = torch.tensor([len(c) for c in chunks], dtype=torch.int64)
    return pad_sequence(tensors, batch_first=True).to(device), lengths


def predict_sequences(
    model: LstmClassifier,
    sequences: Sequence[np.ndarray],
    settings: LstmSettings,
    device: torch.device,
) -> np.ndarray:
    """Class probabilities per (normalised) sequence: the mean over its chunks."""
    probabilities = np.zeros((len(sequences), model.head.out_features))
    if not sequences:
        return probabilities
    chunks, owner = chunk_dataset(sequences, settings.chunk_frames)
    chunk_probs = []
    model.eval()
    with torch.no_grad():
        for first in range(0, len(chunks), max(settings.batch_size, 64)):
            padded, lengths = _batch(chunks[first : first + max(settings.batch_size, 64)], device)
            chunk_probs.append(torch.softmax(model(padded, lengths), dim=1).cpu().numpy())
    chunk_probs = np.concatenate(chunk_probs)
    np.add.at(probabilities, owner, chunk_probs)
    return probabilities / np.bincount(owner, minlength=len(sequences))[:, None]


def pick_device(prefer: str = "auto") -> torch.device:
    """CUDA when available (or asked for; with PyTorch's determinism settings), else CPU."""
    if prefer == "cpu" or (prefer == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but CUDA is not available")
    from emoagree.training.determinism import deterministic_torch

    deterministic_torch("cuda")
    return torch.device("cuda")


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


@dataclass
class TrainedLstm:
    model: LstmClassifier
    normalizer: Normalizer
    settings: LstmSettings
    emotions: list[str]
    history: list[dict]
    best_epoch: int
    best_val_uar: float | None
    resumed_from_epoch: int | None

    def bundle(self) -> dict:
        """What the saved model file holds (all that prediction needs)."""
        return {
            "state_dict": {k: v.cpu() for k, v in self.model.state_dict().items()},
            "input_size": self.model.lstm.input_size,
            "settings": asdict(self.settings),
            "emotions": self.emotions,
            "mean": self.normalizer.mean,
            "std": self.normalizer.std,
            "history": self.history,
            "best_epoch": self.best_epoch,
            "best_val_uar": self.best_val_uar,
        }


def load_trained(
    bundle_path: str | Path, device: torch.device
) -> tuple[LstmClassifier, Normalizer, LstmSettings, list[str]]:
    bundle = torch.load(bundle_path, map_location="cpu", weights_only=False)
    settings = LstmSettings(**bundle["settings"])
    model = LstmClassifier(bundle["input_size"], len(bundle["emotions"]), settings)
    model.load_state_dict(bundle["state_dict"])
    return model.to(device), Normalizer(bundle["mean"], bundle["std"]), settings, bundle["emotions"]


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
) -> TrainedLstm:
    """Train with early stopping on validation UAR, checkpointing after every epoch.

    If ``checkpoint_path`` holds a checkpoint of the same settings and data, training
    resumes after its last completed epoch with the same random state, so an interrupted
    and resumed run ends with the same weights as an uninterrupted one. The checkpoint
    is removed once training ends.

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
        asdict(settings),
        seed,
        emotions,
        y_train,
        [len(s) for s in train_seq],
        normalizer.mean,
        val_labels.tolist(),
        *([] if arm is None else [arm.fingerprint()]),
    )

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = LstmClassifier(train_seq[0].shape[1], len(emotions), settings).to(device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    weights = torch.tensor(class_weights(chunk_labels, len(emotions)), dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weights.to(device))
    if chunk_arm is not None:
        loss_fn = _arm_loss(chunk_arm, chunk_labels, len(emotions), device)
    state = {
        "epoch": 0,
        "best_state": None,
        "best_uar": None,
        "best_epoch": 0,
        "bad_epochs": 0,
        "history": [],
    }
    resumed_from = None
    if checkpoint_path.exists():
        saved = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
        if saved.get("fingerprint") == key:
            model.load_state_dict(saved["model"])
            optimizer.load_state_dict(saved["optimizer"])
            rng.bit_generator.state = saved["numpy_rng"]
            torch.set_rng_state(saved["torch_rng"])
            state = saved["state"]
            resumed_from = state["epoch"]
            log.info("LSTM: resuming from %s after epoch %d", checkpoint_path, resumed_from)
        else:
            log.warning(
                "LSTM: %s was written for other settings or data; starting afresh", checkpoint_path
            )
    if not len(val_labels):
        log.warning("LSTM: no scorable validation intervals; no early stopping, last epoch kept")

    for epoch in range(state["epoch"] + 1, settings.max_epochs + 1):
        if state["bad_epochs"] >= settings.patience:
            break
        model.train()
        if schedule is None:
            order = rng.permutation(len(chunks))
        else:
            admitted = curriculum_rows(chunk_arm.max_level, schedule[epoch - 1])
            order = admitted[rng.permutation(len(admitted))]
        total = 0.0
        for first in range(0, len(order), settings.batch_size):
            batch = order[first : first + settings.batch_size]
            padded, lengths = _batch([chunks[i] for i in batch], device)
            optimizer.zero_grad()
            if chunk_arm is not None:
                loss = loss_fn(model(padded, lengths), batch)
            else:
                loss = loss_fn(
                    model(padded, lengths), torch.from_numpy(chunk_labels[batch]).to(device)
                )
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        record = {"epoch": epoch, "train_loss": total / len(order)}
        if schedule is not None:
            record.update(stage=schedule[epoch - 1], train_chunks=len(order))
        if len(val_labels):
            probs = predict_sequences(model, val_seq, settings, device)
            record["val_uar"] = uar(
                val_labels, np.asarray(emotions, dtype=object)[probs.argmax(1)], emotions
            )
        improved = (
            len(val_labels) == 0
            or state["best_uar"] is None
            or record["val_uar"] > state["best_uar"]
        )
        if improved:
            state.update(
                best_uar=record.get("val_uar"),
                best_epoch=epoch,
                bad_epochs=0,
                best_state={k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            )
        elif schedule is None or is_final_stage(schedule, epoch):
            state["bad_epochs"] += 1
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
                "fingerprint": key,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "numpy_rng": rng.bit_generator.state,
                "torch_rng": torch.get_rng_state(),
                "state": state,
            },
            checkpoint_path,
        )
        if on_epoch_end is not None:
            on_epoch_end(epoch)
    if state["bad_epochs"] >= settings.patience:
        log.info("LSTM: early stop, no validation gain for %d epochs", settings.patience)
    model.load_state_dict(state["best_state"])
    checkpoint_path.unlink(missing_ok=True)
    return TrainedLstm(
        model,
        normalizer,
        settings,
        emotions,
        state["history"],
        state["best_epoch"],
        state["best_uar"],
        resumed_from,
    )
