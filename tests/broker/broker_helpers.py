"""Helpers for the broker tests: a small driver (:class:`World`) and the conservation check."""

from __future__ import annotations

from collections import Counter
from typing import Any

from amqpsim.broker import Broker, Channel, Connection, Delivery, Properties
from amqpsim.trace.events import FATE_OF, Enqueued


def live_copies(broker: Broker) -> list[int]:
    """Copy ids still in the broker: ready in a queue (in a stream) or held by a channel
    (a stream delivery is not a copy: the copy stays in the stream)."""
    live = [e.copy for q in broker.queues.values() for e in (q.log if q.is_stream else q.store)]
    for conn in broker.connections.values():
        for ch in conn.channels.values():
            live += [e.copy for e in ch.outstanding() if not e.queue.is_stream]
    return live


def assert_conservation(broker: Broker) -> None:
    """Every routed copy (``Enqueued``) has exactly one fate event or is still in the broker.

    Also checks the counters the queues and channels keep against their contents.
    """
    enqueued: dict[int, str] = {}
    terminal: Counter[int] = Counter()
    for ev in broker.recorder.events:
        if type(ev) is Enqueued:
            assert ev.copy not in enqueued, f"copy {ev.copy} enqueued twice"
            enqueued[ev.copy] = ev.queue
        elif type(ev) in FATE_OF:
            assert ev.copy in enqueued, f"{ev.kind} of copy {ev.copy} that was never enqueued"
            terminal[ev.copy] += 1
    twice = {c: n for c, n in terminal.items() if n > 1}
    assert not twice, f"copies with more than one terminal event: {twice}"
    live = live_copies(broker)
    dup = [c for c, n in Counter(live).items() if n > 1]
    assert not dup, f"copies in two places at once: {dup}"
    both = set(live) & set(terminal)
    assert not both, f"copies both settled and still in the broker: {both}"
    missing = set(enqueued) - set(live) - set(terminal)
    assert not missing, f"copies that vanished without a terminal event: {sorted(missing)}"
    # bookkeeping
    held: Counter[int] = Counter()  # by queue object: a deleted queue's name may be reused
    for conn in broker.connections.values():
        for ch in conn.channels.values():
            per_consumer: Counter[str] = Counter()
            for u in ch.unacked.values():
                if u.consumer is not None:
                    per_consumer[u.consumer.tag] += 1
            for u in [u for *_, taken in ch.tx_settles for _t, u in taken]:
                if u.consumer is not None:
                    per_consumer[u.consumer.tag] += 1
            for c in ch.consumers.values():
                assert c.unacked == per_consumer[c.tag], (c, c.unacked, per_consumer[c.tag])
            assert ch.unacked_count == sum(per_consumer.values())
            for u in ch.unacked.values():
                held[id(u.queue)] += 1
            for *_, taken in ch.tx_settles:
                for _t, u in taken:
                    held[id(u.queue)] += 1
    for q in broker.queues.values():
        assert q.unacked == held[id(q)], (q.name, q.unacked, held[id(q)])
        assert q.ready_bytes == sum(e.msg.size for e in q.store), q.name


class World:
    """One broker, one connection, one channel, a clock; commands default to that channel.

    ``w.queue_declare("q")`` calls ``broker.queue_declare(w.now, w.ch, "q")``; pass
    ``ch=`` to use another channel.
    """

    def __init__(self, **broker_kwargs: Any) -> None:
        self.broker = Broker(**broker_kwargs)
        self.now = 0.0
        self.conn = self.connect()
        self.ch = self.channel()

    def connect(self) -> Connection:
        return self.broker.connection_open(self.now)

    def channel(self, conn: Connection | None = None) -> Channel:
        return self.broker.channel_open(self.now, conn or self.conn)

    def at(self, t: float) -> None:
        """Advance the clock to ``t`` firing every due timer."""
        self.broker.advance(t)
        self.now = t

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self.broker, name)

        def call(*args: Any, ch: Channel | None = None, **kwargs: Any) -> Any:
            return fn(self.now, ch or self.ch, *args, **kwargs)

        return call

    def pub(self, rk: str, body: str = "m", exchange: str = "", ch: Channel | None = None,
            mandatory: bool = False, **props: Any) -> Any:
        return self.broker.basic_publish(self.now, ch or self.ch, exchange, rk, body.encode(),
                                         Properties(**props) if props else None, mandatory=mandatory)

    def get(self, queue: str, ch: Channel | None = None, no_ack: bool = False) -> Delivery | None:
        return self.broker.basic_get(self.now, ch or self.ch, queue, no_ack=no_ack)

    def drain(self, queue: str, ch: Channel | None = None) -> list[str]:
        """basic.get(no_ack) until empty: the ready bodies in delivery order."""
        out = []
        while (d := self.get(queue, ch, no_ack=True)) is not None:
            out.append(d.body.decode())
        return out

    def count(self, queue: str) -> int:
        return self.broker.queues[queue].message_count()

    def declare(self, name: str, ch: Channel | None = None, **kwargs: Any) -> str:
        return self.broker.queue_declare(self.now, ch or self.ch, name, **kwargs)[0]


def inbox(ch: Channel, kind: str) -> list[Any]:
    """Items of one kind from a channel's default inbox (and remove them)."""
    got = [item[1:] if len(item) > 2 else item[1] for item in ch.inbox if item[0] == kind]
    ch.inbox[:] = [item for item in ch.inbox if item[0] != kind]
    return got


def delivered(ch: Channel) -> list[Delivery]:
    return inbox(ch, "deliver")


def bodies(ch: Channel) -> list[str]:
    return [d.body.decode() for d in delivered(ch)]


def events(broker: Broker, *records: type) -> list[Any]:
    """The broker's events of the given record classes (``Acked``, ``Dropped``, ...), in order."""
    return [e for e in broker.recorder.events if type(e) in records]


def refused(w: World, code: int, method: str, *args: Any, ch: Channel | None = None, **kwargs: Any) -> str:
    """Call ``w.<method>`` expecting an AMQP error ``code``; check the scope; reopen. Returns the text.

    A soft error must close the channel only, a hard one the connection; the
    world's channel (and connection) are replaced by fresh ones.
    """
    from amqpsim.broker import AMQPError

    target = ch or w.ch
    try:
        getattr(w, method)(*args, ch=target, **kwargs)
    except AMQPError as err:
        assert err.reply_code == code, (err.reply_code, err.reply_text)
        assert not target.is_open
        if err.hard:
            assert not target.connection.is_open
            assert target.connection.inbox[-1][:2] == ("close", code)
        else:
            assert target.connection.is_open
            assert target.inbox[-1][:2] == ("close", code)
        if target is w.ch:
            if not w.conn.is_open:
                w.conn = w.connect()
            w.ch = w.channel()
        return err.reply_text
    raise AssertionError(f"{method} did not fail with {code}")
