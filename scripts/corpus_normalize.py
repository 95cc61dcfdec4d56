"""Rule corpus_normalize: read the configured corpus and write the normalized tables.

A problem with the corpus (a table row, a media file, a label) ends the job with the
adapter's own message, naming the file, row and problem, as the log's last line and on
the console, without a traceback; anything else is a bug and keeps its traceback. The
marks dropped and the recordings without marks are said on the console too.
"""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

import os  # noqa: E402

from emoagree.contracts.corpus import (  # noqa: E402
    write_dropped,
    write_normalized,
    write_unmarked,
)
from emoagree.corpus import CorpusError, read_corpus  # noqa: E402
from emoagree.corpus.checks import check_corpus  # noqa: E402
from emoagree.corpus.plan import check_against_plan  # noqa: E402
from emoagree.joblog import console, refuse  # noqa: E402

params, output = snakemake.params, snakemake.output  # noqa: F821
try:
    recordings, annotations = read_corpus(params.format, params.path,
                                          tolerance_s=params.tolerance_s)
    check_against_plan(recordings, params.planned)
    annotations, dropped, unmarked, notes = check_corpus(
        recordings, annotations, params.emotions, fold_labels=params.fold_labels,
        label_map=params.label_map, accept_empty_media=params.accept_empty_media)
except CorpusError as error:
    refuse("corpus", error)
write_normalized(recordings, annotations, os.path.dirname(output.recordings))
write_dropped(dropped, output.dropped)
write_unmarked(unmarked, output.unmarked)
console(f"corpus: {len(recordings)} recordings, {len(annotations)} marks; "
        + "; ".join(notes))
