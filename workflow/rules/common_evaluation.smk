# Input and target functions of the evaluation stage (rules in evaluation.smk): where a
# cell's metrics are written (the cell jobs of every system write them; the report reads
# them). What every cell job shares (SPLIT_TABLE, PLAN.evaluation.bootstrap()) is described
# in common.smk.


def metrics_file(system, train_level, test):
    test_part = "val" if test == "val" else f"test{test}"
    return f"results/metrics/{system}/train{train_level}/{test_part}.json"


def val_cell_file(system, train_level, level):
    """The validation cross-evaluation of a cell (contract 2): level ``level``'s intervals
    of each fold's val part, scored by the cell's job."""
    return f"results/metrics/{system}/train{train_level}/val{level}.json"


def evaluation_targets():
    """Every cell of every system's 5x5 (plus its arm rows), every validation score, and
    every cell's validation cross-evaluation (val{j})."""
    return [
        metrics_file(system, i, j)
        for system in SYSTEMS
        for i in train_rows(system)
        for j in [*LEVELS, "val"]
    ] + [val_cell_file(system, i, j) for system in SYSTEMS for i in train_rows(system) for j in LEVELS]
