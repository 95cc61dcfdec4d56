"""What a workflow job says on the console: one line, beside its log file.

A job's script sends stderr to its log (:func:`emoagree.audio.runlog.log_to`), so nothing
it prints reaches the terminal where snakemake runs. A refusal (bad input, a setting the
data cannot meet) and the few counts a user must see (marks dropped, recordings without
marks) go to both: the log keeps them, and the console shows them as one line without a
traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

log = logging.getLogger(__name__)


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
