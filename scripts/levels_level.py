"""Rule levels_table: one level's intervals, each inheriting the split of its level-1 interval."""

import logging

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.contracts.corpus import read_annotations, read_recordings  # noqa: E402
from emoagree.contracts.levels import write_level  # noqa: E402
from emoagree.contracts.split import read_split  # noqa: E402
from emoagree.corpus.errors import CorpusError  # noqa: E402
from emoagree.corpus.labels import check_level_emotions  # noqa: E402
from emoagree.joblog import refuse  # noqa: E402
from emoagree.levels.build import level_table  # noqa: E402
from emoagree.levels.folds import split_counts  # noqa: E402

params = snakemake.params  # noqa: F821
try:
    table = level_table(
        read_annotations(snakemake.input.annotations),  # noqa: F821
        read_recordings(snakemake.input.recordings),  # noqa: F821
        params.level, read_split(snakemake.input.split),  # noqa: F821
        params.emotions, params.min_duration_s,
    )
    logging.info("level %s: %d intervals %s", params.level, len(table), split_counts(table))
    check_level_emotions(table, params.level, params.emotions)  # before any model is planned
except (CorpusError, ValueError) as error:  # a level the data cannot give: one line
    refuse("level", error)
write_level(table, snakemake.output[0])  # noqa: F821
