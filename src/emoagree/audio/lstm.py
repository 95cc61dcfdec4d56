"""Frame-level classifier: an LSTM over LLD sequences.

Long intervals are split into chunks of at most ``chunk_frames`` frames; each chunk is a
training sample with its interval's label, and an interval's prediction is the mean of
its chunks' class probabilities. Sequences are packed (no padding reaches the LSTM). The
loss is class-weighted cross entropy; training (:mod:`emoagree.audio.lstm_train`) stops
early on validation UAR. Every epoch ends with a checkpoint, so an interrupted training
resumes where it stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

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
