"""The paper's Tables 2 and 3 as CSV (RAMAS only), labelled as the paper's."""

from emoagree.joblog import log_to
from emoagree.report.paper import paper_table2, paper_table3

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

paper_table2().to_csv(snakemake.output.table2)  # noqa: F821
paper_table3().to_csv(snakemake.output.table3)  # noqa: F821
