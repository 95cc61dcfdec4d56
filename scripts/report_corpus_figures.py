"""Rule report_corpus_figures: Figures 1-3 (annotation example, counts, interval lengths)."""

import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.contracts.corpus import read_annotations  # noqa: E402
from emoagree.contracts.levels import read_level  # noqa: E402
from emoagree.report import corpus_figures  # noqa: E402

params, inputs, outputs = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
levels = {k: read_level(path) for k, path in zip(params.levels, inputs.levels, strict=True)}
drawn = corpus_figures.annotation_example(
    read_annotations(inputs.annotations), levels, params.emotions, outputs.example
)
corpus_figures.sample_counts(levels, params.emotions, outputs.counts, params.folds)
corpus_figures.interval_lengths(levels, outputs.lengths)
print(f"Figure 1 shows recording {drawn}", file=sys.stderr)
