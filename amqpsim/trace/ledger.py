"""The delivery ledger: the fate of every published message and every routed copy.

Built from a complete event log (``Ledger(events)``); it keeps one record per
message and per copy, so it answers "what happened to message 17 and why".

Fates of a routed copy (exactly one each; see SCENARIO-FORMAT.md):

==================  ===========================================================
``acked``           processing finished and was acknowledged (``ack`` event; for
                    auto-ack consumers the simulation emits it, ``auto=True``,
                    when processing finishes without a crash)
``dead_lettered``   sent to the dead-letter exchange (reason: ``rejected``,
                    ``expired``, ``maxlen``, ``delivery_limit``); copies it is routed
                    to there are new copies
``expired``         message TTL ran out, no dead-letter exchange
``dropped_overflow`` refused by a full queue (``reject-publish``) or pushed out of
                    it (``drop-head``), no dead-letter exchange
``discarded``       removed by a client action: reject/nack without requeue and
                    without a dead-letter exchange, ``queue.purge``, ``queue.delete``
                    (an extension of the contract's six fates; it is part of the
                    conservation sum)
``lost``            vanished: a broker restart took a transient message or a
                    non-durable queue, an auto-ack consumer crashed holding it
``remaining``       still ready or unacknowledged when the run ended
==================  ===========================================================

``duplicates`` counts completions (an ``ack``, or a ``processed`` event when the
ack could not be sent) of a (logical message, queue) whose processing had already
completed. A *logical message* is a publish together with its republishes (linked
by the simulation's ``Republished`` events).

The Jepsen view (:attr:`Ledger.jepsen`) judges each (logical message, queue)
pair the way a Jepsen queue test does: ``ok`` (acked at least once), ``lost``
(never acked, nothing remaining, some copy lost -- or the message was lost in
transit before reaching the broker), ``duplicated`` (processed more than once).

:class:`~amqpsim.trace.live.LiveLedger` computes the same numbers incrementally
in bounded memory; the tests check that the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .events import (
    FATE_OF,
    Acked,
    Confirmed,
    Delivered,
    Enqueued,
    Expired,
    LostInTransit,
    Processed,
    Published,
    Republished,
    Returned,
    Unroutable,
)
from .live import FATES

COPY_COLUMNS = ("copy", "msg", "logical", "queue", "enqueued_at", "first_delivered_at", "deliveries",
                "redeliveries", "consumer", "fate", "reason", "fate_at")
MESSAGE_COLUMNS = ("msg", "logical", "actor", "exchange", "routing_key", "published_at", "confirm",
                   "returned", "unroutable", "copies")


class Ledger:
    """Messages and copies of a run with their fates; built from the full event log."""

    def __init__(self, events: Iterable[Any]) -> None:
        self.events: list[Any] = list(events)
        self.messages: dict[int, dict[str, Any]] = {}
        self.copies: dict[int, dict[str, Any]] = {}
        self.logical_of: dict[int, int] = {}
        self.completions: dict[tuple[int, str], int] = {}
        self.duplicates = 0
        self.violations = 0
        self.lost_in_transit = 0
        for ev in self.events:
            if type(ev) is Republished:
                self.logical_of[ev.msg] = self._logical(ev.original)
        for ev in self.events:
            self._take(ev)

    # ------------------------------------------------------------------ building
    def _take(self, ev: Any) -> None:
        msgs, copies = self.messages, self.copies
        cls = type(ev)
        if cls is Published:
            msgs[ev.msg] = {"msg": ev.msg, "logical": self._logical(ev.msg), "actor": ev.actor,
                            "exchange": ev.exchange, "routing_key": ev.routing_key, "published_at": ev.time,
                            "confirm": None, "returned": False, "unroutable": False, "copies": 0}
        elif cls is Enqueued:
            copies[ev.copy] = {"copy": ev.copy, "msg": ev.msg, "logical": self._logical(ev.msg),
                               "queue": ev.queue, "enqueued_at": ev.time, "first_delivered_at": None,
                               "deliveries": 0, "redeliveries": 0, "consumer": None, "fate": None,
                               "reason": None, "fate_at": None}
            if ev.msg in msgs:
                msgs[ev.msg]["copies"] += 1
        elif cls is Delivered:
            c = copies.get(ev.copy)
            if c is None:
                self.violations += 1
                return
            c["deliveries"] += 1
            c["redeliveries"] += ev.redelivered
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

    def _logical(self, msg: int) -> int:
        return self.logical_of.get(msg, msg)

    def _complete(self, msg: int | None, queue: str | None) -> None:
        if msg is None or queue is None:
            return
        key = (self._logical(msg), queue)
        n = self.completions.get(key, 0)
        if n:
            self.duplicates += 1
        self.completions[key] = n + 1

    # ------------------------------------------------------------------ answers
    def fate_counts(self) -> dict[str, int]:
        out = dict.fromkeys(FATES, 0)
        remaining = 0
        for c in self.copies.values():
            if c["fate"] is None:
                remaining += 1
            else:
                out[c["fate"]] += 1
        out["remaining"] = remaining
        return out

    @property
    def routed_copies(self) -> int:
        return len(self.copies)

    @property
    def conservation(self) -> bool:
        """Every routed copy has exactly one fate (``remaining`` included)."""
        return self.violations == 0 and sum(self.fate_counts().values()) == self.routed_copies

    @property
    def jepsen(self) -> dict[str, int]:
        """Outcome per (logical message, queue) pair; a message lost in transit counts once."""
        pairs: dict[tuple[int, str], set[str]] = {}
        for c in self.copies.values():
            pairs.setdefault((c["logical"], c["queue"]), set()).add(c["fate"] or "remaining")
        ok = sum(1 for f in pairs.values() if "acked" in f)
        lost = sum(1 for f in pairs.values() if "lost" in f and not f & {"acked", "remaining"})
        dup = sum(1 for n in self.completions.values() if n > 1)
        t = self.lost_in_transit
        return {"messages": len(pairs) + t, "ok": ok, "lost": lost + t, "duplicated": dup,
                "lost_in_transit": t}

    def history(self, msg: int) -> list[Any]:
        """Every event about message ``msg`` (and the republishes of the same logical message)."""
        lg = self._logical(msg)
        ids = {m for m, rec in self.messages.items() if rec["logical"] == lg} | {msg}
        return [e for e in self.events if getattr(e, "msg", None) in ids]

    def why(self, copy: int) -> str:
        """One line: what happened to a routed copy."""
        c = self.copies[copy]
        fate = c["fate"] or "remaining"
        reason = f" ({c['reason']})" if c["reason"] else ""
        return (f"copy {copy} of message {c['msg']} in queue {c['queue']!r}: {fate}{reason}, "
                f"delivered {c['deliveries']}x ({c['redeliveries']} redelivered)")

    def copies_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{k: c[k] for k in COPY_COLUMNS} for c in self.copies.values()],
                            columns=list(COPY_COLUMNS))

    def messages_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{k: m[k] for k in MESSAGE_COLUMNS} for m in self.messages.values()],
                            columns=list(MESSAGE_COLUMNS))

    def counts(self) -> dict[str, int]:
        """The ledger's part of the summary's ``messages`` block."""
        return {"routed_copies": self.routed_copies, **self.fate_counts(), "duplicates": self.duplicates}
