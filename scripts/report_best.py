"""Pick the headline system: the best candidate by mean validation UAR over the train rows
every compared candidate scored (fused validation scores are out of sample when the
fusion weights are cross-fitted)."""

import json
import sys

from emoagree.joblog import log_to
from emoagree.report.tables import choose_best_system, load_cells, write_text

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

params = snakemake.params  # noqa: F821
cells = load_cells(params.cells, snakemake.input.metrics)  # noqa: F821
best = choose_best_system(cells, params.candidates, params.levels)
best["fusion_weights_cross_fitted"] = params.cross_fitted
print(
    f"headline system: {best['system']} (mean val UAR {best['mean_val_uar']} over train rows "
    f"{best['rows_compared']}; rows dropped {best['rows_dropped']}, candidates excluded "
    f"{best['excluded']}; fusion weights cross-fitted: {params.cross_fitted})",
    file=sys.stderr,
)
write_text(snakemake.output[0], json.dumps(best, indent=2) + "\n")  # noqa: F821
