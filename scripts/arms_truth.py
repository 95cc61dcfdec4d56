"""Rule arms_truth_accuracy (demo): label accuracy of every level's and arm's training data
against the hidden truth (Mw weight-averaged, Ms target-averaged, Mc per stage)."""

import logging

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

import pandas as pd  # noqa: E402

from emoagree.contracts.levels import read_level  # noqa: E402
from emoagree.levels.truth import truth_accuracy_table  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
levels = {k: read_level(p) for k, p in zip(params.levels, inp.levels, strict=True)}
arms = {a: read_level(p) for a, p in zip(params.arms, inp.arms, strict=True)}
truth = pd.read_csv(inp.truth, dtype={"recording": str})
table = truth_accuracy_table(levels, arms, truth, params.emotions, params.curriculum)
table.to_csv(out.csv, index=False, float_format="%.4f")
with open(out.md, "w") as handle:
    handle.write("| row | training data | label accuracy (% of time) | intervals |\n")
    handle.write("|---|---|---:|---:|\n")
    for row in table.itertuples(index=False):
        handle.write(f"| {row.row} | {row.data} | {100 * row.accuracy:.1f} | {row.intervals} |\n")
logging.info("label accuracy against the hidden truth:\n%s", table.to_string(index=False))
