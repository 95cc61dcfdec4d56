"""Rule video_predict: one test level's intervals = mean of the frame scores of
the model of the fold that tested each interval."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from emoagree.video.pipeline import predict_level  # noqa: E402

predict_level(
    list(snakemake.input.scores),  # noqa: F821
    snakemake.input.level,  # noqa: F821
    snakemake.input.faces,  # noqa: F821
    snakemake.params.emotions,  # noqa: F821
    snakemake.output[0],  # noqa: F821
    n_folds=snakemake.params.n_folds,  # noqa: F821
)
