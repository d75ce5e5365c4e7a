"""write_report: PNGs, summary.json, events.jsonl and one self-contained HTML page."""

from __future__ import annotations

import json

from amqpsim import viz
from amqpsim.viz.report import FIGURES


def test_report_writes_every_file(run, tmp_path):
    html_path = viz.write_report(run, tmp_path / "report")
    out = html_path.parent
    assert html_path.name == "report.html"
    for stem in FIGURES:
        assert (out / f"{stem}.png").stat().st_size > 5000, stem
    summary = json.loads((out / "summary.json").read_text())
    assert summary["messages"]["routed_copies"] > 0
    lines = (out / "events.jsonl").read_text().splitlines()
    assert len(lines) == len(run.events)
    assert [json.loads(line)["seq"] for line in (lines[0], lines[-1])] == [0, len(lines) - 1]
    page = html_path.read_text()
    assert "could not draw" not in page
    for stem in FIGURES:
        assert f'data-file="{stem}.png"' in page
    assert page.count("data:image/png;base64,") == len(FIGURES)
    assert "<table>" in page and "routed copies" in page


def test_report_names_the_scenario(store, tmp_path):
    from types import SimpleNamespace

    run = SimpleNamespace(events=store.events, summary=None,
                          scenario=SimpleNamespace(name="online-store", description="Orders <flow>."))
    page = viz.write_report(run, tmp_path).read_text()
    assert "<h1>online-store</h1>" in page and "Orders &lt;flow&gt;." in page
