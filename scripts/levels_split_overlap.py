"""Rule levels_split_overlap: per fold, seconds of test time inside train or val intervals
and the smallest gap between test and train or val time within one session."""

import json
import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.contracts.corpus import read_recordings  # noqa: E402
from emoagree.contracts.levels import read_level  # noqa: E402
from emoagree.levels.overlap import overlap_summary  # noqa: E402
from emoagree.levels.units import sessions_of  # noqa: E402

params, inputs = snakemake.params, snakemake.input  # noqa: F821
summary = overlap_summary(
    [read_level(path) for path in inputs.levels],
    params.folds,
    sessions_of(read_recordings(inputs.recordings)),
    strategy=params.strategy,
    unit=params.unit,
    guard_s=params.guard_s,
)
with open(snakemake.output[0], "w") as handle:  # noqa: F821
    json.dump(summary, handle, indent=2)
print(json.dumps(summary), file=sys.stderr)
