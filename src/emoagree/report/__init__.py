"""Report stage: the study's tables, figures and answer, for ``snakemake --report``.

Table 1 (:mod:`~emoagree.report.table1`) and the corpus figures
(:mod:`~emoagree.report.corpus_figures`) are drawn from the level tables; Tables 2 and 3,
the cross-evaluation and the answer's words (:mod:`~emoagree.report.answer`, its protocol
paragraph :mod:`~emoagree.report.answer_protocol`; its numbers are
:mod:`emoagree.evaluation.answer`'s) and the evaluation's
figures (:mod:`~emoagree.report.figures`) from the metrics and prediction files only;
:mod:`~emoagree.report.departures` lists where a run departs from the paper's settings
and :mod:`~emoagree.report.paper` holds the paper's published numbers. Rules:
``workflow/rules/report.smk`` (Table 1 and the corpus figures among them).
"""
