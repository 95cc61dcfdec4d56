"""Trade-off plot: train sample count (mean over folds) and mean UAR over test levels per
train level."""

from emoagree.contracts.crosseval import read_crosseval
from emoagree.joblog import log_to
from emoagree.report.figures import tradeoff_plot
from emoagree.report.tables import load_json, train_row, train_sample_counts

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

p = snakemake.params  # noqa: F821
level_paths = dict(zip(p.levels, snakemake.input.levels, strict=True))  # noqa: F821
counts = train_sample_counts(level_paths, p.folds)
answer = load_json(snakemake.input.answer)  # noqa: F821
others = {}
for system, path in zip(p.systems, snakemake.input.crosseval, strict=True):  # noqa: F821
    if system != answer["system"]:
        frame = read_crosseval(path)
        frame.index = [train_row(i) for i in frame.index]  # levels and arm rows (Mw, ...)
        others[system] = frame.loc[p.levels, "mean"]
tradeoff_plot(counts, answer, others, snakemake.output.png)  # noqa: F821
