"""Fixed vocabularies shared by every stage."""

#: The six basic emotions of RAMAS, in the order of the probability columns.
DEFAULT_EMOTIONS = ("Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared")

#: Partitions of the intervals; ``val`` is carved from train, ``test`` is never used for a choice.
SPLITS = ("train", "val", "test")

#: Split units (config ``split.unit``); ``segment`` is the default and cannot leak.
SPLIT_UNITS = ("segment", "recording", "session", "interval")

#: Default guard (seconds) between segment units of one session (config ``split.guard_s``):
#: segments closer than this are one unit, so two parts never lie closer in time.
DEFAULT_GUARD_S = 2.0

#: Default number of cross-validation folds (config ``split.folds``).
DEFAULT_FOLDS = 5
