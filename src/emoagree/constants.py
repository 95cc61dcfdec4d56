"""Fixed vocabularies shared by every stage."""

#: The six basic emotions of RAMAS, in the order of the probability columns.
DEFAULT_EMOTIONS = ("Angry", "Happy", "Surprised", "Sad", "Disgusted", "Scared")

#: Partitions of the intervals; ``val`` is carved from train, ``test`` is never used for a choice.
SPLITS = ("train", "val", "test")

#: Columns of ``results/corpus/recordings.csv``.
RECORDING_COLUMNS = (
    "recording",
    "actor",
    "scenario",
    "audio_path",
    "video_path",
    "duration_s",
    "fps",
)

#: Optional columns of ``recordings.csv``, written after the required ones when present:
#: ``session`` (views that share one clock, e.g. both actors of a RAMAS dialogue; default:
#: the recording itself) and ``split`` (a corpus's own partition, for ``strategy: corpus``).
OPTIONAL_RECORDING_COLUMNS = ("session", "split")

#: Columns of ``results/corpus/annotations.csv`` (one row per raw annotator mark).
ANNOTATION_COLUMNS = ("recording", "annotator", "emotion", "start_s", "end_s")

#: Columns of ``results/corpus/intervals.csv`` and ``results/corpus/levels/level{k}.csv``.
#: ``session`` is the session of the interval's recording
#: (:func:`emoagree.levels.units.sessions_of`): the views that share one clock, the
#: cluster a bootstrap of the study resamples.
INTERVAL_COLUMNS = (
    "interval_id",
    "recording",
    "actor",
    "scenario",
    "session",
    "emotion",
    "level",
    "start_s",
    "end_s",
    "duration_s",
    "split",
    "unit",
    "fold",
)

#: Split units (config ``split.unit``); ``segment`` is the default and cannot leak.
SPLIT_UNITS = ("segment", "recording", "session", "interval")

#: Default guard (seconds) between segment units of one session (config ``split.guard_s``):
#: segments closer than this are one unit, so two parts never lie closer in time.
DEFAULT_GUARD_S = 2.0

#: Default number of cross-validation folds (config ``split.folds``).
DEFAULT_FOLDS = 5
