"""A run's report: the pictures as PNG, summary.json, events.jsonl and one self-contained report.html."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from ..trace.io import from_frame, write_events
from .data import description_of, events_of, name_of, summary_of
from .depth import queue_depth
from .latency import latency
from .ledger import ledger
from .routing import routing_graph
from .sequence import sequence_diagram
from .timeline import consumer_timeline

__all__ = ["write_report", "FIGURES"]

#: file stem -> (heading, what to look for, how to draw it)
FIGURES: dict[str, tuple[str, str, Callable[[Any], Figure]]] = {
    "routing": ("Routing", "Producers publish to exchanges, bindings route copies to queues, consumers "
                "drain them. Edge width grows with the messages that crossed it; dashed edges are "
                "alternate exchanges and dead-lettering.", routing_graph),
    "queue_depth": ("Queue depth", "Ready messages wait in the queue; unacked ones are with a consumer. "
                    "Red bands are faults.", queue_depth),
    "ledger": ("What became of every message", "Every routed copy ends in exactly one fate; hatched "
               "segments are publishes that reached no queue.", ledger),
    "latency": ("Latency", "How long copies waited in their queue, and how long from publish to ack; "
                "p50/p95/p99 marked.", latency),
    "consumers": ("Consumers", "When each consumer was busy and how many unacknowledged deliveries it "
                  "held (its prefetch window).", consumer_timeline),
    "sequence": ("AMQP frames", "The first messages on the wire: publishes, deliveries, acks, confirms "
                 "and returns between the clients and the broker (connection set-up left out).",
                 lambda run: sequence_diagram(run, max_frames=36, setup=False)),
}


def _records(run: Any, ev: pd.DataFrame) -> list[Any]:
    """The run's event records as it kept them, else read back from its frame."""
    if isinstance(run, list):
        return run
    for owner, attr in ((run, "event_list"), (run, "events"), (getattr(run, "recorder", None), "events")):
        try:
            raw = getattr(owner, attr, None)
        except RuntimeError:  # a RunResult that kept no log
            raw = None
        if isinstance(raw, list):
            return raw
    return from_frame(ev)


def _summary(run: Any, events: list[Any]) -> dict[str, Any]:
    summary = summary_of(run)
    if summary is not None:
        return summary
    from ..trace.summary import summarize

    return summarize(events, scenario=name_of(run, "run"))


def _png(fig: Figure, path: Path) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = buf.getvalue()
    path.write_bytes(data)
    return data


def write_report(result: Any, directory: str | Path) -> Path:
    """Write the report of a run into ``directory``; returns the path of ``report.html``.

    Files: one PNG per picture (see :data:`FIGURES`), ``summary.json``,
    ``events.jsonl`` and ``report.html`` (images embedded, opens anywhere offline).
    A picture that cannot be drawn is reported in the page instead of stopping the report.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ev = events_of(result)
    events = _records(result, ev)
    summary = _summary(result, events)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    write_events(events, out / "events.jsonl")
    sections = []
    for stem, (heading, caption, draw) in FIGURES.items():
        try:
            data = _png(draw(result), out / f"{stem}.png")
        except Exception as exc:  # noqa: BLE001 - a report is written even when one picture fails
            sections.append(_section(heading, f"could not draw this picture: {exc!r}", None, stem))
        else:
            sections.append(_section(heading, caption, data, stem))
    page = _page(name_of(result, "run"), description_of(result), summary, sections)
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


# ---------------------------------------------------------------------- HTML
def _section(heading: str, caption: str, png: bytes | None, stem: str) -> str:
    img = ""
    if png is not None:
        b64 = base64.b64encode(png).decode()
        img = f'<img src="data:image/png;base64,{b64}" alt="{html.escape(heading)}" data-file="{stem}.png">'
    return (f'<section id="{stem}"><h2>{html.escape(heading)}</h2>'
            f'<p class="caption">{html.escape(caption)}</p>{img}</section>')


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "✔ yes" if v else "✘ no"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return html.escape(str(v))


def _table(rows: list[list[Any]], head: list[str]) -> str:
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _tables(summary: dict[str, Any]) -> str:
    parts = []
    msgs = summary.get("messages") or {}
    if msgs:
        parts.append("<h3>Messages</h3>" + _table([[k.replace("_", " "), v] for k, v in msgs.items()],
                                                   ["", "count"]))
    queues = summary.get("queues") or {}
    if queues:
        rows = [[q, s.get("enqueued", ""), s.get("max_depth", ""), s.get("final_depth", ""),
                 (s.get("wait") or {}).get("p50", ""), (s.get("wait") or {}).get("p95", ""),
                 (s.get("wait") or {}).get("p99", "")] for q, s in queues.items()]
        parts.append("<h3>Queues</h3>" + _table(rows, ["queue", "enqueued", "max depth", "final depth",
                                                       "wait p50 (s)", "wait p95 (s)", "wait p99 (s)"]))
    consumers = summary.get("consumers") or {}
    if consumers:
        rows = [[c, s.get("delivered", ""), s.get("acked", ""), f"{100 * s.get('busy_fraction', 0):.0f}%"]
                for c, s in consumers.items()]
        parts.append("<h3>Consumers</h3>" + _table(rows, ["consumer", "delivered", "acked", "busy"]))
    lat = summary.get("latency") or {}
    inv = summary.get("invariants") or {}
    if lat or inv:
        rows = [[f"latency {k}", v] for k, v in lat.items()] + [[k.replace("_", " "), v] for k, v in inv.items()]
        parts.append("<h3>Latency (publish → ack, s) and invariants</h3>" + _table(rows, ["", "value"]))
    return "\n".join(parts)


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#263238;max-width:1180px;
margin:2em auto;padding:0 1.2em;line-height:1.45}
h1{margin-bottom:.1em} .meta{color:#607D8B;margin-top:0} .desc{font-size:1.1em}
section{margin:2.2em 0} .caption{color:#455A64} img{max-width:100%;border:1px solid #ECEFF1;border-radius:6px}
.tables{display:flex;flex-wrap:wrap;gap:1.5em} .tables>div{flex:1 1 320px}
table{border-collapse:collapse;font-size:.9em;width:100%} th,td{padding:.25em .6em;border-bottom:1px solid #ECEFF1;
text-align:right} th:first-child,td:first-child{text-align:left} thead th{background:#F5F7F8}
nav a{margin-right:1em;color:#1E88E5;text-decoration:none}
"""


def _page(name: str, description: str, summary: dict[str, Any], sections: list[str]) -> str:
    meta = " · ".join(f"{k} {_fmt(summary[k])}" for k in ("seed", "sim_time") if k in summary)
    nav = "".join(f'<a href="#{stem}">{html.escape(h)}</a>' for stem, (h, _, _) in FIGURES.items())
    tables = "".join(f"<div>{t}</div>" for t in _tables(summary).split("\n") if t)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>amqpsim report — {html.escape(name)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(name)}</h1>
<p class="meta">amqpsim report{" · " + meta if meta else ""}</p>
<p class="desc">{html.escape(description)}</p>
<nav>{nav}</nav>
<section id="summary"><h2>Summary</h2><div class="tables">{tables}</div></section>
{chr(10).join(sections)}
</body></html>
"""
