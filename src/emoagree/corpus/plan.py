"""Which recordings a corpus holds, known before any job runs (for the DAG)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def plan_recordings(config: Mapping[str, Any]) -> pd.DataFrame:
    """Recordings of the configured corpus: ``recording, audio_path, video_path``."""
    raise NotImplementedError("corpus planning is not written yet")
