"""Rule levels_alpha: Krippendorff's alpha of the annotators' frame labels inside one level."""

import json
import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.contracts.corpus import read_annotations  # noqa: E402
from emoagree.contracts.levels import read_level  # noqa: E402
from emoagree.levels.agreement import level_alpha  # noqa: E402

params = snakemake.params  # noqa: F821
result = level_alpha(
    read_level(snakemake.input.level),  # noqa: F821
    read_annotations(snakemake.input.annotations),  # noqa: F821
    params.emotions, params.frame_step_s,
)
values = {"level": int(params.level), **result.to_dict()}
with open(snakemake.output[0], "w") as handle:  # noqa: F821
    json.dump(values, handle, indent=2)
print(json.dumps(values), file=sys.stderr)
