"""A stateful Hypothesis test of the broker: conservation and delivery-tag invariants.

Random sequences of topology changes, publishes, gets, consumes, settlements,
channel/connection closes, purges, deletes and clock advances. After every step
every routed copy must be in exactly one place (ready, unacked, or settled by one
terminal event) and delivery tags must be unique (strictly increasing) per channel.
"""

from __future__ import annotations

from typing import Any

from broker_helpers import assert_conservation
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from amqpsim.broker import AMQPError, Broker, Channel, Properties
from amqpsim.trace.events import Delivered

# Hypothesis shrinks toward the first element of a sampled_from: the productive choices come first.
QUEUES = ["q0", "q1", "q2", "dlq"]
EXCHANGES = ["x-fanout", "x-topic", "x-direct"]
KEYS = ["q0", "a.b", "q1", "a", "b", "q2", "dlq", ""]
QUEUE_ARGS = st.fixed_dictionaries({}, optional={
    "x-message-ttl": st.sampled_from([2000, 500, 0]),
    "x-max-length": st.sampled_from([3, 1, 5, 0]),
    "x-overflow": st.sampled_from(["drop-head", "reject-publish", "reject-publish-dlx"]),
    "x-dead-letter-exchange": st.sampled_from(["", "x-fanout", "missing"]),
    "x-max-priority": st.integers(1, 3),
    "x-single-active-consumer": st.booleans(),
})


class BrokerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.broker = Broker(consumer_timeout=30.0)
        self.now = 0.0
        self.channels: list[Channel] = []
        self.seen = 0  # events checked so far
        self.last_tag: dict[str, int] = {}
        self.open_channel()

    # ------------------------------------------------------------ helpers
    def open_channel(self, new_connection: bool = False) -> Channel:
        live = [c for c in self.broker.connections.values() if c.is_open]
        conn = live[0] if live and not new_connection else self.broker.connection_open(self.now)
        ch = self.broker.channel_open(self.now, conn)
        self.channels.append(ch)
        return ch

    def pick(self, i: int) -> Channel:
        self.channels = [c for c in self.channels if c.is_open]
        if not self.channels:
            self.open_channel()
        return self.channels[i % len(self.channels)]

    def do(self, method: str, i: int, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.broker, method)(self.now, self.pick(i), *args, **kwargs)
        except AMQPError:
            return None

    # ------------------------------------------------------------ topology
    @initialize(args=st.lists(QUEUE_ARGS, min_size=len(QUEUES), max_size=len(QUEUES)),
                quorum=st.lists(st.booleans(), min_size=len(QUEUES), max_size=len(QUEUES)))
    def setup(self, args: list[dict], quorum: list[bool]) -> None:
        for name in EXCHANGES:
            self.do("exchange_declare", 0, name, name.split("-")[1], durable=True)
        for name, a, qq in zip(QUEUES, args, quorum, strict=True):
            self.declare_queue(name, a, 0, False, False, qq)
            self.do("queue_bind", 0, name, "x-fanout", "")
            self.do("queue_bind", 0, name, "x-topic", "a.#")

    @rule(name=st.sampled_from(QUEUES), args=QUEUE_ARGS, i=st.integers(0, 5), exclusive=st.booleans(),
          auto_delete=st.booleans(), quorum=st.booleans())
    def declare_queue(self, name: str, args: dict, i: int, exclusive: bool, auto_delete: bool,
                      quorum: bool) -> None:
        if name in self.broker.queues:  # a redeclare with other arguments would only be a 406
            return
        if quorum:
            args = {k: v for k, v in args.items() if k not in ("x-max-priority",)}
            args.update({"x-queue-type": "quorum", "x-delivery-limit": 2})
            exclusive = auto_delete = False
        if args.get("x-dead-letter-exchange") == "":
            args["x-dead-letter-routing-key"] = "dlq"
        self.do("queue_declare", i, name, durable=quorum or not exclusive, exclusive=exclusive,
                auto_delete=auto_delete, arguments=args)

    @rule(q=st.sampled_from(QUEUES), x=st.sampled_from(EXCHANGES), key=st.sampled_from(["#", "*.b", *KEYS]),
          i=st.integers(0, 5), unbind=st.booleans())
    def bind(self, q: str, x: str, key: str, i: int, unbind: bool) -> None:
        self.do("queue_unbind" if unbind else "queue_bind", i, q, x, key)

    @rule(src=st.sampled_from(EXCHANGES), dst=st.sampled_from(EXCHANGES), i=st.integers(0, 5))
    def bind_exchanges(self, src: str, dst: str, i: int) -> None:
        self.do("exchange_bind", i, dst, src, "a")

    @rule(q=st.sampled_from(QUEUES), i=st.integers(0, 5), if_empty=st.integers(0, 3))
    def delete_queue(self, q: str, i: int, if_empty: int) -> None:
        self.do("queue_delete", i, q, if_empty=if_empty == 0)

    @rule(q=st.sampled_from(QUEUES), i=st.integers(0, 5))
    def purge(self, q: str, i: int) -> None:
        self.do("queue_purge", i, q)

    @rule(ttl=st.sampled_from([None, 1000, 0]), max_length=st.sampled_from([None, 2, 1]))
    def policy(self, ttl: int | None, max_length: int | None) -> None:
        d = {k: v for k, v in (("message-ttl", ttl), ("max-length", max_length)) if v is not None}
        if d:
            self.broker.set_policy(self.now, "p", "^q[01]", d)
        else:
            self.broker.clear_policy(self.now, "p")

    # ------------------------------------------------------------ messages
    @rule(x=st.sampled_from([*EXCHANGES, "", *EXCHANGES, "", "missing"]), key=st.sampled_from(KEYS),
          i=st.integers(0, 5), expiration=st.sampled_from([None, None, None, "0", "300", "bad"]),
          priority=st.sampled_from([None, 0, 2, 9]),
          cc=st.booleans(), mandatory=st.booleans(), persistent=st.booleans(), n=st.integers(1, 4))
    def publish(self, x: str, key: str, i: int, expiration: str | None, priority: int | None, cc: bool,
                mandatory: bool, persistent: bool, n: int) -> None:
        headers = {"CC": ["q1", "a"]} if cc else None
        props = Properties(expiration=expiration, priority=priority, headers=headers,
                           delivery_mode=2 if persistent else 1)
        for _ in range(n):
            if self.do("basic_publish", i, x, key, b"body", props, mandatory=mandatory) is None:
                break  # the channel was closed by an error

    def busy(self, q: str, j: int) -> str:
        """``q``, or (j > 0) one of the queues holding ready messages."""
        full = sorted(n for n, x in self.broker.queues.items() if x.message_count())
        return full[j % len(full)] if full and j else q

    @rule(q=st.sampled_from(QUEUES), i=st.integers(0, 5), no_ack=st.booleans(), n=st.integers(1, 3),
          j=st.integers(0, 3))
    def get(self, q: str, i: int, no_ack: bool, n: int, j: int) -> None:
        q = self.busy(q, j + 1)
        for _ in range(n):
            ch = self.pick(i)
            self.do("basic_get", i, q, no_ack=no_ack)
            if not ch.is_open:
                break

    @rule(q=st.sampled_from(QUEUES), i=st.integers(0, 5), no_ack=st.booleans(), prefetch=st.integers(0, 3),
          priority=st.integers(0, 2), glob=st.booleans(), j=st.integers(0, 3))
    def consume(self, q: str, i: int, no_ack: bool, prefetch: int, priority: int, glob: bool, j: int) -> None:
        q = self.busy(q, j)
        self.do("basic_qos", i, prefetch_count=prefetch, global_qos=glob and prefetch > 0)
        self.do("basic_consume", i, q, no_ack=no_ack, arguments={"x-priority": priority})

    @rule(i=st.integers(0, 5), j=st.integers(0, 10))
    def cancel(self, i: int, j: int) -> None:
        ch = self.pick(i)
        if ch.consumers:
            tags = sorted(ch.consumers)
            self.do("basic_cancel", i, tags[j % len(tags)])

    @rule(i=st.integers(0, 5), j=st.integers(0, 20), how=st.sampled_from(["nack", "ack", "reject"]),
          multiple=st.booleans(), requeue=st.booleans(), bogus=st.integers(0, 7))
    def settle(self, i: int, j: int, how: str, multiple: bool, requeue: bool, bogus: int) -> None:
        self.pick(i)
        holding = [c for c in self.channels if c.unacked] or self.channels
        ch = holding[i % len(holding)]
        i = self.channels.index(ch)
        tags = sorted(ch.unacked)
        wrong = bogus == 7  # now and then an unknown tag (406)
        if not tags and not wrong:
            return
        tag = (ch.next_tag + 1 + j) if wrong else tags[j % len(tags)]
        if how == "ack":
            self.do("basic_ack", i, tag, multiple=multiple)
        elif how == "nack":
            self.do("basic_nack", i, tag, multiple=multiple, requeue=requeue)
        else:
            self.do("basic_reject", i, tag, requeue=requeue)

    @rule(i=st.integers(0, 5))
    def recover(self, i: int) -> None:
        self.do("basic_recover", i, requeue=True)

    @rule(i=st.integers(0, 5), tx=st.booleans())
    def mode(self, i: int, tx: bool) -> None:
        ch = self.pick(i)
        if not (ch.tx_mode or ch.confirm_mode):
            self.do("tx_select" if tx else "confirm_select", i)

    @rule(i=st.integers(0, 5), commit=st.booleans())
    def finish_tx(self, i: int, commit: bool) -> None:
        if self.pick(i).tx_mode:
            self.do("tx_commit" if commit else "tx_rollback", i)

    # ------------------------------------------------------------ lifecycle
    @rule(new_connection=st.booleans())
    def open(self, new_connection: bool) -> None:
        self.open_channel(new_connection)

    @rule(i=st.integers(0, 5), how=st.integers(0, 3))
    def close(self, i: int, how: int) -> None:
        ch = self.pick(i)
        if how == 3:
            self.broker.close_connection(self.now, ch.connection)
        else:
            self.broker.channel_close(self.now, ch)

    @rule(dt=st.sampled_from([0.1, 0.5, 1.0, 5.0, 40.0]), restart=st.integers(0, 15))
    def advance(self, dt: float, restart: int) -> None:
        restart = (restart + 1) % 16  # 0 is what Hypothesis draws most
        self.now += dt
        self.broker.advance(self.now)
        if restart == 0:  # now and then a node restart
            self.broker.stop(self.now)
            self.now += 1
            self.broker.start(self.now)
            self.channels = []

    # ------------------------------------------------------------ invariants
    @invariant()
    def conservation(self) -> None:
        assert_conservation(self.broker)

    @invariant()
    def delivery_tags_unique_per_channel(self) -> None:
        events = self.broker.recorder.events
        for ev in events[self.seen:]:
            if type(ev) is Delivered:
                assert ev.delivery_tag > self.last_tag.get(ev.channel, 0), ev
                self.last_tag[ev.channel] = ev.delivery_tag
        self.seen = len(events)
        for conn in self.broker.connections.values():
            for ch in conn.channels.values():
                assert all(0 < t <= ch.next_tag for t in ch.unacked)


BrokerMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)
TestBroker = BrokerMachine.TestCase
