"""Publishing: mandatory/basic.return, publisher confirms, transactions, publish errors."""

from __future__ import annotations

from broker_helpers import World, events, inbox, refused

from amqpsim.trace.events import Confirmed, Returned, Unroutable


def test_mandatory_unroutable_returns_312(w: World) -> None:
    out = w.pub("nowhere", exchange="amq.direct", mandatory=True, headers={"h": 1})
    assert out.returned and not out.queues
    [ret] = inbox(w.ch, "return")
    assert (ret.reply_code, ret.reply_text, ret.exchange, ret.routing_key) == (312, "NO_ROUTE", "amq.direct",
                                                                               "nowhere")
    assert ret.body == b"m" and ret.properties.headers == {"h": 1}
    assert [(e.exchange, e.routing_key, e.reply_code) for e in events(w.broker, Returned)] == [
        ("amq.direct", "nowhere", 312)]


def test_not_mandatory_unroutable_is_dropped_silently(w: World) -> None:
    out = w.pub("nowhere", exchange="amq.direct")
    assert not out.returned and not inbox(w.ch, "return")
    assert [(e.exchange, e.routing_key, e.dead_letter, e.reason) for e in events(w.broker, Unroutable)] == [
        ("amq.direct", "nowhere", False, "no_route")]


def test_routed_message_never_returned_even_if_queue_refuses(w: World) -> None:
    w.declare("full", arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    out = w.pub("full", mandatory=True)
    assert out.queues == ("full",) and out.refused == ["full"] and not out.returned


def test_confirms_sequence_and_unroutable_acked_after_return(w: World) -> None:
    w.confirm_select()
    w.declare("q")
    assert w.pub("q").seq == 1
    out = w.pub("nowhere", exchange="amq.direct", mandatory=True)
    assert out.seq == 2 and out.confirm == "ack"
    kinds = [i[0] for i in w.ch.inbox]
    assert kinds == ["confirm", "return", "confirm"]  # the return precedes its ack
    assert [i[1:] for i in w.ch.inbox if i[0] == "confirm"] == [(1, True, False), (2, True, False)]


def test_confirm_nack_on_reject_publish_while_other_queue_gets_it(w: World) -> None:
    w.declare("full", arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    w.declare("open")
    for q in ("full", "open"):
        w.queue_bind(q, "amq.fanout", "")
    w.confirm_select()
    assert w.pub("", exchange="amq.fanout").confirm == "ack"
    out = w.pub("", exchange="amq.fanout")
    assert out.confirm == "nack" and out.refused == ["full"]
    assert inbox(w.ch, "confirm") == [(1, True, False), (2, False, False)]
    assert w.count("open") == 2 and w.count("full") == 1
    assert [(e.delivery_tag, e.ack) for e in events(w.broker, Confirmed)] == [(1, True), (2, False)]


def test_confirm_without_select_has_no_seq(w: World) -> None:
    w.declare("q")
    out = w.pub("q")
    assert out.seq == 0 and out.confirm is None and not inbox(w.ch, "confirm")


def test_publish_to_missing_exchange_404(w: World) -> None:
    text = refused(w, 404, "basic_publish", "nope", "k", b"m")
    assert text == "NOT_FOUND - no exchange 'nope' in vhost '/'"


def test_immediate_is_540_connection_error(w: World) -> None:
    w.declare("q")
    refused(w, 540, "basic_publish", "", "q", b"m", immediate=True)


def test_invalid_expiration_406(w: World) -> None:
    from amqpsim.broker import Properties

    w.declare("q")
    for bad, why in (("abc", "no_integer"), ("-5", "{value_negative,-5}"), ("10x", '{leftover_string,"x"}')):
        text = refused(w, 406, "basic_publish", "", "q", b"m", Properties(expiration=bad))
        assert why in text
    w.pub("q", expiration="0")


def test_string_body_accepted(w: World) -> None:
    w.declare("q")
    w.broker.basic_publish(w.now, w.ch, "", "q", "text")
    assert w.get("q", no_ack=True).body == b"text"


# ------------------------------------------------------------------ transactions
def test_tx_commit_and_rollback(w: World) -> None:
    w.declare("q")
    w.tx_select()
    assert w.pub("q", "rolled-back").pending
    w.tx_rollback()
    w.pub("q", "committed")
    assert w.count("q") == 0
    [out] = w.tx_commit()
    assert out.queues == ("q",)
    assert w.count("q") == 1
    d = w.get("q")
    w.basic_ack(d.delivery_tag)
    w.tx_rollback()  # the ack is undone: still unacked, not requeued
    assert w.count("q") == 0 and d.delivery_tag in w.ch.unacked
    refused(w, 406, "basic_ack", d.delivery_tag + 5)
    # the channel closed: the unacked message is back
    assert [x.body for x in [w.get("q")]] == [b"committed"]


def test_tx_double_ack_is_406_immediately(w: World) -> None:
    w.declare("q")
    w.pub("q")
    w.tx_select()
    d = w.get("q")
    w.basic_ack(d.delivery_tag)
    assert refused(w, 406, "basic_ack", d.delivery_tag) == "PRECONDITION_FAILED - unknown delivery tag 1"
    assert w.get("q").redelivered  # pending tx ack undone by the channel close


def test_tx_nack_applied_at_commit(w: World) -> None:
    w.declare("q")
    w.pub("q")
    w.tx_select()
    d = w.get("q")
    w.basic_nack(d.delivery_tag, requeue=True)
    assert w.count("q") == 0
    w.tx_commit()
    assert w.count("q") == 1


def test_tx_return_at_commit(w: World) -> None:
    w.tx_select()
    w.pub("nowhere", exchange="amq.direct", mandatory=True)
    assert not inbox(w.ch, "return")
    [out] = w.tx_commit()
    assert out.returned and len(inbox(w.ch, "return")) == 1


def test_tx_partial_completion_406(w: World) -> None:
    w.declare("full", arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    w.declare("open")
    for q in ("full", "open"):
        w.queue_bind(q, "amq.fanout", "")
    w.tx_select()
    w.pub("", exchange="amq.fanout")
    assert refused(w, 406, "tx_commit") == "PRECONDITION_FAILED - partial tx completion"
    assert w.count("open") == 1


def test_tx_and_confirm_modes_exclusive(w: World) -> None:
    w.tx_select()
    assert refused(w, 406, "confirm_select") == "PRECONDITION_FAILED - cannot switch from tx to confirm mode"
    w.confirm_select()
    assert refused(w, 406, "tx_select") == "PRECONDITION_FAILED - cannot switch from confirm to tx mode"
    assert refused(w, 406, "tx_commit") == "PRECONDITION_FAILED - channel is not transactional"
    refused(w, 406, "tx_rollback")


def test_tx_publish_errors_are_immediate(w: World) -> None:
    w.tx_select()
    refused(w, 404, "basic_publish", "nope", "k", b"m")


def test_a_publish_without_outcome_does_the_same_and_returns_none(w: World) -> None:
    w.declare("full", arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    w.broker.confirm_select(w.now, w.ch)
    quiet = [w.broker.basic_publish(w.now, w.ch, "", "full", b"m", None, True, outcome=False) for _ in range(2)]
    assert quiet == [None, None]
    assert [(e.delivery_tag, e.ack) for e in events(w.broker, Confirmed)] == [(1, True), (2, False)]
    assert w.broker.queues["full"].message_count() == 1
    out = w.pub("full")  # and asked for, the outcome is there
    assert out.refused == ["full"] and out.confirm == "nack" and out.seq == 3
