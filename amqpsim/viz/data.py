"""What a picture is drawn from: the events (and, when present, the topology and summary).

Every public function accepts a *run*: anything with ``.events`` (a DataFrame from
:func:`amqpsim.trace.io.to_frame`, or a list of event records), optionally
``.topology`` (a definitions.json-shaped dict) and ``.summary``; or the events
themselves; or a broker or anything else with ``.recorder.events``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..trace.events import COLUMNS
from ..trace.io import to_frame
from ..trace.topology import topology_from_events

__all__ = ["events_of", "topology_of", "summary_of", "name_of", "description_of"]

_CACHE_ATTR = "_amqpsim_viz_frame"


def _frame(source: Any) -> pd.DataFrame:
    """The flat view of the log (:func:`~amqpsim.trace.io.to_frame`), in ``seq`` order."""
    if not isinstance(source, pd.DataFrame):
        return to_frame(source)
    missing = [c for c in COLUMNS if c not in source.columns]
    if missing:
        raise ValueError(f"not an event frame (see amqpsim.trace.io.to_frame): no column {missing[0]!r}")
    return source.sort_values("seq", kind="stable").reset_index(drop=True)


def events_of(run: Any) -> pd.DataFrame:
    """The run's events as a DataFrame with the columns :data:`~amqpsim.trace.events.COLUMNS`."""
    if isinstance(run, pd.DataFrame):
        return _frame(run)
    if hasattr(run, "events"):
        source = run.events
        if source is None:
            raise ValueError("this run kept no events (run it with events=True to draw it)")
    elif hasattr(run, "recorder"):
        source = run.recorder.events  # a broker (amqpsim.pika.broker_for) or a recorder's owner
    else:
        source = run  # the events themselves
    if isinstance(source, pd.DataFrame):
        return _frame(source)
    key = (id(source), len(source))  # a live broker's log grows: draw what it holds now
    cached = getattr(run, _CACHE_ATTR, None)
    if cached is not None and cached[0] == key:
        return cached[1]
    df = _frame(source)
    try:
        setattr(run, _CACHE_ATTR, (key, df))
    except (AttributeError, TypeError):
        pass
    return df


def topology_of(run: Any, events: pd.DataFrame | None = None) -> dict[str, list[dict[str, Any]]]:
    """``run.topology`` as a plain dict, else the topology derived from the events."""
    topo = getattr(run, "topology", None)
    if topo is None:
        scenario = getattr(run, "scenario", None)
        topo = getattr(scenario, "topology", None)
    if topo is not None and hasattr(topo, "model_dump"):
        topo = topo.model_dump()
    derived = topology_from_events(events if events is not None else events_of(run))
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


def summary_of(run: Any) -> dict[str, Any] | None:
    summary = getattr(run, "summary", None)
    return summary if isinstance(summary, dict) else None


def name_of(run: Any, default: str = "run") -> str:
    """The scenario's name (summary or scenario), else ``default``."""
    scenario = getattr(run, "scenario", None)
    name = getattr(scenario, "name", None)
    if name is None and isinstance(scenario, dict):
        name = scenario.get("name")
    if name is None:
        name = (summary_of(run) or {}).get("scenario")
    return str(name) if name else default


def description_of(run: Any) -> str:
    scenario = getattr(run, "scenario", None)
    text = getattr(scenario, "description", None)
    if text is None and isinstance(scenario, dict):
        text = scenario.get("description")
    return str(text or "")
