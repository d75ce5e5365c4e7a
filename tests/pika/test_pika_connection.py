"""BlockingConnection: parameters, opening and closing, brokers by address, the clock,
timers and the rules for when callbacks run and time passes."""

from __future__ import annotations

import pytest

import amqpsim.pika as pika
from amqpsim.pika import exceptions


def test_connection_parameters_take_pikas_arguments():
    p = pika.ConnectionParameters("rabbit", 5673, "/", pika.PlainCredentials("u", "p"), heartbeat=0,
                                  blocked_connection_timeout=30, client_properties={"connection_name": "x"},
                                  connection_attempts=3, retry_delay=1, socket_timeout=5, channel_max=10)
    assert (p.host, p.port, p.virtual_host, p.credentials.username) == ("rabbit", 5673, "/", "u")
    assert (p.heartbeat, p.blocked_connection_timeout, p.connection_attempts) == (0, 30, 3)
    assert pika.ConnectionParameters().port == 5672
    assert pika.ConnectionParameters() == pika.ConnectionParameters("localhost")
    with pytest.raises(TypeError, match="unexpected kwargs"):
        pika.ConnectionParameters(hots="x")


def test_url_parameters():
    p = pika.URLParameters("amqp://bob:s%40cret@example.com:5679/%2F?heartbeat=30&connection_attempts=2")
    assert (p.host, p.port, p.virtual_host) == ("example.com", 5679, "/")
    assert (p.credentials.username, p.credentials.password) == ("bob", "s@cret")
    assert (p.heartbeat, p.connection_attempts) == (30, 2)
    assert pika.URLParameters("amqp://localhost").port == 5672
    with pytest.raises(ValueError, match="Unknown URL parameter"):
        pika.URLParameters("amqp://localhost/?nope=1")


def test_same_address_same_broker(conn):
    other = pika.BlockingConnection(pika.URLParameters("amqp://guest:guest@127.0.0.1:5672/%2F"))
    ch = conn.channel()
    ch.queue_declare("shared")
    assert other.channel().queue_declare("shared", passive=True).method.queue == "shared"
    assert pika.broker_for("127.0.0.1") is pika.broker_for("localhost")
    assert pika.broker_for("localhost", 5673) is not pika.broker_for("localhost")
    other.close()


def test_reset_brokers_starts_afresh(conn):
    conn.channel().queue_declare("q")
    conn.sleep(5)
    assert pika.clock() == 5.0
    pika.reset_brokers(consumer_timeout=None)
    assert pika.clock() == 0.0
    assert "q" not in pika.broker_for().queues
    assert pika.broker_for().consumer_timeout is None


def test_connection_refused_when_broker_stopped():
    pika.broker_for().stop(0.0)
    with pytest.raises(exceptions.AMQPConnectionError):
        pika.BlockingConnection(pika.ConnectionParameters("localhost"))


def test_connection_attempts_retry_after_delay():
    broker = pika.broker_for()
    broker.stop(0.0)

    def operator():  # brings the node back at t=3 (sleeping on a connection to another broker)
        pika.BlockingConnection(pika.ConnectionParameters(port=5999)).sleep(3)
        broker.start(pika.clock())

    def client():
        conn = pika.BlockingConnection(pika.ConnectionParameters(connection_attempts=3, retry_delay=2))
        return pika.clock(), conn.is_open

    _, (t, is_open) = pika.run_concurrently(operator, client)
    assert (t, is_open) == (4.0, True)  # attempts at t=0 and t=2 fail, t=4 succeeds


def test_broker_stop_closes_connections_with_320(conn):
    ch = conn.channel()
    pika.broker_for().stop(pika.clock())
    with pytest.raises(exceptions.ConnectionClosedByBroker) as info:
        ch.queue_declare("q")
    assert info.value.reply_code == 320
    assert conn.is_closed and ch.is_closed
    with pytest.raises(exceptions.ChannelWrongStateError):
        ch.queue_declare("q")
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.channel()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.process_data_events()
    with pytest.raises(exceptions.ConnectionWrongStateError):
        conn.close()


def test_unknown_vhost_is_refused():
    with pytest.raises(exceptions.ProbableAccessDeniedError, match="vhost nope not found"):
        pika.BlockingConnection(pika.ConnectionParameters(virtual_host="nope"))


def test_connection_name_is_the_actor():
    conn = pika.BlockingConnection(pika.ConnectionParameters(client_properties={"connection_name": "shop"}))
    conn.channel().queue_declare("q")
    actors = {e.actor for e in pika.broker_for().recorder.events if e.kind == "frame"}
    assert actors == {"shop"}
    conn.close()


def test_close_closes_channels_and_requeues(conn):
    ch = conn.channel()
    ch.queue_declare("q")
    ch.basic_publish("", "q", "m")
    ch.basic_get("q")
    conn.close()
    assert conn.is_closed and not conn.is_open and ch.is_closed
    with pytest.raises(exceptions.ConnectionWrongStateError, match="called on closed connection"):
        conn.close()
    q = pika.broker_for().queues["q"]
    assert q.message_count() == 1


def test_context_managers():
    with pika.BlockingConnection() as conn:
        with conn.channel() as ch:
            ch.queue_declare("q")
        assert ch.is_closed
    assert conn.is_closed


def test_channel_numbers(conn):
    a, b = conn.channel(), conn.channel()
    assert (a.channel_number, b.channel_number, int(b)) == (1, 2, 2)
    a.close()
    assert conn.channel().channel_number == 1
    assert conn.channel(9).channel_number == 9


def test_second_open_of_a_channel_number_is_a_connection_error(conn):
    conn.channel(5)
    with pytest.raises(exceptions.ConnectionClosedByBroker) as info:
        conn.channel(5)
    assert info.value.reply_code == 504


def test_sleep_advances_simulated_time(conn):
    assert pika.clock() == 0.0
    conn.sleep(2.5)
    assert pika.clock() == 2.5
    conn.process_data_events(time_limit=1)
    assert pika.clock() == 3.5
    conn.process_data_events()  # time_limit=0: no time passes
    assert pika.clock() == 3.5


def test_timers_fire_in_time_order_during_a_sleep(conn):
    ch = conn.channel()
    ch.queue_declare("q", arguments={"x-message-ttl": 1500})
    ch.basic_publish("", "q", "short-lived")
    seen = []
    conn.call_later(1.0, lambda: seen.append((pika.clock(), ch.queue_declare("q", passive=True).method.message_count)))
    conn.call_later(2.0, lambda: seen.append((pika.clock(), ch.queue_declare("q", passive=True).method.message_count)))
    conn.sleep(3)
    assert seen == [(1.0, 1), (2.0, 0)]


def test_call_later_remove_timeout_and_threadsafe_callbacks(conn):
    order = []
    conn.call_later(0.1, lambda: order.append("later"))
    t = conn.call_later(0.05, lambda: order.append("removed"))
    conn.remove_timeout(t)
    conn.add_callback_threadsafe(lambda: order.append("threadsafe"))
    order.append("before")
    conn.sleep(0.2)
    assert order == ["before", "threadsafe", "later"]
    with pytest.raises(TypeError):
        conn.call_later(1, None)


def test_process_data_events_without_limit_would_block_forever(conn):
    with pytest.raises(exceptions.SimulationIdle, match="nothing scheduled"):
        conn.process_data_events(time_limit=None)


def test_process_data_events_without_limit_waits_for_a_timer(conn):
    fired = []
    conn.call_later(7, lambda: fired.append(pika.clock()))
    conn.process_data_events(time_limit=None)
    assert fired == [7.0]


def test_busy_polling_lets_time_pass(conn):
    fired = []
    conn.call_later(1, lambda: fired.append(pika.clock()))
    while not fired:
        conn.process_data_events()
    assert fired == [1.0]


def test_capabilities(conn):
    assert conn.basic_nack_supported and conn.publisher_confirms and conn.consumer_cancel_notify
    assert conn.exchange_exchange_bindings_supported


def test_handshake_is_traced(methods):
    pika.BlockingConnection().close()
    assert methods() == ["S>C Connection.Start", "C>S Connection.Start-Ok", "S>C Connection.Tune",
                         "C>S Connection.Tune-Ok", "C>S Connection.Open", "S>C Connection.Open-Ok",
                         "C>S Connection.Close", "S>C Connection.Close-Ok"]


def test_a_sequence_of_parameters_is_tried_in_order():
    pika.broker_for("localhost", 5670).stop(0.0)
    conn = pika.BlockingConnection([pika.ConnectionParameters(port=5670), pika.ConnectionParameters(port=5671)])
    conn.channel().queue_declare("here")
    assert "here" in pika.broker_for("localhost", 5671).queues
    with pytest.raises(ValueError):
        pika.BlockingConnection([])


def test_a_callback_may_process_events_without_recursing(conn):
    ch = conn.channel()
    ch.queue_declare("q")
    for b in ("a", "b"):
        ch.basic_publish("", "q", b)
    order = []

    def cb(c, m, p, body):
        order.append(("in", body))
        conn.process_data_events(time_limit=1)  # nested: no dispatch, time passes
        order.append(("out", body, pika.clock()))

    ch.basic_consume("q", cb, auto_ack=True)
    conn.process_data_events()
    assert order == [("in", b"a"), ("out", b"a", 1.0), ("in", b"b"), ("out", b"b", 2.0)]
