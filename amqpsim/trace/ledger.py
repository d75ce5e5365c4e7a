"""The delivery ledger: the fate of every published message and every routed copy.

Built from a complete event log (``Ledger(events)``) by the summary's own fold
(:class:`~amqpsim.trace.live.LiveLedger` with ``copies=True``): one record per message
and per copy (:mod:`.fates`), so it answers "what happened to message 17 and why".
It only reads the fold: no fate, duplicate or Jepsen outcome is decided here.

Every routed copy has exactly one fate, a :class:`~amqpsim.trace.events.Fate`
(``remaining``: still ready or unacknowledged when the run ended), and the reason
its ending event gave (``maxlen``, ``restart``, ...; ``manual`` or ``auto`` for an ack).

``duplicates`` counts completions (an ``ack``, or a ``processed`` event when the
ack could not be sent) of a (logical message, queue) whose processing had already
completed. A *logical message* is a publish together with its republishes (linked
by the simulation's ``Republished`` events).

The Jepsen view (:attr:`Ledger.jepsen`) judges each (logical message, queue)
pair the way a Jepsen queue test does: ``ok`` (acked at least once), ``lost``
(never acked, nothing remaining, some copy lost -- or the message was lost in
transit before reaching the broker), ``duplicated`` (processed more than once).

The tests check the fold's records against a deliberately simple reference
implementation (``tests/trace/oracle.py``) on every scenario and on random ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .fates import COPY_COLUMNS, MESSAGE_COLUMNS, CopyRecord, MessageRecord
from .live import FATES, LiveLedger

__all__ = ["COPY_COLUMNS", "MESSAGE_COLUMNS", "CopyRecord", "Ledger", "MessageRecord"]


class Ledger:
    """Messages and copies of a run with their fates, read from a fold that kept them.

    ``Ledger(events)`` replays a complete log through ``LiveLedger(copies=True)`` and
    finishes it at ``end`` (default: the last event's time); ``Ledger(events, fold=f)``
    reads a finished fold ``f`` that kept its copies (``events``, optional, for
    :meth:`history`).
    """

    def __init__(self, events: Iterable[Any] = (), end: float | None = None,
                 fold: LiveLedger | None = None) -> None:
        self.events: list[Any] = list(events)
        if fold is None:
            fold = LiveLedger(retain=float("inf"), copies=True)
            fold.take(self.events)
            last = self.events[-1].time if self.events else 0.0
            fold.finish(last if end is None else max(end, last))
        kept = fold.kept
        if kept is None:
            raise ValueError("the fold kept no records: make it with copies=True (and finish it)")
        self.fold = fold
        #: copy -> its record, in copy (enqueue) order
        self.copies: dict[int, CopyRecord] = kept.copies
        #: msg -> its record, in publish order
        self.messages: dict[int, MessageRecord] = kept.messages
        #: completions of a (logical message, queue) that had already completed
        self.duplicates: int = fold.counts["duplicates"]
        #: the (logical message, queue) pairs processed more than once
        self.duplicated: set[tuple[int, str]] = kept.duplicated
        #: fate or delivery events of copies that were not alive
        self.violations: int = fold.violations
        self.lost_in_transit: int = fold.jepsen["lost_in_transit"]
        self._links = kept.links

    # ------------------------------------------------------------------ answers
    def fate_counts(self) -> dict[str, int]:
        """Copies per fate, ``remaining`` last (``truncated`` and ``retained`` when the run had a stream)."""
        fold = self.fold
        fates = fold.fates if fold.has_streams else {f: n for f, n in fold.fates.items() if f in FATES}
        return {**fates, "remaining": fold.remaining}

    @property
    def routed_copies(self) -> int:
        return len(self.copies)

    @property
    def conservation(self) -> bool:
        """Every routed copy has exactly one fate (``remaining`` included)."""
        return self.fold.conservation

    @property
    def jepsen(self) -> dict[str, int]:
        """Outcome per (logical message, queue) pair; a message lost in transit counts once."""
        return dict(self.fold.jepsen)

    def logical(self, msg: int) -> int:
        """The logical message ``msg`` belongs to (its first publish's id)."""
        rec = self.messages.get(msg)
        return rec.logical if rec is not None else self._links.get(msg, msg)

    def history(self, msg: int) -> list[Any]:
        """Every event about message ``msg`` (and the republishes of the same logical message)."""
        lg = self.logical(msg)
        ids = {m for m, rec in self.messages.items() if rec.logical == lg} | {msg}
        return [e for e in self.events if getattr(e, "msg", None) in ids]

    def why(self, copy: int) -> str:
        """One line: what happened to a routed copy."""
        c = self.copies[copy]
        reason = f" ({c.reason})" if c.reason else ""
        return (f"copy {copy} of message {c.msg} in queue {c.queue!r}: {c.fate}{reason}, "
                f"delivered {c.deliveries}x ({c.redeliveries} redelivered)")

    def copies_frame(self) -> Any:
        """One row per copy, the columns :data:`COPY_COLUMNS` (``fate`` as a plain string)."""
        import pandas as pd

        df = pd.DataFrame(list(self.copies.values()), columns=list(COPY_COLUMNS))
        df["fate"] = df["fate"].map(str).astype(object)
        return df

    def messages_frame(self) -> Any:
        """One row per message, the columns :data:`MESSAGE_COLUMNS`."""
        import pandas as pd

        return pd.DataFrame(list(self.messages.values()), columns=list(MESSAGE_COLUMNS))

    def counts(self) -> dict[str, int]:
        """The ledger's part of the summary's ``messages`` block."""
        return {"routed_copies": self.routed_copies, **self.fate_counts(), "duplicates": self.duplicates}
