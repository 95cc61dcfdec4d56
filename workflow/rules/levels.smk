# Agreement levels stage: the split (parts or K folds of split units) is fixed once on the
# level-1 intervals; every level's intervals inherit it (split, unit, fold). Per-level
# settings (min_duration_s, agreement.frame_step_s) reach the jobs only through params
# functions of {level}, so changing level 3's settings reruns only level 3. Input and
# target functions are in common.smk.


rule split:
    input:
        recordings="results/corpus/recordings.csv",
        annotations="results/corpus/annotations.csv",
    output:
        "results/corpus/split.csv",
    params:
        emotions=EMOTIONS,
        strategy=config["split"]["strategy"],
        unit=config["split"]["unit"],
        folds=N_FOLDS,
        repeats=N_REPEATS,
        guard_s=config["split"]["guard_s"],
        test_fraction=config["split"]["test_fraction"],
        val_fraction=config["split"]["val_fraction"],
        seed=config["seed"],
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


rule level:
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


rule intervals:
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


rule split_overlap:
    input:
        recordings="results/corpus/recordings.csv",
        levels=level_files(),
    output:
        "results/corpus/split_overlap.json",
    params:
        strategy=config["split"]["strategy"],
        unit=config["split"]["unit"],
        folds=N_FOLDS,
        guard_s=config["split"]["guard_s"],
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


rule alpha:
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


rule table1:
    input:
        levels=level_files(),
        alphas=alpha_files(),
        dropped="results/corpus/dropped_labels.csv",
        unmarked="results/corpus/unmarked_recordings.csv",
        overlap="results/corpus/split_overlap.json",
    output:
        csv=report(
            "results/tables/table1_samples.csv",
            caption="../report/table1.rst",
            category="5. Corpus",
            labels={"table": "Table 1 (csv)"},
        ),
        md=report(
            "results/tables/table1_samples.md",
            caption="../report/table1.rst",
            category="5. Corpus",
            labels={"table": "Table 1 (markdown)"},
        ),
    params:
        levels=LEVELS,
        folds=N_FOLDS,
        protocol=SPLIT_PROTOCOL,
        with_paper=config["corpus"]["format"] == "ramas",
    log:
        "logs/levels/table1.log",
    benchmark:
        "benchmarks/levels/table1.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/levels_table1.py"


rule corpus_figures:
    input:
        annotations="results/corpus/annotations.csv",
        levels=level_files(),
    output:
        example=report(
            "results/figures/fig1_annotation_example.png",
            caption="../report/fig1_annotation_example.rst",
            category="5. Corpus",
            labels={"figure": "Figure 1: annotation example"},
        ),
        counts=report(
            "results/figures/fig2_counts.png",
            caption="../report/fig2_counts.rst",
            category="5. Corpus",
            labels={"figure": "Figure 2: samples per emotion, split and level"},
        ),
        lengths=report(
            "results/figures/fig3_lengths.png",
            caption="../report/fig3_lengths.rst",
            category="5. Corpus",
            labels={"figure": "Figure 3: interval lengths"},
        ),
        example_pdf="results/figures/fig1_annotation_example.pdf",
        counts_pdf="results/figures/fig2_counts.pdf",
        lengths_pdf="results/figures/fig3_lengths.pdf",
    params:
        levels=LEVELS,
        emotions=EMOTIONS,
        folds=N_FOLDS,
    log:
        "logs/levels/corpus_figures.log",
    benchmark:
        "benchmarks/levels/corpus_figures.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/levels_figures.py"


rule truth_accuracy_figure:
    input:
        levels=level_files(),
        truth=truth_file(),
    output:
        png=report(
            "results/figures/fig_truth_accuracy.png",
            caption="../report/fig_truth_accuracy.rst",
            category="5. Corpus",
            labels={"figure": "Demo: label accuracy against the hidden truth"},
        ),
        pdf="results/figures/fig_truth_accuracy.pdf",
    params:
        levels=LEVELS,
    log:
        "logs/levels/truth_accuracy_figure.log",
    benchmark:
        "benchmarks/levels/truth_accuracy_figure.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/levels_truth_figure.py"
