"""Which copy of the package a run imports: the one installed from the workflow's checkout.

The package is installed, not put on a path: `make install` installs it editable into
`.venv` (the Python that runs Snakemake and, without conda, every job), and each conda env
installs it from the checkout after the env is created (`envs/<env>.post-deploy.sh`,
which reads :data:`CHECKOUT_VARIABLE`). An environment installed from another checkout
(two clones sharing one `.venv`, or one conda prefix) would run that checkout's code
under this workflow's rules and give no sign of it, so the workflow checks the copy it
imports when it is parsed (`workflow/rules/common.smk`) and every job checks it before its
work (:func:`emoagree.joblog.log_to`).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable naming the checkout a conda env's post-deploy script installs.
CHECKOUT_VARIABLE = "EMOAGREE_CHECKOUT"


def package_dir() -> Path:
    """The folder of the imported ``emoagree`` package, symbolic links resolved."""
    return Path(os.path.realpath(Path(__file__).parent))


def checkout_of_script(script: str | os.PathLike) -> Path | None:
    """The checkout a workflow script belongs to (``<checkout>/scripts/x.py``), or None.

    None for anything that is not a script of a checkout (a test runner, a notebook):
    those are not checked.
    """
    path = Path(os.path.realpath(script))
    checkout = path.parent.parent
    if path.parent.name != "scripts" or not (checkout / "src" / "emoagree").is_dir():
        return None
    return checkout


def source_problem(checkout: str | os.PathLike, imported: Path | None = None) -> str | None:
    """Why the imported package is not the checkout's own (None when it is).

    ``imported`` is the package folder in use (default: this one). The message names both
    folders and the two ways to fix it.
    """
    expected = Path(os.path.realpath(Path(checkout) / "src" / "emoagree"))
    imported = package_dir() if imported is None else Path(os.path.realpath(imported))
    if imported == expected:
        return None
    return (
        f"the emoagree package in use is {imported}, not this workflow's {expected}: the "
        f"jobs would run another copy's code. Install this checkout into the environment "
        f"(`make install`, or `pip install -e {Path(checkout)}`), or put "
        f"{expected.parent} first on PYTHONPATH."
    )
