"""The lessons the simulator teaches, checked on the scenario library."""

from __future__ import annotations

from sim_helpers import max_unacked_per_channel, of, run, simple

from amqpsim.trace.events import EventKind as K


def test_manual_ack_loses_nothing_when_a_worker_crashes():
    r = run("crash-ack-modes")
    careful = r.summary["queues"]["careful"]
    assert careful["lost"] == 0
    assert careful["acked"] == careful["enqueued"] == 300
    crash = of(r.event_list, K.FAULT_START, fault="consumer_crash", target="manual#0")[0]
    requeued = of(r.event_list, K.REQUEUE, queue="careful", time=crash.time)
    assert requeued, "the crashed worker's unacked messages go back to the queue"
    redelivered = {e.copy for e in of(r.event_list, K.DELIVER, queue="careful") if e.redelivered}
    assert {e.copy for e in requeued} == redelivered
    assert r.summary["consumers"]["manual#0"]["lost"] == 0


def test_auto_ack_loses_what_the_crashed_worker_held():
    r = run("crash-ack-modes")
    hasty = r.summary["queues"]["hasty"]
    lost = of(r.event_list, K.LOSS, queue="hasty")
    assert hasty["lost"] == len(lost) > 20
    crash_time = of(r.event_list, K.FAULT_START, fault="consumer_crash", target="auto#0")[0].time
    assert {e.time for e in lost} == {crash_time}
    assert {e.actor for e in lost} == {"auto#0"} and {e.reason for e in lost} == {"crash"}
    # exactly what auto#0 had been sent but had not finished
    sent = {e.copy for e in of(r.event_list, K.DELIVER, actor="auto#0") if e.time <= crash_time}
    done = {e.copy for e in of(r.event_list, K.ACK, actor="auto#0") if e.time <= crash_time}
    assert {e.copy for e in lost} == sent - done
    assert hasty["acked"] + hasty["lost"] == hasty["enqueued"]
    assert r.summary["jepsen"]["lost"] == len(lost)


def test_restart_loses_transient_messages_and_non_durable_queues():
    r = run("restart-durability")
    q = r.summary["queues"]
    assert q["kept"]["lost"] == 20 and q["kept"]["final_depth"] == 20
    assert q["scratch"]["lost"] == 40 and q["scratch"]["final_depth"] == 0
    publishers = {e.msg: e.actor for e in of(r.event_list, K.PUBLISH)}
    lost = of(r.event_list, K.LOSS, queue="kept")
    assert {publishers[e.msg] for e in lost} == {"transient#0"} and {e.reason for e in lost} == {"restart"}
    remaining = [c for c in r.ledger.copies.values() if c["fate"] is None]
    assert {publishers[c["msg"]] for c in remaining} == {"persistent#0"}
    assert of(r.event_list, K.QUEUE_DELETE, queue="scratch", reason="restart")
    redeclared = of(r.event_list, K.QUEUE_DECLARE, queue="scratch")
    assert len(redeclared) == 2 and redeclared[1].time == 35.0  # clients declare it again, empty
    assert r.summary["messages"]["lost"] == 60 and r.summary["messages"]["remaining"] == 20


def test_prefetch_one_consumer_never_holds_more_than_one_unacked():
    r = run(simple(n=300, rate=50, workers=3, prefetch=1))
    most = max_unacked_per_channel(r.event_list)
    assert most and max(most.values()) == 1
    assert r.summary["queues"]["q"]["max_depth"] > 10  # there was a backlog to take from


def test_prefetch_n_is_respected_and_unlimited_takes_everything():
    r = run(simple(n=300, rate=100, workers=2, prefetch=7))
    assert max(max_unacked_per_channel(r.event_list).values()) == 7
    r = run(simple(n=100, rate=1000, workers=1, prefetch=0))
    assert max(max_unacked_per_channel(r.event_list).values()) > 50


def test_publisher_retry_after_connection_loss_creates_duplicates():
    r = run("publisher-retry")
    s = r.summary
    doubt = of(r.event_list, K.IN_DOUBT, actor="careful#0")
    links = of(r.event_list, K.REPUBLISH, actor="careful#0")
    assert doubt and len(links) == len(doubt)
    assert s["messages"]["duplicates"] == len(doubt)  # each was already in the queue
    assert s["jepsen"]["duplicated"] == len(doubt)
    # the careful publisher loses nothing; the fire-and-forget one loses what it wrote blind
    acked_logical = {r.ledger.copies[c]["logical"] for c in r.ledger.copies
                     if r.ledger.copies[c]["fate"] == "acked"}
    careful_msgs = {e.msg for e in of(r.event_list, K.PUBLISH, actor="careful#0")}
    assert len({r.ledger._logical(m) for m in careful_msgs} & acked_logical) == 500
    assert {e.msg for e in links} | {e.original for e in links} <= careful_msgs
    blind = of(r.event_list, K.LOST_IN_TRANSIT, actor="hopeful#0")
    assert len(blind) == 50  # 1 s of loss detection at 50 msg/s
    assert s["jepsen"]["lost_in_transit"] == 50
    assert len(of(r.event_list, K.PUBLISH, actor="hopeful#0")) == 450


def test_without_retry_a_connection_loss_creates_no_duplicates():
    d = simple(n=400, rate=100, workers=1, service={"constant": 0.001}, duration=10)
    d["producers"][0].update(confirms=True, retry_unconfirmed=False)
    d["faults"] = [{"at": 2, "kind": "connection_loss", "target": "p", "downtime": 1}]
    r = run(d)
    assert r.summary["messages"]["duplicates"] == 0
    assert r.summary["jepsen"]["lost_in_transit"] in (100, 101)  # 1 s of loss detection


def test_consumer_ack_timeout_closes_the_channel_and_requeues():
    r = run("ack-timeout")
    errors = of(r.event_list, K.ERROR, reply_code=406)
    assert errors and "acknowledgement" in errors[0].reply_text
    closes = of(r.event_list, K.CHANNEL_CLOSE, reply_code=406)
    assert len(closes) == len(errors)
    assert of(r.event_list, K.PROCESSED)  # the message in hand could not be acked
    s = r.summary["messages"]
    assert s["redelivered"] > 0 and s["duplicates"] == len(of(r.event_list, K.PROCESSED))
    assert s["acked"] == 300 and s["lost"] == 0
    # after each close the consumer came back on a new channel
    consumes = of(r.event_list, K.CONSUME, actor="slowpoke#0")
    assert len(consumes) == len(closes) + 1
