"""The figure on the report's front page, embedded (answer figure, else the trade-off)."""

import sys

from emoagree.report.front import write_figure_rst

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

write_figure_rst(snakemake.input.png, snakemake.params.alt, snakemake.output[0])  # noqa: F821
