"""Rule audio_predict_classic, one (system, train level, test level) cell: the audio_svm /
audio_lr models of train level i (one per fold, for every training replicate) on the test
intervals of level j, then the cell's metrics; the train-only models (what each fold's
val.csv comes from) on level j's intervals of each fold's validation part (val{j}: the
validation cross-evaluation) and its metrics."""

import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_predict_classic  # noqa: E402
from emoagree.evaluation.cells import score_cell_parts  # noqa: E402
from emoagree.training.replicates import by_replicate  # noqa: E402

inp, out, params, wc = snakemake.input, snakemake.output, snakemake.params, snakemake.wildcards  # noqa: F821
models = by_replicate(inp.models, params.n_replicates)
val_models = by_replicate(inp.val_models, params.n_replicates)
cells = zip(models, val_models, out.predictions, out.val, strict=True)
for fold_models, fold_val_models, predictions, val in cells:
    run_predict_classic(
        fold_models, inp.level, inp.features, params.emotions, predictions, params.n_folds,
        val_out=val, val_model_paths=fold_val_models,
    )
score_cell_parts(
    out.predictions, out.val, out.metrics, out.val_metrics, inp.level, inp.split,
    params.emotions, params.evaluation, params.seed, f"{wc.system}/train{wc.train_level}",
    n_folds=params.n_folds, log=sys.stderr,
)
