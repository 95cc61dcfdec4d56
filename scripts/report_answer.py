"""The study's answer: the confidence set for the best train row, the validation-chosen
row's test mean, each fusion beside its better member, from the shared cluster bootstrap."""

from emoagree.joblog import log_to
from emoagree.report.answer import write_answer

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

inputs, p = snakemake.input, snakemake.params  # noqa: F821
# each cell's prediction files, one per training replicate (listed cell by cell)
files = [inputs.predictions[k : k + p.n_replicates]
         for k in range(0, len(inputs.predictions), p.n_replicates)]
predictions = {tuple(key): paths for key, paths in zip(p.cells, files, strict=True)}
validation = dict(zip(map(tuple, p.validation_cells), inputs.validation, strict=True))
write_answer(
    best_path=inputs.best,
    prediction_paths=predictions,
    crosseval_paths=dict(zip(p.systems, inputs.crosseval, strict=True)),
    level_paths=dict(zip(p.levels, inputs.levels, strict=True)),
    split_path=inputs.split,
    levels=p.levels,
    emotions=p.emotions,
    evaluation=p.evaluation,
    seed=p.seed,
    optimistic=p.optimistic,
    outputs=snakemake.output,  # noqa: F821
    protocol=p.protocol,
    labels=p.labels,
    arm_rows=p.arm_rows,
    fusions=p.fusions,
    validation_paths=validation or None,
    arm_notes=p.arm_notes,
)
