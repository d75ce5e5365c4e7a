"""write_report: PNGs, summary.json and one self-contained HTML page, all drawn from the run's view."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import amqpsim
from amqpsim import viz
from amqpsim.trace.io import read_events
from amqpsim.viz.data import view_of
from amqpsim.viz.report import FIGURES

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _rendered(out: Path, page: str) -> None:
    assert "could not draw" not in page
    for stem in FIGURES:
        assert (out / f"{stem}.png").stat().st_size > 5000, stem
        assert f'data-file="{stem}.png"' in page
    assert page.count('<img src="data:image/png;base64,') == len(FIGURES)


def test_report_writes_every_file(run, tmp_path):
    html_path = viz.write_report(run, tmp_path / "report", flow_frames=8)
    out = html_path.parent
    assert html_path.name == "report.html"
    page = html_path.read_text()
    _rendered(out, page)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["messages"]["routed_copies"] > 0
    assert not (out / "events.jsonl").exists()  # the event log is written only when asked
    assert sorted(p.name for p in out.iterdir()) == sorted([*(f"{s}.png" for s in FIGURES), "summary.json",
                                                           "report.html"])
    assert "<table>" in page and "max ready" in page and "max depth" not in page
    assert '<section id="errors">' in page and '<a href="#errors">' in page
    flow = page.split('<section id="flow">', 1)[1].split("</section>", 1)[0]
    assert page.index('id="routing"') < page.index('id="flow"') < page.index('id="queue_depth"')
    assert len(re.findall(r"frames\[\d+\] = ", flow)) == 9 and '<a href="#flow">' in page
    assert "http://" not in page and "https://" not in page  # opens offline


def test_report_without_the_animation(store, tmp_path):
    page = viz.write_report(store, tmp_path, flow_frames=0).read_text()
    assert 'id="flow"' not in page and '<a href="#flow">' not in page
    assert page.count('<img src="data:image/png;base64,') == len(FIGURES)


def test_report_names_the_scenario(store, tmp_path):
    run = SimpleNamespace(events=store.events, summary=None,
                          scenario=SimpleNamespace(name="online-store", description="Orders <flow>."))
    page = viz.write_report(run, tmp_path, flow_frames=2).read_text()
    assert "<h1>online-store</h1>" in page and "Orders &lt;flow&gt;." in page


def test_a_run_without_its_log_reports_everything_and_its_errors(locked_run, tmp_path):
    """events=False, pictures=True: no event log, every figure, and the 405 a consumer met."""
    assert locked_run.recorder is not None and not locked_run.recorder.keep
    page = viz.write_report(locked_run, tmp_path).read_text()
    _rendered(tmp_path, page)
    errors = page[page.index('<section id="errors">'):]
    errors = errors[:errors.index("</section>")]
    assert "worker#1" in errors and "<td>405</td>" in errors and "RESOURCE_LOCKED" in errors
    consumers = page[page.index("<h3>Consumers</h3>"):]
    consumers = consumers[:consumers.index("</table>")]
    row = consumers[consumers.index("<td>worker#1</td>"):]
    assert row[:row.index("</tr>")].endswith("<td>405</td>")  # it never consumed: its error says why


def test_no_errors_says_none(lean_run, tmp_path):
    page = viz.write_report(lean_run, tmp_path).read_text()
    _rendered(tmp_path, page)
    errors = page[page.index('<section id="errors">'):]
    assert '<p class="none">none</p>' in errors[:errors.index("</section>")]


def test_a_run_and_its_replayed_log_draw_equal_views(tmp_path):
    result = amqpsim.run(SCENARIOS / "online-store.yaml")
    result.write_events(tmp_path / "events.jsonl")
    replayed = SimpleNamespace(events=read_events(tmp_path / "events.jsonl"), summary=result.summary,
                               scenario=result.scenario)
    assert view_of(replayed) == result.view
    a = viz.write_report(result, tmp_path / "run").read_text()
    b = viz.write_report(replayed, tmp_path / "replayed").read_text()
    assert (tmp_path / "run" / "summary.json").read_text() == (tmp_path / "replayed" / "summary.json").read_text()
    assert a == b
