"""Atomic writing of array caches: a failed or interrupted job never leaves half a file.

The feature caches (audio LLDs, functionals and stretches; video face tracks, embeddings
and frame scores) are ``.npz`` files written through a temporary file beside the target
and a rename.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def save_npz_atomic(path: str | Path, *, compressed: bool = False, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to ``path`` (.npz, zip-compressed with ``compressed``) through a
    temporary file beside it and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            (np.savez_compressed if compressed else np.savez)(stream, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
