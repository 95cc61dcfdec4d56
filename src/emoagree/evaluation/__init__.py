"""Evaluation stage: one prediction file in, one metrics JSON out, without pandas.

:mod:`~emoagree.evaluation.metrics` defines the metrics (UAR over the configured emotions,
recalls, label codes); :mod:`~emoagree.evaluation.bootstrap` the study's one bootstrap
over the clusters the split units nest in (and the jackknife);
:mod:`~emoagree.evaluation.best_row` the confidence set for the best train row;
:mod:`~emoagree.evaluation.scores` every metric of one prediction file (UAR with its
interval, coverage, per-fold UAR);
:mod:`~emoagree.evaluation.parts` reads the intervals a cell scores (from the test level's
table) and the study's shared units and clusters (``split.csv``);
:mod:`~emoagree.evaluation.cells` evaluates one cell (system, train level, test level, or
the validation set) from its prediction file and the test level's table;
:mod:`~emoagree.evaluation.answer` computes the study's answer in numbers (the confidence
set for the best train row, P(best), paired differences; per-row means in
:mod:`~emoagree.evaluation.answer_rows`), which :mod:`emoagree.report.answer` puts in
words. Rules: ``workflow/rules/evaluation.smk``.
"""
