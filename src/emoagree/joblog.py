"""A workflow job's log, and what it says on the console: one line, beside its log file.

Every script sends stderr and logging to the rule's log with :func:`log_to`, so nothing it
prints reaches the terminal where snakemake runs. A refusal (bad input, a setting the
data cannot meet) and the few counts a user must see (marks dropped, recordings without
marks) go to both: the log keeps them, and the console shows them as one line without a
traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn, TextIO

from emoagree.checkout import checkout_of_script, source_problem

log = logging.getLogger(__name__)

#: The log lines' format: time, level, logger name, message.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Libraries whose INFO lines are their own bookkeeping (fontTools reports every table it
#: prunes while matplotlib subsets a font into a PDF): only their warnings reach the log.
QUIET_LOGGERS = ("fontTools", "matplotlib", "PIL")


def log_to(path: str) -> TextIO:
    """Send stderr (tracebacks included), warnings and INFO-level logging to ``path``.

    Called by every workflow script before its work; returns the log's stream for the
    package functions that write their notes to a ``log`` argument.
    """
    # emptied, then appended to: the job's worker processes (log_worker_to) append to it
    # too, and a stream that wrote from its own offset would overwrite their lines
    open(path, "w").close()
    _log_stream_to(path, LOG_FORMAT)
    check_package_source()
    return sys.stderr


def log_worker_to(path: str, tag: str) -> None:
    """In a worker process of a job: append its stderr and logging to the job's log
    ``path`` (opened by :func:`log_to`), each logging line tagged ``[tag]``."""
    _log_stream_to(path, LOG_FORMAT.replace("%(message)s", f"[{tag}] %(message)s"))


def _log_stream_to(path: str, line_format: str) -> None:
    sys.stderr = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as the process
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, force=True, format=line_format)
    logging.captureWarnings(True)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def check_package_source(script: str | None = None) -> None:
    """Refuse to run a workflow script with a copy of the package from another checkout.

    ``script`` defaults to the running script (Snakemake sets its ``__file__`` to the
    script in the checkout); a program that is no checkout's script is not checked.
    """
    if script is None:
        script = getattr(sys.modules["__main__"], "__file__", None)
    checkout = checkout_of_script(script) if script else None
    problem = source_problem(checkout) if checkout is not None else None
    if problem:
        refuse("package", problem)


def console(message: str) -> None:
    """``message`` in the job's log and as one line on the console."""
    log.info(message)
    if sys.__stderr__ is not None and sys.__stderr__ is not sys.stderr:
        print(message, file=sys.__stderr__, flush=True)


def refuse(label: str, error: BaseException | str) -> NoReturn:
    """End the job with ``{label} error: {message}``: last line of the log and on the console.

    No traceback: the message names the file, row or config key and what is wrong.
    """
    line = f"{label} error: {error}"
    print(line, file=sys.stderr, flush=True)
    if sys.__stderr__ is not None and sys.__stderr__ is not sys.stderr:
        print(line, file=sys.__stderr__, flush=True)
    sys.exit(1)
