"""Table 2: every system trained and tested on the same level (CSV and Markdown)."""

import json

from emoagree.joblog import log_to
from emoagree.report.tables import build_table2, load_cells, paper_markdown, write_text

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

cells = load_cells(snakemake.params.cells, snakemake.input.metrics)  # noqa: F821
best = json.load(open(snakemake.input.best))["system"]  # noqa: F821
best = best if best.startswith("fusion_") else None
table, md = build_table2(cells, snakemake.params.systems, best, snakemake.params.levels,  # noqa: F821
                         labels=snakemake.params.labels)  # noqa: F821
if snakemake.params.corpus_format == "ramas":  # noqa: F821
    md += "\n" + paper_markdown(2)
table.to_csv(snakemake.output.csv, index=False)  # noqa: F821
write_text(snakemake.output.md, md)  # noqa: F821
