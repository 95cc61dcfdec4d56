"""Rule corpus: read the configured corpus and write the normalized tables."""

import logging
import os
import sys

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821 (snakemake is injected)
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(message)s")

from emoagree.corpus import read_corpus, write_normalized  # noqa: E402
from emoagree.corpus.plan import check_against_plan  # noqa: E402

params = snakemake.params  # noqa: F821
recordings, annotations = read_corpus(params.format, params.path, tolerance_s=params.tolerance_s)
check_against_plan(recordings, params.planned)
write_normalized(recordings, annotations, os.path.dirname(snakemake.output.recordings))  # noqa: F821
logging.info("wrote %d recordings and %d marks", len(recordings), len(annotations))
