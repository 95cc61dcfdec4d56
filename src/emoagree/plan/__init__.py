"""The study plan: the validated configuration read once, into typed, frozen values.

``workflow/rules/common.smk`` builds ``PLAN = build_plan(config)`` right after the config
is validated against ``workflow/schemas/config.schema.yaml``; the rules take what their
jobs need from ``PLAN`` (through ``params:``) and no rule, script or package function
reads the config again. The plan holds:

- the corpus adapter (:data:`emoagree.corpus.plan.ADAPTERS`, one class per
  ``corpus.format``) and what it planned: recordings, source marks, media seconds, shards;
- the demo generator's settings (defaults from the schema only);
- the levels and each level's settings (:func:`emoagree.settings.level_settings`);
- the split protocol and its one description (:mod:`emoagree.plan.protocol`);
- the systems x train rows x folds x replicates grid;
- the seeds (one rule for every system: :meth:`StudyPlan.seed_of`);
- the evaluation (bootstrap) settings.

Why dataclasses and not pydantic: the config is validated by the JSON schema (snakemake's
``validate``, which also fills its defaults), so a second validation layer would repeat
the schema's bounds, and pydantic is not a dependency of the package or of the conda envs
the jobs run in. Frozen dataclasses give the typed, read-only record the rules need with
the standard library alone. The model sections (``audio``, ``video``, ``fusion``, ...) stay
mappings (:attr:`StudyPlan.sections`, :meth:`StudyPlan.settings`): the training code takes
them as mappings and the rules pass on only the keys each job reads
(:mod:`emoagree.settings`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from emoagree.corpus.demo.plan import DemoSettings, demo_config, demo_settings
from emoagree.corpus.plan import (
    CorpusAdapter,
    check_levels,
    corpus_adapter,
    plan_durations,
    plan_marks,
    plan_recordings,
)
from emoagree.levels.arms import ARM_ROWS, NETWORK_ONLY_ARMS, ROW_ARMS
from emoagree.levels.folds import global_folds, n_folds, n_repeats
from emoagree.plan.protocol import SplitProtocol
from emoagree.settings import level_settings
from emoagree.shards import plan_shards
from emoagree.training.replicates import replicate_seed, replicate_suffixes

#: Systems that train per epoch and so can follow a curriculum (arm Mc).
NETWORK_SYSTEMS = ("audio_lstm", "video_effnet")


@dataclass(frozen=True)
class CorpusOptions:
    """How the corpus stage reads the marks (``corpus.*`` besides format and path)."""

    tolerance_s: float
    fold_labels: bool
    label_map: Mapping[str, str | None]
    accept_empty_media: bool


@dataclass(frozen=True)
class FeatureSettings:
    """Shards of the per-recording feature stages (``features``)."""

    shard_media_s: float
    own_shard_s: float
    embedding_media_s: float


@dataclass(frozen=True)
class SplitSettings:
    """The split rule's own settings besides the protocol (``split``)."""

    guard_s: float
    test_fraction: float
    val_fraction: float


@dataclass(frozen=True)
class EvaluationSettings:
    """The study's one cluster bootstrap (``evaluation``) and the split strategy it uses."""

    bootstrap_resamples: int
    ci_level: float
    cluster: str
    strategy: str
    section: Mapping[str, Any] = field(default_factory=dict)

    def bootstrap(self) -> dict[str, Any]:
        """What every cell job and the validation scores are given (``evaluation``)."""
        return {
            "bootstrap_resamples": self.bootstrap_resamples,
            "ci_level": self.ci_level,
            "cluster": self.cluster,
            "strategy": self.strategy,
        }


@dataclass(frozen=True)
class Systems:
    """The audio, video and fused systems the corpus supports (from its media columns)."""

    audio: tuple[str, ...]
    video: tuple[str, ...]
    fusion: tuple[str, ...]
    #: the configured audio systems (a fused name is ``fusion_<audio>_<video>``)
    configured_audio: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.audio + self.video + self.fusion

    def fusion_members(self, system: str) -> tuple[str, str]:
        """(audio system, video system) of a fused system's name."""
        for audio in self.configured_audio:
            prefix = f"fusion_{audio}_"
            if system.startswith(prefix):
                return audio, system[len(prefix) :]
        raise ValueError(f"{system} is not a fused system of the configured audio systems")


@dataclass(frozen=True, eq=False)
class StudyPlan:
    """The study, as the workflow plans it (see the module's description)."""

    seed: int
    emotions: tuple[str, ...]
    corpus: CorpusAdapter
    corpus_options: CorpusOptions
    demo: DemoSettings | None
    levels: tuple[int, ...]
    split: SplitProtocol
    split_settings: SplitSettings
    folds: tuple[int, ...]
    replicates: tuple[str, ...]
    systems: Systems
    arms: tuple[str, ...]
    arm_settings: Mapping[str, Any]
    evaluation: EvaluationSettings
    features: FeatureSettings
    #: ``recording, audio_path, video_path`` of every planned recording
    recordings: pd.DataFrame
    #: the source marks (csv, RAMAS) as text cells; None for the demo
    marks: pd.DataFrame | None
    durations: Mapping[str, float]
    shards: Mapping[str, list[str]]
    #: the validated config's sections (model settings are read per level: settings())
    sections: Mapping[str, Any]
    #: lines for the run's log (e.g. a branch left out for want of media)
    notes: tuple[str, ...] = ()

    # --- levels and seeds --------------------------------------------------------------
    def settings(self, row: int | str) -> dict[str, Any]:
        """The configuration seen by the jobs of one level (global values + its overrides).
        A training arm's row (Mw, Ms, Mc) trains on level 1's intervals with level 1's
        settings."""
        return level_settings(self.sections, 1 if str(row) in ROW_ARMS else row)

    def seed_of(self, row: int | str) -> int:
        """The seed of what is trained for train row ``row`` (every system's models and
        the fusion weights): ``seed``, or the row's level's ``level_overrides`` seed (an arm
        row's is level 1's). The study's own random choices (demo corpus, split,
        bootstrap) take :attr:`seed`, which no override changes."""
        return int(self.settings(row)["seed"])

    def training_seed(self, row: int | str, replicate: str) -> int:
        """The seed of one replicate (its path suffix) of train row ``row``."""
        return replicate_seed(self.seed_of(row), replicate)

    # --- the grid ----------------------------------------------------------------------
    @property
    def n_folds(self) -> int:
        """K: the folds of one repeat."""
        return self.split.folds

    @property
    def n_repeats(self) -> int:
        return self.split.repeats

    @property
    def n_replicates(self) -> int:
        """R: the seeded training replicates of every model."""
        return len(self.replicates)

    def arm_rows(self, system: str) -> list[str]:
        """The arm rows (Mw, Ms, Mc) planned for ``system``: a curriculum only for the
        networks; a fused pair only the rows both of its members have."""
        if system.startswith("fusion_"):
            audio, video = self.systems.fusion_members(system)
            theirs = set(self.arm_rows(video))
            return [row for row in self.arm_rows(audio) if row in theirs]
        return [
            ARM_ROWS[arm]
            for arm in self.arms
            if arm not in NETWORK_ONLY_ARMS or system in NETWORK_SYSTEMS
        ]

    def train_rows(self, system: str) -> list[int | str]:
        """The rows of ``system``'s cross-evaluation: every level, then its arm rows."""
        return [*self.levels, *self.arm_rows(system)]

    def grid(self) -> list[tuple[str, int | str, int, str]]:
        """Every trained model: (system, train row, global fold, replicate suffix).
        A fused system's "model" is its weights, one per (row, fold, replicate) too."""
        return [
            (system, row, fold, rep)
            for system in self.systems.all
            for row in self.train_rows(system)
            for rep in self.replicates
            for fold in self.folds
        ]

    # --- what the rules pass on ----------------------------------------------------------
    def demo_params(self) -> dict[str, Any]:
        """The demo generator's settings as the config writes them (rule demo_corpus)."""
        if self.demo is None:
            raise ValueError("the corpus is not the demo (corpus.format is not demo)")
        return demo_config(self.demo)


def _media_present(recordings: pd.DataFrame, column: str) -> bool:
    return bool(recordings[column].fillna("").astype(str).str.len().gt(0).any())


def plan_systems(
    systems: Mapping[str, Any], has_audio: bool, has_video: bool
) -> tuple[Systems, list[str]]:
    """The systems the corpus can support, and a note when a branch is left out.

    Raises:
        ValueError: a ``systems.fusion`` pair names a system that is not configured.
    """
    configured_audio = list(systems["audio"])
    configured_video = list(systems["video"])
    audio = configured_audio if has_audio else []
    video = configured_video if has_video else []
    pairs = systems.get("fusion", "all")
    if pairs == "all":
        pairs = [(a, v) for a in configured_audio for v in configured_video]
    for pair in pairs:
        unknown = [s for s in pair if s not in configured_audio + configured_video]
        if unknown:
            raise ValueError(
                f"config systems.fusion pair {list(pair)} names {unknown}, which is not among "
                "systems.audio / systems.video"
            )
    fusion = [f"fusion_{a}_{v}" for a, v in pairs if a in audio and v in video]
    notes = []
    if not has_audio or not has_video:
        missing = "audio" if not has_audio else "video"
        notes.append(
            f"the corpus has no {missing} files; planning only the "
            f"{'video' if not has_audio else 'audio'} branch (no fusion)."
        )
    planned = Systems(tuple(audio), tuple(video), tuple(fusion), tuple(configured_audio))
    return planned, notes


def corpus_of(config: Mapping[str, Any]) -> CorpusAdapter:
    """The corpus adapter of a validated config (``corpus.format``, ``corpus.path``, the
    demo's settings over the schema's defaults, ``seed``)."""
    corpus = config["corpus"]
    if corpus["format"] != "demo":
        # only the demo is generated from the seed
        return corpus_adapter(corpus["format"], str(corpus["path"]))
    demo = demo_settings(corpus.get("demo"))
    return corpus_adapter(corpus["format"], str(corpus["path"]), demo, int(config["seed"]))


def build_plan(config: Mapping[str, Any]) -> StudyPlan:
    """The study plan of a validated config (normalized by
    :func:`emoagree.settings.normalize_config`, checked against the schema, its defaults
    filled). Plans the corpus (reads a csv or RAMAS corpus's tables and media headers).

    Raises:
        CorpusError: the corpus cannot be planned (no marks, a level that cannot exist).
        ValueError: a setting the plan cannot use (folds, repeats, a fusion pair).
    """
    config = copy.deepcopy(dict(config))
    corpus = corpus_of(config)
    levels = tuple(int(level) for level in config["levels"])
    recordings = plan_recordings(corpus)
    # the corpus's own checks first: a header-only annotations.csv is a corpus problem
    marks = plan_marks(corpus)
    split = config["split"]
    folds, repeats = n_folds(split), n_repeats(split)
    check_levels(levels, corpus.max_annotators(marks))
    durations = plan_durations(corpus, recordings)
    features = config["features"]
    systems, notes = plan_systems(
        config["systems"],
        _media_present(recordings, "audio_path"),
        _media_present(recordings, "video_path"),
    )
    evaluation = config["evaluation"]
    section = config["corpus"]
    return StudyPlan(
        seed=int(config["seed"]),
        emotions=tuple(config["emotions"]),
        corpus=corpus,
        corpus_options=CorpusOptions(
            tolerance_s=section["tolerance_s"],
            fold_labels=section["fold_labels"],
            label_map=section.get("label_map") or {},
            accept_empty_media=section["accept_empty_media"],
        ),
        demo=corpus.demo,
        levels=levels,
        split=SplitProtocol(split["strategy"], split["unit"], folds, repeats),
        split_settings=SplitSettings(
            guard_s=split["guard_s"],
            test_fraction=split["test_fraction"],
            val_fraction=split["val_fraction"],
        ),
        folds=tuple(global_folds(folds, repeats)),
        replicates=tuple(replicate_suffixes(config.get("replicates", 1))),
        systems=systems,
        arms=tuple(str(arm) for arm in config.get("training_arms") or []),
        arm_settings=config.get("arms") or {},
        evaluation=EvaluationSettings(
            bootstrap_resamples=evaluation["bootstrap_resamples"],
            ci_level=evaluation["ci_level"],
            cluster=evaluation.get("cluster", "auto"),
            strategy=split.get("strategy", "stratified"),
            section=evaluation,
        ),
        features=FeatureSettings(
            shard_media_s=features["shard_media_s"],
            own_shard_s=features["own_shard_s"],
            embedding_media_s=features["embedding_media_s"],
        ),
        recordings=recordings,
        marks=marks,
        durations=durations,
        shards=plan_shards(durations, features["shard_media_s"], features["own_shard_s"]),
        sections=config,
        notes=tuple(notes),
    )
