"""Fusion stage: weighted per-class fusion of one audio and one video system.

:mod:`~emoagree.fusion.weighted` holds the weights, their candidates and the seeded
Dirichlet search; :mod:`~emoagree.fusion.steps` chooses the weights on each (fold, train
level)'s validation predictions (cross-fitted over folds) and fuses every test level's
predictions with them; a fused system writes the same prediction files as any system.
Rules: ``workflow/rules/fusion.smk``.
"""
