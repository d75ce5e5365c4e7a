"""Dead-lettering: reasons, x-death bookkeeping, routing keys, CC, cycles, policies."""

from __future__ import annotations

import datetime

from broker_helpers import World, events

from amqpsim.trace.events import DeadLettered, Unroutable

DLX = {"x-dead-letter-exchange": "dlx"}


def setup(w: World, **args: object) -> None:
    w.exchange_declare("dlx", "topic")
    w.declare("dlq")
    w.queue_bind("dlq", "dlx", "#")
    w.declare("src", arguments={**DLX, **args})


def test_rejected_with_full_x_death(w: World) -> None:
    setup(w)
    w.exchange_declare("in", "direct")
    w.queue_bind("src", "in", "k")
    w.queue_bind("src", "in", "cc1")
    w.at(10)
    w.pub("k", "m", exchange="in", headers={"CC": ["cc1"], "BCC": ["bcc"]}, expiration="60000",
          delivery_mode=2)
    d = w.get("src")
    w.basic_reject(d.delivery_tag, requeue=False)
    dl = w.get("dlq")
    h = dl.properties.headers
    assert h["x-death"] == [{
        "count": 1, "reason": "rejected", "queue": "src",
        "time": datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=int(w.broker.epoch + 10)),
        "exchange": "in", "routing-keys": ["k", "cc1"], "original-expiration": "60000"}]
    assert (h["x-first-death-reason"], h["x-first-death-queue"], h["x-first-death-exchange"]) == (
        "rejected", "src", "in")
    assert h["CC"] == ["cc1"] and "BCC" not in h
    assert dl.properties.expiration is None and dl.properties.delivery_mode == 2
    assert (dl.exchange, dl.routing_key) == ("dlx", "k")
    assert [(e.queue, e.exchange, e.reason) for e in events(w.broker, DeadLettered)] == [("src", "dlx", "rejected")]


def test_nack_requeue_false_and_all_routing_keys(w: World) -> None:
    w.exchange_declare("dlx", "direct")
    w.declare("by-k")
    w.declare("by-cc")
    w.queue_bind("by-k", "dlx", "src")
    w.queue_bind("by-cc", "dlx", "cc")
    w.declare("src", arguments=DLX)
    w.pub("src", headers={"CC": ["cc"]})
    w.basic_nack(w.get("src").delivery_tag, requeue=False)
    assert w.drain("by-k") == ["m"] and w.drain("by-cc") == ["m"]  # routed on RK and CC


def test_dead_letter_routing_key_replaces_keys_and_drops_cc(w: World) -> None:
    w.exchange_declare("dlx", "direct")
    w.declare("cc-q")
    w.declare("dl-q")
    w.queue_bind("cc-q", "dlx", "cc")
    w.queue_bind("dl-q", "dlx", "dlk")
    w.declare("src", arguments={**DLX, "x-dead-letter-routing-key": "dlk", "x-message-ttl": 0})
    w.pub("src", headers={"CC": ["cc"]})
    assert w.drain("cc-q") == []
    d = w.get("dl-q")
    assert d.routing_key == "dlk" and "CC" not in d.properties.headers
    assert d.properties.headers["x-death"][0]["routing-keys"] == ["src", "cc"]
    assert d.properties.headers["x-death"][0]["reason"] == "expired"


def test_queue_ttl_has_no_original_expiration(w: World) -> None:
    setup(w, **{"x-message-ttl": 10})
    w.pub("src")
    w.at(1)
    h = w.get("dlq").properties.headers
    assert "original-expiration" not in h["x-death"][0]
    assert h["x-death"][0]["exchange"] == ""  # published to the default exchange


def test_reject_loop_counts_and_moves_entry_to_front(w: World) -> None:
    w.declare("a", arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "b"})
    w.declare("b", arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "a"})
    w.pub("a")
    for q in ("a", "b", "a", "b"):
        w.basic_reject(w.get(q).delivery_tag, requeue=False)
    h = w.get("a").properties.headers
    assert [(d["queue"], d["count"]) for d in h["x-death"]] == [("b", 2), ("a", 2)]
    assert h["x-first-death-queue"] == "a"


def test_automatic_cycle_is_dropped(w: World) -> None:
    # a (ttl) -> b (ttl) -> a: the second arrival at a would close a fully automatic loop
    w.declare("a", arguments={"x-message-ttl": 10, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "b"})
    w.declare("b", arguments={"x-message-ttl": 10, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "a"})
    w.pub("a")
    w.at(1)
    assert w.count("a") == w.count("b") == 0
    assert [(e.queue, e.reason) for e in events(w.broker, DeadLettered)] == [("a", "expired"), ("b", "expired")]
    assert [(e.exchange, e.routing_key, e.dead_letter, e.reason) for e in events(w.broker, Unroutable)] == [
        ("", "a", True, "cycle")]


def test_cycle_dropped_only_for_the_cycling_queue(w: World) -> None:
    w.exchange_declare("dlx", "fanout")
    w.declare("other")
    w.declare("src", arguments={"x-message-ttl": 0, **DLX})
    w.queue_bind("other", "dlx", "")
    w.queue_bind("src", "dlx", "")
    w.pub("src")
    assert w.count("other") == 1 and w.count("src") == 0


def test_cycle_through_a_reject_is_allowed(w: World) -> None:
    w.declare("a", arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "b"})
    w.declare("b", arguments={"x-message-ttl": 0, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "a"})
    w.pub("a")
    w.basic_reject(w.get("a").delivery_tag, requeue=False)  # a -rejected-> b -expired-> a (allowed)
    h = w.get("a").properties.headers
    assert [d["reason"] for d in h["x-death"]] == ["expired", "rejected"]


def test_missing_dlx_drops(w: World) -> None:
    w.declare("src", arguments={"x-dead-letter-exchange": "nope", "x-message-ttl": 0})
    w.pub("src")
    assert [e.exchange for e in events(w.broker, DeadLettered)] == ["nope"]
    assert [(e.exchange, e.dead_letter, e.reason) for e in events(w.broker, Unroutable)] == [
        ("nope", True, "no_exchange")]


def test_dlx_alternate_exchange_and_internal_dlx(w: World) -> None:
    w.exchange_declare("ae", "fanout")
    w.exchange_declare("dlx", "direct", internal=True, arguments={"alternate-exchange": "ae"})
    w.declare("caught")
    w.queue_bind("caught", "ae", "")
    w.declare("src", arguments={**DLX, "x-message-ttl": 0})
    w.pub("src")
    assert w.drain("caught") == ["m"]


def test_policy_dlx_and_argument_precedence(w: World) -> None:
    w.exchange_declare("dlx", "direct")
    w.exchange_declare("pdlx", "direct")
    for q, x, k in (("arg-dl", "dlx", "pk"), ("pol-dl", "pdlx", "pk")):
        w.declare(q)
        w.queue_bind(q, x, k)
    w.broker.set_policy(w.now, "p", "^src", {"dead-letter-exchange": "pdlx", "dead-letter-routing-key": "pk",
                                             "message-ttl": 0})
    w.declare("src-arg", arguments=DLX)  # the argument wins for the exchange; the key comes from the policy
    w.declare("src-pol")
    w.pub("src-arg")
    w.pub("src-pol")
    assert w.drain("arg-dl") == ["m"] and w.drain("pol-dl") == ["m"]


def test_delivery_limit_reason(w: World) -> None:
    w.declare("dlq")
    w.declare("qq", durable=True, arguments={"x-queue-type": "quorum", "x-delivery-limit": 1,
                                             "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dlq"})
    w.pub("qq")
    w.basic_nack(w.get("qq").delivery_tag)
    w.basic_nack(w.get("qq").delivery_tag)
    assert w.get("dlq").properties.headers["x-death"][0]["reason"] == "delivery_limit"
