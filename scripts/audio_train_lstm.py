"""Rule audio_train_lstm: fold f's LSTM over cached LLD sequences of a train level (early
stopping on its val split, resumable checkpoint) and its val predictions."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.lstm_steps import run_train_lstm  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
run_train_lstm(
    inp.level,
    inp.lld,
    params.audio_paths,
    params.emotions,
    params.settings,
    params.seed,
    params.settings["device"],
    out.model,
    params.checkpoint,
    out.val,
    threads=snakemake.threads,  # noqa: F821
    fold=params.fold,
    n_folds=params.n_folds,
    arm=getattr(params, "arm", None),
    curriculum=getattr(params, "curriculum", None),
)
