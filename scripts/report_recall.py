"""Per-class recall of the headline system, trained and tested on each level."""

from emoagree.joblog import log_to
from emoagree.report.figures import recall_plot
from emoagree.report.tables import load_cells, load_json

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

p = snakemake.params  # noqa: F821
cells = load_cells(p.cells, snakemake.input.metrics)  # noqa: F821
system = load_json(snakemake.input.best)["system"]  # noqa: F821
recalls = {k: cells[(system, k, k)]["recall"] for k in p.levels}
recall_plot(recalls, p.emotions, system, snakemake.output.png)  # noqa: F821
