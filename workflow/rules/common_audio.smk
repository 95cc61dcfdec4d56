# Input, params and target functions of the audio stage (rules in audio.smk): which
# systems are classic, the audio shards and their wavs, the feature caches.

from emoagree.training.fold_jobs import fold_workers  # noqa: E402

AUDIO_CLASSIC = [s for s in PLAN.systems.audio if s in ("audio_svm", "audio_lr")]
AUDIO_MODEL_FILES = {"audio_svm": "joblib", "audio_lr": "joblib", "audio_lstm": "pt"}


def audio_paths():
    """recording -> wav path, for the recordings that have audio."""
    paths = PLAN.recordings["audio_path"].fillna("").astype(str)
    return {str(r): p for r, p in zip(PLAN.recordings["recording"], paths) if p}


AUDIO_SHARDS = media_shards("audio_path")


def shard_wavs(wildcards):
    """The wavs of one audio shard, in the order of its recordings (params.recordings)."""
    paths = audio_paths()
    return [paths[r] for r in AUDIO_SHARDS[wildcards.shard]]


def lld_caches(wildcards=None):
    """The LLD shard folders; emoagree.shards.recording_caches finds a recording's file."""
    return [shard_dir("results/features/audio_lld", shard) for shard in AUDIO_SHARDS]


def functionals_of(level):
    return f"results/features/audio_functionals/level{level}.npz"


# ComParE functionals are cached per (recording, start, end) stretch, one file per
# recording (emoagree.audio.stretches): no Snakemake output, so that a rerun (a level
# added) keeps what is cached and extracts only the new stretches.
FUNCTIONALS_CACHE = "results/features/audio_functionals/stretches"


def functionals_shard_manifests(wildcards=None):
    """The functionals shard jobs' manifests (the level assembly waits for them)."""
    return [
        str(stage_path("results/features/audio_functionals/shards", f"{shard}.json"))
        for shard in AUDIO_SHARDS
    ]


def feature_threads(cap):
    """Threads of a feature job: all of this run's cores, at most ``cap``. Feature jobs
    write the same values whatever their threads (one extractor per stretch)."""
    return max(1, min(workflow.cores or 1, int(cap)))


def classic_training_workers():
    """Threads (worker processes, one fold each) of every audio_svm / audio_lr training
    job: as many folds side by side as finish this study's classic training jobs in the
    fewest rounds on --cores (emoagree.training.fold_jobs.fold_workers), at most
    audio.max_threads. 1 where there are at least as many such jobs as cores (the demo)."""
    n_jobs = sum(len(train_rows(system)) for system in AUDIO_CLASSIC) * PLAN.n_replicates
    return fold_workers(
        n_jobs, len(PLAN.folds), workflow.cores or 1, PLAN.sections["audio"]["max_threads"]
    )


def audio_targets():
    """Every audio prediction file (val and the 5x5 test grid), models and the per-level
    counts of intervals too short for audio."""
    targets = []
    for system in PLAN.systems.audio:
        targets += expand(
            "results/models/{system}/fold{f}/train{i}.{ext}",
            system=system,
            f=PLAN.folds,
            i=train_rows(system),
            ext=AUDIO_MODEL_FILES[system],
        )
        targets += expand(
            "results/predictions/{system}/train{i}/val.csv", system=system, i=train_rows(system)
        )
        targets += expand(
            "results/predictions/{system}/train{i}/test{j}.csv",
            system=system,
            i=train_rows(system),
            j=LEVELS,
        )
    if AUDIO_CLASSIC:
        targets += expand("results/features/audio_functionals/level{k}.json", k=LEVELS)
    return targets
