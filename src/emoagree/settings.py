"""Per-level settings: the global configuration with one level's overrides merged in.

Any key of the configuration may be overridden for a single level under
``level_overrides: {"3": {...}}``. Rules pass ``level_settings(config, level)[...]`` through
``params:`` so that changing level 3's settings reruns only level 3's jobs.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of ``base`` with ``override`` merged in, recursing into mappings."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def level_settings(config: Mapping[str, Any], level: int | str) -> dict[str, Any]:
    """The configuration as seen by the jobs of one agreement level."""
    overrides = config.get("level_overrides") or {}
    own = overrides.get(str(level)) or overrides.get(int(level)) or {}
    base = {k: v for k, v in config.items() if k != "level_overrides"}
    return deep_merge(base, own)


def _as_level(value: Any) -> Any:
    """``'3'`` or ``3`` -> 3; anything else is left for the schema to refuse by name."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def normalize_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Make a loaded configuration uniform before schema validation.

    - ``snakemake --config levels=[1,2,3]`` hands the list items over as strings
      (``'1'``); a single level (``levels=3``) comes as one value. Both become a list of
      integers.
    - YAML reads ``level_overrides: {3: ...}`` with an integer key and ``--config`` with a
      string one; the schema and :func:`level_settings` use the string form (``"3"``).
    - ``evaluation.clear_best`` (the former P(best) threshold) is refused with a message
      that says what replaced it.
    """
    normalized = copy.deepcopy(dict(config))
    if "clear_best" in (normalized.get("evaluation") or {}):
        raise ValueError(
            "config evaluation.clear_best is gone: the answer no longer calls a level "
            "clearly best at a P(best) threshold; it reports a 95 % confidence set for the "
            "best train row (ci_level) and names a row only when the set holds that row "
            "alone. Remove evaluation.clear_best from the config."
        )
    levels = normalized.get("levels")
    if levels is not None:
        if isinstance(levels, str) and levels.strip().startswith("["):
            levels = [part for part in levels.strip()[1:-1].split(",") if part.strip()]
        if not isinstance(levels, (list, tuple)):
            levels = [levels]
        normalized["levels"] = [_as_level(level) for level in levels]
    overrides = normalized.get("level_overrides") or {}
    normalized["level_overrides"] = {str(_as_level(k)): v for k, v in overrides.items()}
    return normalized


# --- the settings each training rule reads ---------------------------------------------
# Rules pass only these through ``params:`` (never a whole section such as ``audio``), so a
# setting reruns only the jobs whose code reads it: ``audio.pca_grid`` the classic models,
# ``audio.lstm.*`` the LSTM, the forest's grid the forest (not the embeddings).

#: keys of ``audio`` read by audio_svm / audio_lr training (plus the system's own section)
CLASSIC_KEYS = ("pca_grid", "inner_folds", "class_weight")
#: keys of ``audio`` read by audio_lstm training
LSTM_KEYS = ("min_duration_s", "device", "lstm")
#: keys of ``video.vggf_rf`` read by the forest's training (the backbone, weights, image
#: size and batch size shape the embeddings, which are its input files)
FOREST_KEYS = (
    "n_estimators",
    "grid",
    "max_depth",
    "min_samples_leaf",
    "inner_folds",
    "class_weight",
    "max_frames_per_interval",
)


def _pick(section: Mapping[str, Any], keys) -> dict[str, Any]:
    return {key: copy.deepcopy(section[key]) for key in keys if key in section}


def classic_settings(audio: Mapping[str, Any], system: str) -> dict[str, Any]:
    """What audio_svm or audio_lr training reads of the ``audio`` section: the PCA grid,
    inner folds, class weights and the system's own section (``svm`` or ``lr``)."""
    own = system.removeprefix("audio_")
    if own not in ("svm", "lr"):
        raise ValueError(f"unknown classic audio system {system!r}; expected audio_svm or audio_lr")
    return _pick(audio, (*CLASSIC_KEYS, own))


def lstm_settings(audio: Mapping[str, Any]) -> dict[str, Any]:
    """What audio_lstm training reads of the ``audio`` section."""
    return _pick(audio, LSTM_KEYS)


def forest_settings(vggf_rf: Mapping[str, Any]) -> dict[str, Any]:
    """What video_vggf_rf training reads of the ``video.vggf_rf`` section."""
    return _pick(vggf_rf, FOREST_KEYS)


# --- demo sizes ------------------------------------------------------------------------
#: the config block of CPU sizes merged over the defaults while corpus.format is demo
DEMO_SIZES = "demo_sizes"


def sized_config(config: Mapping[str, Any], user: Mapping[str, Any] | None) -> dict[str, Any]:
    """The configuration with the ``demo_sizes`` block applied while ``corpus.format`` is
    demo: config.yaml's defaults (meant for a real corpus), then ``demo_sizes``, then the
    user's own settings (``user``: the --configfile files and --config values, which
    Snakemake has already merged into ``config``), so a user's value always wins. Any
    other format gets ``config`` unchanged."""
    if not uses_demo_sizes(config):
        return copy.deepcopy(dict(config))
    return deep_merge(deep_merge(config, config.get(DEMO_SIZES) or {}), user or {})


def uses_demo_sizes(config: Mapping[str, Any]) -> bool:
    """Whether the ``demo_sizes`` block applies: the bundled demo corpus only."""
    return (config.get("corpus") or {}).get("format") == "demo" and bool(config.get(DEMO_SIZES))


def describe_sizes(config: Mapping[str, Any]) -> str:
    """One line saying which block of sizes applied (the run's log and the departures)."""
    if uses_demo_sizes(config):
        return (
            "model sizes: the demo_sizes block of config.yaml applied (corpus.format demo: "
            "CPU sizes for the bundled demo, not meant for a real corpus)"
        )
    return (
        "model sizes: config.yaml's defaults for a real corpus (corpus.format "
        f"{(config.get('corpus') or {}).get('format')}; the demo_sizes block does not apply)"
    )
