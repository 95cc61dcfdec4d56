"""Rule levels_split: fix the split once, on the level-1 intervals: parts or K folds of units.

A split the corpus cannot give (more folds than units, one actor for strategy actor, no
split column for strategy corpus) ends the job with one line naming the config key, on
the console and in the log, without a traceback.
"""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.contracts.corpus import read_annotations, read_recordings  # noqa: E402
from emoagree.contracts.split import write_split  # noqa: E402
from emoagree.joblog import refuse  # noqa: E402
from emoagree.levels.split import make_split  # noqa: E402

params = snakemake.params  # noqa: F821
try:
    split = make_split(
        read_annotations(snakemake.input.annotations),  # noqa: F821
        read_recordings(snakemake.input.recordings),  # noqa: F821
        params.emotions, params.strategy, params.test_fraction, params.val_fraction,
        params.seed, unit=params.unit, folds=params.folds, guard_s=params.guard_s,
        repeats=params.repeats,
    )
except ValueError as error:  # the split's refusals name the config key (split.folds, ...)
    refuse("split", error)
write_split(split, snakemake.output[0])  # noqa: F821
