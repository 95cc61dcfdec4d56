"""Rule audio_lld: eGeMAPS + MFCC LLDs (with deltas) of every recording of one shard."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.lld import cache_shard_lld  # noqa: E402

cache_shard_lld(
    dict(zip(snakemake.params.recordings, snakemake.input.wavs, strict=True)),  # noqa: F821
    snakemake.output.lld,  # noqa: F821
    snakemake.input.mfcc_config,  # noqa: F821
    threads=snakemake.threads,  # noqa: F821
)
