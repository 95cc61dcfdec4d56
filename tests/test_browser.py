"""The report in a real browser: headless Chromium opens results/report.html of a tiny
study at 1400 x 900; the first screen shows the answer and its figure, and no image of the
page failed to load.

Chromium is Debian's ``chromium`` package (``make test`` installs it where missing). Set
``EMOAGREE_SCREENSHOT=path.png`` to keep the first screen (the README's screenshot,
``docs/report_first_screen.png``, comes from here).
"""

import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

WIDTH, HEIGHT = 1400, 900
# Run after the page has rendered: the state of every image and where the answer sits.
PROBE = """
<script>
function probeReport(tries) {
  // the report renders after load; wait for it and for every image to settle
  const images = [...document.querySelectorAll("img")];
  const settled = images.every((i) => i.complete);
  if ((!document.querySelector("div.document") || !settled) && tries < 80) {
    setTimeout(() => probeReport(tries + 1), 250);
    return;
  }
  const box = (el) => { if (!el) return null; const r = el.getBoundingClientRect();
    return {top: r.top, left: r.left, bottom: r.bottom, right: r.right}; };
  const figure = document.querySelector("img.answer-figure");
  const heading = document.querySelector("div.document h1, div.document h2");
  const probe = document.createElement("pre");
  probe.id = "browser-probe";
  probe.textContent = JSON.stringify({
    rendered: tries < 80,
    images: images.length,
    broken: images.filter((i) => !(i.complete && i.naturalWidth > 0))
      .map((i) => i.getAttribute("alt") || i.getAttribute("src").slice(0, 80)),
    figure: box(figure),
    figure_natural_width: figure ? figure.naturalWidth : 0,
    heading: box(heading),
    heading_text: heading ? heading.textContent.trim() : null,
  });
  document.body.appendChild(probe);
}
window.addEventListener("load", () => probeReport(0));
</script>
"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "no Chromium on PATH, so the report cannot be opened in a browser: install "
        "Debian's chromium (`apt-get install -y --no-install-recommends chromium`, as "
        "`make test` does)"
    )


def probe_page(page: Path) -> dict:
    """What PROBE found on ``page`` (a page that includes it); the DOM is read after the
    page settles (a loaded machine may need a second try)."""
    for _ in range(3):
        dom = run_chromium("--dump-dom", page.as_uri())
        found = re.search(r'<pre id="browser-probe">(.*?)</pre>', dom, re.S)
        if found:
            return json.loads(unescape(found.group(1))) | {"dom": dom}
    raise AssertionError(f"{page}: the page did not finish rendering (no probe result)")


def run_chromium(*args: str) -> str:
    command = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=15000", *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def first_paragraph(rst: str) -> str:
    """The answer's first sentence: the first paragraph after the title, as plain text."""
    paragraphs = [p.strip() for p in rst.split("\n\n") if p.strip()]
    body = [p for p in paragraphs if not re.fullmatch(r"[^\n]+\n=+", p)]
    text = re.sub(r"\*\*|``", "", body[0])
    return " ".join(text.split())


def visible_text(html: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


@pytest.mark.slow
def test_first_screen_shows_the_answer_and_no_image_is_broken(reported_study, tmp_path):
    report = reported_study / "results/report.html"
    probed = tmp_path / "report_probed.html"
    head, tag, tail = report.read_text().rpartition("</body>")  # the page's own, last
    assert tag, f"{report}: no </body>"
    probed.write_text(head + PROBE + tag + tail)
    state = probe_page(probed)
    dom = state["dom"]
    assert state["rendered"], "the report's front page did not render"
    assert state["broken"] == [], f"images that failed to load: {state['broken']}"
    # the page opens with the answer's heading, and its figure is on the first screen
    answer_rst = (reported_study / "results/tables/answer.rst").read_text()
    assert state["heading_text"] == answer_rst.splitlines()[0].strip()
    assert 0 <= state["heading"]["top"] < HEIGHT / 3
    figure = state["figure"]
    assert figure and state["figure_natural_width"] > 300
    assert 0 <= figure["top"] < HEIGHT / 3 and figure["right"] <= WIDTH
    assert figure["bottom"] - figure["top"] > 200  # drawn at a readable size
    # the answer's sentence is the first thing the page says, before the departures
    page = dom[dom.index('id="app"'):]
    text = visible_text(page[page.index('class="document"'):])
    sentence = first_paragraph(answer_rst)
    assert sentence[:80] in text
    assert text.index(sentence[:80]) < text.index("Departures from config/ramas_paper.yaml")
    assert "System Message" not in text  # docutils errors would show on the page

    shot = tmp_path / "first_screen.png"
    run_chromium(f"--screenshot={shot}", report.as_uri())
    image = mpimg.imread(shot)[..., :3]
    assert image.shape[:2] == (HEIGHT, WIDTH)
    assert image.std() > 0.05  # not a blank page
    top, left = int(figure["top"]), int(figure["left"])
    bottom, right = int(min(figure["bottom"], HEIGHT)), int(min(figure["right"], WIDTH))
    region = image[top:bottom, left:right]
    assert region.size and np.mean(region.mean(axis=2) < 0.5) > 0.005  # the figure's ink
    keep = os.environ.get("EMOAGREE_SCREENSHOT")
    if keep:  # the README's screenshot: 256 colours keep it small
        from PIL import Image

        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        Image.open(shot).convert("RGB").quantize(256).save(keep, optimize=True)


def test_the_probe_reports_a_broken_image(tmp_path):
    """What the report test relies on: an image that does not load is named as broken."""
    page = tmp_path / "page.html"
    page.write_text(
        '<html><body><div class="document"><h1>The answer</h1>'
        '<img class="answer-figure" alt="missing figure" src="results/figures/none.png">'
        f"</div>{PROBE}</body></html>"
    )
    state = probe_page(page)
    assert state["broken"] == ["missing figure"] and state["figure_natural_width"] == 0
    assert state["heading"]["top"] < HEIGHT
