# Corpus stage: the configured adapter writes the normalized tables every later stage reads.
# The demo corpus (written by the demo rule in the RAMAS layout) goes through the RAMAS
# adapter, so that adapter runs on every demo run. Input functions are in common_corpus.smk.


include: "common_corpus.smk"


rule corpus_normalize:
    input:
        corpus_inputs,
    output:
        recordings="results/corpus/recordings.csv",
        annotations="results/corpus/annotations.csv",
        # marks per label value that is not a configured emotion (Table 1's notes)
        dropped="results/corpus/dropped_labels.csv",
        # recordings without marks of a configured emotion (Table 1's notes)
        unmarked="results/corpus/unmarked_recordings.csv",
    params:
        format=PLAN.corpus.format,
        path=PLAN.corpus.path,
        tolerance_s=PLAN.corpus_options.tolerance_s,
        emotions=EMOTIONS,
        fold_labels=PLAN.corpus_options.fold_labels,
        label_map=dict(PLAN.corpus_options.label_map),
        accept_empty_media=PLAN.corpus_options.accept_empty_media,
        # The recordings planned at parse time; the script checks the adapter agrees.
        planned=list(PLAN.recordings["recording"]),
    log:
        "logs/corpus/normalize.log",
    benchmark:
        "benchmarks/corpus/normalize.tsv"
    conda:
        "../../envs/corpus.yaml"
    threads: 1
    resources:
        mem_mb=2000,
    script:
        "../../scripts/corpus_normalize.py"
