"""Choose fusion weights for every fold of one train level, each on its own fold's
validation predictions (rule fusion_weights)."""

import sys

from emoagree.fusion.weighted import run_weight_search

sys.stderr = log = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

inputs, outputs, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
folds = zip(inputs.audio, inputs.video, outputs.weights, outputs.val, strict=True)
for audio, video, weights, val in folds:
    run_weight_search(
        audio_path=audio,
        video_path=video,
        weights_path=weights,
        val_predictions_path=val,
        emotions=params.emotions,
        fusion_settings=params.fusion,
        seed=params.seed,
        log=log,
    )
