"""Audio branch: openSMILE features (ComParE functionals, cached LLDs) and the
audio_svm, audio_lr and audio_lstm systems.

The LSTM lives in :mod:`emoagree.audio.lstm`, not re-exported here, so that the
extraction and classic-model jobs do not pay PyTorch's import time."""

from emoagree.audio.classic import CLASSIC_SYSTEMS, fit_classic, pca_components
from emoagree.audio.functionals import (
    LevelFunctionals,
    audio_status,
    extract_level_functionals,
)
from emoagree.audio.io import AudioReadError, read_wav, slice_signal
from emoagree.audio.lld import LldCache, cache_recording_lld, extract_lld, load_lld

__all__ = [
    "CLASSIC_SYSTEMS",
    "AudioReadError",
    "LevelFunctionals",
    "LldCache",
    "audio_status",
    "cache_recording_lld",
    "extract_level_functionals",
    "extract_lld",
    "fit_classic",
    "load_lld",
    "pca_components",
    "read_wav",
    "slice_signal",
]
