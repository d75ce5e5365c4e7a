"""write_report: PNGs, summary.json, events.jsonl and one self-contained HTML page."""

from __future__ import annotations

import json
import re

from amqpsim import viz
from amqpsim.viz.report import FIGURES


def test_report_writes_every_file(run, tmp_path):
    html_path = viz.write_report(run, tmp_path / "report", flow_frames=8)
    out = html_path.parent
    assert html_path.name == "report.html"
    for stem in FIGURES:
        assert (out / f"{stem}.png").stat().st_size > 5000, stem
    summary = json.loads((out / "summary.json").read_text())
    assert summary["messages"]["routed_copies"] > 0
    lines = (out / "events.jsonl").read_text().splitlines()
    assert len(lines) == len(run.events) and json.loads(lines[0])["seq"] >= 1
    page = html_path.read_text()
    assert "could not draw" not in page
    for stem in FIGURES:
        assert f'data-file="{stem}.png"' in page
    assert page.count('<img src="data:image/png;base64,') == len(FIGURES)
    assert "<table>" in page and "routed copies" in page
    flow = page.split('<section id="flow">', 1)[1].split("</section>", 1)[0]
    assert page.index('id="routing"') < page.index('id="flow"') < page.index('id="queue_depth"')
    assert len(re.findall(r"frames\[\d+\] = ", flow)) == 9 and '<a href="#flow">' in page
    assert "http://" not in page and "https://" not in page  # opens offline


def test_report_without_the_animation(store, tmp_path):
    page = viz.write_report(store, tmp_path, flow_frames=0).read_text()
    assert 'id="flow"' not in page and '<a href="#flow">' not in page
    assert page.count('<img src="data:image/png;base64,') == len(FIGURES)


def test_report_names_the_scenario(store, tmp_path):
    from types import SimpleNamespace

    run = SimpleNamespace(events=store.events, summary=None,
                          scenario=SimpleNamespace(name="online-store", description="Orders <flow>."))
    page = viz.write_report(run, tmp_path, flow_frames=2).read_text()
    assert "<h1>online-store</h1>" in page and "Orders &lt;flow&gt;." in page
