"""Rules audio_predict_classic / audio_predict_lstm: one audio model (train level i) on
the test split of one level j."""

from emoagree.audio.runlog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_predict_classic, run_predict_lstm  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
if params.system == "audio_lstm":
    run_predict_lstm(
        inp.model,
        inp.level,
        inp.lld,
        params.audio_paths,
        params.min_duration_s,
        params.emotions,
        "cpu",
        out.predictions,
        threads=snakemake.threads,  # noqa: F821
    )
else:
    run_predict_classic(inp.model, inp.level, inp.features, params.emotions, out.predictions)
