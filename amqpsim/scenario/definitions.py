"""RabbitMQ definitions (``rabbitmqctl export_definitions``) <-> scenario topology.

:func:`import_definitions` reads the cluster format (items carry ``vhost``) and
the single-virtual-host format (they do not) and keeps one vhost's exchanges,
queues, bindings and policies. Users, passwords, permissions, parameters and
limits are ignored. Objects amqpsim cannot simulate (exclusive queues, plugin
exchange types) are left out with a :class:`DefinitionsWarning` each; stream
queues are kept; policies that ``apply-to: streams`` (3.12+) are left out too.

:func:`export_definitions` writes what ``rabbitmqctl import_definitions`` reads:
``rabbit_version``, one vhost ``/`` and the topology in the broker's own shape.
Exporting an import gives back the same objects (``export(import(d))`` keeps
every topology item of ``d`` that amqpsim supports).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import Problem, ScenarioError, did_you_mean
from .loader import load_scenario
from .model import PREDECLARED_EXCHANGES, Scenario

__all__ = ["DefinitionsWarning", "RABBIT_VERSION", "choose_vhost", "export_definitions",
           "import_definitions", "read_definitions", "scenario_name"]

RABBIT_VERSION = "3.10.8"
SECTIONS = ("exchanges", "queues", "bindings", "policies")
EXCHANGE_TYPES = ("direct", "fanout", "topic", "headers")
APPLY_TO = ("all", "queues", "exchanges", "classic_queues", "quorum_queues")
# fields copied from a definitions item into the scenario (everything else is dropped)
FIELDS = {
    "exchanges": ("name", "type", "durable", "auto_delete", "internal", "arguments"),
    "queues": ("name", "type", "durable", "auto_delete", "arguments"),
    "bindings": ("source", "destination", "destination_type", "routing_key", "arguments"),
    "policies": ("name", "pattern", "apply-to", "priority", "definition"),
}


class DefinitionsWarning(UserWarning):
    """An object of the definitions that amqpsim leaves out (or cannot export)."""


def _skip(what: str, why: str) -> None:
    warnings.warn(DefinitionsWarning(f"skipped {what}: {why}"), stacklevel=3)


def scenario_name(text: str) -> str:
    """A valid scenario name (``[a-z0-9-]+``) made from a file name or any text."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "imported"


def read_definitions(path: str | Path) -> dict[str, Any]:
    """Parse a definitions JSON file; a :class:`ScenarioError` names what is wrong."""
    label = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(Problem("no such definitions file", file=label)) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(Problem(f"not valid JSON: {exc.msg} (line {exc.lineno}, "
                                    f"column {exc.colno})", file=label)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(Problem(f"cannot read definitions: {exc}", file=label)) from None
    if not isinstance(data, dict):
        raise ScenarioError(Problem("definitions must be a JSON object with exchanges, "
                                    f"queues, bindings, policies; found {type(data).__name__}",
                                    file=label))
    return data


# --- import ------------------------------------------------------------------

def _items(defs: Mapping[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    items = defs.get(section) or []
    if not isinstance(items, list):
        raise ScenarioError(Problem(f"must be a list, found {type(items).__name__}", section))
    bad = [i for i, item in enumerate(items) if not isinstance(item, dict)]
    if bad:
        raise ScenarioError(Problem("each item must be a JSON object", f"{section}[{bad[0]}]"))
    return list(enumerate(items))


def _vhosts(defs: Mapping[str, Any]) -> list[str]:
    listed = defs.get("vhosts") or []
    names = [v["name"] for v in listed if isinstance(v, dict) and isinstance(v.get("name"), str)]
    for section in SECTIONS:
        names += [item["vhost"] for _, item in _items(defs, section)
                  if isinstance(item.get("vhost"), str)]
    return list(dict.fromkeys(names))


def choose_vhost(defs: Mapping[str, Any], vhost: str | None = None) -> str:
    """The vhost to import: ``vhost`` if given, else ``/``, else the only one (for a
    single-vhost export, the vhost it names)."""
    present = _vhosts(defs)
    if vhost is not None:
        if vhost in present or not present:  # no vhost named anywhere: items belong to it
            return vhost
        hint = did_you_mean(vhost, present)
        raise ScenarioError(Problem(f"no vhost {vhost!r} in the definitions (found: "
                                    f"{', '.join(map(repr, present)) or 'none'})",
                                    suggestion=hint))
    original = defs.get("original_vhost_name")  # a single-vhost export names its vhost
    if not present and isinstance(original, str):
        return original
    if not present or "/" in present:
        return "/"
    if len(present) == 1:
        return present[0]
    raise ScenarioError(Problem(f"the definitions hold several vhosts ({', '.join(map(repr, present))}"
                                ") and no '/': choose one (vhost=..., --vhost)"))


def _topology(defs: Mapping[str, Any], vhost: str) -> tuple[dict[str, list[Any]],
                                                            dict[tuple[str, int], int]]:
    """The scenario topology, and where each item came from ((section, i) -> index)."""
    topology: dict[str, list[Any]] = {s: [] for s in SECTIONS}
    origin: dict[tuple[str, int], int] = {}
    gone: set[tuple[str, str]] = set()  # (kind, name) of left-out exchanges and queues

    def keep(section: str, i: int, item: dict[str, Any]) -> None:
        origin[(section, len(topology[section]))] = i
        topology[section].append({k: item[k] for k in FIELDS[section] if k in item})

    for section in SECTIONS:
        for i, item in _items(defs, section):
            if item.get("vhost", vhost) != vhost:
                continue
            name = item.get("name")
            if section == "exchanges":
                if name == "" or (isinstance(name, str) and name.startswith("amq.")):
                    continue  # predeclared in every vhost
                if item.get("type") not in EXCHANGE_TYPES:
                    _skip(f"exchange {name!r}", f"type {item.get('type')!r} is not "
                          "simulated (direct, fanout, topic, headers are)")
                    gone.add(("exchange", str(name)))
                    continue
            elif section == "queues":
                if item.get("exclusive") is True:
                    _skip(f"queue {name!r}", "exclusive queues are not simulated")
                    gone.add(("queue", str(name)))
                    continue
            elif section == "bindings":
                if item.get("source") == "":
                    continue  # the default exchange's implicit bindings
                ends = {("exchange", str(item.get("source"))),
                        (str(item.get("destination_type", "queue")), str(item.get("destination")))}
                if ends & gone:
                    _skip(f"binding {item.get('source')!r} -> {item.get('destination')!r}",
                          "its source or destination was skipped")
                    continue
            elif section == "policies" and item.get("apply-to") == "streams":
                _skip(f"policy {name!r}", "apply-to 'streams' came with RabbitMQ 3.12 "
                      "(on 3.10 'queues' applies to streams)")
                continue
            keep(section, i, item)
    return topology, origin


_SCENARIO_ITEM = re.compile(r"^topology\.(exchanges|queues|bindings|policies)\[(\d+)\]")


def _relocate(error: ScenarioError, defs: Mapping[str, Any],
              origin: dict[tuple[str, int], int]) -> ScenarioError:
    """Point problems at the definitions item (``queues[4] ('orders')``), not the scenario."""
    problems = []
    for p in error.problems:
        m = _SCENARIO_ITEM.match(p.path)
        if m and (m[1], int(m[2])) in origin:
            i = origin[(m[1], int(m[2]))]
            item = defs[m[1]][i]
            label = repr(item["name"]) if "name" in item else \
                f"{item.get('source')!r} -> {item.get('destination')!r}"
            where = f"{m[1]}[{i}] ({label})" + p.path[m.end():]
            p = Problem(p.message, where, None, p.file, p.value, p.suggestion)
        problems.append(p)
    return ScenarioError(problems)


def import_definitions(defs: Mapping[str, Any], name: str = "imported", *,
                       vhost: str | None = None, description: str | None = None) -> Scenario:
    """A scenario holding one vhost's topology, with no producers or consumers.

    ``defs`` is parsed definitions JSON (``rabbitmqctl export_definitions`` or
    ``GET /api/definitions[/vhost]``). ``vhost`` defaults to ``/`` (or the only
    vhost present). Raises :class:`ScenarioError`; warns
    :class:`DefinitionsWarning` for each object left out.
    """
    if not isinstance(defs, Mapping):
        raise ScenarioError(Problem(f"definitions must be a mapping, found {type(defs).__name__}"))
    chosen = choose_vhost(defs, vhost)
    topology, origin = _topology(defs, chosen)
    version = defs.get("rabbitmq_version") or defs.get("rabbit_version") or "unknown"
    data = {
        "name": scenario_name(name),
        "description": description if description is not None else
        f"Topology of vhost {chosen!r} imported from RabbitMQ {version} definitions.",
        "topology": {k: v for k, v in topology.items() if v},
        "producers": [],
        "consumers": [],
    }
    if str(version).split(".")[0].isdigit() and int(str(version).split(".")[0]) >= 4:
        data["broker"] = {"version": "4.3"}  # a 4.x export: the 4.x profile (its rules differ)
    try:
        return load_scenario(data)
    except ScenarioError as exc:
        raise _relocate(exc, defs, origin) from None


# --- export ------------------------------------------------------------------

def export_definitions(scenario: Scenario) -> dict[str, Any]:
    """The scenario's topology as definitions that ``rabbitmqctl import_definitions``
    (or ``POST /api/definitions``) loads into vhost ``/``."""
    topo = scenario.topology
    skipped = {q.name for q in topo.queues if q.exclusive}
    for name in sorted(skipped):
        _skip(f"queue {name!r}", "exclusive queues belong to a connection (RabbitMQ does "
              "not export them either)")
    exchanges = [
        {"name": x.name, "vhost": "/", "type": x.type, "durable": x.durable,
         "auto_delete": x.auto_delete, **({"internal": True} if x.internal else {}),
         "arguments": dict(x.arguments)}
        for x in topo.exchanges if x.name not in PREDECLARED_EXCHANGES
    ]
    queues = []
    for q in topo.queues:
        if q.name in skipped:
            continue
        args = dict(q.arguments)
        if q.queue_type != "classic":  # the broker reads the type from the arguments
            args.setdefault("x-queue-type", q.queue_type)
        queues.append({"name": q.name, "vhost": "/", "type": q.queue_type, "durable": q.durable,
                       "auto_delete": q.auto_delete, "arguments": args})
    bindings = [
        {"source": b.source, "vhost": "/", "destination": b.destination,
         "destination_type": b.destination_type, "routing_key": b.routing_key,
         "arguments": dict(b.arguments)}
        for b in topo.bindings
        if not (b.destination_type == "queue" and b.destination in skipped)
    ]
    policies = [
        {"vhost": "/", "name": p.name, "pattern": p.pattern, "apply-to": p.apply_to,
         "definition": dict(p.definition), "priority": p.priority}
        for p in topo.policies
    ]
    return {"rabbit_version": RABBIT_VERSION, "rabbitmq_version": RABBIT_VERSION,
            "vhosts": [{"name": "/"}], "policies": policies, "queues": queues,
            "exchanges": exchanges, "bindings": bindings}
