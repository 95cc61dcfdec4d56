"""Choose fusion weights on a train level's validation predictions (rule fusion_weights)."""

import sys

from emoagree.fusion.weighted import run_weight_search

sys.stderr = log = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

run_weight_search(
    audio_path=snakemake.input.audio,  # noqa: F821
    video_path=snakemake.input.video,  # noqa: F821
    weights_path=snakemake.output.weights,  # noqa: F821
    val_predictions_path=snakemake.output.val,  # noqa: F821
    emotions=snakemake.params.emotions,  # noqa: F821
    fusion_settings=snakemake.params.fusion,  # noqa: F821
    seed=snakemake.params.seed,  # noqa: F821
    log=log,
)
