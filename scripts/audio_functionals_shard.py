"""Rule audio_functionals_shard: ComParE functionals of a shard's stretches not yet cached."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.steps import run_functionals_shard  # noqa: E402

inp, out, params = snakemake.input, snakemake.output, snakemake.params  # noqa: F821
run_functionals_shard(
    dict(zip(map(str, params.levels), inp.levels, strict=True)),
    params.min_duration_s,
    dict(zip(params.recordings, inp.wavs, strict=True)),
    params.cache,
    snakemake.threads,  # noqa: F821
    out.manifest,
)
