"""The study's answer: the train level with the highest mean UAR, with paired bootstrap."""

import json
import sys

from emoagree.predictions import read_predictions
from emoagree.report import answer_text, load_json, study_answer, write_text

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

p = snakemake.params  # noqa: F821
system = load_json(snakemake.input.best)["system"]  # noqa: F821
paths = dict(zip(map(tuple, p.cells), snakemake.input.predictions, strict=True))  # noqa: F821
tables = {
    (i, j): read_predictions(paths[(system, i, j)], p.emotions) for i in p.levels for j in p.levels
}
optimistic = p.optimistic and system.startswith("fusion_")
answer = study_answer(
    tables,
    system,
    p.levels,
    p.emotions,
    p.evaluation["bootstrap_resamples"],
    p.seed,
    p.evaluation["ci_level"],
    optimistic,
)
write_text(snakemake.output.json, json.dumps(answer, indent=2) + "\n")  # noqa: F821
write_text(snakemake.output.md, answer_text(answer, "md"))  # noqa: F821
write_text(snakemake.output.rst, answer_text(answer, "rst"))  # noqa: F821
