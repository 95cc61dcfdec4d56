"""Methods and results paragraphs (Markdown and LaTeX) from the run's settings and results."""

import sys

from emoagree.contracts.levels import read_level
from emoagree.joblog import log_to
from emoagree.report.methods import methods_latex, methods_markdown, methods_paragraphs
from emoagree.report.tables import load_json, write_text

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

p, inputs, outputs = snakemake.params, snakemake.input, snakemake.output  # noqa: F821
counts = {
    int(level): len(read_level(path, ["interval_id"]))
    for level, path in zip(p.levels, inputs.levels, strict=True)
}
paragraphs = methods_paragraphs(p.settings, load_json(inputs.answer), counts, p.systems, p.labels)
write_text(outputs.md, methods_markdown(paragraphs))
write_text(outputs.tex, methods_latex(paragraphs))
print(paragraphs["methods"], paragraphs["results"], sep="\n\n", file=sys.stderr)
