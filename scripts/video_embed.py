"""Rule video_embeddings: per-frame backbone embeddings of one recording's face crops."""

import logging
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from emoagree.video.pipeline import embed_recording  # noqa: E402

embed_recording(
    snakemake.input.faces,  # noqa: F821
    snakemake.params.cfg,  # noqa: F821
    snakemake.output[0],  # noqa: F821
    threads=snakemake.threads,  # noqa: F821
)
