"""The data contracts between the stages: one module per contract, the only reader and
writer of its files, with its columns (or keys) and dtypes declared once.

======================================  =====================================================
module                                  files
======================================  =====================================================
:mod:`~emoagree.contracts.corpus`       ``results/corpus/recordings.csv``, ``annotations.csv``
                                        (the normalized corpus) and the corpus stage's notes
                                        ``dropped_labels.csv``, ``unmarked_recordings.csv``
:mod:`~emoagree.contracts.levels`       ``results/corpus/levels/level{k}.csv``,
                                        ``results/corpus/intervals.csv`` and the training
                                        arms' ``results/corpus/arms/{arm}.csv``
:mod:`~emoagree.contracts.split`        ``results/corpus/split.csv`` (with ``fold_r<r>``)
:mod:`~emoagree.contracts.predictions`  ``results/predictions/{system}/.../*.csv``
:mod:`~emoagree.contracts.metrics`      ``results/metrics/{system}/train{i}/*.json``
:mod:`~emoagree.contracts.crosseval`    ``results/tables/crosseval/{system}.csv`` (the
                                        report's 5x5 tables, read by its figures)
======================================  =====================================================

Importing this package (or :mod:`~emoagree.contracts.predictions`,
:mod:`~emoagree.contracts.metrics`, :mod:`~emoagree.contracts.levels`) does not import
pandas: the evaluation and fusion jobs are many and short, and read their files without
it. ``tests/test_contracts.py`` fails when a module outside this package reads or writes
a csv file, unless it is on that test's list of input formats and report-only tables.
A file that breaks its contract (a missing column, say) raises :class:`ContractError`
naming the file and what is wrong.
"""

from emoagree.contracts._tables import ContractError

__all__ = ["ContractError"]
