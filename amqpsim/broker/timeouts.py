"""Timeouts: a channel's delivery-acknowledgement timeout, a queue's TTL and expiry.

Each object here owns the state of its timers (when the scheduled check fires, what
time it counts from) and puts its checks in the broker's timer heap; when one fires
it asks its channel or queue to act.

RabbitMQ 3.10 closes a channel with 406 when a delivery stays unacknowledged longer
than ``consumer_timeout``. It checks on the channel's periodic tick (every 60 s,
measured on 3.10.8: a 2 s timeout closed the channel 60 s after the delivery), not at
the exact instant; ``consumer_timeout_interval=0`` checks at the exact instant.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..trace.events import ProtocolError
from .errors import ChannelError

if TYPE_CHECKING:
    from .channel import Channel
    from .queue import Queue

__all__ = ["AckTimeout", "QueueTimeouts"]


class AckTimeout:
    """Owns when the channel opened (the ticks count from there) and the time of the
    one check it has scheduled (``armed``; None: none is). Reads the timeout and the
    tick interval from the broker at each check (they may be changed at run time)."""

    __slots__ = ("channel", "opened_at", "armed")

    def __init__(self, channel: Channel, opened_at: float) -> None:
        self.channel = channel
        self.opened_at = opened_at
        self.armed: float | None = None

    def arm(self, now: float) -> None:
        """A delivery is unacked: check when the oldest one would time out."""
        ch = self.channel
        timeout = ch.host.consumer_timeout
        if timeout is None or self.armed is not None:
            return
        first = next(iter(ch.unacked.values()))
        self._schedule(first.delivered_at + timeout)

    def _schedule(self, due: float) -> None:
        self.armed = self._check_at(due)
        self.channel.host.schedule(self.armed, self._on_check, self._matters)

    def _check_at(self, due: float) -> float:
        """The channel tick at or after ``due``."""
        every = self.channel.host.consumer_timeout_interval
        if not every:
            return due
        ticks = math.ceil((due - self.opened_at) / every - 1e-9)
        return self.opened_at + max(ticks, 1) * every

    def _matters(self) -> bool:
        ch = self.channel
        if ch.is_open and ch.unacked:
            return True
        self.armed = None  # dropped: the next delivery arms a fresh check
        return False

    def _on_check(self, now: float) -> None:
        self.armed = None
        ch = self.channel
        timeout = ch.host.consumer_timeout
        if not ch.is_open or not ch.unacked or timeout is None:
            return
        oldest = min(u.delivered_at for u in ch.unacked.values())
        if now >= oldest + timeout:
            err = ChannelError(406, f"delivery acknowledgement on channel {ch.number} timed out. Timeout "
                                    f"value used: {int(timeout * 1000)} ms. This timeout value can be "
                                    "configured, see consumers doc guide to learn more")
            ch.host.emit(ProtocolError(now, ch.actor, ch.id, 406, err.reply_text, "channel", None))
            ch.close_by_broker(now, err)
        else:
            self._schedule(oldest + timeout)


class QueueTimeouts:
    """A queue's two timers. Message TTL: ``armed_ttl`` is when the one scheduled check
    of the head fires (an earlier head arms an earlier one). Queue expiry
    (``x-expires``): counted from ``last_used``, the last declare, get or consumer
    leaving; the queue is deleted when unused that long with no consumer."""

    __slots__ = ("queue", "armed_ttl", "last_used")

    def __init__(self, queue: Queue, now: float) -> None:
        self.queue = queue
        self.armed_ttl: float | None = None
        self.last_used = now

    # ---------------------------------------------------------------- message TTL
    def arm_ttl(self, when: float) -> None:
        """The head expires at ``when``: check then (unless a check comes earlier)."""
        if self.armed_ttl is None or when < self.armed_ttl:
            self.armed_ttl = when
            self.queue.host.schedule(when, self._on_ttl)

    def _on_ttl(self, now: float) -> None:
        if self.armed_ttl is not None and now >= self.armed_ttl:
            self.armed_ttl = None
        if not self.queue.deleted:
            self.queue.expire_head(now)

    # ---------------------------------------------------------------- queue expiry
    def touch(self, now: float) -> None:
        """A declare, a get or the last consumer leaving: the queue counts as used."""
        self.last_used = now
        self.arm_expiry(now)

    def arm_expiry(self, now: float) -> None:
        q = self.queue
        if q.settings.expires is not None and not q.consumers:
            when = self.last_used + q.settings.expires
            q.host.schedule(when, self._on_expiry, lambda: self._expiry_due_at(when))

    def _expiry_due_at(self, when: float) -> bool:
        """Whether a queue-expiry timer for ``when`` is still the current one."""
        q = self.queue
        exp = q.settings.expires
        return not q.deleted and exp is not None and not q.consumers and when >= self.last_used + exp

    def _on_expiry(self, now: float) -> None:
        q = self.queue
        exp = q.settings.expires
        if q.deleted or exp is None or q.consumers:
            return
        if now >= self.last_used + exp:
            q.host.delete_queue(now, q, reason="expires")

    def restart(self, now: float) -> None:
        """The node is back: the TTL check is armed afresh, the expiry counts from now."""
        self.armed_ttl = None
        self.touch(now)
