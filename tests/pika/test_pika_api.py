"""The module surface mirrors pika's: names, exception hierarchy and attributes, spec
classes, BasicProperties, frames. Compared with the real pika where it is installed."""

from __future__ import annotations

import inspect

import pytest

import amqpsim.pika as pika
from amqpsim.broker.message import Properties
from amqpsim.pika import exceptions, frame, spec

EXCEPTIONS = [name for name, obj in vars(exceptions).items()
              if inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == exceptions.__name__
              and name != "SimulationIdle"]


def test_exception_attributes():
    e = exceptions.ChannelClosedByBroker(404, "NOT_FOUND - no queue 'q' in vhost '/'")
    assert (e.reply_code, e.reply_text, e.args) == (404, "NOT_FOUND - no queue 'q' in vhost '/'",
                                                    (404, "NOT_FOUND - no queue 'q' in vhost '/'"))
    assert repr(e) == "ChannelClosedByBroker: (404) \"NOT_FOUND - no queue 'q' in vhost '/'\""
    c = exceptions.ConnectionClosedByBroker(320, "CONNECTION_FORCED")
    assert isinstance(c, exceptions.ConnectionClosed) and isinstance(c, exceptions.AMQPConnectionError)
    assert isinstance(exceptions.ChannelWrongStateError(), exceptions.AMQPChannelError)
    assert exceptions.UnroutableError(["m"]).messages == ["m"]
    assert str(exceptions.NackError([])) == "0 message(s) NACKed"
    assert not issubclass(exceptions.SimulationIdle, exceptions.AMQPError)


def test_exceptions_match_real_pika():
    real = pytest.importorskip("pika.exceptions")
    for name in EXCEPTIONS:
        ours, theirs = getattr(exceptions, name), getattr(real, name)
        assert [k.__name__ for k in ours.__mro__] == [k.__name__ for k in theirs.__mro__], name
    missing = [n for n, o in vars(real).items() if inspect.isclass(o) and issubclass(o, Exception)
               and o.__module__ == real.__name__ and not hasattr(exceptions, n)]
    assert missing == []


def test_spec_matches_real_pika():
    real = pytest.importorskip("pika.spec")
    for cls_name in ("Connection", "Channel", "Exchange", "Queue", "Basic", "Confirm", "Tx"):
        ours, theirs = getattr(spec, cls_name), getattr(real, cls_name)
        assert ours.INDEX == theirs.INDEX
        for name, method in vars(theirs).items():
            if inspect.isclass(method) and hasattr(method, "INDEX"):
                mine = getattr(ours, name)
                assert (mine.NAME, mine.INDEX) == (method.NAME, method.INDEX)
                params = list(inspect.signature(method.__init__).parameters)[1:]
                assert list(mine().__dict__) == params, name
    for const in ("PERSISTENT_DELIVERY_MODE", "TRANSIENT_DELIVERY_MODE", "NOT_FOUND", "NO_ROUTE",
                  "PRECONDITION_FAILED", "ACCESS_REFUSED", "NOT_IMPLEMENTED", "FRAME_MAX_SIZE"):
        assert getattr(spec, const) == getattr(real, const)


def test_methods_look_like_pikas():
    m = spec.Basic.Deliver(consumer_tag="t", delivery_tag=1)
    assert repr(m) == "<Basic.Deliver(['consumer_tag=t', 'delivery_tag=1', 'redelivered=False'])>"
    assert m == spec.Basic.Deliver("t", 1) and m != spec.Basic.Deliver("t", 2)
    assert spec.Queue.Declare.synchronous and not spec.Basic.Publish.synchronous
    assert spec.Queue.DeclareOk("q", 1, 2).message_count == 1
    with pytest.raises(TypeError):
        spec.Basic.Ack(nope=1)
    f = frame.Method(1, spec.Queue.DeclareOk("q", 0, 0))
    assert repr(f).startswith("<METHOD(['channel_number=1', 'frame_type=1', ")


def test_basic_properties():
    p = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent, headers={"a": 1})
    assert p.delivery_mode == spec.PERSISTENT_DELIVERY_MODE == 2
    assert pika.BasicProperties(delivery_mode=pika.DeliveryMode.Transient).delivery_mode == 1
    assert isinstance(p, Properties)  # the broker's own type
    assert repr(p) == "<BasicProperties(['delivery_mode=2', \"headers={'a': 1}\"])>"
    assert p == pika.BasicProperties(delivery_mode=2, headers={"a": 1})
    assert spec.BasicProperties is pika.BasicProperties


def test_public_names():
    for name in ("BlockingConnection", "ConnectionParameters", "URLParameters", "PlainCredentials",
                 "BasicProperties", "DeliveryMode", "SSLOptions", "spec", "exceptions"):
        assert hasattr(pika, name)
    from amqpsim.pika.adapters.blocking_connection import (
        BlockingChannel,
        BlockingConnection,
        ReturnedMessage,
    )

    assert BlockingConnection is pika.BlockingConnection and BlockingChannel and ReturnedMessage
    assert pika.adapters.BlockingConnection is pika.BlockingConnection
    assert pika.exchange_type.ExchangeType.fanout == "fanout"
