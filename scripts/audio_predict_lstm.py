"""Rule audio_predict_lstm: the LSTMs of train level i (one per
fold) on the test intervals of level j (CPU)."""

from emoagree.audio.runlog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.lstm_steps import run_predict_lstm  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
run_predict_lstm(
    list(inp.models),
    inp.level,
    inp.lld,
    params.audio_paths,
    params.min_duration_s,
    params.emotions,
    "cpu",
    out.predictions,
    threads=snakemake.threads,  # noqa: F821
    n_folds=params.n_folds,
)
