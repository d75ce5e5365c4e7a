"""Message TTL (queue and per-message, head-only expiry, TTL 0) and length limits with overflow."""

from __future__ import annotations

from broker_helpers import World, bodies, events, inbox

from amqpsim.trace.events import Dropped, Expired, Requeued


def test_queue_ttl_expires_in_order(w: World) -> None:
    w.declare("q", arguments={"x-message-ttl": 1000})
    w.pub("q", "a")
    w.at(0.5)
    w.pub("q", "b")
    w.at(1.0)
    assert w.count("q") == 1
    w.at(1.5)
    assert w.count("q") == 0
    assert [(e.time, e.msg) for e in events(w.broker, Expired)] == [(1.0, 1), (1.5, 2)]


def test_effective_ttl_is_the_minimum(w: World) -> None:
    w.declare("q", arguments={"x-message-ttl": 1000})
    w.pub("q", "short", expiration="200")
    w.pub("q", "long", expiration="5000")
    w.at(0.2)
    assert w.count("q") == 1
    w.at(1.0)
    assert w.count("q") == 0


def test_only_the_head_expires(w: World) -> None:
    w.declare("q")
    w.pub("q", "long", expiration="1000")
    w.pub("q", "short", expiration="100")
    w.at(0.5)
    assert w.count("q") == 2  # 'short' waits behind the live head and is still counted
    w.at(1.0)
    assert w.count("q") == 0
    assert [e.time for e in events(w.broker, Expired)] == [1.0, 1.0]


def test_expired_never_delivered_even_before_the_timer_fires(w: World) -> None:
    w.declare("q")
    w.pub("q", "old", expiration="100")
    w.pub("q", "new")
    w.now = 5.0  # no advance(): the TTL timer has not run yet
    d = w.get("q")
    assert d is not None and d.body == b"new"
    w.pub("q", "x", expiration="10")
    w.now = 6.0
    w.basic_consume("q")
    assert bodies(w.ch) == []


def test_unacked_does_not_expire_and_requeue_keeps_expiry(w: World) -> None:
    w.declare("q", arguments={"x-message-ttl": 1000})
    w.pub("q")
    d = w.get("q")
    w.at(3)
    assert not events(w.broker, Expired)  # out with a client: no expiry
    w.basic_nack(d.delivery_tag)  # back in the queue, its expiry (t=1) has passed
    assert w.count("q") == 0
    assert [(type(e), e.copy) for e in events(w.broker, Requeued, Expired)] == [(Requeued, 1), (Expired, 1)]
    assert events(w.broker, Requeued)[0].reason == "rejected"


def test_requeue_before_expiry_keeps_original_deadline(w: World) -> None:
    w.declare("q", arguments={"x-message-ttl": 1000})
    w.pub("q")
    d = w.get("q")
    w.at(0.5)
    w.basic_reject(d.delivery_tag, requeue=True)
    w.at(0.99)
    assert w.count("q") == 1
    w.at(1.0)
    assert w.count("q") == 0


def test_ttl_zero(w: World) -> None:
    w.declare("q", arguments={"x-message-ttl": 0})
    w.declare("dlq")
    w.declare("q2", arguments={"x-message-ttl": 0, "x-dead-letter-exchange": "",
                               "x-dead-letter-routing-key": "dlq"})
    assert not w.pub("q", "nobody", mandatory=True).returned  # expires at once, no return
    assert w.count("q") == 0 and events(w.broker, Expired)
    w.basic_consume("q", no_ack=True)
    w.pub("q", "taken")
    assert bodies(w.ch) == ["taken"]  # an idle consumer gets it
    w.pub("q2", "dead")
    assert w.drain("dlq") == ["dead"]
    assert not inbox(w.ch, "return")


def test_ttl_zero_with_busy_consumer_expires(w: World) -> None:
    w.declare("q", arguments={"x-message-ttl": 0})
    w.basic_qos(prefetch_count=1)
    w.basic_consume("q")
    w.pub("q", "a")
    w.pub("q", "b")  # the consumer is full: b expires
    assert bodies(w.ch) == ["a"]
    assert len(events(w.broker, Expired)) == 1


# ------------------------------------------------------------------ length limits
def test_drop_head(w: World) -> None:
    w.declare("q", arguments={"x-max-length": 2})
    for b in "abc":
        w.pub("q", b)
    assert w.drain("q") == ["b", "c"]
    assert [(e.msg, e.reason) for e in events(w.broker, Dropped)] == [(1, "drop-head")]


def test_drop_head_dead_letters_maxlen(w: World) -> None:
    w.declare("dlq")
    w.declare("q", arguments={"x-max-length": 1, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dlq"})
    w.pub("q", "a")
    w.pub("q", "b")
    d = w.get("dlq")
    assert d.body == b"a" and d.properties.headers["x-death"][0]["reason"] == "maxlen"


def test_only_ready_messages_count(w: World) -> None:
    w.declare("q", arguments={"x-max-length": 1})
    w.pub("q", "a")
    held = w.get("q")
    w.pub("q", "b")  # a is unacked: does not count
    assert w.count("q") == 1 and not events(w.broker, Dropped)
    w.basic_nack(held.delivery_tag)  # requeue pushes over the limit: drop-head drops the head (a)
    assert w.drain("q") == ["b"]


def test_max_length_bytes(w: World) -> None:
    w.declare("q", arguments={"x-max-length-bytes": 5})
    w.pub("q", "aaa")
    w.pub("q", "bb")
    w.pub("q", "c")
    assert w.drain("q") == ["bb", "c"]


def test_drop_head_zero_delivers_to_idle_consumer(w: World) -> None:
    w.declare("q", arguments={"x-max-length": 0})
    w.pub("q", "lost")
    c = w.channel()
    w.basic_consume("q", ch=c)
    w.pub("q", "taken")
    assert bodies(c) == ["taken"]


def test_reject_publish(w: World) -> None:
    w.declare("q", arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    w.pub("q", "a")
    out = w.pub("q", "b")
    assert out.refused == ["q"]
    assert w.drain("q") == ["a"]
    assert [(e.msg, e.reason) for e in events(w.broker, Dropped)] == [(2, "reject-publish")]


def test_reject_publish_requeue_may_overshoot(w: World) -> None:
    w.declare("q", arguments={"x-max-length": 2, "x-overflow": "reject-publish"})
    for b in ("m1", "m2", "m3"):
        w.pub("q", b)
    held = w.get("q")  # m1 unacked: does not count
    w.pub("q", "m4")
    assert w.pub("q", "m5").refused == ["q"]
    w.basic_reject(held.delivery_tag, requeue=True)  # nothing is dropped (3.10.8)
    assert w.drain("q") == ["m1", "m2", "m4"]


def test_basic_get_count_after_expiring_the_new_head(w: World) -> None:
    w.declare("q")
    w.pub("q", "a", expiration="600")
    w.pub("q", "b", expiration="100")
    w.pub("q", "c")
    w.now = 0.3  # b has expired behind a, its timer not run
    d = w.get("q", no_ack=True)
    assert (d.body, d.message_count) == (b"a", 1)  # b went when it became the head (3.10.8)


def test_reject_publish_zero_refuses_even_with_idle_consumer(w: World) -> None:
    w.declare("q", arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    w.basic_consume("q")
    assert w.pub("q").refused == ["q"]
    assert bodies(w.ch) == []


def test_reject_publish_dlx(w: World) -> None:
    w.declare("dlq")
    w.declare("q", arguments={"x-max-length": 1, "x-overflow": "reject-publish-dlx",
                              "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "dlq"})
    w.confirm_select()
    w.pub("q", "a")
    assert w.pub("q", "b").confirm == "nack"
    assert w.drain("q") == ["a"]
    d = w.get("dlq")
    assert d.body == b"b" and d.properties.headers["x-first-death-reason"] == "maxlen"


def test_quorum_ignores_reject_publish_dlx(w: World) -> None:
    w.declare("qq", durable=True, arguments={"x-queue-type": "quorum", "x-max-length": 1,
                                             "x-overflow": "reject-publish-dlx"})
    w.pub("qq", "a")
    assert not w.pub("qq", "b").refused
    assert w.drain("qq") == ["b"]


def test_drop_head_priority_queue_drops_highest_head(w: World) -> None:
    w.declare("q", arguments={"x-max-length": 2, "x-max-priority": 5})
    w.pub("q", "low", priority=1)
    w.pub("q", "high", priority=5)
    w.pub("q", "mid", priority=3)
    assert w.drain("q") == ["mid", "low"]
