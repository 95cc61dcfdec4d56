"""Rule audio_functionals: one level's ComParE functionals, assembled from the stretch
cache that the audio_functionals_shard jobs filled."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_assemble_functionals  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
run_assemble_functionals(
    inp.level,
    params.audio_paths,
    params.level,
    params.min_duration_s,
    params.cache,
    out.features,
    out.counts,
)
