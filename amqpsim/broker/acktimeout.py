"""The delivery-acknowledgement timeout of one channel (``consumer_timeout``).

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

__all__ = ["AckTimeout"]


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
