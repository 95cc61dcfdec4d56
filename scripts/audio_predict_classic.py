"""Rule audio_predict_classic: an audio_svm / audio_lr model (train level i) on the test
split of level j."""

from emoagree.audio.runlog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_predict_classic  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
run_predict_classic(inp.model, inp.level, inp.features, params.emotions, out.predictions)
