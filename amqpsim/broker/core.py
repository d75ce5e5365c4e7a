"""The broker's state and clock plumbing, shared by the method mixins of :class:`Broker`.

Each AMQP class's methods live in their own mixin module; they all derive from
:class:`BrokerCore`, which holds the vhost state, the event sink and the timer
heap, and declares (for type checkers) the methods the mixins call on each other.

Everything the broker does is told by calling ``self.emit`` with one record of
:mod:`amqpsim.trace.events` (``self.emit(Enqueued(now, ...))``). The sink is
injected (``Broker(recorder)``); a broker made without one keeps its events in an
:class:`~amqpsim.trace.events.EventLog` (``broker.recorder.events``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..trace.events import EventLog, Sink
from .timers import Timers
from .topology import Exchange
from .vhost import VHost

if TYPE_CHECKING:
    from .channel import Channel
    from .connection import Connection
    from .errors import AMQPError
    from .message import Entry, Message
    from .publish import PublishOutcome
    from .queue import Queue


class BrokerCore:
    def __init__(
        self,
        recorder: Sink | None = None,
        *,
        version: str = "3.10",
        consumer_timeout: float | None = 1800.0,
        consumer_timeout_interval: float = 60.0,
        auto_ack_settles: bool = True,
        epoch: float = 1_767_225_600.0,
        seed: int = 0,
    ) -> None:
        self.recorder: Sink = recorder if recorder is not None else EventLog()
        self.emit: Sink = self.recorder
        self.version = version
        self.consumer_timeout = consumer_timeout
        self.consumer_timeout_interval = consumer_timeout_interval  # 0: check at the exact instant
        self.auto_ack_settles = auto_ack_settles
        self.epoch = epoch
        self.rng = random.Random(seed)
        self.timers = Timers()
        self.msg_ids = 0
        self.copy_ids = 0
        self.connections: dict[str, Connection] = {}
        self._conn_seq = 0
        self.running = True
        self.alarm = False
        self.alarm_reason = "low on memory"
        self.vhost = VHost(self, self.token, strict_types=not version.startswith("3."))
        self.topology = self.vhost.topology

    # ================================================================ timers
    def schedule(self, when: float, fn: Callable[[float], None],
                 alive: Callable[[], bool] | None = None) -> None:
        """Call ``fn(when)`` at ``when`` (see :meth:`.Timers.schedule`)."""
        self.timers.schedule(when, fn, alive)

    def next_deadline(self) -> float | None:
        """When the next timer that still matters is due (None: none is)."""
        return self.timers.next_deadline()

    def advance(self, now: float) -> None:
        """Fire every timer due at or before ``now``, each at its own time."""
        self.timers.advance(now)

    @property
    def on_schedule(self) -> Callable[[float], None] | None:
        """Called with ``when`` for every timer scheduled (the driver wakes up then)."""
        return self.timers.on_schedule

    @on_schedule.setter
    def on_schedule(self, fn: Callable[[float], None] | None) -> None:
        self.timers.on_schedule = fn

    def token(self, prefix: str) -> str:
        """A server-generated name (``amq.gen-...``, ``amq.ctag-...``) from the seeded RNG."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(22))

    # ================================================================ queries
    @property
    def queues(self) -> dict[str, Queue]:
        return self.vhost.queues

    @property
    def exchanges(self) -> dict[str, Exchange]:
        return self.vhost.exchanges

    def next_copy_id(self) -> int:
        self.copy_ids += 1
        return self.copy_ids

    def delete_queue(self, now: float, q: Queue, reason: str, actor: str | None = None) -> int:
        return self.vhost.delete_queue(now, q, reason, actor)

    if TYPE_CHECKING:  # provided by the mixins
        def close_connection(self, now: float, conn: Connection, code: int = 200,
                             text: str = "Normal shutdown", by_broker: bool = False) -> None: ...
        def command_failed(self, now: float, ch: Channel, err: AMQPError, method: str) -> None: ...
        def _publish(self, now: float, ch: Channel, msg: Message, ttl_ms: int | None,
                     mandatory: bool, outcome: bool = True) -> PublishOutcome | None: ...
        def dead_letter(self, now: float, source: Queue, e: Entry, reason: str) -> None: ...
        def reads_publish(self, now: float, conn: Connection) -> bool: ...
