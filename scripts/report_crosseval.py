"""The numeric 5x5 cross-evaluation table of one system."""

from emoagree.contracts.crosseval import write_crosseval
from emoagree.joblog import log_to
from emoagree.report.tables import crosseval_frame, load_cells

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

cells = load_cells(snakemake.params.cells, snakemake.input.metrics)  # noqa: F821
p = snakemake.params  # noqa: F821
frame = crosseval_frame(cells, snakemake.wildcards.system, p.levels, p.train_rows)  # noqa: F821
write_crosseval(frame, snakemake.output[0])  # noqa: F821
