"""Rule report_table1: samples per split, mean duration and alpha per level (the
paper's beside RAMAS)."""

import json

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.contracts.levels import read_level  # noqa: E402
from emoagree.corpus.checks import unmarked_notes  # noqa: E402
from emoagree.corpus.labels import dropped_notes  # noqa: E402
from emoagree.report.table1 import gap_note, write_table1  # noqa: E402

params, inputs = snakemake.params, snakemake.input  # noqa: F821
levels = {k: read_level(path) for k, path in zip(params.levels, inputs.levels, strict=True)}
with open(inputs.overlap) as handle:
    overlap = json.load(handle)
alphas = {}
for level, path in zip(params.levels, inputs.alphas, strict=True):
    with open(path) as handle:
        alphas[level] = json.load(handle)
write_table1(levels, alphas, snakemake.output.csv, snakemake.output.md,  # noqa: F821
             params.with_paper, params.folds, params.protocol,
             notes=[gap_note(overlap), *dropped_notes(inputs.dropped),
                    *unmarked_notes(inputs.unmarked)])
