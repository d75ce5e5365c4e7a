"""Definitions against a real RabbitMQ 3.10: its export imports to the declared
topology, and amqpsim's export imports into it as the same objects.

Needs ``rabbitmqctl`` for the node (env ``AMQPSIM_RABBITMQ_NODE``, default
``rabbit@localhost``). Every object has a unique name and is deleted afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from amqpsim.scenario import Scenario, export_definitions, import_definitions, load_scenario

NODE = os.environ.get("AMQPSIM_RABBITMQ_NODE", "rabbit@localhost")
CTL = os.environ.get("AMQPSIM_RABBITMQCTL", "rabbitmqctl")

pytestmark = pytest.mark.conformance


def topology(p: str) -> dict[str, Any]:
    """A topology with every exchange type, queue arguments, a quorum queue, bindings to
    queues and to exchanges with arguments, and a policy; every name starts with ``p``."""
    return {
        "exchanges": [
            {"name": f"{p}-direct", "type": "direct", "durable": True},
            {"name": f"{p}-fanout", "type": "fanout", "durable": False},
            {"name": f"{p}-topic", "type": "topic", "arguments": {"alternate-exchange": f"{p}-fanout"}},
            {"name": f"{p}-headers", "type": "headers"},
        ],
        "queues": [
            {"name": f"{p}-orders", "type": "classic",
             "arguments": {"x-max-length": 100, "x-overflow": "reject-publish",
                           "x-message-ttl": 60000, "x-dead-letter-exchange": f"{p}-fanout"}},
            {"name": f"{p}-work", "type": "quorum",
             "arguments": {"x-queue-type": "quorum", "x-delivery-limit": 5}},
            {"name": f"{p}-audit", "type": "classic", "durable": False,
             "arguments": {"x-max-priority": 5}},
        ],
        "bindings": [
            {"source": f"{p}-topic", "destination": f"{p}-orders", "routing_key": "order.*"},
            {"source": f"{p}-direct", "destination": f"{p}-work", "routing_key": "work",
             "arguments": {"tag": 7}},
            {"source": f"{p}-headers", "destination": f"{p}-audit",
             "arguments": {"x-match": "any", "region": "eu"}},
            {"source": f"{p}-topic", "destination": f"{p}-direct",
             "destination_type": "exchange", "routing_key": "order.#"},
            {"source": f"{p}-fanout", "destination": f"{p}-audit"},
        ],
        "policies": [
            {"name": f"{p}-limit", "pattern": f"^{p}-orders$", "apply-to": "queues",
             "priority": 7, "definition": {"max-length": 50, "message-ttl": 30000}},
        ],
    }


def scenario_of(p: str, **extra: Any) -> Scenario:
    return load_scenario({"name": "declared", "topology": topology(p), **extra})


def unordered(scenario: Scenario) -> dict[str, list[str]]:
    topo = scenario.topology.model_dump(by_alias=True)
    return {section: sorted(json.dumps(item, sort_keys=True) for item in items)
            for section, items in topo.items()}


def ctl(*args: str) -> str:
    done = subprocess.run([CTL, "-n", NODE, "-q", *args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, f"rabbitmqctl {' '.join(args)}: {done.stderr}"
    return done.stdout


def ours(p: str, item: dict[str, Any]) -> bool:
    names = (item.get(k) for k in ("name", "source", "destination", "source_name",
                                   "destination_name"))
    return any(isinstance(n, str) and n.startswith(p) for n in names)


def listed(p: str, what: str, *columns: str) -> list[dict[str, Any]]:
    rows = json.loads(ctl(what, *columns, "--formatter", "json") or "[]")
    return [r for r in rows if ours(p, r)]


def table(rows: list[list[Any]]) -> dict[str, Any]:
    """rabbitmqctl's AMQP tables ``[[key, type, value], ...]`` as a dict."""
    return {k: v for k, _, v in rows}


@pytest.fixture
def prefix(real_pika: Any) -> Iterator[str]:
    """A unique name prefix; afterwards, delete every object and policy named with it."""
    if shutil.which(CTL) is None:
        if os.environ.get("AMQPSIM_REQUIRE_BROKER") == "1":
            pytest.fail(f"{CTL} not found (AMQPSIM_REQUIRE_BROKER=1)")
        pytest.skip(f"{CTL} not found")
    # not "amq...": RabbitMQ 3.10 leaves exchanges whose names start with "amq" out of
    # its export (even "amqpsim-..."), not only the reserved "amq." ones
    p = f"sim-defs-{uuid.uuid4().hex[:8]}"
    yield p
    for pol in listed(p, "list_policies"):
        ctl("clear_policy", pol["name"])
    conn = real_pika.BlockingConnection(real_pika.ConnectionParameters("127.0.0.1"))
    try:
        for q in listed(p, "list_queues", "name"):
            conn.channel().queue_delete(q["name"])
        for x in listed(p, "list_exchanges", "name"):
            conn.channel().exchange_delete(x["name"])
    finally:
        conn.close()


def declare(pika: Any, p: str) -> None:
    topo = topology(p)
    conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1"))
    ch = conn.channel()
    for x in topo["exchanges"]:
        ch.exchange_declare(x["name"], x["type"], durable=x.get("durable", True),
                            arguments=x.get("arguments"))
    for q in topo["queues"]:
        ch.queue_declare(q["name"], durable=q.get("durable", True), arguments=q["arguments"])
    for b in topo["bindings"]:
        bind = ch.exchange_bind if b.get("destination_type") == "exchange" else ch.queue_bind
        bind(b["destination"], b["source"], b.get("routing_key", ""),
             arguments=b.get("arguments"))
    conn.close()
    pol = topo["policies"][0]
    ctl("set_policy", "--apply-to", pol["apply-to"], "--priority", str(pol["priority"]),
        pol["name"], pol["pattern"], json.dumps(pol["definition"]))


def test_rabbitmq_export_imports_as_the_declared_topology(real_pika: Any, prefix: str) -> None:
    declare(real_pika, prefix)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o777)  # the broker's own user writes the file
        path = Path(tmp, "defs.json")
        ctl("export_definitions", str(path))
        defs = json.loads(path.read_text())
    assert defs["rabbit_version"].startswith("3.")
    for section in ("exchanges", "queues", "bindings", "policies"):
        defs[section] = [item for item in defs[section] if ours(prefix, item)]
    imported = import_definitions(defs, "from-rabbitmq")

    assert unordered(imported) == unordered(scenario_of(prefix))  # the broker lists in any order
    assert imported.producers == [] and imported.consumers == []


def test_amqpsim_export_loads_into_rabbitmq_as_the_same_objects(prefix: str) -> None:
    p = prefix
    topo = topology(p)  # plus an internal exchange (RabbitMQ's own export leaves those out)
    topo["exchanges"].append({"name": f"{p}-internal", "type": "fanout", "internal": True})
    topo["bindings"].append({"source": f"{p}-topic", "destination": f"{p}-internal",
                             "destination_type": "exchange", "routing_key": "audit.#"})
    scenario = load_scenario({"name": "declared", "topology": topo})
    defs = export_definitions(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        path = Path(tmp, "defs.json")
        path.write_text(json.dumps(defs))
        path.chmod(0o644)  # read by the broker's own user
        ctl("import_definitions", str(path))

    queues = {q["name"]: {**q, "arguments": table(q["arguments"])}
              for q in listed(p, "list_queues", "name", "type", "durable", "auto_delete",
                              "arguments", "policy")}
    assert queues == {
        q.name: {"name": q.name, "type": q.queue_type, "durable": q.durable,
                 "auto_delete": q.auto_delete, "arguments": q.arguments,
                 "policy": f"{p}-limit" if q.name == f"{p}-orders" else ""}
        for q in scenario.topology.queues}

    exchanges = [{**x, "arguments": table(x["arguments"])}
                 for x in listed(p, "list_exchanges", "name", "type", "durable", "auto_delete",
                                 "internal", "arguments")]
    assert sorted(exchanges, key=lambda x: x["name"]) == sorted(
        ({"name": x.name, "type": x.type, "durable": x.durable, "auto_delete": x.auto_delete,
          "internal": x.internal, "arguments": x.arguments} for x in scenario.topology.exchanges),
        key=lambda x: x["name"])

    bindings = [(b["source_name"], b["destination_name"], b["destination_kind"],
                 b["routing_key"], table(b["arguments"]))
                for b in listed(p, "list_bindings", "source_name", "destination_name",
                                "destination_kind", "routing_key", "arguments")
                if b["source_name"] != ""]  # not the default exchange's implicit bindings
    key = repr
    assert sorted(bindings, key=key) == sorted(
        ((b.source, b.destination, b.destination_type, b.routing_key, b.arguments)
         for b in scenario.topology.bindings), key=key)

    policies = [{**pol, "definition": json.loads(pol["definition"])}
                for pol in listed(p, "list_policies")]
    assert policies == [{"vhost": "/", "name": pol.name, "pattern": pol.pattern,
                         "apply-to": pol.apply_to, "definition": pol.definition,
                         "priority": pol.priority} for pol in scenario.topology.policies]
