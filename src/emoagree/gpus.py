"""How many GPUs this machine shows, known before any job runs (for the ``gpu`` resource).

The torch rules (LSTM training, embeddings, EfficientNet training) ask for one ``gpu`` slot
when the machine has a GPU, so that ``--resources gpu=N`` runs at most N of them at once.
On a machine without one they ask for none and run side by side on the CPU cores like any
other job (one slot would serialise them and leave cores idle). A cluster profile sets the
request itself (``set-resources`` in ``workflow/profiles/slurm``), since the submitting
host need not have the GPUs its jobs run on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping


def visible_gpus(
    env: Mapping[str, str] | None = None,
    run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
) -> int:
    """GPUs that ``nvidia-smi -L`` lists, limited by ``CUDA_VISIBLE_DEVICES`` (empty or
    ``-1`` hides them all); 0 without ``nvidia-smi`` or when it fails."""
    env = os.environ if env is None else env
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return 0
    executable = which("nvidia-smi")
    if executable is None:
        return 0
    try:
        listed = run([executable, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return 0
    if listed.returncode != 0:
        return 0
    count = sum(1 for line in listed.stdout.splitlines() if line.startswith("GPU "))
    if visible is not None:
        count = min(count, len([d for d in visible.split(",") if d.strip()]))
    return count


def gpu_request(device: str = "auto", n_gpus: int | None = None) -> int:
    """The ``gpu`` resource of a torch job: 1 where it will use a GPU, else 0.

    ``device``: ``cpu`` never asks; ``auto`` and ``cuda`` ask when the machine has one.
    """
    if str(device) == "cpu":
        return 0
    return 1 if (visible_gpus() if n_gpus is None else n_gpus) > 0 else 0
