"""Rule video_predict, one (video system, train level, test level) cell: each test interval
of level j = mean of the frame scores of the model of the fold that tested it (for every
training replicate); then the cell's metrics. The same for level j's intervals of each
fold's validation part (val{j}: the validation cross-evaluation), with the frame scores of
a model that did not learn them (the forest fitted on train alone; the network itself)."""

import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.evaluation.cells import score_cell_parts  # noqa: E402
from emoagree.training.replicates import by_replicate  # noqa: E402
from emoagree.video.steps import predict_level  # noqa: E402

inp, out, params, wc = snakemake.input, snakemake.output, snakemake.params, snakemake.wildcards  # noqa: F821
scores = by_replicate(inp.scores, params.n_replicates)
val_scores = by_replicate(inp.val_scores, params.n_replicates)
cells = zip(scores, val_scores, out.predictions, out.val, strict=True)
for fold_scores, fold_val_scores, predictions, val in cells:
    predict_level(
        fold_scores, inp.level, inp.faces, params.emotions, predictions, n_folds=params.n_folds,
        val_out=val, val_frame_scores=fold_val_scores,
    )
score_cell_parts(
    out.predictions, out.val, out.metrics, out.val_metrics, inp.level, inp.split,
    params.emotions, params.evaluation, params.seed, f"{wc.video_system}/train{wc.train_level}",
    n_folds=params.n_folds, log=sys.stderr,
)
