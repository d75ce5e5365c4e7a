"""``amqpsim validate`` and RabbitMQ 3.10.8 give the same answer for the same topology.

Each topology of ``topologies.py`` is (1) validated as a scenario, (2) declared on
amqpsim.pika's broker and (3) on the real broker, in a run's order (policies,
exchanges, queues, bindings; each item on a fresh channel). All three must give the
recorded answer: RabbitMQ's refusal (reply code and text; for a policy
rabbitmqctl's validation message) or nothing. Policies go to the real broker
through ``rabbitmqctl set_policy`` in a throwaway vhost (skipped without rabbitmqctl).
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from amqpsim.scenario import ScenarioError, load_scenario


def _load(name: str) -> Any:
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"amqpsim_conformance_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


cases = _load("cases")
TOPOLOGIES = _load("topologies").TOPOLOGIES
IDS = [t.id for t in TOPOLOGIES]
NODE = os.environ.get("AMQPSIM_RABBITMQ_NODE", "rabbit@localhost")
SetPolicy = Callable[[dict[str, Any]], "str | None"]


def recorded(topo: Any, whole_item: bool = False) -> list[tuple[str, str]]:
    if topo.refused is None:
        return []
    path = re.match(r"topology\.\w+\[\d+\]", topo.path).group() if whole_item else topo.path
    return [(path, topo.refused)]


def validate(topology: dict[str, Any]) -> list[tuple[str, str]]:
    try:
        load_scenario({"name": "t", "topology": copy.deepcopy(topology)})
    except ScenarioError as exc:
        return [(p.path, p.message) for p in exc.problems]
    return []


@pytest.mark.parametrize("topo", TOPOLOGIES, ids=IDS)
def test_validate_gives_rabbitmqs_answer(topo: Any) -> None:
    assert validate(topo.topology) == recorded(topo)


# --- declaring the topology through pika ------------------------------------------

def declare(pika: Any, params: Any, topology: dict[str, Any], set_policy: SetPolicy
            ) -> list[tuple[str, str]]:
    """Declare ``topology`` in a run's order; the refused items and their answers."""
    ns = f"v{uuid.uuid4().hex[:6]}-"
    out: list[tuple[str, str]] = []

    def named(name: str) -> str:
        return name if name == "" or name.startswith("amq.") else ns + name

    with cases.Env(pika, params, ns) as env:
        conn = env.connect()

        def attempt(where: str, fn: Callable[[Any], None]) -> None:
            nonlocal conn
            if not conn.is_open:
                conn = env.connect()
            ch = conn.channel()
            try:
                fn(ch)
            except pika.exceptions.AMQPError as exc:
                out.append((where, cases.normalize(f"{exc.reply_code} {exc.reply_text}", ns)))
            else:
                ch.close()

        top = topology
        for i, pol in enumerate(top.get("policies", [])):
            if (text := set_policy(pol)) is not None:
                out.append((f"topology.policies[{i}]", f"RabbitMQ refuses the policy: {text}"))
        for i, x in enumerate(top.get("exchanges", [])):
            def exchange(ch: Any, x: dict[str, Any] = x) -> None:
                ch.exchange_declare(named(x["name"]), x["type"], durable=x.get("durable", True),
                                    auto_delete=x.get("auto_delete", False),
                                    internal=x.get("internal", False), arguments=x.get("arguments"))
                env._exchanges.append(named(x["name"]))
            attempt(f"topology.exchanges[{i}]", exchange)
        for i, q in enumerate(top.get("queues", [])):
            def queue(ch: Any, q: dict[str, Any] = q) -> None:
                args = dict(q.get("arguments", {}))
                if q.get("type", "classic") != "classic":
                    args.setdefault("x-queue-type", q["type"])
                ch.queue_declare(named(q["name"]), durable=q.get("durable", True),
                                 exclusive=q.get("exclusive", False),
                                 auto_delete=q.get("auto_delete", False), arguments=args)
                env._queues.append(named(q["name"]))
            attempt(f"topology.queues[{i}]", queue)
        for i, b in enumerate(top.get("bindings", [])):
            def bind(ch: Any, b: dict[str, Any] = b) -> None:
                src, dst = named(b["source"]), named(b["destination"])
                key, args = b.get("routing_key", ""), b.get("arguments")
                if b.get("destination_type", "queue") == "queue":
                    ch.queue_bind(dst, src, key, arguments=args)
                else:
                    ch.exchange_bind(dst, src, key, arguments=args)
            attempt(f"topology.bindings[{i}]", bind)
    return out


def _validation_failed(output: str) -> str | None:
    """The reason after rabbitmqctl's "Validation failed", if it refused."""
    if "Validation failed" not in output:
        return None
    return output.split("Validation failed", 1)[1].strip()


@pytest.fixture(scope="module")
def rabbitmqctl_policy() -> Iterator[SetPolicy]:
    """set_policy on the real broker, in a throwaway vhost (nobody else's queues match)."""
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is not installed")
    vhost = f"amqpsim-validate-{uuid.uuid4().hex[:6]}"

    def ctl(*args: str) -> str:
        done = subprocess.run(["rabbitmqctl", "-n", NODE, *args], capture_output=True, text=True,
                              timeout=120)
        return done.stdout + done.stderr

    ctl("add_vhost", vhost)

    def set_policy(pol: dict[str, Any]) -> str | None:
        import json

        return _validation_failed(ctl(
            "set_policy", "-p", vhost, "--apply-to", pol.get("apply-to", "all"), "--priority",
            str(pol.get("priority", 0)), pol["name"], pol["pattern"], json.dumps(pol["definition"])))

    yield set_policy
    ctl("delete_vhost", vhost)


def _sim_policy(sim_pika: Any) -> SetPolicy:
    from amqpsim.broker.policy_rules import PolicyError

    def set_policy(pol: dict[str, Any]) -> str | None:
        try:
            sim_pika.broker_for().set_policy(0.0, pol["name"], pol["pattern"], pol["definition"],
                                             pol.get("priority", 0), pol.get("apply-to", "all"))
        except PolicyError as exc:
            return _validation_failed(str(exc))
        return None
    return set_policy


@pytest.mark.parametrize("topo", TOPOLOGIES, ids=IDS)
def test_amqpsim_broker_gives_rabbitmqs_answer(topo: Any) -> None:
    import amqpsim.pika as sim_pika

    sim_pika.reset_brokers()
    params = sim_pika.ConnectionParameters()
    assert declare(sim_pika, params, topo.topology, _sim_policy(sim_pika)) == recorded(topo, True)


@pytest.mark.conformance
@pytest.mark.parametrize("topo", TOPOLOGIES, ids=IDS)
def test_rabbitmq_gives_the_recorded_answer(topo: Any, real_pika: Any, params_for: Any,
                                            rabbitmqctl_policy: SetPolicy) -> None:
    answer = declare(real_pika, params_for(real_pika), topo.topology, rabbitmqctl_policy)
    assert answer == recorded(topo, True)
