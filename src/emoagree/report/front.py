"""The report's front page: the answer's figure embedded beside the answer's words.

Snakemake's ``embeddedimage`` directive leaves the file path in the page (the image then
fails to load in the self-contained report), so the figure is embedded here as a data URI
in a reStructuredText snippet that the workflow description includes.
"""

from __future__ import annotations

import base64
from pathlib import Path

#: The HTML class the workflow description's style floats beside the answer.
FIGURE_CLASS = "answer-figure"


def figure_rst(png: str | Path, alt: str) -> str:
    """An ``image`` directive showing ``png`` inline (base64 data URI), class
    :data:`FIGURE_CLASS`."""
    data = Path(png).read_bytes()
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError(f"{png}: not a PNG file")
    if "\n" in alt:
        raise ValueError("the figure's alt text must be one line")
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    # docutils refuses lines over 10,000 characters and drops whitespace inside a URI
    lines = [uri[k:k + 76] for k in range(0, len(uri), 76)]
    body = "\n   ".join(lines)
    return f".. image:: {body}\n   :class: {FIGURE_CLASS}\n   :alt: {alt}\n"


def write_figure_rst(png: str | Path, alt: str, out: str | Path) -> None:
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(figure_rst(png, alt))
