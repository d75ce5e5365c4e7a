"""BlockingChannel: topology methods, publishing, get, acknowledgements, confirms,
transactions, and when a broker error surfaces (pika's rules)."""

from __future__ import annotations

import datetime
import decimal
import re

import pytest

import amqpsim.pika as pika
from amqpsim.broker.message import Properties
from amqpsim.pika import exceptions, spec


def test_declare_returns_pika_frames(ch):
    ok = ch.queue_declare("q")
    assert ok.method == spec.Queue.DeclareOk("q", 0, 0)
    assert (ok.channel_number, ok.frame_type, ok.method.NAME) == (1, 1, "Queue.DeclareOk")
    named = ch.queue_declare("", exclusive=True).method.queue
    assert named.startswith("amq.gen-")
    assert isinstance(ch.exchange_declare("x", pika.ExchangeType.topic).method, spec.Exchange.DeclareOk)
    assert isinstance(ch.exchange_declare("y", "fanout", durable=True).method, spec.Exchange.DeclareOk)
    assert isinstance(ch.queue_bind("q", "x", "a.#").method, spec.Queue.BindOk)
    assert isinstance(ch.exchange_bind("y", "x", "b.*").method, spec.Exchange.BindOk)
    assert isinstance(ch.exchange_unbind("y", "x", "b.*").method, spec.Exchange.UnbindOk)
    assert isinstance(ch.queue_unbind("q", "x", "a.#").method, spec.Queue.UnbindOk)
    assert isinstance(ch.exchange_delete("y").method, spec.Exchange.DeleteOk)


def test_queue_counts_purge_delete(ch):
    ch.queue_declare("q")
    for body in ("a", b"b", "c"):
        ch.basic_publish("", "q", body)
    assert ch.queue_declare("q", passive=True).method.message_count == 3
    assert ch.queue_purge("q").method.message_count == 3
    ch.basic_publish("", "q", "d")
    assert ch.queue_delete("q").method.message_count == 1
    assert ch.queue_delete("q").method.message_count == 0


def test_queue_bind_routing_key_defaults_to_queue_name(ch):
    ch.exchange_declare("x", "direct")
    ch.queue_declare("q")
    ch.queue_bind("q", "x")
    ch.basic_publish("x", "q", "by-name")
    assert ch.basic_get("q", auto_ack=True)[2] == b"by-name"


def test_publish_and_get_with_properties(ch):
    ch.queue_declare("q")
    props = pika.BasicProperties(content_type="text/plain", delivery_mode=pika.DeliveryMode.Persistent,
                                 headers={"n": 1, "s": "x", "l": [1, {"k": None}], "b": True,
                                          "d": decimal.Decimal("1.50"), "bytes": b"\x00"},
                                 correlation_id="c1", reply_to="r", priority=3, message_id="m1",
                                 timestamp=1700000000, type="t", app_id="a", expiration="60000")
    ch.basic_publish("", "q", "héllo", props)
    props.headers["n"] = 99  # the message on the broker is a copy
    method, got, body = ch.basic_get("q")
    assert isinstance(method, spec.Basic.GetOk)
    assert (method.delivery_tag, method.redelivered, method.exchange, method.routing_key,
            method.message_count) == (1, False, "", "q", 0)
    assert body == "héllo".encode()
    assert isinstance(got, pika.BasicProperties) and isinstance(got, Properties)
    assert got.headers == {"n": 1, "s": "x", "l": [1, {"k": None}], "b": True,
                           "d": decimal.Decimal("1.5"), "bytes": b"\x00"}
    assert (got.delivery_mode, got.content_type, got.correlation_id, got.priority, got.expiration) == (
        2, "text/plain", "c1", 3, "60000")
    assert ch.basic_get("q") == (None, None, None)


def test_header_values_pika_cannot_encode(ch):
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        ch.basic_publish("", "q", "x", pika.BasicProperties(headers={"f": 1.5}))
    with pytest.raises(exceptions.UnsupportedAMQPFieldException):
        ch.queue_declare("q", arguments={"x-message-ttl": (1,)})
    assert ch.is_open


def test_field_table_limits_as_pika_encodes_them(ch):
    """conformance: field_table_round_trip"""
    import struct

    for value, text in ((2**63, "int too large to convert"),
                        (decimal.Decimal("1E+10"), "'i' format requires -2147483648 <= number <= 2147483647"),
                        (decimal.Decimal("1E-300"), "ubyte format requires 0 <= number <= 255"),
                        (datetime.datetime(1969, 12, 31), "int too large to convert")):
        with pytest.raises(struct.error, match=re.escape(text)):
            ch.basic_publish("", "q", "x", pika.BasicProperties(headers={"v": value}))
    with pytest.raises(exceptions.ShortStringTooLong):
        ch.basic_publish("", "q", "x", pika.BasicProperties(headers={"\u00e9" * 128: 1}))
    assert ch.is_open


def test_long_integers_come_back_as_pika_compat_long(ch):
    from amqpsim.pika.compat import long

    ch.queue_declare("q")
    ch.basic_publish("", "q", "x", pika.BasicProperties(headers={
        "small": 1, "big": 2**31, "marked": long(1), "d": decimal.Decimal("1E+2")}))
    h = ch.basic_get("q", auto_ack=True)[1].headers
    assert [type(h[k]).__name__ for k in ("small", "big", "marked")] == ["int", "long", "long"]
    assert repr(h["big"]) == "2147483648L" and str(h["d"]) == "100"


def test_timestamps_come_back_as_utc_datetimes(ch):
    ch.queue_declare("q")
    when = datetime.datetime(2024, 1, 2, 3, 4, 5, 600)
    ch.basic_publish("", "q", "x", pika.BasicProperties(headers={"t": when}))
    assert ch.basic_get("q")[1].headers["t"] == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def test_body_types(ch):
    ch.queue_declare("q")
    ch.basic_publish("", "q", "text")
    ch.basic_publish("", "q", b"bytes")
    ch.basic_publish("", "q", bytearray(b"array"))
    ch.basic_publish("", "q", "")
    assert [ch.basic_get("q", auto_ack=True)[2] for _ in range(4)] == [b"text", b"bytes", b"array", b""]


def test_ack_nack_reject_and_recover(ch):
    ch.queue_declare("q")
    for i in range(4):
        ch.basic_publish("", "q", f"m{i}")
    tags = [ch.basic_get("q")[0].delivery_tag for _ in range(4)]
    assert tags == [1, 2, 3, 4]
    ch.basic_ack(1)
    ch.basic_nack(2, requeue=False)
    ch.basic_reject(3, requeue=True)
    method, _p, body = ch.basic_get("q")
    assert (body, method.redelivered, method.delivery_tag) == (b"m2", True, 5)
    ch.basic_recover(requeue=True)
    assert sorted(ch.basic_get("q", auto_ack=True)[2] for _ in range(2)) == [b"m2", b"m3"]
    with pytest.raises(TypeError):
        ch.basic_reject("1")


def test_basic_recover_default_requeue_false_is_540(conn, ch):
    with pytest.raises(exceptions.ConnectionClosedByBroker) as info:
        ch.basic_recover()
    assert info.value.reply_code == 540 and conn.is_closed


def test_qos_validation_and_prefetch_size_540(conn, ch):
    ch.basic_qos(prefetch_count=10)
    ch.basic_qos(prefetch_count=3, global_qos=True)
    with pytest.raises(ValueError):
        ch.basic_qos(prefetch_count=-1)
    with pytest.raises(exceptions.ConnectionClosedByBroker) as info:
        ch.basic_qos(prefetch_size=1)
    assert (info.value.reply_code, conn.is_open, ch.is_open) == (540, False, False)
    assert "NOT_IMPLEMENTED" in info.value.reply_text


def test_sync_call_raises_channel_closed_by_broker(conn, ch):
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.queue_declare("nope", passive=True)
    assert info.value.reply_code == 404
    assert info.value.reply_text == "NOT_FOUND - no queue 'nope' in vhost '/'"
    assert ch.is_closed and conn.is_open
    with pytest.raises(exceptions.ChannelWrongStateError, match="Channel is closed."):
        ch.queue_declare("q")
    assert conn.channel().is_open


def test_async_publish_error_surfaces_at_the_next_call(conn, ch):
    ch.basic_publish("no-such-exchange", "k", "x")
    assert ch.is_open  # the Channel.Close is on its way
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.basic_publish("", "k", "again")
    assert info.value.reply_code == 404
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.basic_ack(1)


def test_async_error_seen_by_processing_events(conn, ch):
    ch.basic_ack(42)  # unknown delivery tag: 406 closes the channel
    conn.sleep(0.1)  # the connection processes the Channel.Close without raising
    assert ch.is_closed
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.queue_declare("q")


def test_other_channels_survive_a_channel_error(conn, ch):
    other = conn.channel()
    ch.basic_publish("missing", "k", "x")
    other.queue_declare("q")  # processes ch's Channel.Close but does not raise
    assert ch.is_closed and other.is_open


def test_connection_error_closes_all_channels(conn, ch):
    other = conn.channel()
    with pytest.raises(exceptions.ConnectionClosedByBroker) as info:
        other.basic_recover(requeue=False)
    assert info.value.reply_code == 540
    assert other.is_closed and ch.is_closed and conn.is_closed
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.basic_publish("", "q", "x")


def test_confirm_delivery(ch):
    ch.queue_declare("q", arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    ch.confirm_delivery()
    ch.confirm_delivery()  # a second time only logs
    ch.basic_publish("", "q", "fits")
    with pytest.raises(exceptions.NackError) as nacked:
        ch.basic_publish("", "q", "refused")
    assert nacked.value.messages == [] and str(nacked.value) == "0 message(s) NACKed"
    ch.basic_publish("", "nowhere", "not mandatory: acked")
    with pytest.raises(exceptions.UnroutableError) as returned:
        ch.basic_publish("", "nowhere", "mandatory", pika.BasicProperties(message_id="7"), mandatory=True)
    (msg,) = returned.value.messages
    assert (msg.method.reply_code, msg.method.reply_text, msg.method.routing_key) == (312, "NO_ROUTE", "nowhere")
    assert (msg.body, msg.properties.message_id) == (b"mandatory", "7")
    assert str(returned.value) == "1 unroutable message(s) returned"


def test_confirmed_publish_to_missing_exchange_raises_at_once(ch):
    ch.confirm_delivery()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        ch.basic_publish("missing", "k", "x")
    assert info.value.reply_code == 404


def test_return_callback_runs_when_events_are_processed(conn, ch):
    got = []
    ch.add_on_return_callback(lambda c, m, p, b: got.append((c is ch, m.NAME, m.reply_code, m.routing_key, b)))
    ch.basic_publish("", "nowhere", "x", mandatory=True)
    ch.queue_declare("", exclusive=True)  # the Basic.Return arrives, but is not dispatched here
    assert got == []
    conn.process_data_events()
    assert got == [(True, "Basic.Return", 312, "nowhere", b"x")]


def test_transactions(conn, ch):
    ch.queue_declare("q")
    ch.tx_select()
    ch.basic_publish("", "q", "rolled back")
    ch.tx_rollback()
    ch.basic_publish("", "q", "committed")
    assert ch.queue_declare("q", passive=True).method.message_count == 0
    assert isinstance(ch.tx_commit().method, spec.Tx.CommitOk)
    assert ch.queue_declare("q", passive=True).method.message_count == 1
    other = conn.channel()
    with pytest.raises(exceptions.ChannelClosedByBroker) as info:
        other.tx_commit()
    assert info.value.reply_code == 406


def test_flow_is_not_simulated(ch):
    with pytest.raises(NotImplementedError):
        ch.flow(True)


def test_channel_close(conn, ch):
    ch.close()
    assert ch.is_closed and not ch.is_open
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.close()
    assert conn.is_open


def test_user_id_is_checked_against_the_credentials(monkeypatch):
    """A user_id property must name the authenticated user (conformance: user_id_checked)."""
    from amqpsim.pika import blocking_connection

    monkeypatch.setitem(blocking_connection.USERS, "bob", "secret")
    params = pika.ConnectionParameters(credentials=pika.PlainCredentials("bob", "secret"))
    with pika.BlockingConnection(params) as conn:
        ch = conn.channel()
        ch.queue_declare("q")
        ch.basic_publish("", "q", "m", pika.BasicProperties(user_id="bob"))
        assert ch.basic_get("q", auto_ack=True)[1].user_id == "bob"
        ch.basic_publish("", "q", "m", pika.BasicProperties(user_id="guest"))
        with pytest.raises(exceptions.ChannelClosedByBroker) as err:
            ch.queue_declare("q", passive=True)
        assert err.value.args == (406, "PRECONDITION_FAILED - user_id property set to 'guest' but "
                                       "authenticated user was 'bob'")


def test_short_strings_over_255_bytes_never_leave_the_client(ch):
    """pika's ShortStringTooLong, before sending; 255 bytes of UTF-8 are fine (conformance:
    short_string_limits)."""
    too_long, fits = "\u00e9" * 128, "\u00e9" * 127 + "a"
    for call in (lambda: ch.queue_declare(too_long), lambda: ch.exchange_declare(too_long),
                 lambda: ch.basic_publish("", too_long, "m"), lambda: ch.queue_bind("q", "amq.direct", too_long),
                 lambda: ch.basic_publish("", "q", "m", pika.BasicProperties(message_id=too_long))):
        with pytest.raises(exceptions.ShortStringTooLong) as err:
            call()
        assert err.value.args == (too_long.encode(),)
        assert ch.is_open
    assert ch.queue_declare(fits).method.queue == fits
    with pytest.raises(exceptions.ChannelClosedByBroker) as err:
        ch.queue_declare(fits[:-1] + "b", passive=True)  # the reply text is cut to 252 bytes and '...'
    assert err.value.reply_text.endswith("\u00e9...") and len(err.value.reply_text.encode()) == 255


def test_a_consumer_tag_too_long_stays_taken(conn):
    ch = conn.channel()
    ch.queue_declare("q")
    tag = "t" * 256
    with pytest.raises(exceptions.ShortStringTooLong):
        ch.basic_consume("q", lambda *a: None, consumer_tag=tag)
    with pytest.raises(exceptions.DuplicateConsumerTag):
        ch.basic_consume("q", lambda *a: None, consumer_tag=tag)
    assert ch.basic_cancel(tag) == []
    with pytest.raises(exceptions.ShortStringTooLong):
        ch.close()  # pika tries to cancel it
    assert ch.is_open
    ch.close()
    assert ch.is_closed
