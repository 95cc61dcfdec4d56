"""Rule report_truth_accuracy_figure (demo): label accuracy against the hidden truth per level."""

import sys

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

import pandas as pd  # noqa: E402

from emoagree.contracts.levels import read_level  # noqa: E402
from emoagree.levels.truth import label_accuracy  # noqa: E402
from emoagree.report.corpus_figures import truth_accuracy  # noqa: E402

params, inputs = snakemake.params, snakemake.input  # noqa: F821
truth = pd.read_csv(inputs.truth, dtype={"recording": str})
shares = {
    level: label_accuracy(read_level(path), truth)
    for level, path in zip(params.levels, inputs.levels, strict=True)
}
truth_accuracy(shares, snakemake.output.png)  # noqa: F821
print(f"label accuracy per level: {shares}", file=sys.stderr)
