"""basic.qos/consume/cancel/get/ack/nack/reject/recover, confirm.select and tx.*.

Mixed into :class:`Broker`. Publishing lives in :mod:`.publishing`.
"""

from __future__ import annotations

from ..trace.events import ConsumerCancelled, ConsumerStarted, QosSet
from .connection import command
from .consumer import Channel, Consumer
from .core import BrokerCore
from .errors import AMQPError, ChannelError, ConnectionError_, q_res
from .message import Delivery
from .publish import PublishOutcome


class BasicMethods(BrokerCore):
    @command("basic.qos")
    def basic_qos(self, now: float, ch: Channel, prefetch_size: int = 0, prefetch_count: int = 0,
                  global_qos: bool = False) -> None:
        if prefetch_size:
            raise ConnectionError_(540, f"prefetch_size!=0 ({prefetch_size})")
        if global_qos and self.version.startswith("3."):
            ch.global_prefetch = prefetch_count
            for q in dict.fromkeys(c.queue for c in ch.consumers.values()):
                q.dispatch(now)
        else:
            ch.prefetch_count = prefetch_count
        self.emit(QosSet(now, ch.actor, ch.id, prefetch_count, global_qos))

    @command("basic.consume")
    def basic_consume(self, now: float, ch: Channel, queue: str, consumer_tag: str = "",
                      no_ack: bool = False, exclusive: bool = False, arguments: dict | None = None) -> str:
        q = self._queue(ch, queue, "basic.consume")
        if consumer_tag in ch.consumers:
            raise ConnectionError_(530, f"attempt to reuse consumer tag '{consumer_tag}'")
        if q.is_quorum:
            if ch.global_prefetch:
                raise ConnectionError_(540, f"{q_res(q.name)} does not support global qos")
            exclusive = False  # quorum queues ignore the flag
        elif (exclusive and (q.consumers or q.settings.single_active)) or any(c.exclusive for c in q.consumers):
            raise ChannelError(403, f"{q_res(q.name)} in exclusive use")
        tag = consumer_tag or self._token("amq.ctag-")
        arguments = dict(arguments or {})
        c = Consumer(tag, ch, q, no_ack=no_ack, prefetch=ch.prefetch_count,
                     priority=int(arguments.get("x-priority", 0)), exclusive=exclusive, arguments=arguments)
        ch.consumers[tag] = c
        self.emit(ConsumerStarted(now, ch.actor, ch.id, q.name, tag, no_ack, c.prefetch))
        q.add_consumer(now, c)
        return tag

    @command("basic.cancel")
    def basic_cancel(self, now: float, ch: Channel, consumer_tag: str) -> None:
        c = ch.consumers.get(consumer_tag)
        if c is not None:
            self._remove_consumer(now, c, notify=False)

    def _remove_consumer(self, now: float, c: Consumer, notify: bool) -> None:
        """Forget a consumer; ``notify``: the broker cancels it (queue deleted)."""
        ch = c.channel
        ch.consumers.pop(c.tag, None)
        self.emit(ConsumerCancelled(now, ch.actor, ch.id, c.queue.name, c.tag, "broker" if notify else "client"))
        if notify:
            ch.on_cancel(c.tag)
        if not c.queue.deleted:
            c.queue.remove_consumer(now, c)

    @command("basic.get")
    def basic_get(self, now: float, ch: Channel, queue: str, no_ack: bool = False) -> Delivery | None:
        q = self._queue(ch, queue, "basic.get")
        if q.is_quorum and q.settings.single_active:
            raise ChannelError(405, f"cannot obtain access to locked {q_res(q.name)}. basic.get operations "
                                    "are not supported by quorum queues with single active consumer")
        e = q.get(now)
        if e is None:
            return None
        return ch.deliver(now, q, None, e, message_count=q.message_count(), get_no_ack=no_ack)

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
        if not requeue:
            raise ConnectionError_(540, "requeue=false")
        ch.requeue_all(now, "recover")

    @command("confirm.select")
    def confirm_select(self, now: float, ch: Channel) -> None:
        if ch.tx_mode:
            raise ChannelError(406, "cannot switch from tx to confirm mode")
        ch.confirm_mode = True

    # ---------------------------------------------------------------- transactions
    @command("tx.select")
    def tx_select(self, now: float, ch: Channel) -> None:
        if ch.confirm_mode:
            raise ChannelError(406, "cannot switch from confirm to tx mode")
        ch.tx_mode = True

    @command("tx.commit")
    def tx_commit(self, now: float, ch: Channel) -> list[PublishOutcome]:
        """Apply the buffered publishes, then the buffered acks/nacks/rejects.

        A queue refusing a message (reject-publish) ends the commit with the channel
        error 406 "partial tx completion"; everything else has been applied.
        """
        if not ch.tx_mode:
            raise ChannelError(406, "channel is not transactional")
        pending, ch.tx_publishes = ch.tx_publishes, []
        outcomes = []
        for p in pending:
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
        if not ch.tx_mode:
            raise ChannelError(406, "channel is not transactional")
        ch.tx_publishes = []
        ch.rollback_settlements()
