"""Lessons of the RabbitMQ-tutorial scenarios and the routing strategies."""

from __future__ import annotations

from collections import Counter
from itertools import islice

import pytest
from library_helpers import most_unacked, of, path, queues_of, recording_deliveries, result

import amqpsim


# ------------------------------------------------------------- tutorial 2: work queues
def _finish_times(events, prefix):
    return {e.actor: e.time for e in of(events, "ack") if e.actor.startswith(prefix)}


def test_work_queues_round_robin_deals_equal_numbers_at_once():
    r = result("tutorial-work-queues")
    ev = r.event_list
    rr = of(ev, "deliver", queue="task_queue_rr")
    assert len(rr) == 40 and {e.time for e in rr} == {0.0}, "no prefetch: all pushed at t=0"
    assert Counter(e.actor for e in rr) == {"rr-worker#0": 20, "rr-worker#1": 20}
    assert r.summary["queues"]["task_queue_rr"]["max_depth"] == 0  # they wait in the workers
    assert max(most_unacked(ev)[w] for w in ("rr-worker#0", "rr-worker#1")) == 20


def test_work_queues_fair_dispatch_shares_by_effort():
    r = result("tutorial-work-queues")
    ev = r.event_list
    most = most_unacked(ev)
    assert most["fair-worker#0"] == most["fair-worker#1"] == 1
    assert r.summary["queues"]["task_queue_fair"]["max_depth"] >= 35  # the tasks wait in the queue
    counts = Counter(e.actor for e in of(ev, "deliver", queue="task_queue_fair"))
    assert sum(counts.values()) == 40 and counts["fair-worker#0"] != counts["fair-worker#1"]
    # with prefetch 1 the service time is ack - deliver: the worker that took fewer tasks
    # is the one that drew the heavier ones
    start = {e.copy: e.time for e in of(ev, "deliver", queue="task_queue_fair")}
    work = Counter()
    for e in of(ev, "ack", queue="task_queue_fair"):
        work[e.actor] += e.time - start[e.copy]
    fewer = min(counts, key=counts.get)
    more = max(counts, key=counts.get)
    assert work[fewer] / counts[fewer] > work[more] / counts[more]


def test_work_queues_fair_workers_finish_together_round_robin_ones_do_not():
    ev = result("tutorial-work-queues").event_list
    fair = _finish_times(ev, "fair-worker")
    rr = _finish_times(ev, "rr-worker")
    heavy = 2.0
    # structural: with prefetch 1 no worker idles while a task waits, so the two finish
    # within one task of each other
    assert abs(fair["fair-worker#0"] - fair["fair-worker#1"]) <= heavy + 1e-9
    # round-robin fixed the shares at t=0: one worker idles long before the other is done
    assert abs(rr["rr-worker#0"] - rr["rr-worker#1"]) > 2 * heavy
    assert max(rr.values()) > max(fair.values())  # and the batch finishes later (this seed)


# ------------------------------------------------------------- tutorial 3: publish/subscribe
def test_pubsub_fanout_copies_to_every_existing_queue():
    r = result("tutorial-pubsub")
    ev = r.event_list
    crash = of(ev, "fault_start", fault="consumer_crash", target="monitor#0")[0].time
    back = of(ev, "fault_end", fault="consumer_crash", target="monitor#0")[0].time
    assert (crash, back) == (10.0, 15.0)
    where = queues_of(ev)
    everyone = {"logs-disk", "logs-screen", "logs-monitor"}
    published = of(ev, "publish", actor="emit_log#0")
    assert len(published) == r.summary["messages"]["published"] == 300
    gap = 0
    for p in published:
        got = set(where[p.msg])
        assert all(n == 1 for n in where[p.msg].values())
        if crash <= p.time < back:
            gap += 1
            assert got == everyone - {"logs-monitor"}, (p.time, got)
        else:
            assert got == everyone, (p.time, got)
    q = r.summary["queues"]
    assert q["logs-disk"]["enqueued"] == q["logs-screen"]["enqueued"] == 300
    assert q["logs-monitor"]["enqueued"] == 300 - gap and gap == 50
    assert r.summary["messages"]["routed_copies"] == 3 * 300 - gap


def test_pubsub_exclusive_queue_dies_with_its_connection():
    ev = result("tutorial-pubsub").event_list
    deleted = of(ev, "queue_delete", queue="logs-monitor")
    assert [e.time for e in deleted] == [10.0]
    assert [e.time for e in of(ev, "queue_declare", queue="logs-monitor")] == [0, 15.0]
    # auto-ack: what the crashed receiver had in hand is lost, nobody else's copy is
    assert {e.queue for e in of(ev, "loss")} <= {"logs-monitor"}


# ------------------------------------------------------------- tutorial 4: routing
def test_routing_direct_exchange_matches_exact_keys():
    r = result("tutorial-routing")
    ev = r.event_list
    where = queues_of(ev)
    expected = {"error": {"disk", "screen"}, "info": {"screen"}, "warning": {"screen"},
                "debug": set()}
    keys = Counter()
    for p in of(ev, "publish"):
        keys[p.routing_key] += 1
        assert set(where.get(p.msg, ())) == expected[p.routing_key], p
    assert all(n > 0 for n in keys.values()) and set(keys) == set(expected)
    q, m = r.summary["queues"], r.summary["messages"]
    assert q["disk"]["enqueued"] == keys["error"]
    assert q["screen"]["enqueued"] == keys["info"] + keys["warning"] + keys["error"]
    assert m["unroutable"] == keys["debug"] and m["returned"] == 0  # dropped silently
    assert {e.msg for e in of(ev, "unroutable")} == {
        p.msg for p in of(ev, "publish", routing_key="debug")}


# ------------------------------------------------------------- tutorial 5: topics
TOPICS = {  # the tutorial's own table
    "quick.orange.rabbit": {"Q1", "Q2"}, "lazy.orange.elephant": {"Q1", "Q2"},
    "quick.orange.fox": {"Q1"}, "lazy.brown.fox": {"Q2"}, "lazy.pink.rabbit": {"Q2"},
    "quick.brown.fox": set(), "orange": set(), "quick.orange.new.rabbit": set(),
    "lazy.orange.new.rabbit": {"Q2"},
}


def test_topics_match_word_by_word_and_copy_once_per_queue():
    r = result("tutorial-topics")
    ev = r.event_list
    where = queues_of(ev)
    seen = Counter()
    for p in of(ev, "publish"):
        seen[p.routing_key] += 1
        got = where.get(p.msg, Counter())
        assert set(got) == TOPICS[p.routing_key], p.routing_key
        assert all(n == 1 for n in got.values()), f"{p.routing_key} queued twice in one queue"
    assert set(seen) == set(TOPICS)
    dropped = sum(n for k, n in seen.items() if not TOPICS[k])
    assert r.summary["messages"]["unroutable"] == dropped > 0
    assert r.summary["queues"]["Q2"]["enqueued"] == sum(
        n for k, n in seen.items() if "Q2" in TOPICS[k])


# ------------------------------------------------------------- tutorial 6: RPC
def test_rpc_replies_carry_the_request_correlation_id():
    with recording_deliveries() as seen:
        r = amqpsim.run(path("tutorial-rpc"))
    assert r.error is None
    ev = r.event_list
    requests = [(t, c, d) for t, c, d in seen if d.queue == "rpc_queue"]
    replies = [(t, c, d) for t, c, d in seen if d.queue == "rpc-client-replies"]
    assert len(requests) == len(replies) == 100
    assert {d.properties.reply_to for _, _, d in requests} == {"rpc-client-replies"}
    ids = [d.properties.correlation_id for _, _, d in requests]
    assert len(set(ids)) == 100 and all(i and i.startswith("rpc_client#0-") for i in ids)
    assert {c for _, c, _ in replies} == {"rpc_client_callback#0"}
    # every request answered exactly once, under its own id
    assert Counter(d.properties.correlation_id for _, _, d in replies) == Counter(ids)
    # a reply is published by the server to the default exchange, routing key = reply_to,
    # just before it acks the request it answers: the ids match pair by pair
    corr = {d.msg_id: d.properties.correlation_id for _, _, d in seen}
    reply_ids = {d.msg_id for _, _, d in replies}
    for seq, pub in enumerate(ev):
        if pub.kind != "publish" or pub.msg not in reply_ids:
            continue
        assert pub.actor.startswith("rpc_server#")
        assert (pub.exchange, pub.routing_key) == ("", "rpc-client-replies")
        ack = next(e for e in islice(ev, seq + 1, None) if e.kind == "ack" and e.actor == pub.actor)
        assert ack.time == pub.time and corr[ack.msg] == corr[pub.msg]
    # two servers: replies do not come back in request order
    order = [int(d.properties.correlation_id.rsplit("-", 1)[1]) for _, _, d in replies]
    assert order != sorted(order)


def _replies_by_direct_reply_to():
    """(what the servers received, what the client received) in a run of tutorial-rpc-direct-reply-to,
    each as (time, instance, Delivery)."""
    from amqpsim.sim.producer import ProducerClient

    replies = []
    original = ProducerClient._on_reply

    def spy(self, d):
        replies.append((float(self.sim.env.now), self.name, d))
        original(self, d)

    ProducerClient._on_reply = spy
    try:
        with recording_deliveries() as requests:
            r = amqpsim.run(path("tutorial-rpc-direct-reply-to"))
    finally:
        ProducerClient._on_reply = original
    assert r.error is None
    return r, requests, replies


def test_rpc_direct_reply_to_needs_no_reply_queue_and_never_queues_a_reply():
    r, requests, replies = _replies_by_direct_reply_to()
    ev = r.event_list
    control = result("tutorial-rpc")  # the same load with an exclusive callback queue
    assert [e.queue for e in of(control.event_list, "queue_declare")] == ["rpc_queue", "rpc-client-replies"]
    assert [e.queue for e in of(ev, "queue_declare")] == ["rpc_queue"]  # no queue per client
    # the broker rewrote reply_to to the client channel's opaque name, one name for every request
    names = {d.properties.reply_to for _, _, d in requests}
    assert len(names) == 1 and next(iter(names)).startswith("amq.rabbitmq.reply-to.")
    name = next(iter(names))
    # every request answered exactly once, under its own correlation id, on the publishing client
    ids = [d.properties.correlation_id for _, _, d in requests]
    assert len(requests) == len(replies) == 100 and len(set(ids)) == 100
    assert {c for _, c, _ in replies} == {"rpc_client#0"}
    assert Counter(d.properties.correlation_id for _, _, d in replies) == Counter(ids)
    assert {(d.exchange, d.routing_key, d.redelivered) for _, _, d in replies} == {("", name, False)}
    # never queued: each reply is delivered (auto-ack) and acked at the instant the server publishes it
    published = {e.msg: e.time for e in of(ev, "publish") if e.actor.startswith("rpc_server#")}
    for kind in ("enqueue", "deliver", "ack"):
        at = {e.msg: e.time for e in of(ev, kind, queue="amq.rabbitmq.reply-to")}
        assert at == published, kind
    assert r.summary["queues"]["amq.rabbitmq.reply-to"]["max_depth"] == 0
    assert r.summary["consumers"]["rpc_client#0"]["acked"] == 100
    # the request side is the tutorial's: same requests, same servers, same numbers
    assert r.summary["queues"]["rpc_queue"] == control.summary["queues"]["rpc_queue"]
    for server in ("rpc_server#0", "rpc_server#1"):
        assert r.summary["consumers"][server] == control.summary["consumers"][server]


# ------------------------------------------------------------- routing strategies
NEEDS = {"billing": {"order.created", "order.paid"}, "shipping": {"order.paid", "order.shipped"},
         "email": {"order.shipped", "customer.signup"}}


def _keys_per_queue(ev):
    out: dict[str, set[str]] = {}
    for e in of(ev, "enqueue"):
        out.setdefault(e.queue, set()).add(e.routing_key)
    return out


def test_routing_topic_each_queue_gets_only_its_own_events():
    r = result("routing-topic")
    ev = r.event_list
    assert _keys_per_queue(ev) == NEEDS
    where = queues_of(ev)
    for p in of(ev, "publish"):
        assert set(where[p.msg]) == {q for q, keys in NEEDS.items() if p.routing_key in keys}
    m = r.summary["messages"]
    assert m["discarded"] == 0 and m["routed_copies"] / m["published"] == pytest.approx(1.5, abs=0.05)


def test_routing_direct_publisher_sends_once_per_interested_service():
    r = result("routing-direct")
    ev = r.event_list
    assert _keys_per_queue(ev) == NEEDS
    m = r.summary["messages"]
    assert m["routed_copies"] == m["published"]  # one publish, one queue
    topic = result("routing-topic").summary["messages"]
    assert m["published"] / topic["published"] == pytest.approx(1.5, abs=0.08)
    for q in NEEDS:  # but each service receives about the same stream
        a = r.summary["queues"][q]["enqueued"]
        b = result("routing-topic").summary["queues"][q]["enqueued"]
        assert a == pytest.approx(b, rel=0.1)


def test_routing_fanout_filter_wastes_work_on_foreign_events():
    r = result("routing-fanout-filter")
    ev = r.event_list
    m = r.summary["messages"]
    assert m["routed_copies"] == 3 * m["published"]
    assert _keys_per_queue(ev) == {q: set().union(*NEEDS.values()) for q in NEEDS}
    foreign = {"billing": 0.3, "shipping": 0.5, "email": 0.7}
    for q, share in foreign.items():
        s = r.summary["queues"][q]
        assert s["discarded"] / s["delivered"] == pytest.approx(share, abs=0.04)
    busy = [c["busy_fraction"] for c in r.summary["consumers"].values()]
    topic_busy = [c["busy_fraction"] for c in result("routing-topic").summary["consumers"].values()]
    assert sum(busy) > 1.6 * sum(topic_busy)
