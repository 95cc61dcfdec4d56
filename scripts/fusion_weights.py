"""Choose fusion weights for every fold of one train level (rule fusion_weights): with
K >= 3 folds each fold's weights are cross-fitted on the other folds' validation
predictions (see emoagree.fusion.steps); replicate r's on replicate r's."""

from emoagree.fusion.steps import run_weight_search
from emoagree.joblog import log_to
from emoagree.training.replicates import by_replicate

log = log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

inputs, outputs, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
replicates = zip(
    *(by_replicate(files, params.n_replicates)
      for files in (inputs.audio, inputs.video, outputs.weights, outputs.val)),
    strict=True,
)
for audio, video, weights, val in replicates:
    run_weight_search(
        audio_paths=audio,
        video_paths=video,
        weights_paths=weights,
        val_predictions_paths=val,
        emotions=params.emotions,
        fusion_settings=params.fusion,
        seed=params.seed,
        log=log,
        n_folds=params.n_folds,
    )
