"""Table 3: the 5x5 cross-evaluation of the headline system (CSV and Markdown)."""

import json

from emoagree.joblog import log_to
from emoagree.report.tables import build_table3, load_cells, paper_markdown, write_text

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

cells = load_cells(snakemake.params.cells, snakemake.input.metrics)  # noqa: F821
best = json.load(open(snakemake.input.best))["system"]  # noqa: F821
rows = snakemake.params.train_rows[best]  # noqa: F821 (levels and the arms it has)
table, md = build_table3(
    cells, best, snakemake.params.levels, rows, labels=snakemake.params.labels  # noqa: F821
)
if snakemake.params.corpus_format == "ramas":  # noqa: F821
    md += "\n" + paper_markdown(3)
table.to_csv(snakemake.output.csv, index=False)  # noqa: F821
write_text(snakemake.output.md, md)  # noqa: F821
