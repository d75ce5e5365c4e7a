"""A run's report: the pictures as PNG, summary.json and one self-contained report.html.

Everything is drawn from the run's view (:func:`~amqpsim.viz.data.view_of`): a report
costs what a summary costs. The event log is not written here (``amqpsim run --events``
or :meth:`~amqpsim.RunResult.write_events` write it when asked). The page needs no
network: pictures are embedded as data: URIs and the flow animation is matplotlib's
JavaScript player with its frames embedded and its icons drawn inline.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..trace.views import RunView
from .animation import flow_animation, player_html
from .cluster_graph import cluster_graph
from .cluster_timeline import cluster_timeline
from .data import description_of, name_of, topology_of, view_of
from .depth import queue_depth
from .latency import latency
from .ledger import ledger
from .rates import message_rates
from .routing import routing_graph
from .sequence import sequence_diagram
from .streams import stream_offsets
from .timeline import consumer_timeline

__all__ = ["write_report", "figures_of", "FIGURES", "CLUSTER_FIGURES", "FLOW", "STREAMS"]

#: file stem -> (heading, what to look for, how to draw it)
FIGURES: dict[str, tuple[str, str, Callable[[Any], Figure]]] = {
    "routing": ("Routing", "Producers publish to exchanges, bindings route copies to queues, consumers "
                "drain them. Edge width grows with the messages that crossed it; dashed edges are "
                "alternate exchanges and dead-lettering.", routing_graph),
    "queue_depth": ("Queue depth", "Ready messages wait in the queue (the band spans the lowest to the "
                    "highest count within each time bin); unacked ones are with a consumer. "
                    "Red bands are faults.", queue_depth),
    "rates": ("Message rates", "Messages per second, as RabbitMQ's management UI shows them: publish, "
              "confirm, deliver, redeliver, ack, return, dead-letter.", message_rates),
    "ledger": ("What became of every message", "Every routed copy ends in exactly one fate, shown per "
               "queue; hatched segments are publishes that reached no queue.", ledger),
    "latency": ("Latency", "How long copies waited in their queue, and how long from publish to ack; "
                "p50/p95/p99 marked.", latency),
    "consumers": ("Consumers", "How busy each consumer was, and how many unacknowledged deliveries it "
                  "held (its prefetch window), bin by bin.", consumer_timeline),
    "sequence": ("AMQP frames", "The first messages on the wire: publishes, deliveries, acks, confirms "
                 "and returns between the clients and the broker (connection set-up left out).",
                 lambda run: sequence_diagram(run, max_frames=36, setup=False)),
}

#: the pictures of a cluster run only (after the routing graph and the animation), as :data:`FIGURES`
CLUSTER_FIGURES: dict[str, tuple[str, str, Callable[[Any], Figure]]] = {
    "cluster_timeline": ("The cluster over time", "One lane per node (up, down, paused), each queue's "
                         "leader over time and the windows it had none (hatched red), its ready messages "
                         "and the copies lost, per time bin. Partitions are shaded; the dotted line is "
                         "when the nodes noticed the partition.", cluster_timeline),
    "cluster_graph": ("The cluster when it mattered", "The nodes, where each queue's leader (★) and "
                      "replicas were (light: synced, dashed: unsynchronised), and the partition in force "
                      "(a red wall between the sides), at the instant a queue first lost or changed its "
                      "leader (else when the most nodes were down; else at the end of the run).",
                      lambda run: cluster_graph(run, at=key_moment(run.view))),
}


def key_moment(view: RunView) -> float | None:
    """The instant the cluster picture of a report shows: when a queue first lost or changed its
    leader (a failover, an election, a partition noticed), else the first instant with the most
    nodes not up; None (the end of the run) when nothing happened."""
    cv = view.cluster
    if cv is None:
        return None
    first = [ps[i].time for ps in cv.placements.values() for i in range(1, len(ps)) if ps[i].leader != ps[i - 1].leader]
    if first:
        return min(first)
    starts = sorted({w.start for ws in cv.windows.values() for w in ws})
    best = max(starts, key=lambda t: sum(1 for n in cv.nodes if cv.node_state(n, t) != "up"), default=None)
    return best


#: the picture of a run with streams, after the queue depth: (stem, heading, what to look for, how to draw it)
STREAMS = ("streams", "Streams", "A stream keeps what is read: the band is what it holds (retention "
           "raises its bottom, appends its top); each line is where a consumer reads, and its distance "
           "below the top is its lag.", stream_offsets)


def figures_of(view: RunView) -> dict[str, tuple[str, str, Callable[[Any], Figure]]]:
    """The pictures of a run's report: :data:`FIGURES`, with :data:`CLUSTER_FIGURES` after the
    routing graph for a cluster and :data:`STREAMS` after the queue depth when it has streams."""
    stem, heading, caption, draw = STREAMS
    out: dict[str, tuple[str, str, Callable[[Any], Figure]]] = {}
    for key, fig in FIGURES.items():
        out[key] = fig
        if key == "routing" and view.cluster is not None:
            out.update(CLUSTER_FIGURES)
        if key == "queue_depth" and view.streams:
            out[stem] = (heading, caption, draw)
    return out


#: the animation's section: (id, heading, what to look for); shown after the routing graph
FLOW = ("flow", "Message flow", "Messages moving over the routing graph, coloured by what became of "
        "them; a queue's box fills as it grows. Play it, or step through it frame by frame.")


class _Drawn:
    """A run as the pictures of a report read it: its view (folded once), its scenario and topology."""

    def __init__(self, run: Any, view: RunView) -> None:
        self.view = view
        self.scenario = getattr(run, "scenario", None)
        self.topology = topology_of(run, view)
        self.summary = view.summary


def _png(fig: Figure, path: Path) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = buf.getvalue()
    path.write_bytes(data)
    return data


def write_report(result: Any, directory: str | Path, flow_frames: int = 40) -> Path:
    """Write the report of a run into ``directory``; returns the path of ``report.html``.

    Files: one PNG per picture (see :func:`figures_of`), ``summary.json`` and ``report.html``
    (images and the flow animation embedded, opens anywhere offline). A picture that
    cannot be drawn is reported in the page instead of stopping the report.
    ``flow_frames``: frames of the flow animation (each ~0.1 s to draw); 0 leaves it out.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    view = view_of(result)
    run = _Drawn(result, view)
    summary = view.summary
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    sections = []
    figures = figures_of(view)
    for stem, (heading, caption, draw) in figures.items():
        try:
            data = _png(draw(run), out / f"{stem}.png")
        except Exception as exc:  # noqa: BLE001 - a report is written even when one picture fails
            sections.append(_section(heading, f"could not draw this picture: {exc!r}", None, stem))
        else:
            sections.append(_section(heading, caption, data, stem))
        if stem == "routing" and flow_frames > 0:
            sections.append(_flow_section(run, flow_frames))
    page = _page(name_of(result, "run"), description_of(result), summary, sections, flow_frames > 0, figures)
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


def _flow_section(result: Any, frames: int) -> str:
    stem, heading, caption = FLOW
    try:
        player = player_html(flow_animation(result, frames=frames))
    except Exception as exc:  # noqa: BLE001 - as for the pictures
        return _section(heading, f"could not draw this picture: {exc!r}", None, stem)
    return (f'<section id="{stem}"><h2>{html.escape(heading)}</h2>'
            f'<p class="caption">{html.escape(caption)}</p>{player}</section>')


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


def _errors_of(summary: dict[str, Any]) -> dict[str, list[str]]:
    """Each actor's error codes (``405 ×2``)."""
    out: dict[str, list[str]] = {}
    for e in summary.get("errors") or []:
        count = int(e.get("count", 1))
        out.setdefault(str(e.get("actor")), []).append(f"{e.get('code')}" + (f" ×{count}" if count > 1 else ""))
    return out


def _tables(summary: dict[str, Any]) -> list[str]:
    parts = []
    msgs = summary.get("messages") or {}
    if msgs:
        parts.append("<h3>Messages</h3>" + _table([[k.replace("_", " "), v] for k, v in msgs.items()],
                                                   ["", "count"]))
    queues = summary.get("queues") or {}
    if queues:
        rows = [[q, s.get("type", ""), s.get("enqueued", ""), s.get("max_depth", ""), s.get("final_depth", ""),
                 s.get("final_unacked", ""), (s.get("wait") or {}).get("p50", ""),
                 (s.get("wait") or {}).get("p95", ""), (s.get("wait") or {}).get("p99", "")]
                for q, s in queues.items()]
        parts.append("<h3>Queues</h3>" + _table(rows, ["queue", "type", "enqueued", "max ready", "final ready",
                                                       "final unacked", "wait p50 (s)", "wait p95 (s)",
                                                       "wait p99 (s)"])
                     + '<p class="caption">ready: messages waiting in the queue; unacked: delivered to a '
                       "consumer, not yet acknowledged; wait: enqueue to first delivery.</p>")
    consumers = summary.get("consumers") or {}
    if consumers:
        errors = _errors_of(summary)
        rows = [[c, s.get("delivered", ""), s.get("acked", ""), f"{100 * s.get('busy_fraction', 0):.0f}%",
                 ", ".join(errors.get(c, [])) or "–"] for c, s in consumers.items()]
        parts.append("<h3>Consumers</h3>" + _table(rows, ["consumer", "delivered", "acked", "busy", "errors"])
                     + '<p class="caption">busy: share of the run it held at least one unacknowledged '
                       "delivery; errors: the AMQP reply codes it met (see Errors).</p>")
    parts.extend(_cluster_tables(summary.get("cluster")))
    lat = summary.get("latency") or {}
    inv = summary.get("invariants") or {}
    if lat or inv:
        rows = [[f"latency {k}", v] for k, v in lat.items()] + [[k.replace("_", " "), v] for k, v in inv.items()]
        parts.append("<h3>Latency (publish → ack, s) and invariants</h3>" + _table(rows, ["", "value"]))
    return parts


def _spans(spans: list[list[Any]]) -> str:
    return ", ".join(f"{a:g}–{b:g}" for a, b in spans) or "–"


def _cluster_tables(cluster: dict[str, Any] | None) -> list[str]:
    """A cluster run's nodes, partitions and queues (the summary's ``cluster``)."""
    if not cluster:
        return []
    rows = [[n, _spans(s["down"]), _spans(s["paused"]), s["restarts"]] for n, s in cluster["nodes"].items()]
    parts = ["<h3>Cluster nodes</h3>" + _table(rows, ["node", "down (s)", "paused (s)", "restarts"])]
    if cluster.get("partitions"):
        rows = [[p["start"], "–" if p["detected"] is None else p["detected"], p["end"],
                 " | ".join("+".join(g) for g in p["groups"])] for p in cluster["partitions"]]
        parts.append("<h3>Network partitions</h3>" + _table(rows, ["start (s)", "detected (s)", "end (s)", "sides"]))
    if cluster.get("queues"):
        rows = [[q, s["type"], s["leader_changes"], s["unavailable"],
                 ", ".join(f"{x[1] or 'none'} @ {x[0]:g}" for x in s["leaders"])] for q, s in cluster["queues"].items()]
        parts.append("<h3>Queues in the cluster</h3>"
                     + _table(rows, ["queue", "type", "leader changes", "unavailable (s)", "leaders"])
                     + '<p class="caption">unavailable: seconds without a leader able to accept a publish; '
                       "an interval still open at the end of the run ends there.</p>")
    return parts


def _errors(summary: dict[str, Any]) -> str:
    """The errors section: every AMQP error the clients met, or "none"."""
    errors = summary.get("errors") or []
    if errors:
        rows = [[e.get("actor") or "–", e.get("code", ""), e.get("text", ""), e.get("scope", ""),
                 e.get("count", ""), e.get("first", "")] for e in errors]
        body = _table(rows, ["actor", "code", "text", "scope", "count", "first (s)"])
    else:
        body = '<p class="none">none</p>'
    return ('<section id="errors"><h2>Errors</h2><p class="caption">The AMQP errors the clients met: '
            "the broker closed a channel or a connection with a reply code (one row per actor, code and "
            f"text; first: when it first happened).</p>{body}</section>")


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#263238;max-width:1180px;
margin:2em auto;padding:0 1.2em;line-height:1.45}
h1{margin-bottom:.1em} .meta{color:#607D8B;margin-top:0} .desc{font-size:1.1em}
section{margin:2.2em 0} .caption{color:#455A64} img{max-width:100%;border:1px solid #ECEFF1;border-radius:6px}
.tables{display:flex;flex-wrap:wrap;gap:1.5em} .tables>div{flex:1 1 320px}
table{border-collapse:collapse;font-size:.9em;width:100%} th,td{padding:.25em .6em;border-bottom:1px solid #ECEFF1;
text-align:right} th:first-child,td:first-child{text-align:left} thead th{background:#F5F7F8}
nav a{margin-right:1em;color:#1E88E5;text-decoration:none} .none{color:#607D8B;font-style:italic}
#errors td,#errors th{text-align:left}
"""


def _page(name: str, description: str, summary: dict[str, Any], sections: list[str],
          flow: bool, figures: dict[str, tuple[str, str, Callable[[Any], Figure]]] = FIGURES) -> str:
    meta = " · ".join(f"{k} {_fmt(summary[k])}" for k in ("seed", "sim_time") if k in summary)
    heads = [(stem, h) for stem, (h, _, _) in figures.items()]
    if flow:
        heads.insert(1 + list(figures).index("routing"), FLOW[:2])
    links = [("summary", "Summary"), ("errors", "Errors"), *heads]
    nav = "".join(f'<a href="#{stem}">{html.escape(h)}</a>' for stem, h in links)
    tables = "".join(f"<div>{t}</div>" for t in _tables(summary))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>amqpsim report — {html.escape(name)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(name)}</h1>
<p class="meta">amqpsim report{" · " + meta if meta else ""}</p>
<p class="desc">{html.escape(description)}</p>
<nav>{nav}</nav>
<section id="summary"><h2>Summary</h2><div class="tables">{tables}</div></section>
{_errors(summary)}
{chr(10).join(sections)}
</body></html>
"""
