"""Reading a figure's PDF back: its size in inches and the size of every text it draws."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

COLUMN_CM = 8.5
MIN_PT = 6.0


def pdf_page_size_in(data: bytes) -> tuple[float, float]:
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]", data)
    assert box, "no MediaBox in the PDF"
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    return (x1 - x0) / 72, (y1 - y0) / 72


def pdf_font_sizes(data: bytes) -> list[float]:
    """Every ``/Font size Tf`` of the PDF's content streams (Flate-compressed or not)."""
    sizes = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        body = match.group(1)
        try:
            body = zlib.decompress(body)
        except zlib.error:
            pass
        sizes += [float(v) for v in re.findall(rb"/F\d+\s+([\d.]+)\s+Tf", body)]
    return sizes


def smallest_print_pt(pdf: Path, width_cm: float = COLUMN_CM) -> float:
    """The smallest text of the figure, in points, once scaled to ``width_cm`` wide."""
    data = Path(pdf).read_bytes()
    width_in, _ = pdf_page_size_in(data)
    sizes = pdf_font_sizes(data)
    assert sizes, f"{pdf}: no text found"
    return min(sizes) * (width_cm / 2.54) / width_in


def assert_journal_figure(png: Path) -> None:
    """The PNG has its PDF beside it, and at one column no text is below 6 pt."""
    png = Path(png)
    pdf = png.with_suffix(".pdf")
    assert png.stat().st_size > 1000, f"{png}: empty"
    assert pdf.exists(), f"{png}: no vector copy {pdf.name}"
    smallest = smallest_print_pt(pdf)
    assert smallest >= MIN_PT, f"{pdf.name}: text of {smallest:.2f} pt at {COLUMN_CM} cm"
