"""The networks' loss under a training arm (weighted, soft-target cross-entropy) and the
one class-weights function of both modalities' networks.

One function covers the plain, weighted and soft cases, so that with all sample weights 1
and one-hot targets it is exactly PyTorch's (class-weighted) cross-entropy with hard
labels (tests check both).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional


def soft_cross_entropy(
    logits: torch.Tensor,
    targets: torch.Tensor,
    class_weight: torch.Tensor | None = None,
    sample_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Weighted mean of ``-sum_c w_c t_ic log p_ic`` over the batch.

    ``loss = sum_i s_i sum_c w_c t_ic (-log p_ic) / sum_i s_i sum_c w_c t_ic`` with ``s``
    the sample weights (1 when None), ``w`` the class weights (1 when None) and ``t`` the
    targets (rows sum to 1). For one-hot targets the denominator is ``sum_i s_i w_{y_i}``,
    i.e. :class:`torch.nn.CrossEntropyLoss` (``weight=w``, mean reduction) when every
    ``s_i = 1``.
    """
    log_probs = functional.log_softmax(logits, dim=1)
    weighted = targets if class_weight is None else targets * class_weight[None, :]
    per_sample = -(weighted * log_probs).sum(dim=1)
    norm = weighted.sum(dim=1)
    if sample_weight is not None:
        per_sample = per_sample * sample_weight
        norm = norm * sample_weight
    return per_sample.sum() / norm.sum().clamp_min(torch.finfo(log_probs.dtype).tiny)


def one_hot(labels: np.ndarray | torch.Tensor, n_classes: int) -> torch.Tensor:
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    return functional.one_hot(labels, n_classes).to(torch.float32)


def class_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Inverse-frequency class weights ``n / (k * m_c)`` over the k classes with mass
    ``m_c > 0`` (absent: 0), as scikit-learn's ``class_weight="balanced"``.

    ``labels`` are hard labels (class numbers, ``m_c`` the count of class c) or an
    ``(n, n_classes)`` array of soft targets (``m_c`` the target mass of class c; for
    one-hot targets the balanced weights of the hard labels).
    """
    values = np.asarray(labels)
    if values.ndim == 2:
        mass = values.astype(float).sum(axis=0)
    else:
        mass = np.bincount(values.astype(np.int64), minlength=n_classes).astype(float)
    present = mass > 0
    weights = np.zeros(len(mass))
    weights[present] = mass.sum() / (present.sum() * mass[present])
    return weights
