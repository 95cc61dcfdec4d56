"""Rule arms_table: the level-1 intervals with each one's agreement weight, soft target and
highest level (results/corpus/arms/{arm}.csv)."""

from emoagree.joblog import log_to

log_to(snakemake.log[0])  # noqa: F821 (snakemake is injected)

from emoagree.levels.arms import run_arm_table  # noqa: E402

inp, params = snakemake.input, snakemake.params  # noqa: F821
run_arm_table(inp.level1, inp.annotations, params.emotions, params.arm, snakemake.output[0])  # noqa: F821
