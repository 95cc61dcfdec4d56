"""Heatmap of one system's 5x5 cross-evaluation."""

from emoagree.contracts.crosseval import read_crosseval
from emoagree.joblog import log_to
from emoagree.report.figures import crosseval_heatmap
from emoagree.report.style import short_name

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

frame = read_crosseval(snakemake.input[0])  # noqa: F821
title = f"UAR (%) of {short_name(snakemake.wildcards.system)}"  # noqa: F821
crosseval_heatmap(frame, title, snakemake.output.png)  # noqa: F821
