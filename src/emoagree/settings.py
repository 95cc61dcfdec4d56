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


def normalize_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Make a loaded configuration uniform before schema validation.

    YAML reads ``level_overrides: {3: ...}`` with an integer key; the schema and
    :func:`level_settings` use the string form.
    """
    normalized = copy.deepcopy(dict(config))
    overrides = normalized.get("level_overrides") or {}
    normalized["level_overrides"] = {str(k): v for k, v in overrides.items()}
    return normalized
