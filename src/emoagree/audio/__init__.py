"""Audio branch: openSMILE features (ComParE functionals, cached LLDs) and the
audio_svm, audio_lr and audio_lstm systems.

Names are re-exported lazily: a workflow job imports only the modules it uses, so the
extraction jobs do not pay scikit-learn's and the classic-model jobs PyTorch's import
time (seconds per job, times ~100 jobs).
"""

from importlib import import_module

_EXPORTS = {
    "AudioReadError": "io",
    "read_wav": "io",
    "slice_signal": "io",
    "LldCache": "lld",
    "cache_recording_lld": "lld",
    "extract_lld": "lld",
    "load_lld": "lld",
    "LevelFunctionals": "functionals",
    "audio_status": "functionals",
    "extract_level_functionals": "functionals",
    "CLASSIC_SYSTEMS": "classic",
    "fit_classic": "classic",
    "pca_components": "classic",
    "LstmSettings": "lstm",
    "train_lstm": "lstm",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'emoagree.audio' has no attribute {name!r}")
    return getattr(import_module(f"emoagree.audio.{_EXPORTS[name]}"), name)
