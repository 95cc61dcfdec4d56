"""Rule audio_lld: eGeMAPS + MFCC LLDs (with deltas) of one recording, cached once."""

from emoagree.audio.runlog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.audio.lld import cache_recording_lld  # noqa: E402

cache_recording_lld(
    snakemake.input.wav,  # noqa: F821
    snakemake.output.lld,  # noqa: F821
    snakemake.input.mfcc_config,  # noqa: F821
    threads=snakemake.threads,  # noqa: F821
)
