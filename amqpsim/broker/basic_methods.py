"""basic.qos/consume/cancel/get/ack/nack/reject/recover, confirm.select and tx.*.

Mixed into :class:`Broker`. Publishing lives in :mod:`.publishing`.
"""

from __future__ import annotations

from .channel import Channel
from .connection import command
from .core import BrokerCore
from .errors import AMQPError, ChannelError
from .message import Delivery
from .publish import PublishOutcome


class BasicMethods(BrokerCore):
    @command("basic.qos")
    def basic_qos(self, now: float, ch: Channel, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False) -> None:
        ch.qos(now, prefetch_size, prefetch_count, global_qos)

    @command("basic.consume")
    def basic_consume(self, now: float, ch: Channel, queue: str, consumer_tag: str = "",
                      no_ack: bool = False, exclusive: bool = False, arguments: dict | None = None) -> str:
        q = self.vhost.queue(ch, queue, "basic.consume")
        return ch.consume(now, q, consumer_tag, no_ack, exclusive, arguments)

    @command("basic.cancel")
    def basic_cancel(self, now: float, ch: Channel, consumer_tag: str) -> None:
        ch.cancel(now, consumer_tag)

    @command("basic.get")
    def basic_get(self, now: float, ch: Channel, queue: str, no_ack: bool = False) -> Delivery | None:
        return ch.get(now, self.vhost.queue(ch, queue, "basic.get"), no_ack)

    def basic_ack(self, now: float, ch: Channel, delivery_tag: int = 0, multiple: bool = False) -> None:
        try:  # what @command("basic.ack") does, spelled out (see .connection)
            ch.ack(now, delivery_tag, multiple)
        except AMQPError as err:
            self.command_failed(now, ch, err, "basic.ack")
            raise

    @command("basic.nack")
    def basic_nack(self, now: float, ch: Channel, delivery_tag: int = 0, multiple: bool = False,
                   requeue: bool = True) -> None:
        ch.nack(now, delivery_tag, multiple, requeue, "basic.nack")

    @command("basic.reject")
    def basic_reject(self, now: float, ch: Channel, delivery_tag: int, requeue: bool = True) -> None:
        ch.nack(now, delivery_tag, False, requeue, "basic.reject")

    @command("basic.recover")
    def basic_recover(self, now: float, ch: Channel, requeue: bool = True) -> None:
        ch.recover(now, requeue)

    @command("confirm.select")
    def confirm_select(self, now: float, ch: Channel) -> None:
        ch.select_confirm()

    # ---------------------------------------------------------------- transactions
    @command("tx.select")
    def tx_select(self, now: float, ch: Channel) -> None:
        ch.select_tx()

    @command("tx.commit")
    def tx_commit(self, now: float, ch: Channel) -> list[PublishOutcome]:
        """Apply the buffered publishes, then the buffered acks/nacks/rejects.

        A queue refusing a message (reject-publish) ends the commit with the channel
        error 406 "partial tx completion"; everything else has been applied.
        """
        outcomes = []
        for p in ch.take_publishes():
            out = self._publish(now, ch, *p)
            assert out is not None  # (asked for: outcome=True)
            outcomes.append(out)
        ch.commit_settlements(now)
        if any(o.refused for o in outcomes):
            raise ChannelError(406, "partial tx completion")
        return outcomes

    @command("tx.rollback")
    def tx_rollback(self, now: float, ch: Channel) -> None:
        """Drop the buffered publishes; buffered acks are undone (the deliveries stay unacked)."""
        ch.rollback()
