"""Fusion stage: weighted per-class fusion of one audio and one video system.

:mod:`~emoagree.fusion.weighted` chooses the weights on each (fold, train level)'s
validation predictions (a seeded Dirichlet search) and fuses every test level's
predictions with them; a fused system writes the same prediction files as any system.
Rules: ``workflow/rules/fusion.smk``.
"""
