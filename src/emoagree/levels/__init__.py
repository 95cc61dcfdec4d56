"""Levels stage: agreement levels, their agreement statistics, the split and the arms.

From the normalized marks, :mod:`~emoagree.levels.build` finds each agreement level's
intervals (stretches where at least k annotators marked the same emotion);
:mod:`~emoagree.levels.units` groups the level-1 intervals into split units and
:mod:`~emoagree.levels.split` fixes the train/val/test parts or folds on them once, which
every level inherits; :mod:`~emoagree.levels.agreement` computes each level's
Krippendorff's alpha; :mod:`~emoagree.levels.arms` builds the training arms' tables (all
level-1 intervals with their agreement). Rules: ``workflow/rules/levels.smk`` and
``arms.smk``.
"""
