# Agreement levels stage: the split (parts or K folds of split units) is fixed once on the
# level-1 intervals; every level's intervals inherit it (split, unit, fold). Per-level
# settings (min_duration_s, agreement.frame_step_s) reach the jobs only through params
# functions of {level}, so changing level 3's settings reruns only level 3. Table 1 and
# the corpus figures, drawn from these tables, are report rules (report.smk).


include: "common_levels.smk"


rule levels_split:
    input:
        recordings="results/corpus/recordings.csv",
        annotations="results/corpus/annotations.csv",
    output:
        "results/corpus/split.csv",
    params:
        emotions=EMOTIONS,
        strategy=PLAN.split.strategy,
        unit=PLAN.split.unit,
        folds=PLAN.n_folds,
        repeats=PLAN.n_repeats,
        guard_s=PLAN.split_settings.guard_s,
        test_fraction=PLAN.split_settings.test_fraction,
        val_fraction=PLAN.split_settings.val_fraction,
        seed=PLAN.seed,
    log:
        "logs/levels/split.log",
    benchmark:
        "benchmarks/levels/split.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/levels_split.py"


rule levels_table:
    input:
        recordings="results/corpus/recordings.csv",
        annotations="results/corpus/annotations.csv",
        split="results/corpus/split.csv",
    output:
        "results/corpus/levels/level{level}.csv",
    params:
        level=lambda wildcards: int(wildcards.level),
        emotions=EMOTIONS,
        min_duration_s=lambda wildcards: settings(wildcards.level)["min_duration_s"],
    log:
        "logs/levels/level{level}.log",
    benchmark:
        "benchmarks/levels/level{level}.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/levels_level.py"


rule levels_intervals:
    input:
        level_files(),
    output:
        "results/corpus/intervals.csv",
    log:
        "logs/levels/intervals.log",
    benchmark:
        "benchmarks/levels/intervals.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/levels_intervals.py"


rule levels_split_overlap:
    input:
        recordings="results/corpus/recordings.csv",
        levels=level_files(),
    output:
        "results/corpus/split_overlap.json",
    params:
        strategy=PLAN.split.strategy,
        unit=PLAN.split.unit,
        folds=PLAN.n_folds,
        guard_s=PLAN.split_settings.guard_s,
    log:
        "logs/levels/split_overlap.log",
    benchmark:
        "benchmarks/levels/split_overlap.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/levels_split_overlap.py"


rule levels_alpha:
    input:
        level="results/corpus/levels/level{level}.csv",
        annotations="results/corpus/annotations.csv",
    output:
        "results/corpus/agreement/level{level}.json",
    params:
        level=lambda wildcards: int(wildcards.level),
        emotions=EMOTIONS,
        frame_step_s=lambda wildcards: settings(wildcards.level)["agreement"]["frame_step_s"],
    log:
        "logs/levels/alpha_level{level}.log",
    benchmark:
        "benchmarks/levels/alpha_level{level}.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=4000,
    script:
        "../../scripts/levels_alpha.py"
