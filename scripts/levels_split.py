"""Rule split: fix the split once, on the level-1 intervals: parts or K folds of units."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from emoagree.intervals_io import read_annotations, read_recordings, write_intervals  # noqa: E402
from emoagree.levels.split import make_split  # noqa: E402

params = snakemake.params  # noqa: F821
split = make_split(
    read_annotations(snakemake.input.annotations),  # noqa: F821
    read_recordings(snakemake.input.recordings),  # noqa: F821
    params.emotions, params.strategy, params.test_fraction, params.val_fraction, params.seed,
    unit=params.unit, folds=params.folds, guard_s=params.guard_s,
)
write_intervals(split, snakemake.output[0])  # noqa: F821
