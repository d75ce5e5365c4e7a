"""A deliberately simple reference ledger, for tests only: the oracle of the fold's records.

It reads a complete event log in two plain passes (the republish links first, then
every event) and keeps a dict per copy and per message, with no live state, no
cascades, no retention horizon and no shortcuts. The library's one implementation
(:class:`amqpsim.trace.live.LiveLedger` with ``copies=True``, read by
:class:`amqpsim.trace.ledger.Ledger`) must give the same records and counts:
:func:`check_ledger` says where they differ.

(It is the ledger amqpsim had before the fold kept the copies, moved here.)
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from amqpsim.trace.events import (
    FATE_OF,
    STREAM_FATES,
    Acked,
    Confirmed,
    Delivered,
    Enqueued,
    Expired,
    Fate,
    LostInTransit,
    Processed,
    Published,
    QueueDeclared,
    Republished,
    Returned,
    StreamDelivered,
    Unroutable,
)
from amqpsim.trace.ledger import COPY_COLUMNS, MESSAGE_COLUMNS, Ledger

FATES = tuple(f.value for f in Fate if f is not Fate.REMAINING and f not in STREAM_FATES)


class Oracle:
    """Messages and copies of a run with their fates, from the full event log."""

    def __init__(self, events: list[Any]) -> None:
        self.messages: dict[int, dict[str, Any]] = {}
        self.copies: dict[int, dict[str, Any]] = {}
        self.logical_of: dict[int, int] = {}
        self.completions: dict[tuple[int, str], int] = {}
        self.violations = 0
        self.lost_in_transit = 0
        self.streams: set[str] = set()
        for ev in events:
            if type(ev) is Republished:
                self.logical_of[ev.msg] = self.logical(ev.original)
        for ev in events:
            self._take(ev)

    def logical(self, msg: int) -> int:
        return self.logical_of.get(msg, msg)

    def _take(self, ev: Any) -> None:
        msgs, copies = self.messages, self.copies
        cls = type(ev)
        if cls is Published:
            msgs[ev.msg] = {"msg": ev.msg, "logical": self.logical(ev.msg), "actor": ev.actor,
                            "exchange": ev.exchange, "routing_key": ev.routing_key, "published_at": ev.time,
                            "confirm": None, "returned": False, "unroutable": False, "copies": 0}
        elif cls is Enqueued:
            copies[ev.copy] = {"copy": ev.copy, "msg": ev.msg, "logical": self.logical(ev.msg),
                               "queue": ev.queue, "enqueued_at": ev.time, "first_delivered_at": None,
                               "deliveries": 0, "redeliveries": 0, "consumer": None, "fate": None,
                               "reason": None, "fate_at": None}
            if ev.msg in msgs:
                msgs[ev.msg]["copies"] += 1
        elif cls is QueueDeclared and ev.queue_type == "stream":
            self.streams.add(ev.queue)
        elif cls is Delivered or cls is StreamDelivered:
            c = copies.get(ev.copy)
            if c is None or c["fate"] is not None:
                self.violations += 1
                return
            c["deliveries"] += 1
            c["redeliveries"] += getattr(ev, "redelivered", False)
            c["consumer"] = ev.actor
            if c["first_delivered_at"] is None:
                c["first_delivered_at"] = ev.time
        elif cls in FATE_OF:
            c = copies.get(ev.copy)
            if c is None or c["fate"] is not None:
                self.violations += 1
                return
            c["fate"] = FATE_OF[cls].value
            c["reason"] = ("auto" if ev.auto else "manual") if cls is Acked else \
                None if cls is Expired else ev.reason
            c["fate_at"] = ev.time
            if cls is Acked:
                self._complete(ev.msg, ev.queue)
        elif cls is Processed:
            self._complete(ev.msg, ev.queue)
        elif cls is Confirmed and ev.msg in msgs:
            msgs[ev.msg]["confirm"] = "ack" if ev.ack else "nack"
        elif cls is Returned and ev.msg in msgs:
            msgs[ev.msg]["returned"] = True
        elif cls is Unroutable and ev.msg in msgs and not ev.dead_letter:
            msgs[ev.msg]["unroutable"] = True
        elif cls is LostInTransit:
            self.lost_in_transit += 1

    def _complete(self, msg: int, queue: str) -> None:
        key = (self.logical(msg), queue)
        self.completions[key] = self.completions.get(key, 0) + 1

    # ------------------------------------------------------------------ answers
    def copy_rows(self) -> dict[int, tuple[Any, ...]]:
        """copy -> its row in COPY_COLUMNS order (fate ``remaining`` for a live copy)."""
        return {cid: tuple(c[k] if k != "fate" else self.fate(c) for k in COPY_COLUMNS)
                for cid, c in self.copies.items()}

    def fate(self, c: dict[str, Any]) -> str:
        """A copy's fate; a live one is ``retained`` in a stream, else ``remaining``."""
        return c["fate"] or ("retained" if c["queue"] in self.streams else "remaining")

    def message_rows(self) -> dict[int, tuple[Any, ...]]:
        return {mid: tuple(m[k] for k in MESSAGE_COLUMNS) for mid, m in self.messages.items()}

    def fate_counts(self) -> dict[str, int]:
        n = Counter(self.fate(c) for c in self.copies.values())
        stream_fates = tuple(f.value for f in STREAM_FATES) if self.streams else ()
        return {f: n[f] for f in (*FATES, *stream_fates, "remaining")}

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.completions.values())

    @property
    def duplicated(self) -> set[tuple[int, str]]:
        return {pair for pair, n in self.completions.items() if n > 1}

    @property
    def jepsen(self) -> dict[str, int]:
        pairs: dict[tuple[int, str], set[str]] = {}
        for c in self.copies.values():
            pairs.setdefault((c["logical"], c["queue"]), set()).add(self.fate(c))
        ok = sum(1 for f in pairs.values() if "acked" in f)
        lost = sum(1 for f in pairs.values() if "lost" in f and not f & {"acked", "remaining"})
        t = self.lost_in_transit
        return {"messages": len(pairs) + t, "ok": ok, "lost": lost + t, "duplicated": len(self.duplicated),
                "lost_in_transit": t}


def check_ledger(ledger: Ledger, events: list[Any]) -> None:
    """Assert that the fold's ledger gives what the oracle gives, on every copy and message."""
    oracle = Oracle(events)
    assert ledger.violations == oracle.violations == 0
    rows = oracle.copy_rows()
    assert list(ledger.copies) == list(rows), "the same copies, in enqueue order"
    for cid, rec in ledger.copies.items():
        assert tuple(rec) == rows[cid], f"copy {cid}: fold {rec} != oracle {rows[cid]}"
        assert isinstance(rec.fate, Fate)
    mrows = oracle.message_rows()
    assert list(ledger.messages) == list(mrows)
    for mid, mrec in ledger.messages.items():
        assert tuple(mrec) == mrows[mid], f"message {mid}: fold {mrec} != oracle {mrows[mid]}"
    counts = oracle.fate_counts()
    assert ledger.fate_counts() == counts
    assert Counter(str(r.fate) for r in ledger.copies.values()) == +Counter(counts)
    assert ledger.duplicates == oracle.duplicates
    assert ledger.duplicated == oracle.duplicated
    assert ledger.jepsen == oracle.jepsen
    assert ledger.conservation
    for m in ledger.messages:
        assert ledger.logical(m) == oracle.logical(m)
