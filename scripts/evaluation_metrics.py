"""Rules metrics / metrics_val: UAR, per-class and per-fold recall, confusion, coverage and
the shared cluster-bootstrap interval of one prediction file (metrics_val first pools the
fold models' val predictions)."""

import sys

from emoagree.evaluation.cells import write_metrics
from emoagree.predictions import pool_prediction_files

sys.stderr = log = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

inputs, params, wildcards = snakemake.input, snakemake.params, snakemake.wildcards  # noqa: F821
predictions = inputs.get("predictions")
if predictions is None:  # validation: the fold models' val parts, pooled into one file
    predictions = snakemake.output.predictions  # noqa: F821
    pool_prediction_files(list(inputs.folds), predictions, params.emotions)
write_metrics(
    predictions_path=predictions,
    metrics_path=snakemake.output[0],  # noqa: F821
    emotions=params.emotions,
    n_resamples=params.evaluation["bootstrap_resamples"],
    ci_level=params.evaluation["ci_level"],
    seed=params.seed,
    fusion_info_path=inputs.get("fusion_info"),
    level_path=inputs.get("level"),
    split_path=inputs.get("split"),
    replicate_key=f"{wildcards.system}/train{wildcards.train_level}",
    log=log,
)
