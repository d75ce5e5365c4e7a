"""Random small scenarios: every run conserves copies, is deterministic, and the fold's ledger
(summary and per-copy records) agrees with the reference ledger (tests/trace/oracle.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import amqpsim
from amqpsim.scenario import ScenarioError
from amqpsim.trace.summary import summarize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trace"))
from oracle import Oracle, check_ledger  # noqa: E402

KEYS = ["k0", "k1", "k2"]


@st.composite
def queues(draw: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 3))):
        quorum = draw(st.booleans()) and draw(st.booleans())
        args: dict[str, Any] = {}
        if draw(st.booleans()):
            args["x-max-length"] = draw(st.integers(0, 15))
            args["x-overflow"] = draw(st.sampled_from(
                ["drop-head", "reject-publish"] if quorum else ["drop-head", "reject-publish", "reject-publish-dlx"]))
        if draw(st.booleans()):
            args["x-message-ttl"] = draw(st.integers(0, 3000))
        if draw(st.booleans()):
            args["x-dead-letter-exchange"] = "dlx"
        if quorum and draw(st.booleans()):
            args["x-delivery-limit"] = draw(st.integers(0, 3))
        if not quorum and draw(st.booleans()):
            args["x-max-priority"] = draw(st.integers(1, 5))
        q = {"name": f"q{i}", "durable": quorum or draw(st.booleans()), "arguments": args}
        if quorum:
            q["type"] = "quorum"
        out.append(q)
    return out


def dist(draw: Any, small: float) -> dict[str, Any]:
    kind = draw(st.sampled_from(["constant", "exponential", "uniform"]))
    if kind == "uniform":
        return {"uniform": [0, small * 2]}
    return {kind: draw(st.sampled_from([0, small / 2, small, small * 3])) or (0 if kind == "constant" else small)}


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    qs = draw(queues())
    xtype = draw(st.sampled_from(["direct", "fanout", "topic"]))
    bindings = []
    for q in qs:
        for _ in range(draw(st.integers(0, 2))):
            key = draw(st.sampled_from(KEYS)) if xtype != "topic" else draw(st.sampled_from(["k0", "*", "#", "k1"]))
            bindings.append({"source": "x", "destination": q["name"], "routing_key": key})
    exchanges = [{"name": "x", "type": xtype, "durable": draw(st.booleans())}]
    if any("x-dead-letter-exchange" in q["arguments"] for q in qs):
        exchanges.append({"name": "dlx", "type": "fanout"})
        qs.append({"name": "dead", "durable": True, "arguments": {}})
        bindings.append({"source": "dlx", "destination": "dead"})
    producers = []
    for i in range(draw(st.integers(1, 2))):
        confirms = draw(st.booleans())
        rate = draw(st.sampled_from([{"constant": 5}, {"poisson": 8}, {"burst": {"size": 6, "every": 3}}]))
        p: dict[str, Any] = {
            "name": f"p{i}", "exchange": draw(st.sampled_from(["x", ""])), "rate": rate,
            "count": draw(st.integers(0, 40)), "persistent": draw(st.booleans()), "confirms": confirms,
            "mandatory": draw(st.booleans()), "start": draw(st.sampled_from([0, 0, 1.5])),
            "routing_key": draw(st.sampled_from(KEYS + [q["name"] for q in qs])),
        }
        if confirms:
            p["retry_unconfirmed"] = draw(st.booleans())
        if draw(st.booleans()):
            p["expiration"] = draw(st.integers(0, 4000))
        if draw(st.booleans()):
            p["priority"] = {"uniform": [0, 6]}
        producers.append(p)
    consumers = []
    for i in range(draw(st.integers(0, 3))):
        auto = draw(st.booleans()) and draw(st.booleans())
        c: dict[str, Any] = {
            "name": f"c{i}", "queue": draw(st.sampled_from([q["name"] for q in qs])),
            "instances": draw(st.integers(1, 2)), "prefetch": draw(st.integers(0, 5)),
            "ack": "auto" if auto else "manual", "service_time": dist(draw, 0.2),
            "priority": draw(st.sampled_from([0, 0, 1, -1])),
        }
        if not auto and draw(st.booleans()):
            c["reject"] = {"probability": draw(st.sampled_from([0.1, 0.5])), "requeue": draw(st.booleans())}
        consumers.append(c)
    duration = draw(st.sampled_from([5, 10, 20]))
    faults = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["consumer_crash", "broker_restart", "slow_consumer", "connection_loss",
                                     "memory_alarm"]))
        at = draw(st.sampled_from([0.5, 2, 3.3, 6]))
        if kind in ("consumer_crash", "slow_consumer") and not consumers:
            continue
        f: dict[str, Any] = {"at": at, "kind": kind}
        if kind == "consumer_crash":
            c = draw(st.sampled_from(consumers))
            f["target"] = draw(st.sampled_from([c["name"], f"{c['name']}#0"]))
            if draw(st.booleans()):
                f["downtime"] = draw(st.sampled_from([0.5, 3]))
        elif kind == "slow_consumer":
            f.update(target=draw(st.sampled_from(consumers))["name"], factor=3, until=at + 2)
        elif kind == "connection_loss":
            actors = [a["name"] for a in producers + consumers]
            f.update(target=draw(st.sampled_from(actors)), downtime=draw(st.sampled_from([0.5, 2])))
        elif kind == "broker_restart":
            if draw(st.booleans()):
                f["downtime"] = draw(st.sampled_from([0.5, 2]))
        else:
            f["until"] = at + draw(st.sampled_from([0.5, 2]))
        faults.append(f)
    return {"name": "random", "seed": draw(st.integers(0, 3)), "duration": duration,
            "broker": {"consumer_timeout": draw(st.sampled_from([1800, 4]))},
            "topology": {"exchanges": exchanges, "queues": qs, "bindings": bindings},
            "producers": producers, "consumers": consumers, "faults": faults}


def _strip_percentiles(s: dict[str, Any]) -> dict[str, Any]:
    s = json.loads(json.dumps(s))
    for block in [s["latency"], *(q["wait"] for q in s["queues"].values())]:
        for k in ("p50", "p95", "p99"):
            block.pop(k)
    return s


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_scenarios_conserve_and_repeat(data):
    try:
        sc = amqpsim.load_scenario(data)
    except ScenarioError:
        assume(False)
        raise
    a = amqpsim.run(sc)
    assert a.error is None, repr(a.error)
    s = a.summary
    assert s["invariants"]["conservation"], s["invariants"]
    ledger = a.ledger  # the fold's per-copy records, checked against the reference ledger
    check_ledger(ledger, a.event_list)
    assert ledger.conservation
    for k, v in ledger.counts().items():
        assert s["messages"][k] == v, k
    assert s["jepsen"] == ledger.jepsen == Oracle(a.event_list).jepsen
    b = amqpsim.run(sc)
    assert b.event_list == a.event_list
    assert summarize(a.event_list, s["scenario"], s["seed"], s["sim_time"],
                     interval=s["series"]["interval"]) == s
    lean = amqpsim.run(sc, events=False).summary
    assert _strip_percentiles(lean) == _strip_percentiles(s)
