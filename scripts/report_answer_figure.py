"""The answer's figure (headline system) and its companion (one panel per system)."""

import sys

from emoagree.contracts.crosseval import read_crosseval
from emoagree.joblog import log_to
from emoagree.report.answer_figure import answer_figure, systems_figure
from emoagree.report.tables import load_json, train_sample_counts

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

p = snakemake.params  # noqa: F821
inputs, outputs = snakemake.input, snakemake.output  # noqa: F821
counts = train_sample_counts(dict(zip(p.levels, inputs.levels, strict=True)), p.folds)
answer = load_json(inputs.answer)
answer_figure(answer, counts, outputs.png)
means = {}
for system, path in zip(p.systems, inputs.crosseval, strict=True):
    frame = read_crosseval(path)
    means[system] = {str(row): float(value) for row, value in frame["mean"].items()}
systems_figure(means, answer, outputs.systems_png)
print(f"train samples per level: {counts}", file=sys.stderr)
