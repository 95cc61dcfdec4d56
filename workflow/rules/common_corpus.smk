# Input and target functions of the corpus stage (rules in corpus.smk). The recordings
# themselves are planned with the study (PLAN.recordings, common.smk), since every stage's
# DAG follows them.


def corpus_targets():
    return ["results/corpus/recordings.csv", "results/corpus/annotations.csv"]


def corpus_inputs(wildcards):
    """The files the corpus adapter reads: tables or marks files, actors list, media."""
    return corpus_input_files(PLAN.corpus, PLAN.recordings)
