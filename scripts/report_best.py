"""Pick the headline system: the best fused system by mean validation UAR."""

import json
import sys

from emoagree.report.tables import choose_best_system, load_cells, write_text

sys.stderr = open(snakemake.log[0], "w", buffering=1)  # noqa: F821

cells = load_cells(snakemake.params.cells, snakemake.input.metrics)  # noqa: F821
best = choose_best_system(cells, snakemake.params.candidates, snakemake.params.levels)  # noqa: F821
print(f"headline system: {best['system']} (mean val UAR {best['mean_val_uar']})", file=sys.stderr)
write_text(snakemake.output[0], json.dumps(best, indent=2) + "\n")  # noqa: F821
