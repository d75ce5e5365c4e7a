"""A run summary as rich tables (for the terminal); reads only the summary dict."""

from __future__ import annotations

from typing import Any

from .events import Fate

_FATE_STYLE = {Fate.LOST: "bold red", "duplicates": "yellow", Fate.DROPPED_OVERFLOW: "yellow",
               Fate.DEAD_LETTERED: "magenta", Fate.EXPIRED: "magenta", Fate.DISCARDED: "magenta"}


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def summary_renderables(summary: dict[str, Any]) -> list[Any]:
    """Rich renderables (tables) for a run summary."""
    from rich.columns import Columns
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    inv = summary.get("invariants", {})
    ok = inv.get("conservation")
    title = (f"{summary.get('scenario')}  seed={summary.get('seed')}  "
             f"sim_time={_fmt(summary.get('sim_time', 0.0))} s")
    out.append(Text(title, style="bold"))

    m = summary.get("messages", {})
    left = Table(title="messages", header_style="bold")
    left.add_column("publishing")
    left.add_column("count", justify="right")
    for key in ("published", "confirmed", "nacked", "returned", "unroutable", "routed_copies",
                "delivered", "redelivered"):
        left.add_row(key, _fmt(m.get(key, 0)))
    for key in ("confirmed_lost", "unconfirmed"):  # a cluster run's
        if key in m:
            style = "bold red" if m[key] and key == "confirmed_lost" else "yellow" if m[key] else ""
            left.add_row(Text(key, style=style), Text(_fmt(m[key]), style=style))
    right = Table(title="fate of every routed copy", header_style="bold")
    right.add_column("fate")
    right.add_column("copies", justify="right")
    for key in (*Fate, "duplicates"):
        style = _FATE_STYLE.get(key, "") if m.get(key, 0) else ""
        right.add_row(Text(key, style=style), Text(_fmt(m.get(key, 0)), style=style))
    out.append(Columns([left, right]))

    if summary.get("cluster"):
        out.extend(cluster_renderables(summary["cluster"]))

    queues = summary.get("queues", {})
    if queues:
        t = Table(title="queues", header_style="bold")
        for col in ("queue", "type", "enqueued", "max", "final", "unacked", "wait mean", "p95", "p99"):
            t.add_column(col, justify="left" if col in ("queue", "type") else "right", no_wrap=col in ("queue", "type"))
        for name, q in queues.items():
            w = q.get("wait", {})
            t.add_row(name or '""', q.get("type", ""), _fmt(q["enqueued"]), _fmt(q["max_depth"]),
                      _fmt(q["final_depth"]),
                      _fmt(q.get("final_unacked", 0)), _fmt(w.get("mean", 0.0)), _fmt(w.get("p95", 0.0)),
                      _fmt(w.get("p99", 0.0)))
        out.append(t)

    errors = summary.get("errors", [])
    consumers = summary.get("consumers", {})
    if consumers:
        codes = _codes_by_actor(errors)
        t = Table(title="consumers", header_style="bold")
        for col in ("consumer", "delivered", "acked", "rejected", "lost", "busy", *(["error"] if codes else [])):
            t.add_column(col, justify="left" if col in ("consumer", "error") else "right")
        for name, c in consumers.items():
            error = [Text(codes.get(name, ""), style="bold red")] if codes else []
            t.add_row(name, _fmt(c["delivered"]), _fmt(c["acked"]), _fmt(c.get("rejected", 0)),
                      _fmt(c.get("lost", 0)), f"{100 * c['busy_fraction']:.0f} %", *error)
        out.append(t)

    lat = summary.get("latency", {})
    out.append(Text(f"latency publish -> ack: mean {_fmt(lat.get('mean', 0.0))} s, "
                    f"p50 {_fmt(lat.get('p50', 0.0))} s, p95 {_fmt(lat.get('p95', 0.0))} s, "
                    f"p99 {_fmt(lat.get('p99', 0.0))} s"))
    j = summary.get("jepsen")
    if j:
        out.append(Text(f"per (message, queue): ok {j['ok']:,}, lost {j['lost']:,} "
                        f"(in transit {j['lost_in_transit']:,}), duplicated {j['duplicated']:,}"))
    out.append(Text("conservation: every routed copy has exactly one fate" if ok else
                    f"CONSERVATION VIOLATED: {inv}", style="green" if ok else "bold red"))
    if errors:
        t = Table(title="protocol errors the clients met", header_style="bold red", title_style="bold red")
        for col in ("actor", "code", "scope", "count", "first", "text"):
            t.add_column(col, justify="right" if col in ("code", "count", "first") else "left")
        for e in errors:
            t.add_row(str(e["actor"]), str(e["code"]), e["scope"], _fmt(e["count"]), f"{e['first']:.4g} s",
                      e["text"])
        out.append(t)
    return out


def _spans(spans: list[list[Any]]) -> str:
    return ", ".join(f"{_fmt(a)}-{_fmt(b)}" for a, b in spans) or "-"


def cluster_renderables(cluster: dict[str, Any]) -> list[Any]:
    """Rich tables for a summary's ``cluster`` key: nodes, partitions, queues."""
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = []
    t = Table(title="cluster nodes", header_style="bold")
    for col in ("node", "down (s)", "paused (s)", "restarts"):
        t.add_column(col, justify="right" if col == "restarts" else "left")
    for name, n in cluster.get("nodes", {}).items():
        t.add_row(name, _spans(n["down"]), _spans(n["paused"]), _fmt(n["restarts"]))
    out.append(t)
    parts = cluster.get("partitions", [])
    if parts:
        t = Table(title="network partitions", header_style="bold")
        for col in ("start", "detected", "end", "sides"):
            t.add_column(col, justify="left" if col == "sides" else "right")
        for p in parts:
            t.add_row(_fmt(p["start"]), "-" if p["detected"] is None else _fmt(p["detected"]), _fmt(p["end"]),
                      " | ".join("+".join(g) for g in p["groups"]))
        out.append(t)
    queues = cluster.get("queues", {})
    if queues:
        t = Table(title="queues in the cluster", header_style="bold")
        for col in ("queue", "type", "leaders", "leader changes", "unavailable (s)"):
            t.add_column(col, justify="right" if col in ("leader changes", "unavailable (s)") else "left")
        for name, q in queues.items():
            leaders = ", ".join(f"{x[1] or 'none'}@{_fmt(x[0])}" for x in q["leaders"][-4:])
            if len(q["leaders"]) > 4:
                leaders = "... " + leaders
            t.add_row(name or '""', q["type"], leaders, _fmt(q["leader_changes"]),
                      Text(_fmt(q["unavailable"]), style="bold red" if q["unavailable"] else ""))
        out.append(t)
    return out


def _codes_by_actor(errors: list[dict[str, Any]]) -> dict[str, str]:
    """The reply codes each actor met, ``"405"`` or ``"404, 406"``."""
    codes: dict[str, list[str]] = {}
    for e in errors:
        codes.setdefault(str(e["actor"]), []).append(str(e["code"]))
    return {actor: ", ".join(dict.fromkeys(cs)) for actor, cs in codes.items()}


def print_summary(summary: dict[str, Any], console: Any = None) -> None:
    from rich.console import Console

    console = console or Console()
    for r in summary_renderables(summary):
        console.print(r)
