"""Rule metrics_val: pool the fold models' val predictions into the system's val.csv and
score it (UAR, per-class recall, confusion, coverage and a bootstrap interval over val
intervals). Test cells are scored by the job that predicts them (score_cell)."""

import sys

from emoagree.evaluation.cells import write_metrics
from emoagree.predictions import pool_prediction_files

sys.stderr = log = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

inputs, output, params, wildcards = (  # noqa: F821
    snakemake.input, snakemake.output, snakemake.params, snakemake.wildcards  # noqa: F821
)
pool_prediction_files(list(inputs.folds), output.predictions, params.emotions)
write_metrics(
    predictions_path=output.predictions,
    metrics_path=output.metrics,
    emotions=params.emotions,
    n_resamples=params.evaluation["bootstrap_resamples"],
    ci_level=params.evaluation["ci_level"],
    seed=params.seed,
    replicate_key=f"{wildcards.system}/train{wildcards.train_level}",
    log=log,
)
