"""Rule audio_predict_lstm, one (audio_lstm, train level, test level) cell: the LSTMs of
train level i (one per fold, for every training replicate) on the test intervals of level
j (CPU), then the cell's metrics; the same LSTMs on level j's intervals of each fold's
validation part (val{j}: the validation cross-evaluation) and its metrics."""

import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.lstm_steps import run_predict_lstm  # noqa: E402
from emoagree.evaluation.cells import score_cell_parts  # noqa: E402
from emoagree.training.replicates import by_replicate  # noqa: E402

inp, out, params, wc = snakemake.input, snakemake.output, snakemake.params, snakemake.wildcards  # noqa: F821
models = by_replicate(inp.models, params.n_replicates)
for fold_models, predictions, val in zip(models, out.predictions, out.val, strict=True):
    run_predict_lstm(
        fold_models,
        inp.level,
        inp.lld,
        params.audio_paths,
        params.min_duration_s,
        params.emotions,
        "cpu",
        predictions,
        threads=snakemake.threads,  # noqa: F821
        n_folds=params.n_folds,
        val_out=val,
    )
score_cell_parts(
    out.predictions, out.val, out.metrics, out.val_metrics, inp.level, inp.split,
    params.emotions, params.evaluation, params.seed, f"audio_lstm/train{wc.train_level}",
    n_folds=params.n_folds, log=sys.stderr,
)
