"""basic.publish and dead-letter republishing (mixed into :class:`Broker`).

Both go through the same routing function (E2E bindings, alternate exchanges);
a dead-lettered message has no ``mandatory`` flag, no return and no confirm, and
copies that would close a fully automatic dead-letter cycle are dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..trace.events import Confirmed, Published, Returned, Routed, Unroutable
from . import deadletter
from .channel import Channel
from .core import BrokerCore
from .errors import AMQPError, ChannelError, ConnectionError_, not_found_exchange, x_res
from .message import EMPTY_PROPERTIES, Entry, Message, Properties
from .message import Returned as BasicReturn
from .publish import PublishOutcome, check_expiration, death_keys_of, routing_keys_of

if TYPE_CHECKING:
    from .queue import Queue


class PublishMethods(BrokerCore):
    def basic_publish(self, now: float, ch: Channel, exchange: str, routing_key: str,
                      body: bytes | str = b"", properties: Properties | None = None, mandatory: bool = False,
                      immediate: bool = False, logical_id: Any = None, outcome: bool = True) -> PublishOutcome | None:
        """Publish; in a transaction the message is only buffered (``outcome.pending``) until tx.commit.

        ``outcome=False`` returns None instead of the :class:`PublishOutcome` (outside a
        transaction): for callers that do not read it, such as the simulation's producers
        (it saves building it on the hottest path of a run).
        """
        try:  # what @command("basic.publish") does, spelled out (see .connection): this runs per message
            if immediate:
                raise ConnectionError_(540, "immediate=true")
            x = self.topology.exchanges.get(exchange)
            if x is None:
                raise not_found_exchange(exchange, "basic.publish")
            if x.internal:
                raise ChannelError(403, f"cannot publish to internal {x_res(exchange)}")
            props = properties if properties is not None else EMPTY_PROPERTIES
            ttl_ms = None if props.expiration is None else check_expiration(props.expiration)
            if isinstance(body, str):
                body = body.encode()
            self.msg_ids += 1
            headers = props.headers
            rks = (routing_key,) if not headers else routing_keys_of(routing_key, headers)
            msg = Message(self.msg_ids, exchange, routing_key, body, props, now, rks,
                          rks if len(rks) == 1 else death_keys_of(routing_key, headers), logical_id)
            if ch.tx_mode:
                ch.tx_publishes.append((msg, ttl_ms, mandatory))
                return PublishOutcome(msg.id, 0, (), pending=True)
            return self._publish(now, ch, msg, ttl_ms, mandatory, outcome)
        except AMQPError as err:
            self.command_failed(now, ch, err, "basic.publish")
            raise

    def _publish(self, now: float, ch: Channel, msg: Message, ttl_ms: int | None,
                 mandatory: bool, outcome: bool = True) -> PublishOutcome | None:
        seq = 0
        if ch.confirm_mode:
            ch.publish_seq += 1
            seq = ch.publish_seq
        exchange, routing_key = msg.exchange, msg.routing_key
        self.emit(Published(now, ch.actor, ch.id, msg.id, exchange, routing_key, seq or None, msg.size))
        targets = self.topology.route(exchange, msg.routing_keys, msg.properties.headers)
        refused: list[str] | None = None
        returned = False
        if not targets:
            self.emit(Unroutable(now, ch.actor, msg.id, exchange, routing_key, False, "no_route"))
            if mandatory:
                returned = True
                self.emit(Returned(now, ch.actor, ch.id, msg.id, exchange, routing_key, 312))
                ch.on_return(BasicReturn(312, "NO_ROUTE", exchange, routing_key, msg.properties, msg.body, msg.id))
        else:
            if self.recorder.routes:
                self.emit(Routed(now, msg.id, exchange, routing_key, tuple(targets), False))
            queues = self.topology.queues
            for name in targets:
                if not queues[name].offer(now, msg, ttl_ms):
                    if refused is None:
                        refused = []
                    refused.append(name)
        confirm = None
        if seq:
            confirm = "nack" if refused else "ack"
            self.emit(Confirmed(now, ch.actor, ch.id, msg.id, seq, not refused))
            ch.on_confirm(seq, not refused, False)
        if not outcome:
            return None
        return PublishOutcome(msg.id, seq, tuple(targets), refused, returned, confirm)

    def dead_letter(self, now: float, source: Queue, e: Entry, reason: str) -> None:
        """Republish a dead-lettered copy to the source queue's DLX (at most once, no confirm)."""
        s = source.settings
        dlx = s.dlx
        assert dlx is not None
        msg = deadletter.dead_lettered_message(e.msg, source.name, reason, dlx, s.dlrk,
                                               deadletter.timestamp(self.epoch, now))
        if dlx not in self.exchanges:
            self.emit(Unroutable(now, None, msg.id, dlx, msg.routing_key, True, "no_exchange"))
            return
        targets = self.topology.route(dlx, msg.routing_keys, msg.properties.headers)
        targets, cycling = deadletter.drop_cycles(reason, msg, targets)
        if cycling:
            self.emit(Unroutable(now, None, msg.id, dlx, msg.routing_key, True, "cycle"))
        if not targets:
            if not cycling:
                self.emit(Unroutable(now, None, msg.id, dlx, msg.routing_key, True, "no_route"))
            return
        if self.recorder.routes:
            self.emit(Routed(now, msg.id, dlx, msg.routing_key, tuple(targets), True))
        for name in targets:
            self.queues[name].offer(now, msg, None)
