"""Publishing: basic.publish, tx.commit's publishes and dead-letter republishing.

A :class:`Publisher` turns a publish into a :class:`~.message.Message` (it owns the
message ids), routes it over the vhost's topology (E2E bindings, alternate
exchanges, CC/BCC keys: :mod:`.property_checks`) and offers a copy to every queue reached; then comes the
return (``mandatory``) and the publisher confirm. A dead-lettered copy goes the
same way from its queue's dead-letter exchange, with no ``mandatory`` flag, no
return and no confirm, and without the copies that would close a fully automatic
dead-letter cycle. :class:`PublishOutcome` is what basic.publish reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..trace.events import (
    Confirmed,
    EventKind,
    Published,
    Returned,
    Routed,
    Sink,
    Unroutable,
    new_record,
)
from .deadletter import dead_lettered_message, drop_cycles, timestamp
from .errors import AMQPError, ChannelError, ConnectionError_, not_found_exchange, x_res
from .message import EMPTY_PROPERTIES, Entry, Message, Properties
from .message import Returned as BasicReturn
from .property_checks import check_user_id, sender_selected
from .replyto import REPLY_QUEUE, DirectReplyTo

#: the kind of a per-message record, read once (an enum member costs ~0.14 us a lookup)
_PUBLISH = EventKind.PUBLISH
if TYPE_CHECKING:
    from .channel import Channel
    from .queue import Queue
    from .topology import Topology

__all__ = ["PublishOutcome", "Publisher", "check_expiration"]

MAX_EXPIRY_MS = 315_360_000_000


@dataclass(slots=True, init=False)
class PublishOutcome:
    """What basic.publish did: the queues reached, refusals, return and confirm."""

    msg_id: int
    seq: int  # publisher-confirm sequence number (0 when confirms are off)
    queues: tuple[str, ...]
    refused: list[str]  # queues that refused (reject-publish)
    returned: bool
    confirm: str | None  # "ack" | "nack" | None
    pending: bool  # buffered in a transaction until tx.commit

    def __init__(self, msg_id: int, seq: int, queues: tuple[str, ...], refused: list[str] | None = None,
                 returned: bool = False, confirm: str | None = None, pending: bool = False) -> None:
        # written out (not generated): a generated __init__ calls a factory for ``refused``
        self.msg_id = msg_id
        self.seq = seq
        self.queues = queues
        self.refused = [] if refused is None else refused
        self.returned = returned
        self.confirm = confirm
        self.pending = pending

    @property
    def routed(self) -> bool:
        return bool(self.queues)


class Publisher:
    """Owns the message ids; routes over ``topology`` and emits into ``sink``. A refused
    publish is handed to ``failed`` (the broker closes the channel or the connection)
    before it is raised."""

    def __init__(self, topology: Topology, sink: Sink,
                 failed: Callable[[float, Channel, AMQPError, str], None]) -> None:
        self.topology = topology
        self.sink = sink
        self.emit = sink.emit
        self.failed = failed
        self.msg_ids = 0
        #: direct reply-to (the broker sets it): requests' reply_to rewritten, replies delivered
        self.replies: DirectReplyTo | None = None
        #: in a cluster (:class:`.cluster.Cluster`): which queues a publish reaches now, which
        #: refuse it and which hold it (and its confirm) until they can take it
        self.cluster: Any = None

    def publish(self, now: float, ch: Channel, exchange: str, routing_key: str, body: bytes | str = b"",
                properties: Properties | None = None, mandatory: bool = False, immediate: bool = False,
                logical_id: Any = None, outcome: bool = True) -> PublishOutcome | None:
        """basic.publish: :meth:`.Broker.basic_publish` is this method (the broker's own
        wrapper would be one more call per message, about 1 % of a run)."""
        try:  # what @command("basic.publish") does, spelled out: this runs per message
            if immediate:
                raise ConnectionError_(540, "immediate=true")
            x = self.topology.exchanges.get(exchange)
            if x is None:
                raise not_found_exchange(exchange, "basic.publish")
            if x.internal:
                raise ChannelError(403, f"cannot publish to internal {x_res(exchange)}")
            props = properties if properties is not None else EMPTY_PROPERTIES
            if props.reply_to == REPLY_QUEUE:  # a direct reply-to request: the channel's opaque name
                props = props.copy(reply_to=DirectReplyTo.request_reply_to(ch))
            if props.user_id is not None:
                check_user_id(props, ch.connection.user)
            ttl_ms = None if props.expiration is None else check_expiration(props.expiration)
            if props.headers:
                props, rks, death_keys = sender_selected(routing_key, props)
            else:
                rks = death_keys = (routing_key,)
            if isinstance(body, str):
                body = body.encode()
            self.msg_ids += 1
            msg = Message(self.msg_ids, exchange, routing_key, body, props, now, rks, death_keys, logical_id)
            if ch.tx_mode:
                ch.buffer_publish(msg, ttl_ms, mandatory)
                return PublishOutcome(msg.id, 0, (), pending=True)
            return self.route(now, ch, msg, ttl_ms, mandatory, outcome)
        except AMQPError as err:
            self.failed(now, ch, err, "basic.publish")
            raise

    def route(self, now: float, ch: Channel, msg: Message, ttl_ms: int | None,
              mandatory: bool, outcome: bool = True) -> PublishOutcome | None:
        """Route ``msg`` and offer it to the queues; then the return and the confirm."""
        emit = self.emit
        seq = ch.next_publish_seq() if ch.confirm_mode else 0
        exchange, routing_key = msg.exchange, msg.routing_key
        emit(new_record(Published, (now, ch.actor, ch.id, msg.id, exchange, routing_key, seq or None, msg.size,
                                    _PUBLISH)))
        targets = self.topology.route(exchange, msg.routing_keys, msg.properties.headers)
        refused: list[str] | None = None
        held = None
        if self.cluster is not None and targets:
            targets, refused, held = self.cluster.admit(now, ch, msg, ttl_ms, targets, seq)
        returned = False
        replies = self.replies
        if not exchange and replies is not None and replies.by_name:
            replied = replies.deliver(now, msg, self.sink.routes)  # a side effect of the routing
        else:
            replied = False
        if held is not None:
            if targets and self.sink.routes:
                emit(Routed(now, msg.id, exchange, routing_key, tuple(targets), False))
            for name in targets:
                if not self.topology.queues[name].offer(now, msg, ttl_ms, ch):
                    held.refused.append(name)
            held.offered = True  # the cluster confirms it once the held queues have it
            return None if not outcome else PublishOutcome(msg.id, seq, tuple(targets), held.refused)
        if not targets:
            if refused:  # (a cluster: every queue it routes to refused it: a nack, no return)
                pass
            elif not replied:
                emit(Unroutable(now, ch.actor, msg.id, exchange, routing_key, False, "no_route"))
            if mandatory and not refused:
                returned = True
                emit(Returned(now, ch.actor, ch.id, msg.id, exchange, routing_key, 312))
                ch.on_return(BasicReturn(312, "NO_ROUTE", exchange, routing_key, msg.properties, msg.body, msg.id))
        else:
            if self.sink.routes:
                emit(Routed(now, msg.id, exchange, routing_key, tuple(targets), False))
            queues = self.topology.queues
            for name in targets:
                if not queues[name].offer(now, msg, ttl_ms, ch):
                    if refused is None:
                        refused = []
                    refused.append(name)
        confirm = None
        if seq:
            confirm = "nack" if refused else "ack"
            emit(Confirmed(now, ch.actor, ch.id, msg.id, seq, not refused))
            ch.on_confirm(seq, not refused, False)
        if not outcome:
            return None
        return PublishOutcome(msg.id, seq, tuple(targets), refused, returned, confirm)

    def commit(self, now: float, ch: Channel) -> list[PublishOutcome]:
        """tx.commit: the buffered publishes, then the buffered acks/nacks/rejects.

        A queue refusing a message (reject-publish) ends the commit with the channel
        error 406 "partial tx completion"; everything else has been applied.
        """
        outcomes = []
        for p in ch.take_publishes():
            out = self.route(now, ch, *p)
            assert out is not None  # (asked for: outcome=True)
            outcomes.append(out)
        ch.commit_settlements(now)
        if any(o.refused for o in outcomes):
            raise ChannelError(406, "partial tx completion")
        return outcomes

    def dead_letter(self, now: float, source: Queue, e: Entry, reason: str, epoch: float) -> bool:
        """Republish a dead-lettered copy to the source queue's DLX (no confirm);
        ``epoch`` dates the x-death record. True when some queue took it (an
        at-least-once source holds it otherwise)."""
        s = source.settings
        dlx = s.dlx
        assert dlx is not None
        msg = dead_lettered_message(e.msg, source.name, reason, dlx, s.dlrk, timestamp(epoch, now))
        topo = self.topology
        if dlx not in topo.exchanges:
            self.emit(Unroutable(now, None, msg.id, dlx, msg.routing_key, True, "no_exchange"))
            return False
        targets = topo.route(dlx, msg.routing_keys, msg.properties.headers)
        targets, cycling = drop_cycles(reason, msg, targets)
        replies = self.replies
        # a dead-letter republish to the default exchange reaches a reply consumer too (3.10.8)
        replied = not dlx and replies is not None and bool(replies.by_name) and \
            replies.deliver(now, msg, self.sink.routes)
        if cycling:
            self.emit(Unroutable(now, None, msg.id, dlx, msg.routing_key, True, "cycle"))
        if not targets:
            if not cycling and not replied:
                self.emit(Unroutable(now, None, msg.id, dlx, msg.routing_key, True, "no_route"))
            return False
        if self.sink.routes:
            self.emit(Routed(now, msg.id, dlx, msg.routing_key, tuple(targets), True))
        taken = False
        for name in targets:
            taken = topo.queues[name].offer(now, msg, None) or taken
        return taken


# ---------------------------------------------------------------- a publish's properties
def check_expiration(value: Any) -> int | None:
    """Per-message TTL in ms; a bad value is a 406 as in ``rabbit_basic:parse_expiration``."""
    if value is None:
        return None
    text = value.decode() if isinstance(value, bytes) else str(value)
    digits = text.lstrip("+-")
    head = len(text) - len(digits)
    n = 0
    while n < len(digits) and digits[n].isdigit():
        n += 1
    if n == 0:
        reason = "no_integer"
    elif n < len(digits):
        reason = f'{{leftover_string,"{digits[n:]}"}}'
    else:
        ms = int(text[: head + n])
        if ms < 0:
            reason = f"{{value_negative,{ms}}}"
        elif ms > MAX_EXPIRY_MS:
            reason = f"{{value_too_large,{ms},{MAX_EXPIRY_MS}}}"
        else:
            return ms
    raise ChannelError(406, f"invalid expiration '{text}': {reason}", "basic.publish")

