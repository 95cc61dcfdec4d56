"""Rule audio_train_classic: fit fold f's audio_svm or audio_lr on a train level and write
its val predictions."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_train_classic  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
run_train_classic(
    params.system,
    inp.level,
    inp.features,
    params.emotions,
    params.settings,
    params.seed,
    out.model,
    out.report,
    out.val,
    fold=params.fold,
    n_folds=params.n_folds,
    arm=getattr(params, "arm", None),
    split_strategy=params.split_strategy,
    val_model_out=out.val_model,
)
