"""Rule audio_train_classic: fit every fold's audio_svm or audio_lr on a train level (one
replicate) and write their val predictions."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_train_classic  # noqa: E402
from emoagree.training.fold_jobs import each_fold  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
for fold, paths in each_fold(params.folds, model=out.model, report=out.report, val=out.val,
                             val_model=out.val_model):
    run_train_classic(
        params.system,
        inp.level,
        inp.features,
        params.emotions,
        params.settings,
        params.seed,
        paths["model"],
        paths["report"],
        paths["val"],
        fold=fold,
        n_folds=params.n_folds,
        arm=getattr(params, "arm", None),
        split_strategy=params.split_strategy,
        val_model_out=paths["val_model"],
    )
