"""Rule evaluation_metrics_val: pool the fold models' val predictions into the system's
val.csv (one per training replicate) and score them (UAR, per-class recall, confusion,
coverage and a bootstrap interval over val intervals). Test cells are scored by the job
that predicts them (score_cell)."""

from emoagree.contracts.predictions import pool_prediction_files
from emoagree.evaluation.cells import write_metrics
from emoagree.joblog import log_to
from emoagree.training.replicates import by_replicate

log = log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

inputs, output, params, wildcards = (  # noqa: F821
    snakemake.input, snakemake.output, snakemake.params, snakemake.wildcards  # noqa: F821
)
folds = by_replicate(inputs.folds, params.n_replicates)
for fold_files, pooled in zip(folds, output.predictions, strict=True):
    pool_prediction_files(fold_files, pooled, params.emotions, params.n_repeats)
write_metrics(
    predictions_path=list(output.predictions),
    metrics_path=output.metrics,
    emotions=params.emotions,
    n_resamples=params.evaluation["bootstrap_resamples"],
    ci_level=params.evaluation["ci_level"],
    seed=params.seed,
    replicate_key=f"{wildcards.system}/train{wildcards.train_level}",
    log=log,
    repeats=params.n_repeats,
)
