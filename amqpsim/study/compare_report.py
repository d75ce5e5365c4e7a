"""The HTML page of a :class:`~amqpsim.compare.Comparison`.

The table (mean and confidence interval per metric, side by side), the delivery
ledger of all scenarios overlaid in one picture, and queue depth and latency of
each scenario side by side (and, for cluster runs, each one's cluster timeline:
nodes up, down or paused, partitions, queue leaders, messages lost). Pictures come from :mod:`amqpsim.viz`, drawn from
one run per scenario with its events (the first seed). Files: ``report.html``
(images embedded), one PNG per picture, ``comparison.csv`` and ``comparison.json``.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .compare import Comparison

__all__ = ["write_report"]

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#263238;max-width:1400px;
margin:2em auto;padding:0 1.2em;line-height:1.45}
.meta,.caption{color:#546E7A} section{margin:2.2em 0}
img{max-width:100%;border:1px solid #ECEFF1;border-radius:6px}
.side{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1em}
.side h3{margin:.2em 0;font-size:1em}
table{border-collapse:collapse;font-size:.9em} th,td{padding:.25em .8em;border-bottom:1px solid #ECEFF1;
text-align:right;white-space:nowrap} th:first-child,td:first-child{text-align:left}
thead th{background:#F5F7F8} tr.section td{font-weight:bold;background:#FAFBFC;text-align:left}
"""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "run"


def _picture(draw: Callable[[], Figure], path: Path, alt: str) -> str:
    """Draw, save as PNG and return an ``<img>`` (or the reason it could not be drawn)."""
    import matplotlib.pyplot as plt

    try:
        fig = draw()
    except Exception as exc:  # noqa: BLE001 - the page is written even if one picture fails
        return f'<p class="caption">could not draw {html.escape(alt)}: {html.escape(repr(exc))}</p>'
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    path.write_bytes(buf.getvalue())
    b64 = base64.b64encode(buf.getvalue()).decode()
    return f'<img src="data:image/png;base64,{b64}" alt="{html.escape(alt)}" data-file="{path.name}">'


def _table_html(c: Comparison) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["metric", *c.labels])
    body, section = [], None
    for (sec, name), row in c.wide().iterrows():
        if sec != section:
            body.append(f'<tr class="section"><td colspan="{len(c.labels) + 1}">'
                        f"{html.escape(str(sec))}</td></tr>")
            section = sec
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in row.tolist())
        body.append(f"<tr><td>{html.escape(str(name))}</td>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cluster_section(sides: dict[str, str], seed: int) -> str:
    if "cluster_timeline" not in sides:
        return ""
    return (f'\n<section id="cluster_timeline"><h2>The cluster over time</h2>\n<p class="caption">'
            f"Nodes up, down or paused, partitions, who leads each queue, and the messages lost "
            f"(seed {seed}).</p>\n{sides['cluster_timeline']}</section>")


def write_report(c: Comparison, directory: Path) -> Path:
    """Write the comparison page into ``directory``; returns the path of ``report.html``."""
    from .. import viz

    directory.mkdir(parents=True, exist_ok=True)
    long = c.table()
    long.to_csv(directory / "comparison.csv", index=False)
    (directory / "comparison.json").write_text(json.dumps({
        "seeds": c.seeds, "level": c.level, "labels": c.labels,
        "rows": json.loads(long.to_json(orient="records")),
    }, indent=2) + "\n")
    runs = c.runs()
    ledger = _picture(lambda: viz.ledger(runs, title="What became of every message"),
                      directory / "ledger.png", "ledger")
    sides = {}
    pictures: list[tuple[str, Callable[..., Figure]]] = [("queue_depth", viz.queue_depth),
                                                         ("latency", viz.latency)]
    if any("cluster" in r.summary for r in runs.values()):
        pictures.append(("cluster_timeline", viz.cluster_timeline))
    for stem, draw in pictures:
        cells = []
        for label, result in runs.items():
            img = _picture(partial(draw, result), directory / f"{stem}-{_slug(label)}.png",
                           f"{stem} of {label}")
            cells.append(f"<div><h3>{html.escape(label)}</h3>{img}</div>")
        sides[stem] = f'<div class="side">{"".join(cells)}</div>'
    descriptions = "".join(
        f"<li><b>{html.escape(label)}</b>: {html.escape(s.description or s.name)}</li>"
        for label, s in c.scenarios.items())
    title = " vs ".join(c.labels)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>amqpsim comparison — {html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="meta">amqpsim comparison · seeds {html.escape(", ".join(map(str, c.seeds)))} ·
mean ± {c.level:.0%} confidence interval across seeds (Student t)</p>
<ul>{descriptions}</ul>
<section id="table"><h2>Side by side</h2>{_table_html(c)}</section>
<section id="ledger"><h2>What became of every message</h2>
<p class="caption">Every routed copy ends in exactly one fate (seed {c.seeds[0]}).</p>{ledger}</section>
<section id="queue_depth"><h2>Queue depth</h2>
<p class="caption">Ready and unacknowledged messages per queue over time (seed {c.seeds[0]}).</p>
{sides["queue_depth"]}</section>
<section id="latency"><h2>Latency</h2>
<p class="caption">Queue wait and publish → ack latency; p50, p95, p99 marked (seed {c.seeds[0]}).</p>
{sides["latency"]}</section>{_cluster_section(sides, c.seeds[0])}
</body></html>
"""
    path = directory / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
