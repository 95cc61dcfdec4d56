"""The workflow's JSON schema (``workflow/schemas/config.schema.yaml``) as data.

The schema is the one place where the configuration's bounds and the defaults of the
settings that config.yaml leaves out are written (today the demo generator's,
``corpus.demo``); code that needs such a default reads it here instead of keeping a copy.
"""

from __future__ import annotations

import copy
import functools
import os
from typing import Any

import yaml

#: The schema, relative to the repository root (``src/emoagree/`` is two levels down).
SCHEMA_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "workflow",
    "schemas",
    "config.schema.yaml",
)


@functools.lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    with open(SCHEMA_PATH) as handle:
        return yaml.safe_load(handle)


def load_schema() -> dict[str, Any]:
    """The schema as a mapping (a copy: callers may change it)."""
    return copy.deepcopy(_schema())


def section_defaults(*keys: str) -> dict[str, Any]:
    """The ``default`` of every property of the object at ``keys`` (e.g. ``"corpus",
    "demo"``), for the properties that have one.

    Raises:
        KeyError: ``keys`` names no object of the schema.
    """
    node = _schema()
    for key in keys:
        node = node["properties"][key]
    return {
        name: copy.deepcopy(spec["default"])
        for name, spec in node["properties"].items()
        if "default" in spec
    }
