"""UAR, per-class recall, confusion, coverage and bootstrap interval of one prediction file."""

import sys

from emoagree.evaluation import write_metrics

sys.stderr = log = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

write_metrics(
    predictions_path=snakemake.input.predictions,  # noqa: F821
    metrics_path=snakemake.output[0],  # noqa: F821
    emotions=snakemake.params.emotions,  # noqa: F821
    n_resamples=snakemake.params.evaluation["bootstrap_resamples"],  # noqa: F821
    ci_level=snakemake.params.evaluation["ci_level"],  # noqa: F821
    seed=snakemake.params.seed,  # noqa: F821
    fusion_info_path=snakemake.input.get("fusion_info"),  # noqa: F821
    log=log,
)
