"""Training replicates: R seeded models per (system, fold, train level).

With ``replicates: R`` every model is trained R times with different seeds. Replicate 0
keeps the study's paths and seed (``results/models/<system>/fold<f>/train<i>.<ext>``);
replicate r >= 1 adds ``.rep<r>`` after the train row (``train<i>.rep<r>.<ext>``,
``train<i>.rep<r>/val.csv``, ``test<j>.rep<r>.csv``) and trains with seed
``seed + REPLICATE_SEED_STEP * r``. A cell's job predicts with every replicate and its
metrics take all R prediction sets: each bootstrap resample draws one replicate per
(system, train row) (``emoagree.evaluation.bootstrap.replicate_choice``), so seed variance
joins the units' in every interval and in the answer.

Files of several replicates are listed replicate-major: replicate 0's K fold files, then
replicate 1's, and so on (:func:`by_replicate` splits such a list).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

#: Seed distance between replicates (a prime, far from the small seeds users pick).
REPLICATE_SEED_STEP = 1009
#: Regular expression of a replicate suffix (the ``rep`` wildcard): empty for replicate 0.
SUFFIX_PATTERN = r"(\.rep[1-9][0-9]*)?"

T = TypeVar("T")


def replicate_suffixes(n_replicates: int) -> list[str]:
    """The path suffixes of R replicates: ``["", ".rep1", ..., ".rep<R-1>"]``."""
    n_replicates = int(n_replicates)
    if n_replicates < 1:
        raise ValueError(f"replicates: {n_replicates}: at least 1 model per fold is trained")
    return [""] + [f".rep{r}" for r in range(1, n_replicates)]


def replicate_index(suffix: str) -> int:
    """0 for ``""``, r for ``".rep<r>"``."""
    if not suffix:
        return 0
    match = re.fullmatch(r"\.rep([1-9][0-9]*)", suffix)
    if match is None:
        raise ValueError(f"{suffix!r} is not a replicate suffix ('' or '.rep<r>', r >= 1)")
    return int(match.group(1))


def replicate_seed(seed: int, suffix: str) -> int:
    """The training seed of the replicate named by ``suffix`` (replicate 0: ``seed``)."""
    return int(seed) + REPLICATE_SEED_STEP * replicate_index(suffix)


def by_replicate(items: Sequence[T], n_replicates: int) -> list[list[T]]:
    """Split a replicate-major list into R equal parts (replicate 0 first)."""
    items = list(items)
    if n_replicates < 1 or len(items) % n_replicates:
        raise ValueError(f"{len(items)} files cannot be split into {n_replicates} replicates")
    size = len(items) // n_replicates
    return [items[r * size : (r + 1) * size] for r in range(n_replicates)]
