"""The first screen of a report in headless Chromium: does it show the answer?

    .venv/bin/python bench/report_screen.py results/report.html first_screen.png
                                            [--answer results/tables/answer.rst]
                                            [--budget-ms 15000]

Renders REPORT.html (from ``snakemake --report``) at 1400 x 900, saves the first screen to
OUT.png and checks that the answer's heading, its sentence (bold lead whole) and its
figure are on that screen, that the sentence comes before the departures from the paper,
and that no image of the page failed to load; prints what it found (where each sits, in
pixels) and exits 1 when a check fails. The answer's words are read from ``--answer``,
by default ``tables/answer.rst`` beside the report. A large report (the full demo's) may
want a larger ``--budget-ms``: the time Chromium gives the page to render. Needs Debian's
``chromium`` (``make browser``). The check is ``tests/browser_check.py``, the one
``tests/test_browser.py`` runs on a tiny study's report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browser_check import BUDGET_MS, NoChromium, check_first_screen  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="results/report.html")
    parser.add_argument("screenshot", type=Path, help="where to save the first screen (PNG)")
    parser.add_argument("--answer", type=Path, default=None,
                        help="answer.rst (default: tables/answer.rst beside the report)")
    parser.add_argument("--budget-ms", type=int, default=BUDGET_MS,
                        help=f"render time Chromium gives the page (default {BUDGET_MS})")
    args = parser.parse_args(argv)
    try:
        screen = check_first_screen(args.report, args.screenshot, args.answer, args.budget_ms)
    except (NoChromium, FileNotFoundError, ValueError) as problem:
        print(f"report_screen: {problem}", file=sys.stderr)
        return 2
    print("\n".join(screen.findings()))
    return 0 if not screen.problems else 1


if __name__ == "__main__":
    sys.exit(main())
