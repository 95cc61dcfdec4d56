"""Rule audio_functionals: ComParE_2016 functionals of every interval of one level."""

from emoagree.audio.runlog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_functionals  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
run_functionals(
    inp.level,
    params.audio_paths,
    params.level,
    params.min_duration_s,
    snakemake.threads,  # noqa: F821
    out.features,
    out.counts,
)
