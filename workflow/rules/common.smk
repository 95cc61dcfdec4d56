# Configuration validation, the corpus plan, wildcard constraints and input/params
# functions shared by every stage. Rules live in the stage files; logic lives in src/.
import os
import sys

from snakemake.utils import validate

# The package is importable from every job (also on cluster nodes and in conda envs)
# without installing it, because scripts run with src/ on their path.
SRC_DIR = os.path.join(workflow.basedir, "src")
if SRC_DIR not in sys.path:
    sys.path.insert(0, SRC_DIR)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (SRC_DIR, os.environ.get("PYTHONPATH", "")) if p
)

from emoagree.settings import level_settings, normalize_config  # noqa: E402
from emoagree.corpus.plan import plan_recordings  # noqa: E402

config = normalize_config(config)
validate(config, os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml"))

LEVELS = [int(level) for level in config["levels"]]
EMOTIONS = list(config["emotions"])
RECORDINGS = plan_recordings(config)  # recording, audio_path, video_path (known before any job)


wildcard_constraints:
    level="[0-9]+",
    train_level="[0-9]+",
    test_level="[0-9]+",
    recording="[A-Za-z0-9_.-]+",


def settings(level):
    """The configuration seen by the jobs of one level (global values + its overrides)."""
    return level_settings(config, level)


def level_table(level):
    return f"results/corpus/levels/level{level}.csv"


def all_outputs():
    outputs = [
        "results/corpus/intervals.csv",
        "results/tables/table1_samples.csv",
        "results/tables/table1_samples.md",
    ]
    return outputs


def planned_systems():
    """Audio, video and fused systems the corpus can support, from its media columns."""
    has_audio = bool(RECORDINGS["audio_path"].fillna("").astype(str).str.len().gt(0).any())
    has_video = bool(RECORDINGS["video_path"].fillna("").astype(str).str.len().gt(0).any())
    audio = list(config["systems"]["audio"]) if has_audio else []
    video = list(config["systems"]["video"]) if has_video else []
    fusion = [f"fusion_{a}_{v}" for a in audio for v in video]
    if not has_audio or not has_video:
        missing = "audio" if not has_audio else "video"
        print(
            f"emoagree: the corpus has no {missing} files; planning only the "
            f"{'video' if not has_audio else 'audio'} branch (no fusion).",
            file=sys.stderr,
        )
    return audio, video, fusion


AUDIO_SYSTEMS, VIDEO_SYSTEMS, FUSION_SYSTEMS = planned_systems()
SYSTEMS = AUDIO_SYSTEMS + VIDEO_SYSTEMS + FUSION_SYSTEMS


wildcard_constraints:
    system="|".join(SYSTEMS) if SYSTEMS else "__none__",
    audio_system="|".join(AUDIO_SYSTEMS) if AUDIO_SYSTEMS else "__none__",
    video_system="|".join(VIDEO_SYSTEMS) if VIDEO_SYSTEMS else "__none__",


# --- audio stage (rules in audio.smk) ------------------------------------------------

AUDIO_CLASSIC = [s for s in AUDIO_SYSTEMS if s in ("audio_svm", "audio_lr")]
AUDIO_MODEL_FILES = {"audio_svm": "joblib", "audio_lr": "joblib", "audio_lstm": "pt"}


def audio_paths():
    """recording -> wav path, for the recordings that have audio."""
    paths = RECORDINGS["audio_path"].fillna("").astype(str)
    return {str(r): p for r, p in zip(RECORDINGS["recording"], paths) if p}


def audio_wav(wildcards):
    paths = audio_paths()
    if wildcards.recording not in paths:
        raise ValueError(f"recording {wildcards.recording!r} has no audio_path in the corpus")
    return paths[wildcards.recording]


def lld_caches(wildcards=None):
    return [f"results/features/audio_lld/{r}.npz" for r in audio_paths()]


def functionals_of(level):
    return f"results/features/audio_functionals/level{level}.npz"


def audio_targets():
    """Every audio prediction file (val and the 5x5 test grid), models and the per-level
    counts of intervals too short for audio."""
    targets = []
    for system in AUDIO_SYSTEMS:
        targets += expand(
            "results/models/{system}/train{i}.{ext}",
            system=system,
            i=LEVELS,
            ext=AUDIO_MODEL_FILES[system],
        )
        targets += expand("results/predictions/{system}/train{i}/val.csv", system=system, i=LEVELS)
        targets += expand(
            "results/predictions/{system}/train{i}/test{j}.csv", system=system, i=LEVELS, j=LEVELS
        )
    if AUDIO_CLASSIC:
        targets += expand("results/features/audio_functionals/level{k}.json", k=LEVELS)
    return targets
