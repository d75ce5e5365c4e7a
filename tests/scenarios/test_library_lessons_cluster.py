"""Lessons of the cluster scenarios: what survives a node crash and a partition, by queue
type, asserted from the summary (``confirmed_lost``, ``cluster``) and the event log."""

from __future__ import annotations

from library_helpers import of, result


def _fault(ev, fault, target=None):
    return of(ev, "fault_start", fault=fault, target=target)[0].time


def _lost_msgs(ev):
    return {e.msg for e in of(ev, "loss")}


def _published_at(ev):
    return {e.msg: e.time for e in of(ev, "publish")}


def _confirmed_ok(ev):
    return {e.msg for e in of(ev, "confirm") if e.ack}


# ------------------------------------------------------------- cluster-quorum-leader-crash
def test_quorum_leader_crash_loses_nothing_and_redelivers_nothing():
    r = result("cluster-quorum-leader-crash")
    m, q = r.summary["messages"], r.summary["cluster"]["queues"]["payments"]
    assert m["confirmed_lost"] == 0 and m["unconfirmed"] == 0 and m["lost"] == 0
    assert m["acked"] == m["published"] == 3000 and m["redelivered"] == 0
    assert q["leader_changes"] == 1 and 0.15 <= q["unavailable"] <= 0.28  # an election, measured 0.15-0.28 s
    leaders = [node for _t, node in q["leaders"]]
    assert leaders[0] == "rabbit1" and leaders[-1] in ("rabbit2", "rabbit3")  # it stays when rabbit1 returns
    crash = _fault(r.event_list, "node_crash", "rabbit1")
    held = [e for e in of(r.event_list, "confirm") if crash <= e.time <= crash + 0.3]
    assert held and all(e.ack for e in held)  # the publishes of the election, confirmed after it


# ------------------------------------------------------------- cluster-mirrored-unsynced-promotion
def test_promoting_an_unsynchronised_mirror_loses_confirmed_messages_silently():
    r = result("cluster-mirrored-unsynced-promotion")
    ev = r.event_list
    m = r.summary["messages"]
    assert m["confirmed_lost"] > 100
    lost = of(ev, "loss")
    assert {e.reason for e in lost} == {"unsynchronised_mirror"}
    crash = _fault(ev, "node_crash", "rabbit1")
    assert {e.time for e in lost} == {crash}
    restarted = 25.0  # the mirrors came back empty at t=25
    published = _published_at(ev)
    assert all(published[msg] < restarted for msg in _lost_msgs(ev))  # only what the mirrors never had
    assert _lost_msgs(ev) <= _confirmed_ok(ev)
    assert r.summary["errors"] == []  # no client was told
    assert r.summary["cluster"]["queues"]["orders"]["leaders"] == [[0, "rabbit1"], [crash, "rabbit2"]]


# ------------------------------------------------------------- cluster-mirrored-when-synced
def test_when_synced_trades_the_loss_for_unavailability_and_nacks():
    r = result("cluster-mirrored-when-synced")
    ev = r.event_list
    m, q = r.summary["messages"], r.summary["cluster"]["queues"]["orders"]
    assert m["confirmed_lost"] == 0 and m["lost"] == 0
    crash = _fault(ev, "node_crash", "rabbit1")
    back = crash + 30
    assert q["unavailable"] == 30.0 and q["leaders"] == [[0, "rabbit1"], [crash, None], [back, "rabbit1"]]
    nacks = [e for e in of(ev, "confirm") if not e.ack]
    assert m["nacked"] == len(nacks) > 0 and {e.time for e in nacks} == {back}  # no confirm until then
    published = _published_at(ev)
    assert all(crash <= published[e.msg] < back for e in nacks)
    assert [(e["code"], e["text"].endswith("due to timeout")) for e in r.summary["errors"]] == [(404, True)]


# ------------------------------------------------------------- cluster-classic-home-down
def test_classic_queue_gone_with_its_node_returns_publishes_and_loses_transient_messages():
    r = result("cluster-classic-home-down")
    ev = r.event_list
    m = r.summary["messages"]
    crash = _fault(ev, "node_crash", "rabbit1")
    returns = of(ev, "return")
    assert m["returned"] == m["unroutable"] == len(returns) > 0
    assert all(crash <= e.time < crash + 30 for e in returns)
    assert m["nacked"] == 0 and m["confirmed"] == m["published"]  # returned, and still confirmed
    lost = of(ev, "loss")
    assert {e.reason for e in lost} == {"node_crash"} and {e.time for e in lost} == {crash}
    by_actor = {e.msg: e.actor for e in of(ev, "publish")}
    assert {by_actor[e.msg] for e in lost} == {"hasty#0"}  # only transient messages
    redelivered = [e for e in of(ev, "deliver") if e.redelivered]
    assert redelivered and all(e.time >= crash + 30 for e in redelivered)  # back with the node
    assert r.summary["errors"][0]["text"].startswith("NOT_FOUND - home node 'rabbit1@localhost'")


# ------------------------------------------------------------- cluster-pause-minority-mirrored
def test_pause_minority_still_loses_what_the_minority_confirmed_before_it_noticed():
    r = result("cluster-pause-minority-mirrored")
    ev = r.event_list
    part = r.summary["cluster"]["partitions"][0]
    assert 37.5 <= part["detected"] <= 42.5  # 0.75-1.25 x net_ticktime after the cut at 30
    assert r.summary["cluster"]["nodes"]["rabbit1"]["paused"] == [[part["detected"], part["end"] + 1]]
    m = r.summary["messages"]
    assert m["confirmed_lost"] > 0
    published = _published_at(ev)
    assert all(part["start"] <= published[msg] <= part["detected"] for msg in _lost_msgs(ev))
    assert {e.reason for e in of(ev, "loss")} == {"unsynchronised_mirror"}


# ------------------------------------------------------------- cluster-pause-minority-quorum
def test_quorum_under_pause_minority_loses_nothing_and_republishes_the_unconfirmed():
    r = result("cluster-pause-minority-quorum")
    ev = r.event_list
    m = r.summary["messages"]
    assert m["confirmed_lost"] == 0 and m["lost"] == 0 and m["duplicates"] == 0
    assert m["published"] > 1600 and m["acked"] == 1600  # in-doubt publishes, republished once
    part = r.summary["cluster"]["partitions"][0]
    minority = [e for e in of(ev, "publish", actor="shop#0") if part["start"] <= e.time < part["detected"]]
    confirmed = _confirmed_ok(ev)
    assert minority and not any(e.msg in confirmed for e in minority)  # no ack, no nack on rabbit1


# ------------------------------------------------------------- cluster-autoheal-*
def test_autoheal_discards_the_losing_side_of_a_mirrored_queue():
    r = result("cluster-autoheal-mirrored")
    ev = r.event_list
    m = r.summary["messages"]
    part = r.summary["cluster"]["partitions"][0]
    assert m["confirmed_lost"] > 0
    lost = of(ev, "loss")
    assert {e.reason for e in lost} == {"autoheal"} and {e.time for e in lost} == {part["end"]}
    assert r.summary["cluster"]["nodes"]["rabbit1"]["restarts"] == 1  # the loser: fewest connections
    published = _published_at(ev)
    assert all(published[msg] >= part["start"] for msg in _lost_msgs(ev))  # what rabbit1 took after the cut
    assert [e.reason for e in of(ev, "placement") if e.reason == "split"]  # two masters meanwhile


def test_autoheal_with_a_quorum_queue_loses_nothing():
    r = result("cluster-autoheal-quorum")
    m = r.summary["messages"]
    assert m["confirmed_lost"] == 0 and m["lost"] == 0
    assert m["acked"] == 1600
    assert r.summary["cluster"]["nodes"]["rabbit1"]["restarts"] == 1
