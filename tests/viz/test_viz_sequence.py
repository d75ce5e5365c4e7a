"""Sequence diagrams: AMQP method frames between clients and the broker."""

from __future__ import annotations

from viz_helpers import gids, rendered, texts

from amqpsim import viz


def test_synthesized_frames(session):
    frames = viz.sequence_frames(session)
    methods = list(frames["method"])
    for m in ("Connection.Open", "Channel.Open-Ok", "Queue.Declare", "Basic.Qos", "Basic.Consume",
              "Basic.Publish", "Basic.Deliver", "Basic.Ack", "Basic.Return", "Channel.Close"):
        assert m in methods, m
    ret = frames.loc[frames["method"] == "Basic.Return"].iloc[0]
    assert ret["reply_code"] == 312 and ret["src"] == "broker" and ret["dst"] == "publisher"
    close = frames.loc[(frames["method"] == "Channel.Close") & (frames["src"] == "broker")].iloc[0]
    assert close["reply_code"] == 404 and "NOT_FOUND" in close["args"]
    # a publish goes client -> broker, a delivery broker -> client
    pub = frames.loc[frames["method"] == "Basic.Publish"].iloc[0]
    assert (pub["src"], pub["dst"]) == ("publisher", "broker")
    assert "Basic.Cancel" not in methods  # closing a connection sends no basic.cancel


def test_diagram_contains_publish(session):
    fig = viz.sequence_diagram(session)
    rendered(fig)
    assert "frame:Basic.Publish" in gids(fig)
    shown = "\n".join(texts(fig))
    assert "Basic.Publish" in shown and "312 NO_ROUTE" in shown and "RabbitMQ broker" in shown


def test_max_frames(store):
    fig = viz.sequence_diagram(store, max_frames=12)
    assert sum(g.startswith("frame:") for g in gids(fig)) == 12
    assert any(t.startswith("… ") and "more frames" in t for t in texts(fig))


def test_recorded_frames_are_preferred():
    from amqpsim.trace.events import Frame, Published, Republished

    events = [Frame(0.0, "shop", "conn-1/ch-1", "C>S", "Basic.Publish", "", None, "hello", None, None, None),
              Published(0.0, "shop", "conn-1/ch-1", 1, "", "hello", 1, 5),
              Frame(0.1, "shop", "conn-1/ch-1", "S>C", "Basic.Ack", None, None, None, None, 1, None),
              Republished(0.2, "shop", 2, 1)]
    frames = viz.sequence_frames(events)
    assert list(frames["method"]) == ["Basic.Publish", "Basic.Ack"]
    assert list(frames["src"]) == ["shop", "broker"] and list(frames["dst"]) == ["broker", "shop"]
    assert frames["args"].iloc[0] == "(default) / 'hello'" and frames["args"].iloc[1] == "tag=1"
    assert list(frames["channel"]) == ["ch1", "ch1"]


def test_settle_confirm_and_cancel_frames():
    from amqpsim.broker import Broker

    b = Broker()
    pub = b.channel_open(0.0, b.connection_open(0.0, "shop"))
    wrk = b.channel_open(0.0, b.connection_open(0.0, "worker"))
    b.queue_declare(0.0, pub, "q")
    b.confirm_select(0.0, pub)
    b.basic_consume(0.0, wrk, "q", consumer_tag="c1")
    b.basic_publish(0.1, pub, "", "q", b"a")
    b.basic_publish(0.1, pub, "", "q", b"b")
    b.basic_nack(0.2, wrk, 1, requeue=True)
    b.basic_reject(0.3, wrk, 2, requeue=False)
    b.basic_cancel(0.4, wrk, "c1")
    frames = viz.sequence_frames(b)
    sent = [(f.src, f.method, f.args) for f in frames.itertuples() if f.method.startswith(("Basic.N", "Basic.R"))]
    assert sent == [("worker", "Basic.Nack", "tag=1 requeue=True"), ("worker", "Basic.Reject", "tag=2 requeue=False")]
    confirms = frames.loc[frames["args"].str.startswith("confirm #")]
    assert list(confirms["method"]) == ["Basic.Ack", "Basic.Ack"] and list(confirms["dst"]) == ["shop", "shop"]
    cancel = frames.loc[frames["method"].str.startswith("Basic.Cancel")]
    assert list(zip(cancel["src"], cancel["method"], strict=True)) == [("worker", "Basic.Cancel"),
                                                                        ("broker", "Basic.Cancel-Ok")]
