"""Rule audio_train_lstm: every fold's LSTM over cached LLD sequences of a train level (one
replicate; early stopping on each fold's val split, resumable checkpoints) and their val
predictions."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.lstm_steps import run_train_lstm  # noqa: E402
from emoagree.training.fold_jobs import each_fold, remove_checkpoints  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
for fold, paths in each_fold(params.folds, model=out.model, val=out.val,
                             checkpoint=params.checkpoint):
    run_train_lstm(
        inp.level,
        inp.lld,
        params.audio_paths,
        params.emotions,
        params.settings,
        params.seed,
        params.settings["device"],
        paths["model"],
        paths["checkpoint"],
        paths["val"],
        threads=snakemake.threads,  # noqa: F821
        fold=fold,
        n_folds=params.n_folds,
        arm=getattr(params, "arm", None),
        curriculum=getattr(params, "curriculum", None),
        keep_checkpoint=True,
    )
remove_checkpoints(params.checkpoint)
