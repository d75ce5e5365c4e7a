"""The summary contract (SCENARIO-FORMAT.md) and its agreement with the reference ledger (oracle.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sim"))
from oracle import Oracle, check_ledger  # noqa: E402
from sim_helpers import SCENARIOS, run  # noqa: E402

from amqpsim.trace.events import Acked, Delivered, Enqueued, Published, Republished, Routed  # noqa: E402
from amqpsim.trace.summary import MESSAGE_KEYS, summarize  # noqa: E402

LIBRARY = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
CONTRACT_TOP = {"scenario", "seed", "sim_time", "messages", "queues", "consumers", "latency", "invariants"}
CONTRACT_MESSAGES = {"published", "confirmed", "nacked", "returned", "unroutable", "routed_copies",
                     "delivered", "redelivered", "acked", "dead_lettered", "expired", "dropped_overflow",
                     "lost", "remaining", "duplicates"}
STATS = {"mean", "p50", "p95", "p99"}


@pytest.fixture(scope="module", params=LIBRARY)
def result(request):
    return run(request.param)


def test_summary_has_the_contract_keys(result):
    s = result.summary
    assert CONTRACT_TOP <= set(s)
    assert CONTRACT_MESSAGES <= set(s["messages"]) and set(MESSAGE_KEYS) == CONTRACT_MESSAGES
    assert isinstance(s["scenario"], str) and isinstance(s["seed"], int) and isinstance(s["sim_time"], float)
    assert all(isinstance(v, int) for v in s["messages"].values())
    for q in s["queues"].values():
        assert {"type", "enqueued", "max_depth", "final_depth", "wait"} <= set(q) and STATS <= set(q["wait"])
        assert q["type"] in {"classic", "quorum", "stream", "mirrored"}
    for c in s["consumers"].values():
        assert {"delivered", "acked", "busy_fraction"} <= set(c) and 0 <= c["busy_fraction"] <= 1
    assert STATS <= set(s["latency"])
    assert s["invariants"]["conservation"] is True


def test_conservation_is_the_sum_of_the_fates(result):
    m = result.summary["messages"]
    fates = ("acked", "dead_lettered", "expired", "dropped_overflow", "discarded", "lost", "remaining")
    streams = any(q["type"] == "stream" for q in result.summary["queues"].values())
    assert ("truncated" in m and "retained" in m) == streams  # the stream fates, only with a stream
    assert m["routed_copies"] == sum(m[f] for f in fates) + m.get("truncated", 0) + m.get("retained", 0)
    assert result.summary["invariants"]["violations"] == 0


def test_the_summary_and_the_ledger_agree_with_the_oracle(result):
    """The fold's summary and its per-copy records, against the simple reference ledger."""
    s, ledger = result.summary, result.ledger
    check_ledger(ledger, result.event_list)
    oracle = Oracle(result.event_list)
    for k, v in {**oracle.fate_counts(), "routed_copies": len(oracle.copies),
                 "duplicates": oracle.duplicates}.items():
        assert s["messages"][k] == v, k
    assert s["jepsen"] == oracle.jepsen
    for name, q in s["queues"].items():
        copies = [c for c in oracle.copies.values() if c["queue"] == name]
        assert q["enqueued"] == len(copies)
        for fate in ("acked", "dead_lettered", "expired", "dropped_overflow", "discarded", "lost"):
            assert q[fate] == sum(c["fate"] == fate for c in copies), (name, fate)


def test_summary_agrees_with_broker_state(result):
    broker = result.simulation.broker
    for name, q in result.summary["queues"].items():
        live = broker.queues.get(name)
        if live is None:
            assert q["final_depth"] == 0
        else:
            assert q["final_depth"] == live.message_count()
            placed = broker.cluster.placements.get(name) if broker.cluster is not None else None
            assert q["type"] == (placed.qtype if placed is not None else live.settings.qtype)


def test_summary_from_the_event_log_alone_is_the_same(result):
    s = result.summary
    again = summarize(result.event_list, s["scenario"], s["seed"], s["sim_time"],
                      interval=s["series"]["interval"])
    assert again == s


def test_series_rates_add_up(result):
    s = result.summary
    ser = s["series"]
    n = len(ser["time"])
    assert all(len(ser[k]) == n for k in ("published", "confirmed", "returned", "nacked", "consumed"))
    assert all(len(v) == n for v in ser["depth"].values())
    widths = [ser["interval"]] * n
    if n:
        widths[-1] = ser["time"][-1] - (n - 1) * ser["interval"] or ser["interval"]
    published = sum(r * w for r, w in zip(ser["published"], widths, strict=True))
    assert published == pytest.approx(s["messages"]["published"])
    assert n <= 1000


def test_max_depth_ignores_copies_delivered_at_once():
    from amqpsim.trace.summary import Summarizer

    s = Summarizer()
    for e in [Published(0, "p", "ch", 1, "", "q", None, 0), Routed(0, 1, "", "q", ("q",), False),
              Enqueued(0, 1, 1, "q", "", "q", 0),
              Delivered(0, "c", "ch", "ctag", 1, 1, "q", "", "q", 1, False, False),
              Acked(1, "c", "ch", "ctag", 1, 1, "q", 1, False, False)]:
        s(e)
    out = s.summary("x", 0, 2.0)
    assert out["queues"]["q"]["max_depth"] == 0 and out["messages"]["acked"] == 1
    assert out["consumers"]["c"]["busy_fraction"] == 0.5


def test_live_ledger_memory_follows_what_is_live():
    """Streaming mode keeps state for live copies only, not for every message."""
    import amqpsim
    from amqpsim.sim import Simulation
    from amqpsim.trace.recorder import Recorder
    from amqpsim.trace.summary import Summarizer

    sc = amqpsim.load_scenario({"name": "mem", "topology": {"queues": [{"name": "q"}]},
                                "producers": [{"name": "p", "routing_key": "q", "rate": {"poisson": 50},
                                               "count": 5000, "confirms": True}],
                                "consumers": [{"name": "w", "queue": "q", "instances": 2,
                                               "service_time": {"exponential": 0.03}}]})
    rec = Recorder(keep=False)
    s = Summarizer(exact=False, retain=2.0)
    rec.listeners.append(s)
    sim = Simulation(sc, 1, rec).build()
    peak = [0]
    rec.listeners.append(lambda e: peak.__setitem__(0, max(peak[0], len(s.msgs) + len(s.recent))))
    sim.run()
    assert peak[0] < 400  # ~ rate x (queue time + retain), not 5000
    rec.flush()  # (the last events wait in the recorder's batch)
    s.finish(sim.env.now)
    assert not s.msgs and not s.copies
    assert s.summary("mem", 1, sim.env.now)["messages"]["acked"] == 5000


def test_a_republish_whose_copies_ended_at_once_joins_its_logical_message():
    """Found by Hypothesis: with ``x-message-ttl: 0`` and no consumer, a republished message
    expires while its publish is routed, before the producer's ``republish of`` event; the
    streaming summary counted it as a logical message of its own (4 instead of 3)."""
    import amqpsim

    sc = amqpsim.load_scenario({
        "name": "expire-at-once-then-republish", "duration": 5,
        "topology": {"queues": [{"name": "q0", "durable": False, "arguments": {"x-message-ttl": 0}}]},
        "producers": [{"name": "p0", "exchange": "", "routing_key": "q0", "rate": {"constant": 5}, "count": 3,
                       "persistent": True, "confirms": True, "retry_unconfirmed": True}],
        "faults": [{"at": 0.5, "kind": "broker_restart"}]})
    r = amqpsim.run(sc, seed=0)
    republished = [e for e in r.event_list if type(e) is Republished]
    assert republished  # the case at hand: a message was republished after the restart
    assert r.summary["jepsen"] == r.ledger.jepsen == Oracle(r.event_list).jepsen
    assert r.summary["jepsen"]["messages"] == 3
    assert amqpsim.run(sc, seed=0, events=False).summary["jepsen"] == r.ledger.jepsen
    check_ledger(r.ledger, r.event_list)  # its copies expired before the link: their logical is fixed
