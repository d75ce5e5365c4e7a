"""Producers, consumers and faults: each feature of the scenario format does what it says."""

from __future__ import annotations

import pytest
from sim_helpers import of, run, simple

from amqpsim.trace.events import EventKind as K


def test_memory_alarm_blocks_publishers_only_while_active():
    d = simple(n=1000, rate=10, workers=2, duration=60)
    d["faults"] = [{"at": 10, "until": 20, "kind": "memory_alarm"}]
    r = run(d)
    pubs = [e.time for e in of(r.event_list, K.PUBLISH)]
    assert not [t for t in pubs if 10 <= t < 20]
    assert 20.0 in pubs  # the publish in hand went out when the alarm cleared
    assert of(r.event_list, K.BLOCKED) and of(r.event_list, K.UNBLOCKED)
    acks = [e.time for e in of(r.event_list, K.ACK)]
    assert [t for t in acks if 10 < t < 11]  # consumers keep consuming
    assert r.summary["series"]["published"][int(15 / r.summary["series"]["interval"])] == 0


def test_slow_consumer_multiplies_service_time_in_its_window():
    d = simple(n=40, rate=1, workers=1, service={"constant": 0.5}, duration=80, prefetch=1)
    d["faults"] = [{"at": 10, "until": 20, "kind": "slow_consumer", "target": "w", "factor": 4}]
    r = run(d)
    delivered = {e.copy: e.time for e in of(r.event_list, K.DELIVER)}
    took = {delivered[e.copy]: e.time - delivered[e.copy] for e in of(r.event_list, K.ACK)}
    for start, dt in took.items():
        assert dt == pytest.approx(2.0 if 10 <= start < 20 else 0.5)


def test_broker_restart_with_consumers_everyone_reconnects_and_work_goes_on():
    d = simple(n=200, rate=5, workers=2, service={"exponential": 0.2}, duration=80, prefetch=5)
    d["faults"] = [{"at": 20, "kind": "broker_restart", "downtime": 3}]
    r = run(d)
    ev = r.event_list
    reopened = {e.actor for e in of(ev, K.CONNECTION_OPEN) if e.time > 20}
    assert reopened == {"p#0", "w#0", "w#1"}
    assert all(e.time >= 23 for e in of(ev, K.CONNECTION_OPEN) if e.time > 20)
    assert not [e for e in of(ev, K.PUBLISH) if 20 <= e.time < 23]
    s = r.summary["messages"]
    assert s["lost"] == 0  # persistent messages in a durable queue survive
    assert s["acked"] + s["remaining"] == s["routed_copies"]
    assert [e for e in of(ev, K.ACK) if e.time > 24]


def test_consumer_crash_without_downtime_stays_down():
    d = simple(n=100, rate=5, workers=2, duration=60, prefetch=1)
    d["faults"] = [{"at": 5, "kind": "consumer_crash", "target": "w#1"}]
    r = run(d)
    assert not [e for e in of(r.event_list, K.DELIVER, actor="w#1") if e.time > 5]
    assert of(r.event_list, K.FAULT_START) and not of(r.event_list, K.FAULT_END)
    assert r.summary["messages"]["lost"] == 0


def test_consumer_connection_loss_finishes_work_in_hand_then_redelivery_duplicates():
    d = simple(n=20, rate=1, workers=1, service={"constant": 0.8}, duration=60, prefetch=1)
    d["faults"] = [{"at": 5.5, "kind": "connection_loss", "target": "w", "downtime": 2}]
    r = run(d)
    processed = of(r.event_list, K.PROCESSED)
    assert len(processed) == 1 and processed[0].time == pytest.approx(5.8)
    assert r.summary["messages"]["duplicates"] == 1
    assert r.summary["messages"]["acked"] == 20


def test_consumer_priorities_serve_the_high_priority_consumer_first():
    d = simple(n=200, rate=20, workers=1, service={"constant": 0.01}, duration=30, prefetch=1)
    d["consumers"].append({"name": "low", "queue": "q", "priority": -5, "prefetch": 1,
                           "service_time": {"constant": 0.01}})
    r = run(d)
    c = r.summary["consumers"]
    assert c["w#0"]["delivered"] == 200 and c["low#0"]["delivered"] == 0


def test_rpc_server_replies_to_reply_to_with_the_correlation_id():
    d = {
        "name": "rpc", "duration": 30,
        "topology": {"queues": [{"name": "requests"}, {"name": "replies"}]},
        "producers": [{"name": "client", "routing_key": "requests", "rate": {"constant": 2},
                       "count": 20, "reply_to": "replies", "correlation": True}],
        "consumers": [{"name": "server", "queue": "requests", "reply": True,
                       "service_time": {"constant": 0.1}},
                      {"name": "reader", "queue": "replies"}],
    }
    r = run(d)
    q = r.summary["queues"]
    assert q["requests"]["acked"] == 20 and q["replies"]["acked"] == 20
    replies = of(r.event_list, K.PUBLISH, actor="server#0")
    assert len(replies) == 20 and {e.routing_key for e in replies} == {"replies"}


def _direct_reply_to(**faults):
    return {
        "name": "rpc-direct", "duration": 30,
        "topology": {"queues": [{"name": "requests"}]},
        "producers": [{"name": "client", "routing_key": "requests", "rate": {"constant": 2},
                       "count": 20, "reply_to": "amq.rabbitmq.reply-to", "correlation": True}],
        "consumers": [{"name": "server", "queue": "requests", "reply": True, "prefetch": 1,
                       "service_time": {"constant": 0.1}}],
        "faults": [faults] if faults else [],
    }


def test_rpc_by_direct_reply_to_replies_reach_the_client_without_a_queue():
    r = run(_direct_reply_to())
    q = r.summary["queues"]
    assert q["requests"]["acked"] == 20
    assert q["amq.rabbitmq.reply-to"] | {"wait": None} == q["amq.rabbitmq.reply-to"] | {
        "enqueued": 20, "max_depth": 0, "final_depth": 0, "delivered": 20, "acked": 20, "wait": None}
    assert r.summary["consumers"]["client#0"]["acked"] == 20
    assert [e.queue for e in of(r.event_list, K.QUEUE_DECLARE)] == ["requests"]
    started = of(r.event_list, K.CONSUME, actor="client#0")
    assert [(e.queue, e.auto_ack) for e in started] == [("amq.rabbitmq.reply-to", True)]
    first_publish = of(r.event_list, K.PUBLISH, actor="client#0")[0]
    assert started[0].time <= first_publish.time  # it consumes before it publishes
    replies = of(r.event_list, K.PUBLISH, actor="server#0")
    assert len(replies) == 20 and len({e.routing_key for e in replies}) == 1
    assert replies[0].routing_key.startswith("amq.rabbitmq.reply-to.")
    assert r.summary["invariants"]["conservation"] and r.summary["messages"]["unroutable"] == 0


def test_rpc_by_direct_reply_to_replies_to_a_lost_client_connection_are_dropped():
    """The client's connection dies at t=4.55 (a request sent at t=4.5 is being worked on):
    its reply has nowhere to go (unroutable, dropped); after reconnecting at t=6.55 the client
    consumes again under a new name, and later replies reach it."""
    r = run(_direct_reply_to(at=4.55, kind="connection_loss", target="client", downtime=2))
    replies = of(r.event_list, K.PUBLISH, actor="server#0")
    names = list(dict.fromkeys(e.routing_key for e in replies))
    assert len(names) == 2 and all(n.startswith("amq.rabbitmq.reply-to.") for n in names)
    m = r.summary["messages"]
    assert m["unroutable"] >= 1
    assert r.summary["queues"]["amq.rabbitmq.reply-to"]["acked"] == len(replies) - m["unroutable"]
    assert r.summary["invariants"]["conservation"]


def test_reject_without_requeue_dead_letters_and_with_requeue_redelivers():
    d = simple(n=50, rate=10, workers=1, service={"constant": 0.01}, duration=20,
               reject={"probability": 1.0, "requeue": False})
    d["topology"]["queues"][0]["arguments"] = {"x-dead-letter-exchange": "dlx"}
    d["topology"]["exchanges"] = [{"name": "dlx", "type": "fanout"}]
    d["topology"]["queues"].append({"name": "dead"})
    d["topology"]["bindings"] = [{"source": "dlx", "destination": "dead"}]
    r = run(d)
    assert r.summary["messages"]["dead_lettered"] == 50
    assert r.summary["queues"]["dead"]["final_depth"] == 50
    d = simple(n=10, rate=10, workers=1, service={"constant": 0.01}, duration=2,
               reject={"probability": 0.5, "requeue": True})
    r = run(d)
    assert r.summary["messages"]["redelivered"] > 0
    assert r.summary["messages"]["discarded"] == 0


def test_burst_rate_publishes_in_bursts_and_instances_are_named():
    d = simple(n=30, rate=1, workers=1, duration=100)
    d["producers"][0].update(rate={"burst": {"size": 10, "every": 20}}, instances=2, start=5)
    r = run(d)
    times = [e.time for e in of(r.event_list, K.PUBLISH)]
    assert sorted(set(times)) == [5.0, 25.0, 45.0]
    assert {e.actor for e in of(r.event_list, K.PUBLISH)} == {"p#0", "p#1"}
    assert len(times) == 60


def test_routing_key_choice_sizes_priorities_and_mandatory_returns():
    d = {
        "name": "mix", "duration": 50,
        "topology": {"exchanges": [{"name": "x", "type": "direct"}],
                     "queues": [{"name": "a", "arguments": {"x-max-priority": 5}}],
                     "bindings": [{"source": "x", "destination": "a", "routing_key": "a"}]},
        "producers": [{"name": "p", "exchange": "x", "routing_key": {"choice": {"a": 0.5, "b": 0.5}},
                       "rate": {"poisson": 10}, "count": 200, "mandatory": True, "confirms": True,
                       "size": {"uniform": [10, 20]}, "priority": {"uniform": [0, 9]}}],
    }
    r = run(d)
    m = r.summary["messages"]
    assert m["returned"] == m["unroutable"] > 50
    assert m["confirmed"] == 200  # an unroutable message is still confirmed
    sizes = {e.size for e in of(r.event_list, K.PUBLISH)}
    assert min(sizes) >= 10 and max(sizes) <= 20 and len(sizes) > 5


def test_no_duration_stops_when_producers_are_done_and_queues_drain():
    r = run(simple(n=100, rate=10, workers=2, service={"constant": 0.15}))
    s = r.summary
    assert s["messages"]["acked"] == 100 and s["messages"]["remaining"] == 0
    last_ack = of(r.event_list, K.ACK)[-1].time
    assert s["sim_time"] == last_ack < 15


def test_until_caps_the_run():
    r = run(simple(n=10_000, rate=10, workers=2), until=12.5)
    assert r.summary["sim_time"] == 12.5
    assert all(e.time < 12.5 for e in r.event_list)


def test_a_queue_without_consumers_does_not_keep_a_drain_run_going():
    d = simple(n=10, rate=10, workers=1)
    d["topology"]["queues"].append({"name": "nobody"})
    d["producers"].append({"name": "p2", "routing_key": "nobody", "rate": {"constant": 1}, "count": 3})
    r = run(d)
    assert r.summary["queues"]["nobody"]["final_depth"] == 3
    assert r.summary["sim_time"] < 5


def test_drain_waits_for_a_ttl_retry_loop():
    """A retry queue with a TTL and no consumer sends messages back: the run waits for them."""
    d = {
        "name": "retry",
        "topology": {
            "exchanges": [{"name": "work", "type": "direct"}, {"name": "retry", "type": "direct"}],
            "queues": [{"name": "jobs", "arguments": {"x-dead-letter-exchange": "retry"}},
                       {"name": "wait", "arguments": {"x-message-ttl": 5000,
                                                      "x-dead-letter-exchange": "work"}}],
            "bindings": [{"source": "work", "destination": "jobs", "routing_key": "job"},
                         {"source": "retry", "destination": "wait", "routing_key": "job"}]},
        "producers": [{"name": "p", "exchange": "work", "routing_key": "job", "rate": {"constant": 10},
                       "count": 20}],
        "consumers": [{"name": "w", "queue": "jobs", "service_time": {"constant": 0.01},
                       "reject": {"probability": 0.5, "requeue": False}}],
    }
    r = run(d)
    m = r.summary["messages"]
    assert m["remaining"] == 0 and m["dead_lettered"] > 10
    assert r.summary["queues"]["jobs"]["acked"] == 20  # every job got through in the end
    assert r.summary["sim_time"] > 5


def test_rpc_server_stalls_while_its_connection_is_blocked():
    d = {
        "name": "rpc", "duration": 30,
        "topology": {"queues": [{"name": "requests"}, {"name": "replies"}]},
        "producers": [{"name": "client", "routing_key": "requests", "rate": {"constant": 1},
                       "count": 5, "reply_to": "replies"}],
        "consumers": [{"name": "server", "queue": "requests", "reply": True, "prefetch": 1,
                       "service_time": {"constant": 0.5}}],
        "faults": [{"at": 2.2, "until": 10, "kind": "memory_alarm"}],
    }
    r = run(d)
    replies = [e.time for e in of(r.event_list, K.PUBLISH, actor="server#0")]
    assert replies[:3] == [0.5, 1.5, 10.0]  # the reply due at 2.5 waits for the alarm to clear
    acks = [e.time for e in of(r.event_list, K.ACK, queue="requests")]
    assert acks[2] == 10.0


def test_exclusive_queue_is_declared_by_its_consumer():
    d = {
        "name": "excl", "duration": 10,
        "topology": {"exchanges": [{"name": "x", "type": "fanout"}],
                     "queues": [{"name": "mine", "exclusive": True, "durable": False},
                                {"name": "orphan", "exclusive": True, "durable": False}],
                     "bindings": [{"source": "x", "destination": "mine"},
                                  {"source": "x", "destination": "orphan"}]},
        "producers": [{"name": "p", "exchange": "x", "rate": {"constant": 2}, "count": 10}],
        "consumers": [{"name": "c", "queue": "mine"}],
    }
    r = run(d)
    declares = {e.queue: e.actor for e in of(r.event_list, K.QUEUE_DECLARE)}
    assert declares == {"mine": "c#0", "orphan": "definitions"}
    q = r.summary["queues"]
    assert q["mine"]["acked"] == 10 and q["orphan"]["final_depth"] == 10


def test_global_prefetch_limits_the_channel():
    r = run(simple(n=100, rate=100, workers=1, global_prefetch=3, service={"constant": 0.05}))
    from sim_helpers import max_unacked_per_channel

    assert max(max_unacked_per_channel(r.event_list).values()) == 3


def test_a_consumer_that_starts_late():
    """``start``: the consumer connects at that second; the queue holds what came before."""
    from amqpsim.trace.events import ConsumerStarted, Delivered

    r = run(simple(n=50, rate=10, workers=1, start=3.0, service={"constant": 0.01}))
    consumed = [e.time for e in r.event_list if isinstance(e, ConsumerStarted)]
    first = min(e.time for e in r.event_list if isinstance(e, Delivered))
    assert consumed == [3.0] and first == 3.0
    assert r.summary["queues"]["q"]["max_depth"] >= 29 and r.summary["messages"]["acked"] == 50


def test_a_crash_before_the_start_does_not_start_the_consumer_early():
    r = run({**simple(n=20, rate=10, workers=1, start=5.0, service={"constant": 0.01}),
             "faults": [{"at": 1, "kind": "consumer_crash", "target": "w#0", "downtime": 1}]})
    from amqpsim.trace.events import ConsumerStarted

    assert [e.time for e in r.event_list if isinstance(e, ConsumerStarted)] == [5.0]
    assert r.summary["messages"]["acked"] == 20
