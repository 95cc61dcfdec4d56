"""Rule levels_intervals: all levels in one table, for people and tables (rules read the levels)."""

import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

import pandas as pd  # noqa: E402

from emoagree.contracts.levels import read_level, write_level  # noqa: E402

tables = [read_level(path) for path in snakemake.input]  # noqa: F821
write_level(pd.concat(tables, ignore_index=True), snakemake.output[0])  # noqa: F821
print(f"{sum(map(len, tables))} intervals over {len(tables)} levels", file=sys.stderr)
