"""Write the demo corpus (RAMAS layout + hidden truth) under the configured corpus path."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.corpus.demo import generate_demo  # noqa: E402

generate_demo(
    root=snakemake.params.root,  # noqa: F821
    demo=dict(snakemake.params.demo),  # noqa: F821
    emotions=list(snakemake.params.emotions),  # noqa: F821
    seed=int(snakemake.params.seed),  # noqa: F821
    threads=snakemake.threads,  # noqa: F821
)
