"""Rule video_predict, one (video system, train level, test level) cell: each test interval
of level j = mean of the frame scores of the model of the fold that tested it (for every
training replicate); then the cell's metrics."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from emoagree.evaluation.cells import score_cell  # noqa: E402
from emoagree.replicates import by_replicate  # noqa: E402
from emoagree.video.pipeline import predict_level  # noqa: E402

inp, out, params, wc = snakemake.input, snakemake.output, snakemake.params, snakemake.wildcards  # noqa: F821
scores = by_replicate(inp.scores, params.n_replicates)
for fold_scores, predictions in zip(scores, out.predictions, strict=True):
    predict_level(
        fold_scores, inp.level, inp.faces, params.emotions, predictions, n_folds=params.n_folds
    )
score_cell(
    list(out.predictions), out.metrics, inp.level, inp.split, params.emotions,
    params.evaluation, params.seed, replicate_key=f"{wc.video_system}/train{wc.train_level}",
    log=sys.stderr,
)
