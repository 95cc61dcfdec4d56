# Evaluation. Each (system, train level, test level) cell of the 5x5 is one job, the one
# that makes its predictions (audio_predict_classic, audio_predict_lstm, video_predict,
# fusion_apply): it also reads the test level's table and split.csv and writes the cell's
# metrics, whose interval comes from the one bootstrap over the units' clusters that every
# cell and the answer share (emoagree.evaluation.cells.score_cell). Here: one job per
# (system, train level) on the validation set (used to pick the headline system).
# Functions are in common_evaluation.smk.


include: "common_evaluation.smk"


# Each fold model predicted its own val part; the job pools them into the system's val.csv
# (with K >= 3 folds every interval is in one fold's val part; with split repeats once per
# repeat, repeat-major) and scores it.
rule evaluation_metrics_val:
    input:
        folds=lambda wc: fold_val_predictions(wc.system, wc.train_level),
    output:
        metrics="results/metrics/{system}/train{train_level}/val.json",
        predictions=replicate_files("results/predictions/{system}/train{train_level}/val{rep}.csv"),
    params:
        emotions=EMOTIONS,
        evaluation=PLAN.evaluation.bootstrap(),
        seed=PLAN.seed,
        n_replicates=PLAN.n_replicates,
        n_repeats=PLAN.n_repeats,
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
