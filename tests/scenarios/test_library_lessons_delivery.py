"""Lessons about acknowledgements, crashes, restarts, prefetch, confirms and timeouts."""

from __future__ import annotations

from collections import Counter

import pytest
from library_helpers import most_unacked, of, path, result

import amqpsim


def _fault(ev, fault, target=None):
    return of(ev, "fault_start", fault=fault, target=target)[0].time


# ------------------------------------------------------------- crash-ack-modes
def test_crash_manual_ack_loses_nothing():
    r = result("crash-ack-modes")
    ev = r.event_list
    crash = _fault(ev, "consumer_crash", "manual#0")
    careful = r.summary["queues"]["careful"]
    assert careful["lost"] == 0 and careful["acked"] == careful["enqueued"] == 300
    held = {e.copy for e in of(ev, "deliver", actor="manual#0") if e.time <= crash} - \
        {e.copy for e in of(ev, "ack", actor="manual#0") if e.time <= crash}
    requeued = {e.copy for e in of(ev, "requeue", queue="careful") if e.time == crash}
    assert requeued == held and 0 < len(held) <= 20  # at most its prefetch
    redelivered = {e.copy for e in of(ev, "deliver", queue="careful") if e.redelivered}
    assert redelivered == held
    acked = {e.copy for e in of(ev, "ack", queue="careful")}
    assert held <= acked  # every one of them processed in the end


def test_crash_auto_ack_loses_exactly_what_the_worker_held():
    r = result("crash-ack-modes")
    ev = r.event_list
    crash = _fault(ev, "consumer_crash", "auto#0")
    held = {e.copy for e in of(ev, "deliver", actor="auto#0") if e.time <= crash} - \
        {e.copy for e in of(ev, "ack", actor="auto#0") if e.time <= crash}
    lost = of(ev, "loss")
    assert {e.copy for e in lost} == held and len(held) > 20  # more than a prefetch window
    assert {(e.time, e.actor, e.queue, e.reason) for e in lost} == {(crash, "auto#0", "hasty", "crash")}
    hasty = r.summary["queues"]["hasty"]
    assert hasty["lost"] == len(held) == r.summary["messages"]["lost"]
    assert hasty["acked"] + hasty["lost"] == hasty["enqueued"] == 300
    assert not [e for e in of(ev, "deliver", queue="hasty") if e.redelivered]


# ------------------------------------------------------------- restart-durability
def test_restart_keeps_only_persistent_messages_in_durable_queues():
    r = result("restart-durability")
    ev = r.event_list
    restart = _fault(ev, "broker_restart")
    by = {e.msg: e.actor for e in of(ev, "publish")}
    assert Counter(by.values()) == {"persistent#0": 20, "transient#0": 20}
    before = {e.msg for e in of(ev, "publish") if e.time < restart}
    kept_lost = of(ev, "loss", queue="kept")
    assert {by[e.msg] for e in kept_lost} == {"transient#0"}
    assert {e.msg for e in kept_lost} == {m for m in before if by[m] == "transient#0"}
    remaining = [c for c in r.ledger.copies.values() if c["fate"] is None]
    assert {c["queue"] for c in remaining} == {"kept"}
    assert {by[c["msg"]] for c in remaining} == {"persistent#0"} and len(remaining) == 20
    # the non-durable queue is gone with everything in it, persistent or not
    scratch_lost = of(ev, "loss", queue="scratch")
    assert Counter(by[e.msg] for e in scratch_lost) == {"persistent#0": 20, "transient#0": 20}
    assert {e.reason for e in kept_lost + scratch_lost} == {"restart"}
    assert of(ev, "queue_delete", queue="scratch", reason="restart")
    q = r.summary["queues"]
    assert q["kept"]["final_depth"] == 20 and q["scratch"]["final_depth"] == 0
    assert r.summary["messages"]["lost"] == 60


# ------------------------------------------------------------- prefetch-fairness
def _latencies(ev, queue):
    published = {e.msg: e.time for e in of(ev, "publish")}
    return [e.time - published[e.msg] for e in of(ev, "ack", queue=queue)]


def test_prefetch_one_lets_the_fast_consumer_do_the_work():
    r = result("prefetch-fairness")
    c = r.summary["consumers"]
    assert c["p1-slow#0"]["delivered"] <= 10 and c["p1-fast#0"]["delivered"] >= 190
    assert c["p100-slow#0"]["delivered"] == c["p100-fast#0"]["delivered"] == 100
    most = most_unacked(r.event_list)
    assert most["p1-slow#0"] == most["p1-fast#0"] == 1 and most["p100-slow#0"] == 100


def test_prefetch_one_latency_is_far_lower_than_prefetch_hundred():
    r = result("prefetch-fairness")
    ev = r.event_list
    one, hundred = _latencies(ev, "prefetch-1"), _latencies(ev, "prefetch-100")
    assert len(one) == len(hundred) == 200
    assert sum(one) / 200 * 5 < sum(hundred) / 200
    assert max(one) < 10 and max(hundred) > 95
    # the prefetch-100 queue looks empty: its messages wait in the slow consumer's buffer
    q = r.summary["queues"]
    assert q["prefetch-100"]["max_depth"] == 0 and q["prefetch-1"]["max_depth"] > 100


# ------------------------------------------------------------- publisher-retry
def _by_producer(r):
    pub = {e.msg: e.actor for e in of(r.event_list, "publish")}
    ledger = r.ledger
    logical: dict[str, dict[int, set[str]]] = {}
    for c in ledger.copies.values():
        who = pub[ledger.messages[c["logical"]]["msg"]]
        logical.setdefault(who, {}).setdefault(c["logical"], set()).add(c["fate"] or "remaining")
    return logical


def test_publisher_retry_loses_nothing_but_duplicates():
    r = result("publisher-retry")
    ev = r.event_list
    per = _by_producer(r)
    careful = per["careful#0"]
    assert len(careful) == 500 and all("acked" in f for f in careful.values())
    doubt = {e.msg for e in of(ev, "in_doubt", actor="careful#0")}
    republished = of(ev, "republish", actor="careful#0")
    assert doubt and {e.original for e in republished} >= doubt
    # the broker already had the in-doubt ones: each was processed twice
    dups = r.ledger.completions
    twice = {lg for (lg, q), n in dups.items() if n > 1}
    assert twice == doubt and r.summary["messages"]["duplicates"] == len(doubt)


def test_fire_and_forget_publisher_loses_messages_silently():
    r = result("publisher-retry")
    ev = r.event_list
    vanished = of(ev, "lost_in_transit", actor="hopeful#0")
    assert len(vanished) > 0
    hopeful = _by_producer(r)["hopeful#0"]
    assert len(hopeful) == 500 - len(vanished)  # never reached the broker
    assert all(f == {"acked"} for f in hopeful.values())  # no duplicates, no retries
    assert not of(ev, "in_doubt", "republish", actor="hopeful#0")
    assert r.summary["jepsen"]["lost_in_transit"] == r.summary["jepsen"]["lost"] == len(vanished)


# ------------------------------------------------------------- ack-timeout
def test_ack_timeout_closes_the_channel_with_406_and_redelivers():
    r = result("ack-timeout")
    ev = r.event_list
    errors = [(seq, e) for seq, e in enumerate(ev) if e.kind == "error" and e.actor == "slowpoke#0"]
    assert errors and {e.reply_code for _, e in errors} == {406}
    assert "PRECONDITION_FAILED" in errors[0][1].reply_text and errors[0][1].time == 60.0
    for seq, err in errors:
        # the oldest unacknowledged delivery on that channel was older than the timeout
        delivered = {e.delivery_tag: e.time for e in of(ev, "deliver", channel=err.channel)}
        settled = {e.delivery_tag for e in of(ev[:seq], "ack", channel=err.channel)}
        oldest = min(t for tag, t in delivered.items() if tag not in settled)
        assert err.time - oldest == pytest.approx(60.0)
        closed = [e for e in of(ev, "channel_close", channel=err.channel) if e.reply_code == 406]
        assert closed and closed[0].time == err.time
        requeued = {e.copy for e in of(ev, "requeue", queue="reports") if e.time == err.time}
        again = {e.copy for e in of(ev, "deliver") if e.redelivered and e.time >= err.time}
        assert requeued and requeued <= again
    m = r.summary["messages"]
    assert m["acked"] == 300 and m["redelivered"] > 0 and m["duplicates"] >= 1


def test_ack_timeout_is_what_causes_the_redeliveries():
    sc = amqpsim.load_scenario(path("ack-timeout"))
    for change in ({"broker.consumer_timeout": None}, {"consumers.0.prefetch": 20}):
        r = amqpsim.run(sc.with_overrides(change))
        assert r.error is None
        m = r.summary["messages"]
        assert (m["redelivered"], m["duplicates"], m["acked"]) == (0, 0, 300), change
        assert not of(r.event_list, "error")


# ------------------------------------------------------------- online-store
def test_online_store_backlog_waits_safely_in_the_queue():
    r = result("online-store")
    s = r.summary
    m = s["messages"]
    assert m["lost"] == 0 and s["jepsen"]["lost"] == 0
    assert m["confirmed"] == m["published"]
    t, depth = s["series"]["time"], s["series"]["depth"]["warehouse"]
    before = max(d for x, d in zip(t, depth, strict=True) if x <= 120)
    lunch = max(d for x, d in zip(t, depth, strict=True) if 120 < x <= 250)
    late = max(d for x, d in zip(t, depth, strict=True) if x >= 500)
    assert before < 20 and lunch > 200 and late < 20  # builds up at lunch, drained afterwards
    assert s["queues"]["warehouse"]["wait"]["p95"] > 30  # orders waited, and were kept


def test_online_store_crashed_picker_orders_are_redelivered():
    r = result("online-store")
    ev = r.event_list
    crash = _fault(ev, "consumer_crash", "picker#1")
    requeued = {e.copy for e in of(ev, "requeue", queue="warehouse") if e.time == crash}
    assert 0 < len(requeued) <= 10  # at most its prefetch
    redelivered = [e for e in of(ev, "deliver", queue="warehouse") if e.redelivered]
    assert {e.copy for e in redelivered} == requeued
    assert "picker#1" not in {e.actor for e in redelivered}  # the others took them over
    fate = {c: r.ledger.copies[c]["fate"] for c in requeued}
    assert set(fate.values()) <= {"acked", "dead_lettered"}


def test_online_store_malformed_orders_are_dead_lettered():
    r = result("online-store")
    ev = r.event_list
    dead = of(ev, "dead_letter", queue="warehouse")
    assert dead and {e.reason for e in dead} == {"rejected"}
    s = r.summary
    assert s["queues"]["orders.dead"]["enqueued"] == len(dead) == s["messages"]["dead_lettered"]
    assert 0.003 < len(dead) / s["messages"]["published"] < 0.03
    assert {e.msg for e in of(ev, "enqueue", queue="orders.dead")} == {e.msg for e in dead}
