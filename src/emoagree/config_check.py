"""The configuration against its JSON schema, as one line a user can act on.

``snakemake.utils.validate`` reports a problem as a multi-line dump of the schema, and a
key the schema does not know passes wherever an object is left open. :func:`config_problem`
runs first: every object whose key list is closed (``additionalProperties: false``) refuses
an unknown key with the nearest known one (``min_duration`` -> ``min_duration_s``, ``fold``
-> ``folds``), and any other schema violation is named by its key path; both name the
config file the key came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

#: The key under which any top-level key may be overridden for one level.
OVERRIDES = "level_overrides"


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node[part]
        return node
    return schema


def nearest(key: str, known: Sequence[str]) -> str | None:
    """The known key a typo most likely meant (``None`` when nothing is close)."""
    match = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
    return match[0] if match else None


def unknown_keys(
    config: Mapping[str, Any], schema: Mapping[str, Any]
) -> list[tuple[tuple[str, ...], list[str]]]:
    """Keys the schema does not know, where its key list is closed.

    Returns:
        ``(key path, known keys at that place)`` per unknown key, in config order. A level's
        overrides (``level_overrides: {"3": {...}}``) are checked against the top-level keys.
    """
    found: list[tuple[tuple[str, ...], list[str]]] = []

    def walk(value: Any, node: Mapping[str, Any], path: tuple[str, ...]) -> None:
        node = _resolve(node, schema)
        if isinstance(value, Mapping):
            properties = node.get("properties", {})
            patterns = node.get("patternProperties", {})
            closed = node.get("additionalProperties", True) is False
            for key, item in value.items():
                key = str(key)
                if path == (OVERRIDES,) and re.search(r"^[0-9]+$", key):
                    # a level's overrides: any top-level key, checked as at the top
                    top = {k: v for k, v in schema.get("properties", {}).items() if k != OVERRIDES}
                    walk(item, {"properties": top, "additionalProperties": False},
                         (*path, key))
                elif key in properties:
                    walk(item, properties[key], (*path, key))
                elif any(re.search(p, key) for p in patterns):
                    pattern = next(p for p in patterns if re.search(p, key))
                    walk(item, patterns[pattern], (*path, key))
                elif closed:
                    found.append(((*path, key), sorted(properties)))
            for branch in node.get("oneOf", []) + node.get("anyOf", []):
                branch = _resolve(branch, schema)
                if branch.get("type") == "object" or "properties" in branch:
                    walk(value, branch, path)
        elif isinstance(value, list) and isinstance(node.get("items"), Mapping):
            for item in value:
                walk(item, node["items"], path)

    walk(config, schema, ())
    return found


def key_source(path: Sequence[str], files: Sequence[str | Path]) -> str:
    """The config file (the last one given) that sets the key ``path``, else ``--config``."""
    for file in reversed(list(files)):
        try:
            node: Any = yaml.safe_load(Path(file).read_text())
        except (OSError, yaml.YAMLError):
            continue
        for part in path:
            if not isinstance(node, Mapping):
                break
            matches = [k for k in node if str(k) == part]
            if not matches:
                break
            node = node[matches[0]]
        else:
            return str(file)
    return "--config"


def config_problem(
    config: Mapping[str, Any], schema: Mapping[str, Any], files: Sequence[str | Path]
) -> str | None:
    """One line naming the config file, the key and what is wrong; ``None`` when valid.

    Args:
        config: the merged configuration (defaults, ``--configfile``, ``--config``).
        schema: the loaded JSON schema.
        files: the config files in the order they were merged (later ones win).
    """
    unknown = unknown_keys(config, schema)
    if unknown:
        path, known = unknown[0]
        where = ".".join(path)
        parent = ".".join(path[:-1]) or "the top level"
        guess = nearest(path[-1], known)
        hint = f" (did you mean `{'.'.join((*path[:-1], guess))}`?)" if guess else ""
        more = f"; {len(unknown) - 1} more unknown key(s)" if len(unknown) > 1 else ""
        return (
            f"{key_source(path, files)}: unknown config key `{where}`{hint}; known keys at "
            f"{parent}: {', '.join(known)}{more}"
        )
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(dict(config)), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = jsonschema.exceptions.best_match(errors)
    path = tuple(str(p) for p in error.absolute_path)
    where = ".".join(path) or "the configuration"
    return f"{key_source(path, files)}: config `{where}`: {error.message}"
