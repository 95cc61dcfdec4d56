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

#: Columns of ``results/corpus/annotations.csv`` (one row per raw annotator mark).
ANNOTATION_COLUMNS = ("recording", "annotator", "emotion", "start_s", "end_s")

#: Columns of ``results/corpus/intervals.csv`` and ``results/corpus/levels/level{k}.csv``.
INTERVAL_COLUMNS = (
    "interval_id",
    "recording",
    "actor",
    "scenario",
    "emotion",
    "level",
    "start_s",
    "end_s",
    "duration_s",
    "split",
)
