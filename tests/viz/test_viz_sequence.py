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


def test_method_events_are_preferred():
    from amqpsim.trace.events import Event

    events = [Event(0.0, 1, "method", actor="shop", channel="conn-1/ch-1", detail="C>S Basic.Publish",
                    exchange="", routing_key="hello"),
              Event(0.0, 2, "publish", actor="shop", msg=1, exchange="", routing_key="hello"),
              Event(0.1, 3, "method", actor="shop", channel="conn-1/ch-1", detail="S>C Basic.Ack",
                    delivery_tag=1),
              Event(0.2, 4, "method", actor="x", msg=1, detail="republish of 1")]
    frames = viz.sequence_frames(events)
    assert list(frames["method"]) == ["Basic.Publish", "Basic.Ack"]
    assert list(frames["src"]) == ["shop", "broker"] and list(frames["dst"]) == ["broker", "shop"]
    assert frames["args"].iloc[0] == "(default) / 'hello'" and frames["args"].iloc[1] == "tag=1"
