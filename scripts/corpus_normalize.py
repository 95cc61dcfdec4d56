"""Rule corpus: read the configured corpus and write the normalized tables.

A problem with the corpus (a table row, a media file, a label) ends the job with the
adapter's own message, naming the file, row and problem, as the log's last line and
without a traceback; anything else is a bug and keeps its traceback.
"""

from emoagree.audio.runlog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

import logging  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from emoagree.corpus import CorpusError, read_corpus, write_normalized  # noqa: E402
from emoagree.corpus.labels import check_labels, write_dropped  # noqa: E402
from emoagree.corpus.plan import check_against_plan  # noqa: E402

params, output = snakemake.params, snakemake.output  # noqa: F821
try:
    recordings, annotations = read_corpus(params.format, params.path,
                                          tolerance_s=params.tolerance_s)
    check_against_plan(recordings, params.planned)
    annotations, dropped = check_labels(annotations, params.emotions,
                                        fold_labels=params.fold_labels)
except CorpusError as error:
    print(f"corpus error: {error}", file=sys.stderr, flush=True)
    sys.exit(1)
write_normalized(recordings, annotations, os.path.dirname(output.recordings))
write_dropped(dropped, output.dropped)
logging.info("wrote %d recordings and %d marks", len(recordings), len(annotations))
