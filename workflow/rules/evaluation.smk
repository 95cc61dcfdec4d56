# Evaluation nodes: one job per (system, train level, test level) cell of the 5x5, plus
# one per (system, train level) on the validation set (used to pick the headline system).
# A test cell reads its test level's table and split.csv: its interval comes from the one
# cluster bootstrap over split units that every cell and the answer share.


rule metrics:
    input:
        unpack(metrics_inputs),
    output:
        "results/metrics/{system}/train{train_level}/test{test_level}.json",
    params:
        emotions=EMOTIONS,
        evaluation=BOOTSTRAP_SETTINGS,
        seed=config["seed"],
    log:
        "logs/evaluation/metrics/{system}/train{train_level}/test{test_level}.log",
    benchmark:
        "benchmarks/evaluation/metrics/{system}/train{train_level}/test{test_level}.tsv"
    conda:
        "../../envs/fusion.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/evaluation_metrics.py"


# Each fold model predicted its own val part; the job pools them into the system's val.csv
# (with K >= 3 folds every interval is in one fold's val part) and scores it.
rule metrics_val:
    input:
        folds=lambda wc: fold_val_predictions(wc.system, wc.train_level),
    output:
        metrics="results/metrics/{system}/train{train_level}/val.json",
        predictions="results/predictions/{system}/train{train_level}/val.csv",
    params:
        emotions=EMOTIONS,
        evaluation=BOOTSTRAP_SETTINGS,
        seed=config["seed"],
    log:
        "logs/evaluation/metrics_val/{system}/train{train_level}.log",
    benchmark:
        "benchmarks/evaluation/metrics_val/{system}/train{train_level}.tsv"
    conda:
        "../../envs/fusion.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/evaluation_metrics.py"
