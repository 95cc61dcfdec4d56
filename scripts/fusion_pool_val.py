"""Rule pool_val: the fold models' val predictions of one (system, train level) in one file."""

import sys

from emoagree.predarrays import pool_prediction_files

sys.stderr = log = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

pooled = pool_prediction_files(
    list(snakemake.input),  # noqa: F821
    snakemake.output[0],  # noqa: F821
    snakemake.params.emotions,  # noqa: F821
)
print(f"pooled {len(pooled.interval_ids)} val intervals from {len(snakemake.input)} folds", file=log)  # noqa: F821,E501
