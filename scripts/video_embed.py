"""Rule video_embeddings: per-frame backbone embeddings of a group of face shards' crops."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.video.embed_steps import embed_shard  # noqa: E402

embed_shard(
    list(snakemake.input.faces),  # noqa: F821
    snakemake.params.cfg,  # noqa: F821
    snakemake.output[0],  # noqa: F821
    threads=snakemake.threads,  # noqa: F821
)
