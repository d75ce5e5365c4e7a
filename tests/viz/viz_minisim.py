"""A tiny event loop over the pure broker, so the pictures can be tested on real broker events
without the simulation engine: producers, consumers with service times, a crash, an alarm."""

from __future__ import annotations

import heapq
import random
from types import SimpleNamespace

from amqpsim.broker import Broker, Properties
from amqpsim.trace.events import Acked, FaultEnded, FaultStarted


class MiniSim:
    def __init__(self, seed: int = 1) -> None:
        self.broker = Broker(seed=seed, auto_ack_settles=False)
        self.rng = random.Random(seed)
        self.now = 0.0
        self._heap: list = []
        self._n = 0

    def at(self, t: float, fn) -> None:
        self._n += 1
        heapq.heappush(self._heap, (t, self._n, fn))

    def run(self, until: float) -> None:
        b = self.broker
        while True:
            nxt = self._heap[0][0] if self._heap else None
            dl = b.next_deadline()
            if dl is not None and (nxt is None or dl <= nxt) and dl <= until:
                self.now = dl
                b.advance(dl)
                continue
            if nxt is None or nxt > until:
                break
            t, _, fn = heapq.heappop(self._heap)
            self.now = t
            fn(t)
        self.now = until

    # ------------------------------------------------------------------ actors
    def producer(self, name: str, exchange: str, keys: list[str], rate: float, until: float,
                 confirms: bool = True, mandatory: bool = False, props: Properties | None = None) -> None:
        b = self.broker
        conn = b.connection_open(0.0, name)
        ch = b.channel_open(0.0, conn)
        if confirms:
            b.confirm_select(0.0, ch)

        def tick(t: float) -> None:
            if t > until:
                return
            if conn.is_open and not b.alarm:
                b.basic_publish(t, ch, exchange, self.rng.choice(keys), b"x" * 100, props, mandatory=mandatory)
            self.at(t + self.rng.expovariate(rate), tick)

        self.at(self.rng.expovariate(rate), tick)

    def consumer(self, name: str, queue: str, service: float, prefetch: int = 1, no_ack: bool = False,
                 reject_p: float = 0.0):
        b = self.broker
        conn = b.connection_open(0.0, name)
        ch = b.channel_open(0.0, conn)
        b.basic_qos(0.0, ch, prefetch_count=prefetch)
        state = SimpleNamespace(backlog=[], busy=False, conn=conn, ch=ch)

        def start(t: float) -> None:
            if state.busy or not state.backlog or not conn.is_open:
                return
            d = state.backlog.pop(0)
            state.busy = True
            self.at(t + self.rng.expovariate(1.0 / service), lambda t2: finish(t2, d))

        def finish(t: float, d) -> None:
            state.busy = False
            if not conn.is_open:
                return
            if no_ack:  # as the simulation does: an auto-ack copy is settled when processing ends
                b.emit(Acked(t, name, ch.id, d.consumer_tag, d.msg_id, d.copy, queue, d.delivery_tag,
                             multiple=False, auto=True))
            else:
                if self.rng.random() < reject_p:
                    b.basic_reject(t, ch, d.delivery_tag, requeue=False)
                else:
                    b.basic_ack(t, ch, d.delivery_tag)
            start(t)

        def on_deliver(d) -> None:
            state.backlog.append(d)
            start(self.now)

        ch.on_deliver = on_deliver
        b.basic_consume(0.0, ch, queue, consumer_tag=f"ctag-{name}", no_ack=no_ack)
        return state

    def crash(self, t: float, state, name: str) -> None:
        def go(now: float) -> None:
            self.broker.emit(FaultStarted(now, "consumer_crash", name))
            state.backlog.clear()
            self.broker.close_connection(now, state.conn, 320, "crash")

        self.at(t, go)

    def alarm(self, t0: float, t1: float) -> None:
        def on(now: float) -> None:
            self.broker.emit(FaultStarted(now, "memory_alarm", None))
            self.broker.set_alarm(now, True)

        def off(now: float) -> None:
            self.broker.set_alarm(now, False)
            self.broker.emit(FaultEnded(now, "memory_alarm", None))

        self.at(t0, on)
        self.at(t1, off)


def store_run(seed: int = 1, duration: float = 30.0) -> SimpleNamespace:
    """An online-store-like run: topic exchange, alternate exchange, DLX, TTL, overflow, a crash."""
    sim = MiniSim(seed)
    b = sim.broker
    admin = b.channel_open(0.0, b.connection_open(0.0, "setup"))
    b.exchange_declare(0.0, admin, "unrouted", "fanout", durable=True)
    b.exchange_declare(0.0, admin, "orders", "topic", durable=True, arguments={"alternate-exchange": "unrouted"})
    b.exchange_declare(0.0, admin, "dlx", "fanout", durable=True)
    b.queue_declare(0.0, admin, "warehouse", durable=True,
                    arguments={"x-dead-letter-exchange": "dlx", "x-max-length": 15})
    b.queue_declare(0.0, admin, "billing", durable=True)
    b.queue_declare(0.0, admin, "audit", durable=True, arguments={"x-message-ttl": 3000})
    b.queue_declare(0.0, admin, "dead", durable=True)
    b.queue_declare(0.0, admin, "lost+found", durable=True)
    b.queue_bind(0.0, admin, "warehouse", "orders", "order.*")
    b.queue_bind(0.0, admin, "billing", "orders", "order.created")
    b.queue_bind(0.0, admin, "audit", "orders", "#.cancelled")
    b.queue_bind(0.0, admin, "dead", "dlx", "")
    b.queue_bind(0.0, admin, "lost+found", "unrouted", "")
    sim.producer("web#0", "orders", ["order.created"] * 8 + ["order.cancelled", "misc.ping"], 4.0, duration * 0.7)
    sim.producer("web#1", "orders", ["order.created"] * 8 + ["order.cancelled"], 3.0, duration * 0.7)
    workers = [sim.consumer(f"worker#{i}", "warehouse", 0.9, prefetch=3, reject_p=0.05) for i in range(3)]
    sim.consumer("billing#0", "billing", 0.05, no_ack=True)
    sim.crash(duration * 0.3, workers[1], "worker#1")
    sim.alarm(duration * 0.5, duration * 0.55)
    sim.run(duration)
    return SimpleNamespace(events=list(b.recorder.events), topology=None, summary=None, broker=b)
