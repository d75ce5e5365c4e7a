"""report.html is a web page: open it in a real headless Chromium and use it as a reader would.

Every picture loads, the flow animation plays and steps, the console stays clean, and no
request leaves the machine (the report must work offline). The reports are written by the
CLI, ``amqpsim run SCENARIO --report DIR``.

Needs Playwright (the ``[dev]`` extra) and a Chromium (Debian's ``chromium`` package;
``playwright install`` cannot download browsers here). Without them the tests skip, or fail
when ``AMQPSIM_REQUIRE_BROWSER=1`` (as CI sets it). ``AMQPSIM_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amqpsim.cli import main
from amqpsim.viz.report import FIGURES, FLOW

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {"online-store": ROOT / "scenarios" / "online-store.yaml",
             "crash-ack-modes": ROOT / "scenarios" / "crash-ack-modes.yaml"}  # consumer crashes
EXCLUSIVE = Path(__file__).parent / "scenarios" / "exclusive-locked.yaml"
CHROMIUM = os.environ.get("AMQPSIM_CHROMIUM", "/usr/bin/chromium")
LOCAL = ("file:", "data:")

# one worker, one browser for the module; `-m "not browser"` leaves these tests out
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _unavailable(reason: str) -> None:
    if os.environ.get("AMQPSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (AMQPSIM_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium, or a skip (a failure when AMQPSIM_REQUIRE_BROWSER=1)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def _report(scenario: Path, out: Path) -> Path:
    assert main(["run", str(scenario), "--report", str(out), "--quiet"]) == 0
    return out / "report.html"


class Page:
    """An opened report with every request and console message it caused, for the whole visit."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.path = path
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        # nothing may leave the machine: record every request, and refuse the ones that would
        self.context.route("**/*", lambda route: route.continue_()
                           if route.request.url.startswith(LOCAL) else route.abort())
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        # the player creates its Animation in a setTimeout(0) after the page has parsed
        self.page.wait_for_function("() => document.querySelector('#flow .animation img[src]')")

    def frame(self) -> dict[str, Any]:
        return self.page.eval_on_selector(
            "#flow .animation", """el => ({src: el.querySelector('img').src,
                                        slider: +el.querySelector('input[type=range]').value,
                                        last: +el.querySelector('input[type=range]').max})""")

    def button(self, title: str) -> Any:
        return self.page.locator(f'#flow .anim-buttons button[title="{title}"]')


@pytest.fixture(scope="module", params=list(SCENARIOS))
def report(request: Any, browser: Any, tmp_path_factory: Any) -> Iterator[Page]:
    path = _report(SCENARIOS[request.param], tmp_path_factory.mktemp(request.param))
    opened = Page(browser, path)
    yield opened
    opened.context.close()


def test_every_image_loads(report: Page) -> None:
    images = report.page.eval_on_selector_all(
        "img", """els => els.map(e => ({file: e.dataset.file || e.id, complete: e.complete,
                                        width: e.naturalWidth, shown: e.getBoundingClientRect().width}))""")
    assert len(images) == len(FIGURES) + 1  # the pictures and the animation's frame
    broken = [i for i in images if not (i["complete"] and i["width"] > 0 and i["shown"] > 0)]
    assert not broken


def test_every_image_is_whole(report: Page) -> None:
    """Chromium shows a cut-off PNG with its full naturalWidth: check the bytes it was given."""
    from PIL import Image

    sources = report.page.eval_on_selector_all(
        "img[data-file]", "els => els.map(e => [e.dataset.file, e.src])")
    assert sorted(f for f, _ in sources) == sorted(f"{stem}.png" for stem in FIGURES)
    for file, src in sources:
        data = base64.b64decode(src.split(",", 1)[1])
        assert data == (report.path.parent / file).read_bytes(), file
        Image.open(io.BytesIO(data)).load()  # raises on a truncated or corrupt PNG
    # the animation's frames, as the player holds them
    frames = report.page.evaluate("""() => {
        const player = Object.values(window).find(v => v && Array.isArray(v.frames) && v.img_id);
        return player.frames.map(img => img.src); }""")
    assert len(frames) == 41
    for src in frames:
        Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).load()


def test_every_picture_is_in_its_section(report: Page) -> None:
    for stem, (heading, _, _) in FIGURES.items():
        section = report.page.locator(f"section#{stem}")
        assert section.locator("h2").inner_text() == heading
        assert "could not draw" not in section.inner_text()
        assert section.locator(f'img[data-file="{stem}.png"]').is_visible(), stem
    flow = report.page.locator(f"section#{FLOW[0]}")
    assert flow.locator("h2").inner_text() == FLOW[1]
    assert flow.locator(".animation img").is_visible()
    # the player's buttons are drawn with inline SVG icons: each one present and laid out
    icons = flow.locator(".anim-buttons button svg")
    assert icons.count() == 9
    for i in range(icons.count()):
        box = icons.nth(i).bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
    links = report.page.eval_on_selector_all("nav a", "els => els.map(a => a.hash.slice(1))")
    assert set(links) == {"summary", "errors", *FIGURES, FLOW[0]}
    for target in links:
        assert report.page.locator(f"section#{target}").count() == 1


def test_the_flow_animation_steps_and_plays(report: Page) -> None:
    button, frame = report.button, report.frame
    button("Pause").click()
    button("First frame").click()
    first = frame()
    assert first["slider"] == 0 and first["last"] == 40
    button("Next frame").click()
    second = frame()
    assert second["slider"] == 1 and second["src"] != first["src"]
    button("Previous frame").click()
    assert frame() == first
    button("Last frame").click()
    assert frame()["slider"] == 40 and frame()["src"] not in (first["src"], second["src"])
    # the frames differ on screen, not only in their data: the image shown changes
    button("First frame").click()
    shot_first = report.page.locator("#flow .animation img").screenshot()
    report.page.locator("#flow input[type=range]").fill("20")  # the slider shows frame 20
    assert frame()["slider"] == 20
    assert report.page.locator("#flow .animation img").screenshot() != shot_first
    # play: the frame advances on its own, and pause stops it
    button("First frame").click()
    button("Play").click()
    report.page.wait_for_function(
        "() => +document.querySelector('#flow input[type=range]').value >= 3", timeout=10_000)
    button("Pause").click()
    paused = frame()
    report.page.wait_for_timeout(500)  # four frame intervals at 8 frames/s
    assert frame() == paused


def test_the_console_has_no_errors(report: Page) -> None:
    report.button("Play").click()
    report.page.wait_for_timeout(300)
    report.button("Pause").click()
    assert report.errors == []


def test_no_request_leaves_the_machine(report: Page) -> None:
    assert report.requests  # the page itself, at least
    assert [url for url in report.requests if not url.startswith(LOCAL)] == []


# --- the errors section ---------------------------------------------------------

def test_the_exclusive_scenario_refuses_its_second_consumer() -> None:
    """The scenario behind the next test does what it says: worker#1 meets 405."""
    import amqpsim

    result = amqpsim.run(EXCLUSIVE)
    assert result.error is None
    errors = result.events.loc[result.events["kind"] == "error", ["actor", "reply_code", "reply_text"]]
    assert [(a, c, t.split(" - ")[0]) for a, c, t in errors.itertuples(index=False)] == \
        [("worker#1", 405, "RESOURCE_LOCKED")]
    assert list(result.summary["consumers"]) == ["worker#0", "worker#1"]  # worker#1 with its error
    assert [(e["actor"], e["code"]) for e in result.summary["errors"]] == [("worker#1", 405)]


def test_the_report_shows_the_protocol_errors(browser: Any, tmp_path: Path) -> None:
    opened = Page(browser, _report(EXCLUSIVE, tmp_path))
    try:
        errors = opened.page.locator("#errors")
        assert errors.count() == 1, "no element with id 'errors' in the report"
        assert errors.is_visible()
        text = errors.inner_text()
        assert "worker#1" in text and "405" in text and "RESOURCE_LOCKED" in text
        assert opened.errors == []
        assert [url for url in opened.requests if not url.startswith(LOCAL)] == []
    finally:
        opened.context.close()


# --- a cluster run ----------------------------------------------------------------

def test_the_report_of_a_cluster_run(browser: Any, tmp_path: Path) -> None:
    """A cluster run's report (written from synthetic records) shows its two cluster pictures
    and tables, every image whole, and a clean console."""
    import sys

    from amqpsim.trace.views import fold_view
    from amqpsim.viz.report import CLUSTER_FIGURES, write_report

    sys.path.insert(0, str(ROOT / "tests" / "trace"))
    from cluster_records import END, cluster_records

    path = write_report(fold_view(cluster_records(), "fake-cluster", 1, END, 1.0), tmp_path, flow_frames=8)
    opened = Page(browser, path)
    try:
        files = opened.page.eval_on_selector_all(
            "img[data-file]", "els => els.map(e => [e.dataset.file, e.complete && e.naturalWidth > 0])")
        assert sorted(f for f, _ in files) == sorted(f"{s}.png" for s in (*FIGURES, *CLUSTER_FIGURES))
        assert all(ok for _, ok in files)
        for stem in CLUSTER_FIGURES:
            assert opened.page.locator(f"section#{stem} img").is_visible()
        summary = opened.page.locator("#summary").inner_text()
        assert "Cluster nodes" in summary and "rabbit1 | rabbit2+rabbit3" in summary
        assert opened.errors == []
        assert [url for url in opened.requests if not url.startswith(LOCAL)] == []
    finally:
        opened.context.close()
