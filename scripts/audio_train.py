"""Rules audio_train_classic / audio_train_lstm: fit one audio system on a train level
and write its predictions on that level's validation split."""

from emoagree.audio.runlog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_train_classic, run_train_lstm  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
if params.system == "audio_lstm":
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
    )
else:
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
    )
