"""A producer instance: one SimPy process publishing at its rate.

Each publish samples its routing key, size and priority from the instance's own
``content`` stream; the gaps between publishes come from its ``arrivals`` stream.
While the connection is blocked (memory alarm) or down, the publish in hand waits.

Publisher confirms: the broker confirms at publish time; the confirm reaches the
client at the end of the current batch window (``network_delay``, or
``fsync_delay`` for persistent messages: RabbitMQ confirms those after an fsync).
Published messages whose confirm has not arrived are *outstanding*. When the
connection or channel is lost they are *in doubt*: with ``retry_unconfirmed``
the producer announces them (``InDoubt``) and republishes them after
reconnecting, each linked to the first publish by a ``Republished`` event
(``original``); those the broker had already routed become duplicates.
After a network ``connection_loss`` the producer notices the dead connection
only after ``loss_detection`` seconds; what it publishes meanwhile never reaches
the broker: without retry each is recorded as ``LostInTransit``.
Nacked messages (a full ``reject-publish`` queue) are not republished.

Direct reply-to (``reply_to: amq.rabbitmq.reply-to``): on each new channel the
producer first consumes the pseudo-queue ``amq.rabbitmq.reply-to`` with auto-ack
(consumer tag = its name), as an RPC client must before it publishes such a
request; the broker delivers the replies straight to that channel (it records
each as a copy of the pseudo-queue, acked at once). A reconnected producer has a
new reply name: replies to the old one are dropped.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, NamedTuple

from ..broker.errors import AMQPError
from ..broker.message import Delivery, Properties
from ..broker.replyto import REPLY_QUEUE
from ..scenario.distributions import Constant
from ..trace.events import InDoubt, LostInTransit, Republished
from .clients import Client
from .rng import stream

if TYPE_CHECKING:
    from ..broker import Channel
    from ..scenario import Producer
    from .engine import Simulation


class Pending(NamedTuple):
    msg: int | None  # broker message id of the latest publish (None: never reached the broker)
    logical: int | None  # message id of the first publish of this message
    routing_key: str
    size: int
    priority: int | None
    n: int  # the producer's own message number


def _noop(*_: Any) -> None:
    return None


class ProducerClient(Client):
    def __init__(self, sim: Simulation, spec: Producer, index: int) -> None:
        super().__init__(sim, f"{spec.name}#{index}")
        self.nodes = sim.nodes_of(spec)
        self.spec = spec
        self.rng_gaps = stream(sim.seed, "producer", self.name, "arrivals")
        self.rng = stream(sim.seed, "producer", self.name, "content")
        cfg = sim.config
        self.retry = spec.confirms and spec.retry_unconfirmed
        self.window = cfg.fsync_delay if spec.persistent else cfg.network_delay
        self.sent = 0
        self.replies = 0  # replies received by direct reply-to
        self.outstanding: dict[int, Pending] = {}
        self.inflight: deque[tuple[float, int, bool]] = deque()
        self.flushing = False
        self.cgen = 0  # channel generation
        self.to_retry: deque[Pending] = deque()
        self.zombie = False  # connection dead, not noticed yet
        self.wakeup: Any = None
        self.done = False
        self.fixed_key = spec.routing_key if isinstance(spec.routing_key, str) else None
        self.fixed_size = spec.size.sample_int(self.rng) if isinstance(spec.size, Constant) else None
        prio = spec.priority
        self.fixed_priority = prio.sample_int(self.rng) if isinstance(prio, Constant) else None
        self.varying = (prio is not None and not isinstance(prio, Constant)) or spec.correlation
        self.static_props = None if self.varying else self._props(self.fixed_priority, 0)
        self.fast = self.static_props is not None and not spec.confirms
        # read per publish: plain attributes are faster to read than the pydantic model's
        self.exchange, self.mandatory, self.priority = spec.exchange, spec.mandatory, spec.priority
        self.fixed_body = None if self.fixed_size is None else sim.body(self.fixed_size)

    def _props(self, priority: int | None, n: int) -> Properties:
        s = self.spec
        return Properties(
            headers=dict(s.headers) or None,
            delivery_mode=2 if s.persistent else None,
            priority=priority,
            reply_to=s.reply_to,
            correlation_id=f"{self.name}-{n}" if s.correlation else None,
            expiration=None if s.expiration is None else str(s.expiration),
        )

    # ------------------------------------------------------------------ the process
    def process(self) -> Generator[Any, Any, None]:
        env = self.sim.env
        spec = self.spec
        if spec.start > 0:
            yield env.timeout(spec.start)
        self.connect(env.now)
        next_gap = spec.rate.gap_sampler(self.rng_gaps)
        count = spec.count
        timeout = env.timeout
        broker = self.sim.broker
        while count is None or self.sent < count:
            gap = next_gap()
            if gap > 0:
                yield timeout(gap)
            while not self.up or (broker.alarm and self.publish_held(env.now)):
                if self.stopped or self.failed:
                    break
                yield self._wait()
            if self.failed:
                break
            if self.to_retry and not self.zombie:
                self._republish(env.now)
            self._publish_new(env.now)
        while (self.to_retry or self.outstanding) and not self.failed:
            if self.to_retry and self.up and not self.zombie and not self.publish_held(env.now):
                self._republish(env.now)
                continue
            yield self._wait()
        self.done = True
        self.sim.producer_done(self)

    def _wait(self) -> Any:
        self.wakeup = ev = self.sim.env.event()
        return ev

    def _wake(self) -> None:
        ev = self.wakeup
        if ev is not None:
            self.wakeup = None
            ev.succeed()

    # ------------------------------------------------------------------ publishing
    def _publish_new(self, now: float) -> None:
        spec = self.spec
        rng = self.rng
        n = self.sent
        self.sent = n + 1
        key = self.fixed_key if self.fixed_key is not None else spec.routing_key.sample(rng)  # type: ignore[union-attr]
        size = self.fixed_size if self.fixed_size is not None else spec.size.sample_int(rng)
        prio = self.fixed_priority
        if self.priority is not None and prio is None:
            prio = self.priority.sample_int(rng)
        ch = self.ch
        if self.fast and ch is not None and not self.zombie:  # no confirms, nothing varies
            body = self.fixed_body if self.fixed_body is not None else self.sim.body(size)
            try:
                self.sim.broker.basic_publish(now, ch, self.exchange, key, body, self.static_props,
                                              self.mandatory, outcome=False)
            except AMQPError:
                pass  # the broker closed the channel (recorded); this message is gone
            return
        self._send(now, Pending(None, None, key, size, prio, n))

    def _republish(self, now: float) -> None:
        todo, self.to_retry = self.to_retry, deque()
        for p in todo:
            self._send(now, p)

    def _send(self, now: float, p: Pending) -> None:
        sim = self.sim
        if self.zombie:
            if self.retry:
                self.to_retry.append(p)
            else:
                sim.emit(LostInTransit(now, self.name, p.routing_key, p.size))
            return
        ch = self.ch
        assert ch is not None
        props = self.static_props or self._props(p.priority, p.n)
        try:
            out = sim.broker.basic_publish(now, ch, self.spec.exchange, p.routing_key, sim.body(p.size), props,
                                           self.spec.mandatory, False, p.logical)
        except AMQPError:
            return  # the broker closed the channel (recorded); this message is gone
        assert out is not None  # (asked for: outcome=True)
        if p.logical is not None:
            sim.emit(Republished(now, self.name, out.msg_id, p.logical))
        if out.seq:
            self.outstanding[out.seq] = p._replace(msg=out.msg_id,
                                                   logical=out.msg_id if p.logical is None else p.logical)

    # ------------------------------------------------------------------ confirms
    def setup_channel(self, now: float, ch: Channel) -> None:
        self.cgen += 1
        cgen = self.cgen
        ch.on_return = _noop
        ch.on_cancel = _noop
        ch.on_deliver = _noop
        if self.spec.reply_to == REPLY_QUEUE:  # direct reply-to: consume before publishing
            ch.on_deliver = self._on_reply
            self.sim.broker.basic_consume(now, ch, REPLY_QUEUE, self.name, True)
        if self.spec.confirms:
            ch.on_confirm = lambda seq, ack, multiple: self._on_confirm(cgen, seq, multiple)
            self.sim.broker.confirm_select(now, ch)

    def _on_reply(self, d: Delivery) -> None:
        """A reply by direct reply-to (the broker has recorded it, delivered and acked)."""
        self.replies += 1

    def _on_confirm(self, cgen: int, seq: int, multiple: bool) -> None:
        if cgen != self.cgen:
            return
        now = self.sim.env.now
        w = self.window
        arrival = (math.floor(now / w) + 1) * w
        self.inflight.append((arrival, seq, multiple))
        if not self.flushing:
            self.flushing = True
            self.sim.call_later(arrival - now, lambda: self._flush(cgen))

    def _flush(self, cgen: int) -> None:
        if cgen != self.cgen:
            return
        now = self.sim.env.now
        inflight, outstanding = self.inflight, self.outstanding
        while inflight and inflight[0][0] <= now + 1e-9:
            _, seq, multiple = inflight.popleft()
            if multiple:
                for s in [s for s in outstanding if s <= seq]:
                    del outstanding[s]
            else:
                outstanding.pop(seq, None)
        if inflight:
            self.sim.call_later(inflight[0][0] - now, lambda: self._flush(cgen))
        else:
            self.flushing = False
        self._wake()

    # ------------------------------------------------------------------ losing the connection
    def on_connected(self, now: float) -> None:
        self._wake()

    def on_blocked(self, gen: int, reason: str | None) -> None:
        if reason is None and gen == self.gen:
            self._wake()

    def channel_gone(self, now: float, why: str) -> None:
        self.cgen += 1
        self.inflight.clear()
        self.flushing = False
        doubt = sorted(self.outstanding.values(), key=lambda p: p.n)
        self.outstanding.clear()
        if self.retry and doubt:
            for p in doubt:
                assert p.msg is not None  # (it reached the broker: it was outstanding)
                self.sim.emit(InDoubt(now, self.name, p.msg))
            self.to_retry = deque(sorted([*doubt, *self.to_retry], key=lambda p: p.n))
        self._wake()

    def connection_loss(self, now: float, downtime: float) -> None:
        """A network outage of ``downtime`` seconds on this producer's connection."""
        if not self.up or self.zombie:
            return
        self.drop_connection(now, "connection lost (network)")
        self.cgen += 1  # confirms in flight never arrive
        self.inflight.clear()
        self.flushing = False
        self.zombie = True
        sim = self.sim
        sim.call_later(min(sim.config.loss_detection, downtime), self._notice_loss)
        sim.call_later(downtime, lambda: self.connect(sim.env.now))

    def _notice_loss(self) -> None:
        self.zombie = False
        self.up = False
        self.channel_gone(self.sim.env.now, "connection_lost")
