# Tables, figures and the study's answer: Table 1 and the corpus figures from the corpus
# and level tables, the rest from the metrics and prediction files only. Everything here
# is a small aggregation job whose code lives in emoagree.report; all of it goes into
# `snakemake --report`. (Table 1's and the corpus figures' logs and benchmarks stay under
# logs/levels/ and benchmarks/levels/, where they have always been.)
#
# The report rules run in envs/report.yaml, except Table 1 and the demo's truth-accuracy
# figure: they read the corpus package (Table 1's notes on dropped labels and unmarked
# recordings, the demo's label accuracy), whose adapters import OpenCV and soundfile, so
# they run in envs/corpus.yaml rather than carry those into the report env.
#
# Captions (workflow/report/*.rst) read what they state from their rule's params (the
# interval's `ci_level`, the bootstrap's `cluster`, the study's `fusion_selection`), never
# the config, so a rule's params list all that its outputs and their captions depend on.


include: "common_report.smk"


from emoagree.report.methods import methods_settings

# The paper's settings, beside the workflow (not in the working directory).
PAPER_CONFIG = os.path.normpath(
    os.path.join(workflow.current_basedir, "../../config/ramas_paper.yaml")
)
DEFAULT_CONFIG = os.path.normpath(os.path.join(workflow.current_basedir, "../../config.yaml"))


rule report_table1:
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
        folds=PLAN.n_folds,
        protocol=PLAN.split.describe(),
        with_paper=PLAN.corpus.format == "ramas",
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
        "../../scripts/report_table1.py"


rule report_corpus_figures:
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
        folds=PLAN.n_folds,
    log:
        "logs/levels/corpus_figures.log",
    benchmark:
        "benchmarks/levels/corpus_figures.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/report_corpus_figures.py"


rule report_truth_accuracy_figure:
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
        "../../scripts/report_truth_figure.py"


rule report_departures:
    input:
        paper=PAPER_CONFIG,
        defaults=DEFAULT_CONFIG,
    output:
        md=report(
            "results/tables/departures.md",
            caption="../report/departures.rst",
            category="6. Departures from the paper",
            labels={"item": "departures from config/ramas_paper.yaml", "format": "Markdown"},
        ),
        csv="results/tables/departures.csv",
        rst="results/tables/departures.rst",
    params:
        run=dict(PLAN.sections),
        labels=SYSTEM_LABELS,
    log:
        "logs/report/departures.log",
    benchmark:
        "benchmarks/report/departures.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_departures.py"


rule report_best_system:
    input:
        metrics=cell_files(HEADLINE_CANDIDATES, ["val"], arms=False),
    output:
        "results/tables/best_system.json",
    params:
        cells=cell_keys(HEADLINE_CANDIDATES, ["val"], arms=False),
        candidates=HEADLINE_CANDIDATES,
        levels=LEVELS,
        # fused validation scores are out of sample only when the weights are cross-fitted
        cross_fitted=bool(PLAN.systems.fusion) and PLAN.n_folds >= 3,
    log:
        "logs/report/best_system.log",
    benchmark:
        "benchmarks/report/best_system.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_best.py"


rule report_crosseval:
    input:
        metrics=system_cell_files,
    output:
        report(
            "results/tables/crosseval/{system}.csv",
            caption="../report/crosseval_table.rst",
            category="3. Cross-evaluation",
            subcategory="Tables",
            labels=lambda w: {"system": SYSTEM_LABELS[w.system], "type": "5x5 UAR table"},
        ),
    params:
        cells=system_cell_keys,
        levels=LEVELS,
        label=lambda w: SYSTEM_LABELS[w.system],
        train_rows=lambda wildcards: train_rows(wildcards.system),
        fusion_selection=PLAN.sections["fusion"]["selection"],
    log:
        "logs/report/crosseval/{system}.log",
    benchmark:
        "benchmarks/report/crosseval/{system}.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_crosseval.py"


rule report_table2:
    input:
        metrics=[metrics_file(s, i, j) for s, i, j in same_level_keys(SYSTEMS)],
        best="results/tables/best_system.json",
    output:
        csv=report(
            "results/tables/table2_uar.csv",
            caption="../report/table2.rst",
            category="2. Tables",
            labels={"table": "Table 2", "format": "CSV"},
        ),
        md=report(
            "results/tables/table2_uar.md",
            caption="../report/table2.rst",
            category="2. Tables",
            labels={"table": "Table 2", "format": "Markdown"},
        ),
    params:
        cells=same_level_keys(SYSTEMS),
        systems=SYSTEMS,
        levels=LEVELS,
        corpus_format=PLAN.corpus.format,
        labels=SYSTEM_LABELS,
        ci_level=PLAN.evaluation.ci_level,
        cluster=PLAN.evaluation.cluster,
        fusion_selection=PLAN.sections["fusion"]["selection"],
    log:
        "logs/report/table2.log",
    benchmark:
        "benchmarks/report/table2.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_table2.py"


rule report_table3:
    input:
        metrics=cell_files(HEADLINE_CANDIDATES, LEVELS),
        best="results/tables/best_system.json",
    output:
        csv=report(
            "results/tables/table3_crosseval.csv",
            caption="../report/table3.rst",
            category="2. Tables",
            labels={"table": "Table 3", "format": "CSV"},
        ),
        md=report(
            "results/tables/table3_crosseval.md",
            caption="../report/table3.rst",
            category="2. Tables",
            labels={"table": "Table 3", "format": "Markdown"},
        ),
    params:
        cells=cell_keys(HEADLINE_CANDIDATES, LEVELS),
        levels=LEVELS,
        train_rows={s: train_rows(s) for s in HEADLINE_CANDIDATES},
        corpus_format=PLAN.corpus.format,
        labels=SYSTEM_LABELS,
        fusion_selection=PLAN.sections["fusion"]["selection"],
    log:
        "logs/report/table3.log",
    benchmark:
        "benchmarks/report/table3.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_table3.py"


rule report_paper_tables:
    output:
        table2=report(
            "results/tables/paper_table2.csv",
            caption="../report/paper_tables.rst",
            category="2. Tables",
            labels={"table": "Table 2 (the paper's)", "format": "CSV"},
        ),
        table3=report(
            "results/tables/paper_table3.csv",
            caption="../report/paper_tables.rst",
            category="2. Tables",
            labels={"table": "Table 3 (the paper's)", "format": "CSV"},
        ),
    log:
        "logs/report/paper_tables.log",
    benchmark:
        "benchmarks/report/paper_tables.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_paper.py"


rule report_answer:
    input:
        best="results/tables/best_system.json",
        # every cell's prediction files, one per training replicate (cell-major): the
        # headline candidates', then each fused system's members' on its rows
        predictions=[
            f"results/predictions/{s}/train{i}/test{j}{rep}.csv"
            for s, i, j in answer_prediction_keys()
            for rep in PLAN.replicates
        ],
        # the validation cross-evaluation (validation-chosen row); see the helper
        validation=answer_validation_files(),
        crosseval=[f"results/tables/crosseval/{s}.csv" for s in SYSTEMS],
        levels=[level_table(k) for k in LEVELS],
        split=SPLIT_TABLE,
    output:
        md=report(
            "results/tables/answer.md",
            caption="../report/answer.rst",
            category="1. Answer",
            labels={"item": "answer", "format": "Markdown"},
        ),
        rst="results/tables/answer.rst",
        json="results/tables/answer.json",
    params:
        cells=answer_prediction_keys(),
        validation_cells=answer_validation_keys(),
        fusions=answer_fusions(),
        n_replicates=PLAN.n_replicates,
        systems=SYSTEMS,
        levels=LEVELS,
        emotions=EMOTIONS,
        evaluation=dict(PLAN.evaluation.section),
        seed=PLAN.seed,
        optimistic=OPTIMISTIC_FUSION,
        protocol=study_protocol(),
        labels=SYSTEM_LABELS,
        arm_rows={s: system_arm_rows(s) for s in HEADLINE_CANDIDATES},
        arm_notes={s: arm_notes(s) for s in HEADLINE_CANDIDATES},
        fusion_selection=PLAN.sections["fusion"]["selection"],
    log:
        "logs/report/answer.log",
    benchmark:
        "benchmarks/report/answer.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=1000,
    script:
        "../../scripts/report_answer.py"


rule report_heatmap:
    input:
        "results/tables/crosseval/{system}.csv",
    output:
        png=report(
            "results/figures/crosseval/{system}.png",
            caption="../report/heatmap.rst",
            category="3. Cross-evaluation",
            subcategory="Heatmaps",
            labels=lambda w: {"system": SYSTEM_LABELS[w.system], "type": "heatmap"},
        ),
        pdf="results/figures/crosseval/{system}.pdf",
    params:
        label=lambda w: SYSTEM_LABELS[w.system],
        short=lambda w: SYSTEM_SHORT[w.system],
        fusion_selection=PLAN.sections["fusion"]["selection"],
    log:
        "logs/report/heatmap/{system}.log",
    benchmark:
        "benchmarks/report/heatmap/{system}.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_heatmap.py"


rule report_tradeoff:
    input:
        levels=[level_table(k) for k in LEVELS],
        answer="results/tables/answer.json",
        crosseval=[f"results/tables/crosseval/{s}.csv" for s in SYSTEMS],
    output:
        png=report(
            "results/figures/tradeoff.png",
            caption="../report/tradeoff.rst",
            category="1. Answer",
            labels={"item": "trade-off plot", "format": "PNG"},
        ),
        pdf="results/figures/tradeoff.pdf",
    params:
        levels=LEVELS,
        systems=SYSTEMS,
        folds=PLAN.n_folds,
        labels=SYSTEM_LABELS,
        short=SYSTEM_SHORT,
        ci_level=PLAN.evaluation.ci_level,
        fusion_selection=PLAN.sections["fusion"]["selection"],
    log:
        "logs/report/tradeoff.log",
    benchmark:
        "benchmarks/report/tradeoff.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_tradeoff.py"


rule report_recall:
    input:
        metrics=[metrics_file(s, i, j) for s, i, j in same_level_keys(HEADLINE_CANDIDATES)],
        best="results/tables/best_system.json",
    output:
        png=report(
            "results/figures/recall_per_class.png",
            caption="../report/recall.rst",
            category="4. Per-class recall",
            labels={"item": "per-class recall", "format": "PNG"},
        ),
        pdf="results/figures/recall_per_class.pdf",
    params:
        cells=same_level_keys(HEADLINE_CANDIDATES),
        levels=LEVELS,
        emotions=EMOTIONS,
        labels=SYSTEM_LABELS,
        short=SYSTEM_SHORT,
        fusion_selection=PLAN.sections["fusion"]["selection"],
    log:
        "logs/report/recall.log",
    benchmark:
        "benchmarks/report/recall.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_recall.py"


# The answer's figure reads answer.json's confidence_set and named_row; it joins the
# report targets where ANSWER_CONFIDENCE_SET is on (common_report.smk).
rule report_answer_figure:
    input:
        levels=[level_table(k) for k in LEVELS],
        answer="results/tables/answer.json",
        crosseval=[f"results/tables/crosseval/{s}.csv" for s in SYSTEMS],
    output:
        png=report(
            "results/figures/answer.png",
            caption="../report/answer_figure.rst",
            category="1. Answer",
            labels={"item": "answer figure", "format": "PNG"},
        ),
        pdf="results/figures/answer.pdf",
        systems_png=report(
            "results/figures/answer_systems.png",
            caption="../report/answer_systems.rst",
            category="1. Answer",
            labels={"item": "answer per system", "format": "PNG"},
        ),
        systems_pdf="results/figures/answer_systems.pdf",
    params:
        levels=LEVELS,
        systems=SYSTEMS,
        folds=PLAN.n_folds,
        labels=SYSTEM_LABELS,
        short=SYSTEM_SHORT,
        ci_level=PLAN.evaluation.ci_level,
        fusion_selection=PLAN.sections["fusion"]["selection"],
    log:
        "logs/report/answer_figure.log",
    benchmark:
        "benchmarks/report/answer_figure.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_answer_figure.py"


# The figure beside the answer on the report's front page (workflow/report/workflow.rst
# includes it): the answer's figure where ANSWER_CONFIDENCE_SET is on, else the trade-off.
rule report_front_figure:
    input:
        png=front_figure(),
    output:
        "results/report/front_figure.rst",
    params:
        alt=FRONT_FIGURE_ALT,
    log:
        "logs/report/front_figure.log",
    benchmark:
        "benchmarks/report/front_figure.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_front_figure.py"


# Methods and results paragraphs and BibTeX to paste into a paper, from the run's settings
# and results; needs answer.json's confidence set (see ANSWER_CONFIDENCE_SET).
rule report_methods:
    input:
        answer="results/tables/answer.json",
        levels=[level_table(k) for k in LEVELS],
    output:
        md=report(
            "results/tables/methods.md",
            caption="../report/methods.rst",
            category="1. Answer",
            labels={"item": "methods and results text", "format": "Markdown"},
        ),
        tex="results/tables/methods.tex",
    params:
        # corpus format, emotions, fusion draws: the rest is read from answer.json
        settings=methods_settings(
            PLAN.corpus.format, PLAN.emotions, PLAN.sections["fusion"]["draws"]
        ),
        levels=LEVELS,
        systems=SYSTEMS,
        labels=SYSTEM_LABELS,
    log:
        "logs/report/methods.log",
    benchmark:
        "benchmarks/report/methods.tsv"
    conda:
        "../../envs/report.yaml"
    threads: 1
    resources:
        mem_mb=500,
    script:
        "../../scripts/report_methods.py"
