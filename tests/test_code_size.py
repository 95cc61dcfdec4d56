"""The package stays made of small pieces: no function (or method) over 80 lines, no module
over 450 lines. A function is counted from its ``def`` line to its last line (docstring and
comments included); a module by its lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "emoagree"
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 450


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def function_sizes(path: Path) -> list[tuple[str, int]]:
    """(name, lines) of every function and method of a module, nested ones included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]


def test_the_walk_finds_the_package():
    names = {path.relative_to(PACKAGE).as_posix() for path in modules()}
    assert {"__init__.py", "plan/__init__.py", "evaluation/scores.py"} <= names


def test_no_function_is_over_80_lines():
    long = [
        f"{path.relative_to(PACKAGE).as_posix()}::{name} ({size} lines)"
        for path in modules()
        for name, size in function_sizes(path)
        if size > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_module_is_over_450_lines():
    long = [
        f"{path.relative_to(PACKAGE).as_posix()} ({n} lines)"
        for path in modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"
