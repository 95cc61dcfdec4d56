"""How every figure of the study looks: journal sizes, fonts, one colour per system.

Figures are drawn at their print size, at most :data:`MAX_WIDTH_IN` wide, with no text
below :data:`MIN_FONT_PT`, so that scaled to one journal column (8.5 cm) no text falls
below 6 pt (and at two columns it only grows). Legends sit outside the axes. Systems are
named by short names (``A-LR``, ``V-EffNet``, ``A-LR+V-EffNet``); which backbone and
weights ran is said in the caption. Each system has one colour of a colour-blind-safe
palette (Okabe-Ito, completed by Paul Tol's muted wine, olive, teal and indigo), the same
in every figure and every run. :func:`save_figure` writes the PNG and a PDF beside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from emoagree.naming import short_name, short_names  # noqa: E402, F401 (re-exported)

#: One journal column, in inches (8.5 cm).
COLUMN_IN = 8.5 / 2.54
#: The smallest text allowed once a figure is scaled to one column.
MIN_PRINT_PT = 6.0
#: The smallest font a figure uses, and so the widest a figure may be.
MIN_FONT_PT = 7.0
MAX_WIDTH_IN = COLUMN_IN * MIN_FONT_PT / MIN_PRINT_PT

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
#: Every system the workflow can plan, with its colour (fixed across figures and runs).
SYSTEM_COLOURS = {
    "audio_svm": OKABE_ITO["orange"],
    "audio_lr": OKABE_ITO["sky blue"],
    "audio_lstm": OKABE_ITO["bluish green"],
    "video_vggf_rf": OKABE_ITO["reddish purple"],
    "video_effnet": OKABE_ITO["blue"],
    "fusion_audio_svm_video_vggf_rf": "#882255",  # Tol muted: wine
    "fusion_audio_svm_video_effnet": OKABE_ITO["vermillion"],
    "fusion_audio_lr_video_vggf_rf": "#999933",  # Tol muted: olive
    "fusion_audio_lr_video_effnet": OKABE_ITO["black"],
    "fusion_audio_lstm_video_vggf_rf": "#44AA99",  # Tol muted: teal
    "fusion_audio_lstm_video_effnet": "#332288",  # Tol muted: indigo
}
#: Marker per modality, so that systems also differ in shape.
MARKERS = {"audio": "s", "video": "^", "fusion": "o"}
#: Sequential colours of the agreement levels (viridis steps; colour-blind safe).
LEVEL_CMAP = "viridis"

RC = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": 8,
    "figure.titlesize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,  # TrueType text: editable in the journal's tools
    "svg.fonttype": "none",
    "lines.linewidth": 1.2,
    "lines.markersize": 4,
}


def _known(system: str) -> None:
    short_name(system)  # an unknown system fails there
    if system not in SYSTEM_COLOURS:
        raise ValueError(
            f"unknown system {system!r}: no colour or short name (known: "
            f"{', '.join(SYSTEM_COLOURS)})"
        )


def system_colour(system: str) -> str:
    """The system's colour, the same in every figure."""
    _known(system)
    return SYSTEM_COLOURS[system]


def system_marker(system: str) -> str:
    _known(system)
    return MARKERS[system.split("_")[0]]


def level_colours(n: int) -> list[tuple]:
    """``n`` colours for agreement levels 1..n (low: dark, high: light)."""
    cmap = plt.get_cmap(LEVEL_CMAP)
    return [cmap(0.85 * i / max(n - 1, 1)) for i in range(n)]


def figure_size(width_in: float, height_in: float) -> tuple[float, float]:
    """A figure size, refused when wider than a column allows at the minimum font."""
    if width_in > MAX_WIDTH_IN + 1e-9:
        raise ValueError(f"figure width {width_in:.2f} in exceeds {MAX_WIDTH_IN:.2f} in")
    return width_in, height_in


@contextmanager
def journal() -> Iterator[None]:
    """Matplotlib settings of every figure (fonts in points at print size)."""
    with plt.rc_context(RC):
        yield


def vector_path(path: str | Path) -> Path:
    """The PDF beside a figure's PNG: ``tradeoff.png`` -> ``tradeoff.pdf``."""
    return Path(path).with_suffix(".pdf")


def save_figure(fig, path: str | Path, dpi: int = 300) -> Path:
    """Write the figure as PNG at ``path`` and as PDF beside it; close it.

    Both copies are cropped to the drawn content (legends outside the axes included).

    Returns:
        The PDF's path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    vector = vector_path(path)
    fig.savefig(path, dpi=dpi, bbox_inches="tight", pad_inches=0.02)
    fig.savefig(vector, bbox_inches="tight", pad_inches=0.02)
    plt.close(fig)
    return vector
