"""Logging set-up for workflow scripts: everything, tracebacks included, goes to the log."""

from __future__ import annotations

import logging
import sys


def log_to(path: str) -> None:
    """Send stderr and INFO-level logging of the package to ``path``."""
    sys.stderr = open(path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.captureWarnings(True)
