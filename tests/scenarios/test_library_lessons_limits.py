"""Lessons about unroutable messages, poison messages, retries, TTL and length limits."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from library_helpers import of, path, recording_deliveries, result

import amqpsim


# ------------------------------------------------------------- unroutable
def test_unroutable_plain_is_dropped_mandatory_is_returned_ae_keeps_it():
    r = result("unroutable")
    ev = r.event_list
    msgs = r.ledger.messages
    typo = defaultdict(set)
    for m in msgs.values():
        if m["routing_key"] == "order.craeted":
            typo[m["actor"]].add(m["msg"])
    assert all(typo[p] for p in ("plain#0", "careful#0", "guarded#0"))
    # every publish is confirmed (ack), routed or not
    assert {m["confirm"] for m in msgs.values()} == {"ack"}
    unroutable = {e.msg for e in of(ev, "unroutable")}
    returned = of(ev, "return")
    # plain: dropped silently
    assert typo["plain#0"] <= unroutable
    assert not typo["plain#0"] & {e.msg for e in returned}
    # mandatory: returned to the publisher with 312 NO_ROUTE
    assert {e.msg for e in returned} == typo["careful#0"] <= unroutable
    assert {e.reply_code for e in returned} == {312}
    # alternate exchange: routed to unrouted-orders, so not unroutable at all
    assert not typo["guarded#0"] & unroutable
    parked = of(ev, "enqueue", queue="unrouted-orders")
    assert {e.msg for e in parked} == typo["guarded#0"]
    assert {e.routing_key for e in parked} == {"order.craeted"}
    m = r.summary["messages"]
    assert m["unroutable"] == len(typo["plain#0"]) + len(typo["careful#0"])
    assert m["returned"] == len(typo["careful#0"])
    assert r.summary["queues"]["unrouted-orders"]["final_depth"] == len(typo["guarded#0"])
    # the bound key reaches the orders queue from every publisher
    good = {m["msg"] for m in msgs.values() if m["routing_key"] == "order.created"}
    assert {e.msg for e in of(ev, "enqueue", queue="orders")} == good


# ------------------------------------------------------------- poison-message
def _poison_numbers(r):
    ledger = r.ledger
    out = {}
    for q in ("jobs-classic", "jobs-quorum"):
        copies = [c for c in ledger.copies.values() if c["queue"] == q]
        out[q] = sorted(c["deliveries"] for c in copies)
    return out


def test_poison_message_classic_queue_redelivers_it_forever():
    r = result("poison-message")
    ev = r.event_list
    deliveries = _poison_numbers(r)["jobs-classic"]
    # requeued to the head: one job is redelivered all the time, the two behind it never
    assert deliveries == [0, 0, 60]
    rejects = of(ev, "settle", queue="jobs-classic", outcome="reject")
    assert len(rejects) == 59 and {e.requeue for e in rejects} == {True}
    assert not of(ev, "dead_letter", queue="jobs-classic")
    redelivered = [e for e in of(ev, "deliver", queue="jobs-classic") if e.redelivered]
    assert len(redelivered) == 59 and r.summary["queues"]["jobs-classic"]["acked"] == 0


def test_poison_message_quorum_delivery_limit_dead_letters_it():
    r = result("poison-message")
    ev = r.event_list
    assert _poison_numbers(r)["jobs-quorum"] == [4, 4, 4]  # first delivery + x-delivery-limit 3
    dead = of(ev, "dead_letter", queue="jobs-quorum")
    assert len(dead) == 3 and {e.reason for e in dead} == {"delivery_limit"}
    assert {e.msg for e in of(ev, "enqueue", queue="jobs-parked")} == {e.msg for e in dead}
    assert r.summary["queues"]["jobs-parked"]["final_depth"] == 3


def test_poison_message_redeliveries_grow_without_bound_only_in_the_classic_queue():
    short = result("poison-message")
    sc = amqpsim.load_scenario(path("poison-message"))
    long = amqpsim.run(sc.with_overrides({"duration": 2 * sc.duration}))
    a, b = _poison_numbers(short), _poison_numbers(long)
    assert max(b["jobs-classic"]) == 2 * max(a["jobs-classic"])  # linear in time
    assert b["jobs-quorum"] == a["jobs-quorum"]  # bounded by the delivery limit


# ------------------------------------------------------------- retry-backoff
WAIT = {2: 1.0, 3: 2.0, 4: 4.0}  # attempt -> the wait queue's TTL before it


def _deaths(d, queue, reason):
    for x in (d.properties.headers or {}).get("x-death", []):
        if x["queue"] == queue and x["reason"] == reason:
            return x["count"]
    return 0


def test_retry_backoff_x_death_counts_every_attempt():
    with recording_deliveries() as seen:
        r = amqpsim.run(path("retry-backoff"))
    assert r.error is None
    attempts = defaultdict(list)
    for t, _consumer, d in seen:
        assert d.queue == "payments"
        attempts[d.msg_id].append((t, d))
    assert len(attempts) == 160
    assert max(len(a) for a in attempts.values()) == 4
    retried = 0
    for tries in attempts.values():
        for k, (_, d) in enumerate(tries, start=1):
            assert d.routing_key == f"attempt.{k}"
            assert _deaths(d, "payments", "rejected") == k - 1  # x-death grows by one per try
            if k > 1:
                retried += 1
                assert _deaths(d, {2: "wait-1s", 3: "wait-2s", 4: "wait-4s"}[k], "expired") == 1
    assert retried > 50


def test_retry_backoff_waits_longer_each_time_and_mostly_succeeds():
    r = result("retry-backoff")
    ev = r.event_list
    rejected_at: dict[int, list[float]] = defaultdict(list)
    for e in of(ev, "settle", queue="payments", outcome="reject"):
        rejected_at[e.msg].append(e.time)
    delivered_at: dict[int, list[float]] = defaultdict(list)
    for e in of(ev, "deliver", queue="payments"):
        delivered_at[e.msg].append(e.time)
    gaps = defaultdict(list)
    for msg, times in delivered_at.items():
        for k in range(2, len(times) + 1):
            gaps[k].append(times[k - 1] - rejected_at[msg][k - 2])
    for k, ttl in WAIT.items():  # exponential back-off: 1 s, 2 s, 4 s
        assert gaps[k] and all(ttl - 1e-9 <= g < ttl + 0.5 for g in gaps[k]), (k, gaps[k])
    acked = {e.msg for e in of(ev, "ack", queue="payments")}
    parked = {e.msg for e in of(ev, "enqueue", queue="payments-parked")}
    assert not acked & parked
    assert len(acked) >= 140 and len(acked) + len(parked) == 160
    assert {len(delivered_at[m]) for m in parked} == {4}
    assert any(len(delivered_at[m]) >= 3 for m in acked)  # retries rescued some payments
    # the parked ones carry their whole history in x-death
    queue = r.simulation.broker.queues["payments-parked"]
    deaths = [{(x["queue"], x["reason"]): x["count"] for x in e.msg.headers["x-death"]}
              for e in queue.store]
    assert len(deaths) == len(parked) and deaths
    assert all(d == {("payments", "rejected"): 4, ("wait-1s", "expired"): 1,
                     ("wait-2s", "expired"): 1, ("wait-4s", "expired"): 1} for d in deaths)


# ------------------------------------------------------------- ttl-head-of-line
def test_short_ttl_expires_on_time_when_it_is_at_the_head():
    ev = result("ttl-head-of-line").event_list
    published = {e.msg: e.time for e in of(ev, "publish")}
    alone = of(ev, "expire", queue="alone")
    assert len(alone) == 5
    assert all(e.time - published[e.msg] == pytest.approx(2.0) for e in alone)


def test_short_ttl_stuck_behind_a_long_one_expires_with_it():
    r = result("ttl-head-of-line")
    ev = r.event_list
    published = {e.msg: e.time for e in of(ev, "publish")}
    who = {e.msg: e.actor for e in of(ev, "publish")}
    stuck = of(ev, "expire", queue="stuck")
    reminder = [e for e in stuck if who[e.msg] == "reminders#0"]
    offers = [e for e in stuck if who[e.msg] == "flash-offers#0"]
    assert [e.time for e in reminder] == [30.0] and len(offers) == 5
    assert {e.time for e in offers} == {30.0}  # only when the reminder left the head
    assert all(e.time - published[e.msg] > 20 for e in offers)  # TTL was 2 s
    assert stuck[0].msg == reminder[0].msg  # the head goes first
    assert r.summary["queues"]["stuck"]["max_depth"] == 6


# ------------------------------------------------------------- overflow-modes
def _outcomes(ev, producer):
    pubs = [e for e in of(ev, "publish", actor=producer)]
    confirm = {e.msg: "ack" if e.ack else "nack" for e in of(ev, "confirm", actor=producer)}
    return pubs, confirm


def test_overflow_drop_head_discards_the_oldest_silently():
    r = result("overflow-modes")
    ev = r.event_list
    pubs, confirm = _outcomes(ev, "sensor-drop-head#0")
    assert len(pubs) == 40 and set(confirm.values()) == {"ack"}  # never told
    dropped = of(ev, "drop", queue="latest-readings")
    assert len(dropped) > 20 and {e.reason for e in dropped} == {"drop-head"}
    acked = [e.msg for e in of(ev, "ack", queue="latest-readings")]
    newest = [p.msg for p in pubs[-5:]]
    assert set(newest) <= set(acked)  # the newest readings are kept
    order = {p.msg: i for i, p in enumerate(pubs)}
    for d in dropped:  # what is dropped is older than everything still waiting
        assert order[d.msg] < order[pubs[-1].msg]
    q = r.summary["queues"]["latest-readings"]
    assert q["dropped_overflow"] == len(dropped) and q["max_depth"] == 5


def test_overflow_reject_publish_nacks_the_newcomer():
    r = result("overflow-modes")
    ev = r.event_list
    pubs, confirm = _outcomes(ev, "sensor-reject#0")
    nacked = {m for m, k in confirm.items() if k == "nack"}
    dropped = of(ev, "drop", queue="first-readings")
    assert nacked and {e.msg for e in dropped} == nacked
    assert {e.reason for e in dropped} == {"reject-publish"}
    acked = {e.msg for e in of(ev, "ack", queue="first-readings")}
    assert acked == set(confirm) - nacked
    assert pubs[0].msg in acked and pubs[-1].msg in nacked  # the oldest are kept
    q = r.summary["queues"]["first-readings"]
    assert q["dropped_overflow"] == len(nacked) and q["dead_lettered"] == 0 and q["max_depth"] == 5


def test_overflow_reject_publish_dlx_nacks_and_dead_letters():
    r = result("overflow-modes")
    ev = r.event_list
    pubs, confirm = _outcomes(ev, "sensor-reject-dlx#0")
    nacked = {m for m, k in confirm.items() if k == "nack"}
    dead = of(ev, "dead_letter", queue="first-readings-dlx")
    assert nacked and {e.msg for e in dead} == nacked
    assert {e.reason for e in dead} == {"maxlen"}
    kept = {e.msg for e in of(ev, "enqueue", queue="readings-overflow")}
    assert kept == nacked
    q = r.summary["queues"]
    assert q["first-readings-dlx"]["dropped_overflow"] == 0
    assert q["first-readings-dlx"]["dead_lettered"] == len(nacked)
    assert q["readings-overflow"]["final_depth"] == len(nacked)
    # same load, same refusals as plain reject-publish
    assert Counter(confirm.values()) == Counter(_outcomes(ev, "sensor-reject#0")[1].values())
    m = r.summary["messages"]
    assert m["nacked"] == 2 * len(nacked) and m["dead_lettered"] == len(nacked)
