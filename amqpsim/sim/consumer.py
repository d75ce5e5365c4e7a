"""A consumer instance: a single-threaded worker behind one channel.

On (re)connect it sets ``basic.qos`` (prefetch) before ``basic.consume`` (with
``x-priority`` and ``x-stream-offset`` when set: a stream consumer that reconnects
starts again from its ``offset``, as a client that does not track its offset does). Deliveries the worker cannot start yet wait in its
client-side buffer; it processes one at a time. A service completion is a plain
SimPy timeout callback (no process per message). When processing ends it acks,
or rejects with the scenario's probability; an RPC server (``reply``) first
publishes a reply to the message's ``reply_to`` via the default exchange (while
its connection is blocked by an alarm that publish, and the worker, wait).

Auto-ack (``no_ack``): the broker forgets the message when it sends it; the
simulation records the copy as acked (``Acked(auto=True)``) when the worker
finishes it, or as ``Lost`` if the client loses it first.

Losing the channel or connection: the client library drops the buffer (the
broker requeues manual-ack deliveries; auto-ack ones are ``Lost``, with the
reason the client lost them: ``crash``, ``connection_lost``,
``connection_closed`` or ``channel_closed``, see :mod:`.clients`). A *crash*
also aborts the message being processed. After a network loss, a broker restart
or a consumer ack timeout the worker finishes the message in hand, but its ack
cannot be sent: it records ``Processed`` and the broker will redeliver the
message, which is how at-least-once delivery creates duplicates.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from ..broker.errors import AMQPError
from ..broker.message import Delivery, Properties
from ..scenario.distributions import Constant, Exponential
from ..trace.events import Acked, Lost, Processed
from .clients import Client
from .rng import stream

if TYPE_CHECKING:
    from ..broker import Channel
    from ..scenario import Consumer
    from .engine import Simulation


def _sampler(dist: Any, rng: random.Random) -> Callable[[], float]:
    """``dist.sample(rng)`` as a function of nothing; the exponential case calls
    ``rng.expovariate`` directly (the same numbers, one Python call fewer)."""
    if isinstance(dist, Exponential):
        return partial(rng.expovariate, 1.0 / dist.mean)
    return partial(dist.sample, rng)


class ConsumerClient(Client):
    def __init__(self, sim: Simulation, spec: Consumer, index: int) -> None:
        super().__init__(sim, f"{spec.name}#{index}")
        self.nodes = sim.nodes_of(spec)
        self.spec = spec
        self.tag = self.name
        self.rng_service = stream(sim.seed, "consumer", self.name, "service")
        self.rng_reject = stream(sim.seed, "consumer", self.name, "reject")
        self.auto = spec.ack == "auto"
        st = spec.service_time
        self.fixed_service = st.value if isinstance(st, Constant) else None
        self.sample = _sampler(st, self.rng_service)
        self.timeout = sim.env.timeout
        self.reject_p = spec.reject.probability if spec.reject else 0.0
        self.reject_requeue = bool(spec.reject and spec.reject.requeue)
        self.reply = spec.reply  # read per message: a plain attribute is faster than the model's
        self.buffer: deque[Delivery] = deque()
        self.busy: Delivery | None = None
        self.busy_ch: Channel | None = None
        self.busy_ev: Any = None
        self.stalled = False
        self.factor = 1.0
        self.slow: list[float] = []

    @property
    def idle(self) -> bool:
        return self.busy is None and not self.buffer

    # ------------------------------------------------------------------ setup
    def setup_channel(self, now: float, ch: Channel) -> None:
        spec = self.spec
        b = self.sim.broker
        ch.on_deliver = self._deliver
        ch.on_cancel = self.cancelled if self.sim.broker.cluster is not None else lambda tag: None
        ch.on_return = lambda r: None
        if spec.prefetch:
            b.basic_qos(now, ch, 0, spec.prefetch, False)
        if spec.global_prefetch:
            b.basic_qos(now, ch, 0, spec.global_prefetch, True)
        args: dict[str, Any] = {}
        if spec.priority:
            args["x-priority"] = spec.priority
        if spec.offset is not None:
            args["x-stream-offset"] = spec.offset
        b.basic_consume(now, ch, spec.queue, self.tag, self.auto, spec.exclusive, args or None)

    def on_connected(self, now: float) -> None:
        if self.idle:
            self._idle()

    # ------------------------------------------------------------------ work
    def _deliver(self, d: Delivery) -> None:
        if self.busy is None:
            self._start(d)
        else:
            self.buffer.append(d)

    def _start(self, d: Delivery) -> None:
        st = self.fixed_service
        if st is None:
            st = self.sample()
        if self.factor != 1.0:
            st *= self.factor
        self.busy = d
        self.busy_ch = self.ch
        ev = self.busy_ev = self.timeout(st)
        ev.callbacks.append(self._done)

    def _done(self, ev: Any) -> None:
        if ev is not self.busy_ev:
            return  # aborted by a crash
        d = self.busy
        assert d is not None
        if self.reply and d.properties.reply_to is not None and self.publish_held(self.sim.env.now):
            self.stalled = True  # the reply publish waits for connection.unblocked
            return
        self._finish(self.sim.env.now, d)
        self._next()

    def _finish(self, now: float, d: Delivery) -> None:
        sim = self.sim
        ch = self.busy_ch
        live = ch is not None and ch is self.ch and ch.is_open
        if self.auto:
            if live and self.reply and ch is not None:
                self._reply(now, ch, d)
            sim.emit(Acked(now, self.name, ch.id if ch else None, self.tag, d.msg_id, d.copy, d.queue,
                           d.delivery_tag, False, True))
            return
        if not live:  # the ack cannot be sent
            sim.emit(Processed(now, self.name, d.msg_id, d.copy, d.queue))
            return
        assert ch is not None
        try:
            if self.reject_p and self.rng_reject.random() < self.reject_p:
                sim.broker.basic_reject(now, ch, d.delivery_tag, self.reject_requeue)
                return
            if self.reply:
                self._reply(now, ch, d)
            if ch.orphans and d.delivery_tag in ch.orphans:  # its queue took it back (a cluster)
                sim.emit(Processed(now, self.name, d.msg_id, d.copy, d.queue))
            sim.broker.basic_ack(now, ch, d.delivery_tag, False)
        except AMQPError:
            pass  # recorded by the broker; the channel is closed and reopened

    def _reply(self, now: float, ch: Channel, d: Delivery) -> None:
        to = d.properties.reply_to
        if to is None or not ch.is_open:
            return
        props = Properties(correlation_id=d.properties.correlation_id)
        try:
            self.sim.broker.basic_publish(now, ch, "", to, self.sim.body(len(d.body)), props, False)
        except AMQPError:
            pass

    def _next(self) -> None:
        self.busy = None
        self.busy_ev = None
        self.busy_ch = None
        if self.buffer:
            self._start(self.buffer.popleft())
        else:
            self._idle()

    def _idle(self) -> None:
        sim = self.sim
        if sim.drain and sim.producers_active == 0:
            sim.check_drained()

    def on_blocked(self, gen: int, reason: str | None) -> None:
        if reason is None and self.stalled and self.busy is not None:
            self.stalled = False
            self._finish(self.sim.env.now, self.busy)
            self._next()

    def set_slow(self, factor: float, on: bool) -> None:
        if on:
            self.slow.append(factor)
        else:
            self.slow.remove(factor)
        f = 1.0
        for x in self.slow:
            f *= x
        self.factor = f

    # ------------------------------------------------------------------ losing it
    def channel_gone(self, now: float, why: str) -> None:
        self._drop(now, crashed=False, why=why)

    def _drop(self, now: float, crashed: bool, why: str) -> None:
        """The client library forgets its buffer; a crash also aborts the message in hand.
        ``why`` is the reason of the auto-ack copies ``Lost`` with them."""
        lost = []
        if crashed and self.busy is not None:
            lost.append(self.busy)
            self.busy = self.busy_ev = self.busy_ch = None
            self.stalled = False
        if self.auto:
            lost.extend(self.buffer)
        self.buffer.clear()
        if self.auto:
            for d in lost:
                self.sim.emit(Lost(now, self.name, d.msg_id, d.copy, d.queue, why))

    def crash(self, now: float, restart_after: float | None) -> None:
        """The worker process dies; it comes back after ``restart_after`` (None: never)."""
        if self.stopped:
            return
        self._drop(now, crashed=True, why="crash")
        self.up = False
        self.drop_connection(now, "client crashed: connection reset")
        if restart_after is None:
            self.stopped = True
        else:
            self.sim.call_later(restart_after, lambda: self.connect(self.sim.env.now))

    def connection_loss(self, now: float, downtime: float) -> None:
        """A network outage of ``downtime`` seconds on this consumer's connection."""
        if not self.up:
            return
        self._drop(now, crashed=False, why="connection_lost")
        self.up = False
        self.drop_connection(now, "connection lost (network)")
        self.sim.call_later(downtime, lambda: self.connect(self.sim.env.now))
