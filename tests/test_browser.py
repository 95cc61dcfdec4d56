"""The report in a real browser: headless Chromium opens results/report.html of a tiny
study at 1400 x 900; the first screen shows the answer and its figure, and no image of the
page failed to load (the check itself: tests/browser_check.py, also run on any report by
``bench/report_screen.py REPORT.html OUT.png``).

Chromium is Debian's ``chromium`` package (``make test`` installs it where missing). Set
``EMOAGREE_SCREENSHOT=path.png`` to keep the first screen (the README's screenshot,
``docs/report_first_screen.png``, is the demo's, from ``bench/report_screen.py``).
"""

import os
from pathlib import Path

import pytest
from browser_check import (
    HEIGHT,
    WIDTH,
    NoChromium,
    check_first_screen,
    chromium,
    first_paragraph,
    probe_page,
    probe_script,
)


@pytest.fixture(scope="module")
def browser():
    try:
        return chromium()
    except NoChromium as missing:
        pytest.skip(str(missing))


@pytest.mark.slow
def test_first_screen_shows_the_answer_and_no_image_is_broken(reported_study, tmp_path,
                                                              browser):
    report = reported_study / "results/report.html"
    shot = tmp_path / "first_screen.png"
    screen = check_first_screen(report, shot)
    assert screen.problems == [], "\n".join(screen.findings())
    state = screen.state
    assert state["rendered"] and state["broken"] == [] and state["images"] >= 1
    # the page opens with the answer's figure, then its heading and sentence, all on the
    # first screen (the figure at the column's width above the words)
    answer_rst = (reported_study / "results/tables/answer.rst").read_text()
    assert state["heading_text"] == answer_rst.splitlines()[0].strip() == "The answer"
    figure = state["figure"]
    assert state["figure_natural_width"] > 300
    assert 0 <= figure["top"] < HEIGHT / 10 and figure["right"] <= WIDTH
    assert figure["bottom"] - figure["top"] > 200  # drawn at a readable size
    assert figure["bottom"] <= state["heading"]["top"] < 2 * HEIGHT / 3
    assert state["sentence_text"].startswith(first_paragraph(answer_rst)[:80])
    assert state["heading"]["bottom"] <= state["lead"]["top"] < state["lead"]["bottom"] < HEIGHT
    assert screen.figure_ink > 0.005 and screen.screen_std > 0.05
    # the answer's sentence is the first thing the page says, before the departures
    text = screen.text
    assert text.index(first_paragraph(answer_rst)[:80]) < text.index(
        "Departures from config/ramas_paper.yaml")
    assert "System Message" not in text  # docutils errors would show on the page
    lines = screen.findings()
    assert lines[-1] == "verdict: OK" and f"screenshot: {shot}" in "\n".join(lines)
    keep = os.environ.get("EMOAGREE_SCREENSHOT")
    if keep:  # the README's screenshot: 256 colours keep it small
        from PIL import Image

        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        Image.open(shot).convert("RGB").quantize(256).save(keep, optimize=True)


def test_the_probe_reports_a_broken_image(tmp_path, browser):
    """What the report test relies on: an image that does not load is named as broken."""
    page = tmp_path / "page.html"
    page.write_text(
        '<html><body><div class="document"><h1>The answer</h1>'
        '<img class="answer-figure" alt="missing figure" src="results/figures/none.png">'
        f"</div>{probe_script()}</body></html>"
    )
    state = probe_page(page)
    assert state["broken"] == ["missing figure"] and state["figure_natural_width"] == 0
    assert state["heading"]["top"] < HEIGHT


def test_a_page_without_the_answer_first_fails_the_check(tmp_path, browser):
    """The check names each failure: the departures first, the answer's sentence below
    the first screen, its figure missing."""
    report = tmp_path / "results/report.html"
    report.parent.mkdir()
    filler = "<p>" + "A setting that departs from the paper. " * 40 + "</p>"
    report.write_text(
        '<html><body><div class="document"><h1>Departures from config/ramas_paper.yaml'
        f"</h1>{filler * 6}<h2>The answer</h2><p><strong>Train on level 3</strong> for "
        "the headline system.</p></div></body></html>"
    )
    screen = check_first_screen(report, tmp_path / "shot.png")
    problems = "\n".join(screen.problems)
    assert "the first heading is 'Departures from config/ramas_paper.yaml', not " \
           "'The answer'" in problems
    assert "no answer figure (img.answer-figure) on the page" in problems
    assert screen.findings()[-1].startswith("verdict: FAILED: ")
    assert (tmp_path / "shot.png").is_file()
