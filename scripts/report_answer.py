"""The study's answer: the train level with the highest mean UAR, with paired bootstrap."""

import sys

from emoagree.report import write_answer

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

p = snakemake.params  # noqa: F821
write_answer(
    best_path=snakemake.input.best,  # noqa: F821
    prediction_paths=dict(zip(map(tuple, p.cells), snakemake.input.predictions, strict=True)),  # noqa: F821
    crosseval_paths=dict(zip(p.systems, snakemake.input.crosseval, strict=True)),  # noqa: F821
    levels=p.levels,
    emotions=p.emotions,
    evaluation=p.evaluation,
    seed=p.seed,
    optimistic=p.optimistic,
    outputs=snakemake.output,  # noqa: F821
    labels=p.labels,
)
