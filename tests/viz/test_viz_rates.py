"""Message rates: a line per kind that happened, none for a kind that did not; faults shaded."""

from __future__ import annotations

import pytest
from viz_helpers import gids, rendered, texts

from amqpsim import viz
from amqpsim.trace.views import RATE_KINDS
from amqpsim.viz.data import view_of, widths
from amqpsim.viz.rates import RATES


def _legend(fig) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def test_no_legend_entry_for_a_kind_that_never_happened(lean_run):
    view = lean_run.view
    zero = [k for k in RATE_KINDS if not any(view.rates[k])]
    assert "return" in zero  # online-store publishes nothing unroutable
    fig = viz.message_rates(lean_run)
    rendered(fig)
    legend = _legend(fig)
    for k in RATE_KINDS:
        label = RATES[k][0]
        assert (label in legend) == (k not in zero), k
        assert (f"rate:{k}" in gids(fig)) == (k not in zero), k
    assert "fault" in legend and "slow consumer picker" in texts(fig)


def test_each_line_carries_the_counts_of_the_summary(run):
    fig = viz.message_rates(run)
    view = view_of(run)
    m = view.summary["messages"]
    w = widths(view)
    lines = {a.get_gid(): a for a in fig.findobj() if (a.get_gid() or "").startswith("rate:")}
    for kind, key in (("publish", "published"), ("deliver", "delivered"), ("ack", "acked")):
        ys = lines[f"rate:{kind}"].get_ydata()[:-1]  # the step's last point repeats the last bin
        assert sum(y * x for y, x in zip(ys, w, strict=True)) == pytest.approx(m[key])


def test_in_the_public_api():
    assert "message_rates" in viz.__all__
    from amqpsim.viz.report import FIGURES

    assert FIGURES["rates"][2] is viz.message_rates
