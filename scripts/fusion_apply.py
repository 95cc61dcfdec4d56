"""Fuse one test level's audio and video predictions, each interval with the weights of
the fold that tested it (rule fusion_apply)."""

import sys

from emoagree.fusion.weighted import run_apply

sys.stderr = log = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

run_apply(
    weights_paths=list(snakemake.input.weights),  # noqa: F821
    audio_path=snakemake.input.audio,  # noqa: F821
    video_path=snakemake.input.video,  # noqa: F821
    predictions_path=snakemake.output.predictions,  # noqa: F821
    info_path=snakemake.output.info,  # noqa: F821
    emotions=snakemake.params.emotions,  # noqa: F821
    fusion_settings=snakemake.params.fusion,  # noqa: F821
    seed=snakemake.params.seed,  # noqa: F821
    level_csv=snakemake.input.level,  # noqa: F821
    n_folds=snakemake.params.n_folds,  # noqa: F821
    log=log,
)
