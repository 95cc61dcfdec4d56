"""Audio branch: openSMILE features (ComParE functionals, cached LLDs) and the
audio_svm, audio_lr and audio_lstm systems."""

from emoagree.audio.classic import CLASSIC_SYSTEMS, fit_classic, pca_components
from emoagree.audio.functionals import (
    LevelFunctionals,
    audio_status,
    extract_level_functionals,
)
from emoagree.audio.io import AudioReadError, read_wav, slice_signal
from emoagree.audio.lld import LldCache, cache_recording_lld, extract_lld, load_lld
from emoagree.audio.lstm import LstmSettings, train_lstm

__all__ = [
    "CLASSIC_SYSTEMS",
    "AudioReadError",
    "LevelFunctionals",
    "LldCache",
    "LstmSettings",
    "audio_status",
    "cache_recording_lld",
    "extract_level_functionals",
    "extract_lld",
    "fit_classic",
    "load_lld",
    "pca_components",
    "read_wav",
    "slice_signal",
    "train_lstm",
]
