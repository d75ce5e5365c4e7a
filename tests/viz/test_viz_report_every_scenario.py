"""The report of every shipped scenario renders from its view alone: every picture and the animation
drawn, none failed."""

from __future__ import annotations

from pathlib import Path

import pytest

import amqpsim
from amqpsim import viz
from amqpsim.viz.report import figures_of

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def test_there_are_scenarios_to_render():
    assert len(SCENARIOS) >= 12


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_report_renders(path, tmp_path):
    result = amqpsim.run(path, events=False, pictures=True)  # no event log: the view folded during the run
    assert result.error is None
    page = viz.write_report(result, tmp_path, flow_frames=3).read_text()  # few frames: fast
    assert "could not draw" not in page
    figures = figures_of(result.view)
    assert page.count('<img src="data:image/png;base64,') == len(figures)
    assert '<section id="errors">' in page
    assert '<section id="flow">' in page and "frames[3] = " in page and "frames[4]" not in page
    assert ("streams" in figures) == any(q["type"] == "stream" for q in result.summary["queues"].values())
    for stem in figures:
        assert (tmp_path / f"{stem}.png").stat().st_size > 5000, stem
