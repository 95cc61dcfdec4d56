"""What the audio and the video training share.

:mod:`~emoagree.training.selection` chooses a model's settings by inner cross-validation
(or on the validation part); :mod:`~emoagree.training.arm_loss` holds the networks' loss
under a training arm and the one class-weights function;
:mod:`~emoagree.training.arm_inputs` turns an arm table into what a trainer takes;
:mod:`~emoagree.training.determinism` fixes PyTorch's determinism settings;
:mod:`~emoagree.training.replicates` plans and reads training replicates (seeds);
:mod:`~emoagree.training.fold_jobs` runs a training job's folds in turn.
"""
