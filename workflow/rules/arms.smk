# Training arms: every level-1 interval with its agreement weight (Mw), soft target (Ms)
# and highest level reached (Mc). Each configured arm has its own table, so adding an arm
# plans only its own jobs. Functions are in common_arms.smk.


include: "common_arms.smk"


wildcard_constraints:
    arm="weighted|soft|curriculum",


rule arms_table:
    input:
        level1=level_table(1),
        annotations="results/corpus/annotations.csv",
    output:
        "results/corpus/arms/{arm}.csv",
    params:
        arm=lambda wildcards: wildcards.arm,
        emotions=EMOTIONS,
    log:
        "logs/arms/table_{arm}.log",
    benchmark:
        "benchmarks/arms/table_{arm}.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/arms_table.py"


rule arms_truth_accuracy:
    input:
        levels=level_files(),
        arms=[arm_file(arm) for arm in ARMS],
        truth=truth_file(),
    output:
        csv=report(
            "results/tables/arms_truth_accuracy.csv",
            caption="../report/arms_truth_accuracy.rst",
            category="5. Corpus",
            labels={"table": "Demo: label accuracy of levels and arms"},
        ),
        md="results/tables/arms_truth_accuracy.md",
    params:
        levels=LEVELS,
        arms=ARMS,
        emotions=EMOTIONS,
        curriculum=ARM_SETTINGS.get("curriculum"),
    log:
        "logs/arms/truth_accuracy.log",
    benchmark:
        "benchmarks/arms/truth_accuracy.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/arms_truth.py"
