"""Rule audio_predict_classic: the audio_svm / audio_lr models of train level i (one per
fold) on the test intervals of level j."""

from emoagree.audio.runlog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_predict_classic  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
run_predict_classic(
    list(inp.models), inp.level, inp.features, params.emotions, out.predictions, params.n_folds
)
