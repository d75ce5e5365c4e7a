"""What a picture is drawn from: a :class:`~amqpsim.trace.views.RunView` (and the run's
scenario, for its name and declared topology).

Every public function accepts a *run*, turned into a view by :func:`view_of`:

* a :class:`~amqpsim.RunResult` (its ``.view``: folded during the run, or from its kept log);
* a :class:`~amqpsim.trace.views.RunView` itself;
* anything that holds events: ``.events`` (a list of records, or a DataFrame from
  :func:`amqpsim.trace.io.to_frame`), ``.recorder.events`` (a broker, e.g.
  :func:`amqpsim.pika.broker_for`), or the events themselves.

:func:`view_of` is the one place that folds events for pictures (with
:class:`~amqpsim.trace.views.ViewFold`); no picture reads the event log itself, so a
picture costs what a summary costs.
"""

from __future__ import annotations

from typing import Any

from ..trace.events import (
    COLUMNS,
    Bound,
    DeadLettered,
    ExchangeDeclared,
    Published,
    QueueDeclared,
    Routed,
)
from ..trace.io import from_frame
from ..trace.topology import topology_from_events
from ..trace.views import RunView, fold_view

__all__ = ["view_of", "fold_view", "topology_of", "summary_of", "name_of", "description_of", "base_name",
           "widths", "step_xy"]

#: the first events a view keeps (:class:`~amqpsim.trace.views.ViewFold`'s ``max_frames``)
KEPT = 400
_CACHE_ATTR = "_amqpsim_viz_view"
NO_VIEW = "this run kept neither its events nor its pictures: run it with pictures=True (or events=True) to draw it"


def base_name(actor: Any) -> str:
    """``worker#2`` -> ``worker``: instances of one client share a node or a colour."""
    return str(actor).split("#", 1)[0] if actor not in (None, "None") else "client"


def _is_frame(x: Any) -> bool:
    return hasattr(x, "columns") and hasattr(x, "itertuples")


def _records_of_frame(df: Any) -> list[Any]:
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"not an event frame (see amqpsim.trace.io.to_frame): no column {missing[0]!r}")
    return from_frame(df.sort_values("seq", kind="stable"))


def _events(run: Any) -> list[Any]:
    if _is_frame(run):
        return _records_of_frame(run)
    if hasattr(run, "events"):
        source = run.events
        if source is None:
            raise ValueError(NO_VIEW)
    elif hasattr(run, "recorder"):
        source = run.recorder.events  # a broker (amqpsim.pika.broker_for) or a recorder's owner
    else:
        source = run  # the events themselves
    if _is_frame(source):
        return _records_of_frame(source)
    return list(source)


def view_of(run: Any) -> RunView:
    """The view a picture draws: ``run.view``, the view itself, or the run's events folded."""
    if isinstance(run, RunView):
        return run
    if not _is_frame(run) and not isinstance(run, list):
        try:
            view = getattr(run, "view", None)
        except RuntimeError as exc:  # a RunResult that kept neither its log nor a view
            raise ValueError(NO_VIEW) from exc
        if isinstance(view, RunView):
            return view
    if hasattr(run, "events") or hasattr(run, "recorder"):
        source = run.events if hasattr(run, "events") else run.recorder.events
        key = (id(source), len(source)) if source is not None else None  # a live broker's log grows
        cached = getattr(run, _CACHE_ATTR, None)
        if cached is not None and cached[0] == key:
            return cached[1]  # type: ignore[no-any-return]
    else:
        key = None
    summary = summary_of(run, fold=False) or {}  # a run's summary gives its end and its bins
    view = fold_view(_events(run), scenario=name_of(run, "") or None, seed=summary.get("seed"),
                     sim_time=summary.get("sim_time"), interval=(summary.get("series") or {}).get("interval"))
    if key is not None:
        try:
            setattr(run, _CACHE_ATTR, (key, view))
        except (AttributeError, TypeError):
            pass
    return view


# ---------------------------------------------------------------------- topology
def _records_of_topology(topo: dict[str, list[dict[str, Any]]]) -> list[Any]:
    """The declare and bind records a definitions-shaped topology stands for."""
    out: list[Any] = []
    for x in topo.get("exchanges") or []:
        out.append(ExchangeDeclared(0.0, None, x["name"], x.get("type", "direct")))
    for q in topo.get("queues") or []:
        qtype = (q.get("arguments") or {}).get("x-queue-type", "classic")
        out.append(QueueDeclared(0.0, None, q["name"], qtype, bool(q.get("durable", True)),
                                 bool(q.get("exclusive", False)), bool(q.get("auto_delete", False))))
    for b in topo.get("bindings") or []:
        out.append(Bound(0.0, None, b["source"], b["destination"], b.get("destination_type", "queue"),
                         b.get("routing_key", "")))
    return out


def _topology_of_view(view: RunView) -> dict[str, list[dict[str, Any]]]:
    """The view's declared topology, completed from its flows: the exchanges published to, the
    queues' dead-letter exchanges and the exchanges' alternates (see :mod:`amqpsim.trace.topology`)."""
    records = _records_of_topology(view.topology)
    for (src, dst), n in view.flows.items():
        if not n:
            continue
        s_kind, s = src.split(":", 1)
        d_kind, d = dst.split(":", 1)
        if s_kind == "producer" and d_kind == "exchange":
            records.append(Published(0.0, None, None, 0, d, "", None, 0))
        elif s_kind == "exchange" and d_kind == "queue":
            records.append(Routed(0.0, 0, s, "", (d,), False))
        elif s_kind == "queue" and d_kind == "exchange":
            records.append(DeadLettered(0.0, 0, 0, s, d, ""))
    return topology_from_events(records)


def topology_of(run: Any, view: RunView | None = None) -> dict[str, list[dict[str, Any]]]:
    """The scenario's topology (it has the queues' arguments, such as x-dead-letter-exchange),
    plus whatever the run declared or used beyond it (from the view)."""
    topo = getattr(run, "topology", None)
    if topo is None:
        scenario = getattr(run, "scenario", None)
        topo = getattr(scenario, "topology", None)
    if topo is not None and hasattr(topo, "model_dump"):
        topo = topo.model_dump()
    derived = _topology_of_view(view if view is not None else view_of(run))
    if not isinstance(topo, dict) or not topo:
        return derived
    given = {k: [dict(x) for x in topo.get(k) or []] for k in ("exchanges", "queues", "bindings")}
    return _merge(given, derived)


def _merge(given: dict[str, list[dict[str, Any]]], derived: dict[str, list[dict[str, Any]]]
           ) -> dict[str, list[dict[str, Any]]]:
    """The given topology, plus whatever the run declared beyond it."""
    def key(kind: str, x: dict[str, Any]) -> Any:
        if kind == "bindings":
            return (x["source"], x.get("destination_type", "queue"), x["destination"], x.get("routing_key", ""))
        return x["name"]

    out = {}
    for kind in ("exchanges", "queues", "bindings"):
        rows = {key(kind, x): x for x in given[kind]}
        for x in derived[kind]:
            mine = rows.setdefault(key(kind, x), x)
            if mine is not x:  # inferred arguments (from policies, say) complete the declared ones
                args = dict(mine.get("arguments") or {})
                for k, v in (x.get("arguments") or {}).items():
                    args.setdefault(k, v)
                mine["arguments"] = args
        out[kind] = list(rows.values())
    return out


# ---------------------------------------------------------------------- names
def summary_of(run: Any, fold: bool = True) -> dict[str, Any] | None:
    """``run.summary`` when it has one, else (``fold``) the summary of its view."""
    if isinstance(run, RunView):
        return run.summary
    summary = getattr(run, "summary", None)
    if isinstance(summary, dict) and summary:
        return summary
    return view_of(run).summary if fold else None


def name_of(run: Any, default: str = "run") -> str:
    """The scenario's name (scenario or summary), else ``default``."""
    scenario = getattr(run, "scenario", None)
    name = getattr(scenario, "name", None)
    if name is None and isinstance(scenario, dict):
        name = scenario.get("name")
    if name is None and not isinstance(run, list) and not _is_frame(run):
        name = (summary_of(run, fold=False) or {}).get("scenario")
    return str(name) if name else default


def description_of(run: Any) -> str:
    scenario = getattr(run, "scenario", None)
    text = getattr(scenario, "description", None)
    if text is None and isinstance(scenario, dict):
        text = scenario.get("description")
    return str(text or "")


# ---------------------------------------------------------------------- bins
def widths(view: RunView) -> list[float]:
    """Each bin's width in seconds (the last one may be shorter)."""
    return view.widths


def step_xy(view: RunView, values: list[Any]) -> tuple[list[float], list[Any]]:
    """A per-bin series as the points of a ``step(where="post")`` line: each value held over its bin."""
    n = min(len(values), len(view.time))
    if n == 0:
        return [0.0], [0]
    return [0.0, *view.time[:n]], [*values[:n], values[n - 1]]
