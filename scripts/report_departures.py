"""Rule report_departures: where this run's settings differ from config/ramas_paper.yaml."""

import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.report.departures import write_departures  # noqa: E402

table = write_departures(
    snakemake.params.run,  # noqa: F821
    paper_file=snakemake.input.paper,  # noqa: F821
    defaults_file=snakemake.input.defaults,  # noqa: F821
    csv_out=snakemake.output.csv,  # noqa: F821
    md_out=snakemake.output.md,  # noqa: F821
    rst_out=snakemake.output.rst,  # noqa: F821
)
print(f"{len(table)} settings differ from the paper's", file=sys.stderr)
for row in table.itertuples(index=False):
    print(f"  {row.key}: run {row.run}, paper {row.paper}", file=sys.stderr)
