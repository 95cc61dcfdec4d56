"""PyTorch's determinism settings for CUDA, so that the same config gives the same tables.

On the CPU the workflow's torch jobs are deterministic with a seed alone. On CUDA,
PyTorch documents what else is needed (https://pytorch.org/docs/stable/notes/randomness.html):

- ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` before the first cuBLAS call (cuBLAS and cuDNN's
  RNNs, i.e. the LSTM, otherwise pick reductions that vary between runs);
- ``torch.backends.cudnn.deterministic = True`` and ``benchmark = False`` (no
  timing-based choice of convolution algorithms);
- ``torch.use_deterministic_algorithms(True)``: deterministic kernels where PyTorch has
  them. With ``warn_only`` (the default here) an operation without one logs a warning
  instead of stopping the job; on the training paths PyTorch lists the cross-entropy loss
  (``NLLLoss`` on CUDA) and the backward pass of adaptive average pooling (EfficientNet's
  global pool). Such a job's results may differ in the last digits between runs.
- TF32 matrix products are switched off, so CUDA results stay close to the CPU's.

The training and embedding code calls :func:`deterministic_torch` when it picks a CUDA
device; ``bench/gpu_check.py`` measures what remains (two CUDA runs, CPU vs CUDA).
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)

CUBLAS_WORKSPACE = ":4096:8"


def deterministic_torch(device: Any = "cuda", warn_only: bool = True) -> dict[str, Any]:
    """Apply the CUDA determinism settings (no-op for a CPU device); return them.

    Call before the job's first CUDA operation: cuBLAS reads ``CUBLAS_WORKSPACE_CONFIG``
    when it starts. A value the user set already is kept.
    """
    import torch

    if str(device).split(":")[0] != "cuda":
        return {}
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.use_deterministic_algorithms(True, warn_only=warn_only)
    applied = {
        "CUBLAS_WORKSPACE_CONFIG": os.environ["CUBLAS_WORKSPACE_CONFIG"],
        "cudnn.deterministic": True,
        "cudnn.benchmark": False,
        "allow_tf32": False,
        "use_deterministic_algorithms": "warn_only" if warn_only else True,
    }
    log.info("CUDA determinism: %s", applied)
    return applied
