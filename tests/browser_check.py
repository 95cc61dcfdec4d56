"""The first screen of a report in a real browser: headless Chromium opens a
``results/report.html`` (``snakemake --report``) at 1400 x 900, saves a screenshot and
checks that the answer's heading, its sentence and its figure are on the first screen and
that no image of the page failed to load.

Used by ``tests/test_browser.py`` (a tiny study's report) and by
``bench/report_screen.py REPORT.html OUT.png`` (any report, e.g. the demo's). Chromium is
Debian's ``chromium`` package (``make browser`` installs it where missing).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

import numpy as np

WIDTH, HEIGHT = 1400, 900
#: virtual time (ms) Chromium gives the page to render before it dumps or shoots it
BUDGET_MS = 15000
#: the answer's heading when no answer.rst says it (emoagree.report.answer)
ANSWER_HEADING = "The answer"
#: the departures' heading: the answer's sentence must come before it
DEPARTURES_HEADING = "Departures from config/ramas_paper.yaml"
NO_CHROMIUM = (
    "no Chromium on PATH, so the report cannot be opened in a browser: install Debian's "
    "chromium (`apt-get install -y --no-install-recommends chromium`, as `make browser` "
    "does)"
)
# Run after the page has rendered: the state of every image and where the answer sits.
PROBE = """
<script>
function probeReport(tries) {
  // the report renders after load; wait for it and for every image to settle
  const images = [...document.querySelectorAll("img")];
  const settled = images.every((i) => i.complete);
  if ((!document.querySelector("div.document") || !settled) && tries < %(tries)d) {
    setTimeout(() => probeReport(tries + 1), 250);
    return;
  }
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return {top: r.top, left: r.left, bottom: r.bottom, right: r.right}; };
  const figure = document.querySelector("img.answer-figure");
  const heading = document.querySelector("div.document h1, div.document h2");
  // the answer's sentence: the first paragraph after the heading, and its bold lead
  let sentence = heading ? heading.nextElementSibling : null;
  while (sentence && sentence.tagName !== "P") { sentence = sentence.nextElementSibling; }
  const lead = sentence ? sentence.querySelector("strong") : null;
  const probe = document.createElement("pre");
  probe.id = "browser-probe";
  probe.textContent = JSON.stringify({
    rendered: tries < %(tries)d,
    images: images.length,
    broken: images.filter((i) => !(i.complete && i.naturalWidth > 0))
      .map((i) => i.getAttribute("alt") || i.getAttribute("src").slice(0, 80)),
    figure: box(figure),
    figure_natural_width: figure ? figure.naturalWidth : 0,
    heading: box(heading),
    heading_text: heading ? heading.textContent.trim() : null,
    sentence: box(sentence),
    sentence_text: sentence ? sentence.textContent.replace(/\\s+/g, " ").trim() : null,
    lead: box(lead),
  });
  document.body.appendChild(probe);
}
window.addEventListener("load", () => probeReport(0));
</script>
"""


class NoChromium(RuntimeError):
    """Chromium is not installed."""


def chromium() -> str:
    """The Chromium executable; :class:`NoChromium` where there is none."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise NoChromium(NO_CHROMIUM)


def run_chromium(*args: str, budget_ms: int = BUDGET_MS) -> str:
    """Headless Chromium at WIDTH x HEIGHT with ``args``; its stdout."""
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={WIDTH},{HEIGHT}", f"--virtual-time-budget={budget_ms}", *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=600 + budget_ms // 1000)
    if result.returncode != 0:
        raise RuntimeError(f"chromium failed ({result.returncode}): {result.stderr[-3000:]}")
    return result.stdout


def probe_script(budget_ms: int = BUDGET_MS) -> str:
    """PROBE, waiting for the page at most the whole virtual time budget."""
    return PROBE % {"tries": max(1, budget_ms // 250)}


def with_probe(report: Path, probed: Path, budget_ms: int = BUDGET_MS) -> Path:
    """A copy of ``report`` with the probe before its last ``</body>`` (the page's own)."""
    head, tag, tail = Path(report).read_text().rpartition("</body>")
    if not tag:
        raise ValueError(f"{report}: no </body>; is this an HTML report?")
    probed.write_text(head + probe_script(budget_ms) + tag + tail)
    return probed


def probe_page(page: Path, budget_ms: int = BUDGET_MS) -> dict:
    """What the probe found on ``page`` (a page that includes it), with the rendered DOM
    under ``dom``; the DOM is read after the page settles (a loaded machine may need a
    second try)."""
    for _ in range(3):
        dom = run_chromium("--dump-dom", page.as_uri(), budget_ms=budget_ms)
        found = re.search(r'<pre id="browser-probe">(.*?)</pre>', dom, re.S)
        if found:
            return json.loads(unescape(found.group(1))) | {"dom": dom}
    raise RuntimeError(f"{page}: the page did not finish rendering (no probe result)")


def first_paragraph(rst: str) -> str:
    """The answer's first sentence: the first paragraph after the title, as plain text."""
    paragraphs = [p.strip() for p in rst.split("\n\n") if p.strip()]
    body = [p for p in paragraphs if not re.fullmatch(r"[^\n]+\n=+", p)]
    text = re.sub(r"\*\*|``", "", body[0])
    return " ".join(text.split())


def visible_text(html: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


def page_text(dom: str) -> str:
    """The visible text of the report's document (the page the app renders)."""
    page = dom[dom.index('id="app"'):] if 'id="app"' in dom else dom
    start = page.find('class="document"')
    return visible_text(page[start:] if start >= 0 else page)


def answer_rst_of(report: Path) -> Path | None:
    """``results/tables/answer.rst`` beside ``results/report.html``, where it exists."""
    path = Path(report).resolve().parent / "tables" / "answer.rst"
    return path if path.is_file() else None


def _on_screen(box: dict | None) -> bool:
    return bool(box) and 0 <= box["top"] < HEIGHT and box["left"] < WIDTH


def _ink(image: np.ndarray, box: dict) -> float:
    """The share of dark pixels of ``box``'s part of the first screen."""
    top, left = max(int(box["top"]), 0), max(int(box["left"]), 0)
    bottom, right = int(min(box["bottom"], HEIGHT)), int(min(box["right"], WIDTH))
    region = image[top:bottom, left:right]
    return float(np.mean(region.mean(axis=2) < 0.5)) if region.size else 0.0


@dataclass
class FirstScreen:
    """What the browser found on a report's first screen (boxes in CSS pixels of the
    1400 x 900 window: top, left, bottom, right)."""

    report: str
    screenshot: str
    state: dict
    expected_heading: str
    expected_sentence: str | None
    text: str
    figure_ink: float
    screen_std: float
    problems: list[str] = field(default_factory=list)

    def findings(self) -> list[str]:
        """One line per thing checked, as ``bench/report_screen.py`` prints them."""
        s = self.state

        def where(box):
            if not box:
                return "not found"
            place = "on the first screen" if _on_screen(box) else "NOT on the first screen"
            return (f"at x {box['left']:.0f}-{box['right']:.0f}, y {box['top']:.0f}-"
                    f"{box['bottom']:.0f} ({place})")

        sentence = (s.get("sentence_text") or "")[:100]
        return [
            f"report: {self.report}",
            f"rendered: {'yes' if s['rendered'] else 'NO'}; images on the page: "
            f"{s['images']}, failed to load: {s['broken'] or 'none'}",
            f"first heading: {s['heading_text']!r} {where(s['heading'])}",
            f"answer's sentence: {sentence!r}... {where(s['sentence'])}; its bold lead "
            f"{where(s['lead'])}",
            f"answer's figure: {s['figure_natural_width']} px wide in the file, "
            f"{where(s['figure'])}; {100 * self.figure_ink:.1f}% of it inked on screen",
            f"screenshot: {self.screenshot} ({WIDTH} x {HEIGHT})",
            "verdict: " + ("OK" if not self.problems else "FAILED: " + "; ".join(self.problems)),
        ]


def check_first_screen(
    report: Path,
    screenshot: Path,
    answer_rst: Path | None = None,
    budget_ms: int = BUDGET_MS,
) -> FirstScreen:
    """Render ``report`` in headless Chromium at 1400 x 900, save its first screen to
    ``screenshot`` (PNG) and check it.

    Checked: the page rendered; no image failed to load; the first heading is the answer's
    (``answer_rst``'s title; default: ``tables/answer.rst`` beside the report, else "The
    answer"); the answer's sentence (the first paragraph after it; with ``answer_rst``,
    its first paragraph's text) starts on the first screen with its bold lead whole, and
    comes before the departures from the paper; the answer's figure (``img.answer-figure``)
    loaded, starts on the first screen, shows at least 200 px of its height there, fits
    the width and is inked in the screenshot; no docutils error on the page; the
    screenshot is not blank. Failures are listed in ``problems`` (empty: all passed).
    """
    report = Path(report)
    if not report.is_file():
        raise FileNotFoundError(f"{report}: no such report")
    answer_rst = answer_rst if answer_rst is not None else answer_rst_of(report)
    expected_heading, expected_sentence = ANSWER_HEADING, None
    if answer_rst is not None:
        rst = Path(answer_rst).read_text()
        expected_heading = rst.splitlines()[0].strip()
        expected_sentence = first_paragraph(rst)
    with tempfile.TemporaryDirectory() as scratch:
        probed = with_probe(report, Path(scratch) / "report_probed.html", budget_ms)
        state = probe_page(probed, budget_ms)
    dom = state.pop("dom")
    text = page_text(dom)
    screenshot = Path(screenshot)
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    run_chromium(f"--screenshot={screenshot.resolve()}", report.resolve().as_uri(),
                 budget_ms=budget_ms)
    from PIL import Image

    image = np.asarray(Image.open(screenshot).convert("RGB"), dtype=float) / 255.0
    problems = []
    if image.shape[:2] != (HEIGHT, WIDTH):
        problems.append(f"the screenshot is {image.shape[1]} x {image.shape[0]}")
    figure = state["figure"]
    ink = _ink(image, figure) if figure and image.shape[:2] == (HEIGHT, WIDTH) else 0.0
    found = FirstScreen(str(report), str(screenshot), state, expected_heading,
                        expected_sentence, text, ink, float(image.std()))
    if not state["rendered"]:
        problems.append("the report's front page did not render")
    if state["broken"]:
        problems.append(f"images that failed to load: {state['broken']}")
    if state["heading_text"] != expected_heading:
        problems.append(f"the first heading is {state['heading_text']!r}, not "
                        f"{expected_heading!r}")
    if not _on_screen(state["heading"]):
        problems.append("the answer's heading is not on the first screen")
    if not _on_screen(state["sentence"]):
        problems.append("the answer's sentence is not on the first screen")
    elif state["lead"] and state["lead"]["bottom"] > HEIGHT:
        problems.append("the answer's bold lead runs below the first screen")
    sentence = state.get("sentence_text") or ""
    if expected_sentence is not None and not sentence.startswith(expected_sentence[:80]):
        problems.append(f"the paragraph after the heading is not the answer's sentence "
                        f"({sentence[:80]!r})")
    departures = text.find(DEPARTURES_HEADING)
    if sentence and departures >= 0 and not 0 <= text.find(sentence[:80]) < departures:
        problems.append("the answer's sentence does not come before the departures")
    if not figure:
        problems.append("no answer figure (img.answer-figure) on the page")
    else:
        if state["figure_natural_width"] <= 300:
            problems.append(f"the answer's figure is {state['figure_natural_width']} px wide "
                            "in its file (not loaded, or too small)")
        if not _on_screen(figure):
            problems.append("the answer's figure is not on the first screen")
        elif min(figure["bottom"], HEIGHT) - figure["top"] < 200:
            problems.append("less than 200 px of the answer's figure is on the first screen")
        if figure["right"] > WIDTH:
            problems.append("the answer's figure runs off the right edge")
        if ink <= 0.005:
            problems.append("the answer's figure is blank on the screenshot")
    if "System Message" in text:
        problems.append("a docutils error ('System Message') shows on the page")
    if found.screen_std <= 0.05:
        problems.append("the screenshot is blank")
    found.problems = problems
    return found
