"""The figure on the report's front page, embedded (answer figure, else the trade-off)."""

from emoagree.joblog import log_to
from emoagree.report.front import write_figure_rst

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

write_figure_rst(snakemake.input.png, snakemake.params.alt, snakemake.output[0])  # noqa: F821
