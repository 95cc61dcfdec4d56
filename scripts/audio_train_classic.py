"""Rule audio_train_classic: fit every fold's audio_svm or audio_lr on a train level (one
replicate) and write their val predictions; the folds side by side on the job's threads
(emoagree.training.fold_jobs.run_folds)."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from functools import partial  # noqa: E402

from emoagree.audio.steps import run_train_classic  # noqa: E402
from emoagree.training.fold_jobs import run_folds  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
train_fold = partial(
    run_train_classic,
    params.system,
    str(inp.level),
    str(inp.features),
    list(params.emotions),
    dict(params.settings),
    params.seed,
    n_folds=params.n_folds,
    arm=getattr(params, "arm", None),
    split_strategy=params.split_strategy,
)
run_folds(
    train_fold,
    params.folds,
    workers=snakemake.threads,  # noqa: F821
    log_path=snakemake.log[0],  # noqa: F821
    model_out=out.model,
    report_out=out.report,
    val_out=out.val,
    val_model_out=out.val_model,
)
