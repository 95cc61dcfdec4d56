"""Rule fusion_apply, one fused (train level, test level) cell: fuse the test level's audio
and video predictions, each interval with the weights of the fold that tested it (replicate
r of each system with replicate r's weights); then the cell's metrics (with what the
fusion applied). The same for level j's intervals of each fold's validation part (val{j},
the validation cross-evaluation), with that fold's weights."""

from emoagree.evaluation.cells import score_cell_parts
from emoagree.fusion.steps import run_apply
from emoagree.joblog import log_to
from emoagree.training.replicates import by_replicate

log = log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

inp, out, params, wc = snakemake.input, snakemake.output, snakemake.params, snakemake.wildcards  # noqa: F821
replicates = zip(
    by_replicate(inp.weights, params.n_replicates),
    inp.audio,
    inp.video,
    out.predictions,
    out.info,
    inp.val_audio,
    inp.val_video,
    out.val,
    strict=True,
)
for weights, audio, video, predictions, info, *val in replicates:
    run_apply(
        weights_paths=weights,
        audio_path=audio,
        video_path=video,
        predictions_path=predictions,
        info_path=info,
        emotions=params.emotions,
        fusion_settings=params.fusion,
        seed=params.seed,
        level_csv=inp.level,
        n_folds=params.n_folds,
        log=log,
        val_paths=tuple(val),
    )
system = f"fusion_{wc.audio_system}_{wc.video_system}"
# val{j}: fused with val-chosen weights whatever fusion.selection says (never optimistic)
score_cell_parts(
    out.predictions, out.val, out.metrics, out.val_metrics, inp.level, inp.split,
    params.emotions, params.evaluation, params.bootstrap_seed,
    f"{system}/train{wc.train_level}", n_folds=params.n_folds,
    fusion_info_path=out.info[0], log=log,
)
