"""Heatmap of one system's 5x5 cross-evaluation."""

import sys

import pandas as pd

from emoagree.report.figures import crosseval_heatmap

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

frame = pd.read_csv(snakemake.input[0], index_col="train_level")  # noqa: F821
title = f"UAR (%) of {snakemake.params.label}: train level x test level"  # noqa: F821
crosseval_heatmap(frame, title, snakemake.output[0])  # noqa: F821
