# Configuration validation, the study's plan (PLAN = emoagree.plan.build_plan(config):
# corpus recordings, levels, folds, repeats, replicates, systems, shards, seeds), wildcard constraints and the input/params functions that
# more than one stage uses. Rules live in the stage files; logic lives in src/.
#
# Where helper functions live (one scheme for every stage): a function or constant used
# by one stage only sits in that stage's `common_<stage>.smk` (common_corpus.smk,
# common_levels.smk, common_arms.smk, common_audio.smk, common_video.smk,
# common_fusion.smk, common_evaluation.smk, common_report.smk), which the stage's rule
# file includes on its first line, so a stage's rules and their helpers are read side by
# side; what several stages share is here. Two files per stage rather than one because
# `snakemake --lint` asks that rules and functions not share a file; per stage rather
# than all here so that this file stays the study's plan and does not grow with every
# stage. The Snakefile includes the stages in pipeline order, so a stage's helpers may use
# the helpers of the stages before it (every stage reads level_table(), from
# common_levels.smk; fusion, evaluation and report use train_rows(), from
# common_arms.smk).
import os
import sys

import yaml
from snakemake.utils import validate


def refuse(message):
    """A refusal while the workflow is parsed: the message on stderr, no traceback, exit 1."""
    print(f"emoagree: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


# The package is installed, not put on a path: `make install` installs this checkout
# editable into .venv (the Python that runs Snakemake and, without conda, every job); a
# conda env installs it after it is created (envs/<env>.post-deploy.sh reads the checkout
# from EMOAGREE_CHECKOUT). A copy installed from another checkout is refused here, and
# every job checks its own (emoagree.checkout).
try:
    from emoagree.checkout import CHECKOUT_VARIABLE, source_problem
except ImportError as error:
    refuse(
        f"the emoagree package is not installed in {sys.executable} ({error}): "
        f"run `make install`, or `pip install -e {workflow.basedir}` in this environment"
    )
PACKAGE_PROBLEM = source_problem(workflow.basedir)
if PACKAGE_PROBLEM:
    refuse(PACKAGE_PROBLEM)
# (set with update(): the linter takes item assignment for a required input variable)
os.environ.update({CHECKOUT_VARIABLE: workflow.basedir})

from emoagree.settings import (  # noqa: E402
    classic_settings,
    describe_sizes,
    forest_settings,
    lstm_settings,
    normalize_config,
    sized_config,
)
from emoagree.config_check import config_problem  # noqa: E402
from emoagree.corpus.errors import CorpusError  # noqa: E402
from emoagree.corpus.plan import corpus_input_files  # noqa: E402
from emoagree.plan import build_plan  # noqa: E402
from emoagree.shards import group_shards, shard_dir, stage_path  # noqa: E402
from emoagree.video.sampling import stretches_by_recording  # noqa: E402
from emoagree.naming import system_labels  # noqa: E402
from emoagree.levels.arms import ROW_ARMS  # noqa: E402
from emoagree.gpus import gpu_request, visible_gpus  # noqa: E402
from emoagree.training.replicates import SUFFIX_PATTERN as REPLICATE_PATTERN  # noqa: E402


def or_refuse(function, *args):
    """``function(*args)``; a corpus or config problem it raises becomes :func:`refuse`.
    (The planning functions raise ValueError only for settings or data they cannot use.)"""
    try:
        return function(*args)
    except (CorpusError, ValueError) as error:
        refuse(error)


# corpus.format demo: config.yaml's demo_sizes block goes over its defaults (meant for a
# real corpus) and under the user's own settings (--configfile, --config)
config = normalize_config(sized_config(config, workflow.config_settings.overwrite_config))
# Unknown keys (with the nearest known one) and schema violations, one line naming the
# config file, before snakemake's validate (which fills the schema's defaults).
CONFIG_FILES = [
    os.path.join(workflow.basedir, "config.yaml"),
    *(workflow.overwrite_configfiles or []),
]
with open(os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml")) as _schema:
    _problem = config_problem(config, yaml.safe_load(_schema), CONFIG_FILES)
if _problem:
    refuse(_problem)
validate(config, os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml"))

print(f"emoagree: {describe_sizes(config)}", file=sys.stderr)
# The study plan (emoagree.plan): the validated config read once. Rules take what their
# jobs need from PLAN; the config is not read past this point. Planning the corpus reads
# a csv or RAMAS corpus's tables and media headers; its refusals name the file and row.
PLAN = or_refuse(build_plan, config)
for _note in PLAN.notes:
    print(f"emoagree: {_note}", file=sys.stderr)
# Three names of the plan stay as lists, because nearly every rule passes them on as
# params (levels=LEVELS, emotions=EMOTIONS, systems=SYSTEMS: some 80 places) and builds
# its file lists from them: Snakemake records params by their repr and reruns a job whose
# params changed, so PLAN's tuples would rerun every finished job of an existing study.
# Every other value is read off PLAN where it is used: PLAN.recordings, PLAN.marks (a csv
# or RAMAS corpus's source marks; None for the demo), PLAN.systems.audio/.video/.fusion,
# PLAN.shards and PLAN.durations, and the grid:
# - folds: one model per (system, fold, train level); a cell pools the folds' test
#   predictions (strategy corpus keeps the corpus's own single partition). Split repeats
#   (split.repeats: R) deal the K-fold split R times with different seeds, a level of the
#   DAG like the folds: folds have global ids r * K + f, so repeat 0 keeps the plain
#   fold0..fold<K-1> paths. PLAN.folds lists every repeat's folds (repeat-major),
#   PLAN.n_folds is K (what a fold's parts are made of), PLAN.n_repeats is R.
# - training replicates: R seeded models per (system, fold, train level); replicate 0
#   keeps the plain paths, replicate r adds ".rep<r>" after the train row (the `rep`
#   wildcard). PLAN.replicates lists the suffixes, PLAN.n_replicates is R.
LEVELS = list(PLAN.levels)
EMOTIONS = list(PLAN.emotions)
SYSTEMS = list(PLAN.systems.all)
# The torch rules' `gpu` resource: 1 where this machine has a GPU (so `--resources gpu=N`
# caps them), 0 on a CPU-only machine (they then share the cores like any job). The SLURM
# profile sets it to 1 itself (set-resources). See emoagree.gpus.
LOCAL_GPUS = visible_gpus()
GPU_JOB = gpu_request("auto", LOCAL_GPUS)
LSTM_GPU_JOB = gpu_request(PLAN.sections["audio"].get("device", "auto"), LOCAL_GPUS)


def media_shards(column):
    """Shard -> its recordings that have a file in ``column`` (shards without any left out).
    The per-recording feature stages run in shards (PLAN.shards): stable groups of short
    recordings sized by media duration (a long recording is a shard of its own); see
    emoagree.shards."""
    recordings = PLAN.recordings
    has = dict(zip(recordings["recording"].astype(str), recordings[column].fillna("").astype(str)))
    shards = {name: [r for r in members if has.get(r)] for name, members in PLAN.shards.items()}
    return {name: members for name, members in shards.items() if members}


wildcard_constraints:
    fold="[0-9]+",
    level="[0-9]+",
    # an agreement level, or a training arm's row (Mw, Ms, Mc: see common_arms.smk)
    train_level="[0-9]+|Mw|Ms|Mc",
    test_level="[0-9]+",
    rep=REPLICATE_PATTERN,
    # ids may not start with a dot (see emoagree.corpus.marks.RECORDING_ID); shard names
    # are rec-<recording> or shard-<hash>[-<k>] (see emoagree.shards), never an id
    recording="[A-Za-z0-9_-][A-Za-z0-9_.-]*",
    shard="rec-[A-Za-z0-9_-][A-Za-z0-9_.-]*|shard-[0-9a-z]+(-[0-9]+)?",


def repo_path(*parts):
    """A file that ships with the workflow (e.g. under resources/), from any workdir.

    Relative paths in rules and the config resolve against the working directory
    (`-d WORKDIR`, where results/ is written); files of the repo itself must not.
    """
    return os.path.join(workflow.basedir, *parts)


def settings(level):
    """The configuration seen by the jobs of one level (global values + its overrides).
    A training arm's row (Mw, Ms, Mc) trains on level 1's intervals with level 1's
    settings."""
    return PLAN.settings(level)


def fold_models(system, extension):
    """Input function: the K fold models of ``system`` for the job's train level, in fold
    order (every split repeat's: R * K, by global fold id), for every replicate (replicate-major: see emoagree.training.replicates.by_replicate);
    ``system`` may be a wildcard pattern such as "{system}"."""

    def models(wildcards):
        name = system.format(**wildcards)
        return [
            f"results/models/{name}/fold{f}/train{wildcards.train_level}{rep}.{extension}"
            for rep in PLAN.replicates
            for f in PLAN.folds
        ]

    return models


def fold_val_predictions(system, train_level):
    """Each fold model's predictions on its own val part, for every replicate
    (replicate-major)."""
    return [
        f"results/predictions/{system}/fold{f}/train{train_level}{rep}/val.csv"
        for rep in PLAN.replicates
        for f in PLAN.folds
    ]


def fold_files(pattern):
    """``pattern`` with ``{fold}`` filled for every fold, in fold order (every split
    repeat's: R * K, by global fold id): a training job's outputs. One job trains a
    (system, train row, replicate)'s K folds in turn, in one process, so the K models
    pay one interpreter and library start-up, not K."""
    return [pattern.replace("{fold}", str(f)) for f in PLAN.folds]


def replicate_files(pattern):
    """``pattern`` with ``{rep}`` filled for every replicate (other wildcards kept)."""
    return [pattern.replace("{rep}", rep) for rep in PLAN.replicates]


# Seeds. The study's own random choices (the demo corpus, the split, the shared
# bootstrap of every cell and the answer) take PLAN.seed: one per study, which no level
# override changes. What is trained for a train row (every system's models and the
# fusion weights) takes PLAN.seed_of(row), one function for them all: config `seed`, or
# the row's level's `level_overrides` seed (an arm row's is level 1's, like its other
# settings). A per-level seed thus moves that level's audio, video and fused systems
# together, and nothing of another level.
def seed_of(row):
    """The seed of what is trained for train row ``row`` (a level or an arm's row)."""
    return PLAN.seed_of(row)


def training_seed(wildcards):
    """Params function of every training rule: the seed of the job's replicate
    (emoagree.training.replicates.replicate_seed) of its train row's seed_of()."""
    return PLAN.training_seed(wildcards.train_level, wildcards.rep)


def train_row_seed(wildcards):
    """Params function: seed_of() the job's train row (fusion: one job for every
    replicate, each replicate's seed derived inside)."""
    return seed_of(wildcards.train_level)


# What tables, figures, captions and the answer call each system: a video system's name
# carries the backbone and weights that ran ("video_vggf_rf (EfficientNet-Lite0, ...)").
SYSTEM_LABELS = system_labels(SYSTEMS, PLAN.sections["video"])


wildcard_constraints:
    system="|".join(SYSTEMS) if SYSTEMS else "__none__",
    audio_system="|".join(PLAN.systems.audio) if PLAN.systems.audio else "__none__",
    video_system="|".join(PLAN.systems.video) if PLAN.systems.video else "__none__",


# What every cell job (audio_predict_*, video_predict, fusion_apply) and the validation
# scores share: the split units that hold a test interval and the cluster (session, actor
# or the unit) each lies in, what the study's one cluster bootstrap resamples (every cell
# draws the same clusters; see emoagree.evaluation.bootstrap.resolve_cluster), and, as
# params, what a cell's metrics depend on (PLAN.evaluation.bootstrap(): resamples,
# interval level and what is resampled).
SPLIT_TABLE = "results/corpus/split.csv"
