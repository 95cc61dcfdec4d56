"""Heatmap of one system's 5x5 cross-evaluation."""

import pandas as pd

from emoagree.joblog import log_to
from emoagree.report.figures import crosseval_heatmap
from emoagree.report.style import short_name

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

frame = pd.read_csv(snakemake.input[0], index_col="train_level")  # noqa: F821
title = f"UAR (%) of {short_name(snakemake.wildcards.system)}"  # noqa: F821
crosseval_heatmap(frame, title, snakemake.output.png)  # noqa: F821
