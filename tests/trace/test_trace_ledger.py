"""The per-copy ledger is the summary's fold (``copies=True``): its records, its answers, its cost."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from oracle import Oracle, check_ledger

import amqpsim
from amqpsim.trace.events import (
    Acked,
    ClientStarted,
    Confirmed,
    Delivered,
    Discarded,
    Dropped,
    Enqueued,
    Expired,
    Fate,
    Lost,
    Processed,
    Published,
    Republished,
    Requeued,
    Returned,
    Settled,
    Unroutable,
)
from amqpsim.trace.ledger import COPY_COLUMNS, MESSAGE_COLUMNS, CopyRecord, Ledger, MessageRecord
from amqpsim.trace.live import LiveLedger
from amqpsim.trace.summary import Summarizer
from amqpsim.trace.views import ViewFold

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def pub(t, m, rk="q", actor="p"):
    return Published(t, actor, "ch", m, "", rk, None, 1)


def enq(t, m, c, q="q"):
    return Enqueued(t, m, c, q, "", q, 1)


def dlv(t, m, c, actor="w", redelivered=False, q="q", auto=False):
    return Delivered(t, actor, "ch", "ctag", m, c, q, "", q, 1, redelivered, auto)


def ack(t, m, c, q="q", auto=False):
    return Acked(t, "w", "ch", "ctag", m, c, q, 1, False, auto)


#: one of each ending, a requeue and redelivery, a republish linked after its copy ended,
#: a duplicate completion (processed, then acked), confirms, a return and a copy left over
EVENTS = [
    ClientStarted(0, "w", "consumer"),
    pub(0, 1), enq(0, 1, 1), dlv(0, 1, 1), Confirmed(0, "p", "ch", 1, 1, True),
    Settled(1, "w", "ch", "ctag", 1, 1, "q", 1, "reject", True, False), Requeued(1, 1, 1, "q", "rejected"),
    dlv(1, 1, 1, actor="v", redelivered=True), ack(2, 1, 1),
    pub(2, 2), enq(2, 2, 2), enq(2, 2, 3, q="r"), Expired(2, 2, 2, "q"), Dropped(2, 2, 3, "r", "drop-head"),
    Republished(2, "p", 2, 1),  # (after its copies ended: they belong to logical message 1 all the same)
    pub(3, 3), enq(3, 3, 4), Discarded(3, 3, 4, "q", "purge"),
    pub(3, 4), enq(3, 4, 5), dlv(3, 4, 5, auto=True), Lost(4, "w", 4, 5, "q", "crash"),
    pub(4, 5), Unroutable(4, "p", 5, "", "nowhere", False, "no_route"), Returned(4, "p", "ch", 5, "", "nowhere", 312),
    Confirmed(4, "p", "ch", 5, 2, False),
    pub(5, 6), enq(5, 6, 6), dlv(5, 6, 6), Processed(6, "w", 6, 6, "q"), dlv(7, 6, 6, redelivered=True),
    ack(8, 6, 6, auto=True),
    pub(9, 7), enq(9, 7, 7), dlv(9, 7, 7),
]


def test_one_record_per_copy_with_the_fate_and_reason_of_its_ending_event():
    ledger = Ledger(EVENTS)
    check_ledger(ledger, EVENTS)
    c = ledger.copies
    assert list(c) == [1, 2, 3, 4, 5, 6, 7]
    assert c[1] == CopyRecord(1, 1, 1, "q", 0, 0, 2, 1, "v", Fate.ACKED, "manual", 2)
    assert (c[2].fate, c[2].reason, c[2].logical) == (Fate.EXPIRED, None, 1)
    assert (c[3].fate, c[3].reason, c[3].queue, c[3].logical) == (Fate.DROPPED_OVERFLOW, "drop-head", "r", 1)
    assert (c[4].fate, c[4].reason, c[4].first_delivered_at) == (Fate.DISCARDED, "purge", None)
    assert (c[5].fate, c[5].reason, c[5].fate_at) == (Fate.LOST, "crash", 4)
    assert (c[6].fate, c[6].reason, c[6].deliveries, c[6].redeliveries) == (Fate.ACKED, "auto", 2, 1)
    assert c[7] == CopyRecord(7, 7, 7, "q", 9, 9, 1, 0, "w", Fate.REMAINING, None, None)
    m = ledger.messages
    assert m[1] == MessageRecord(1, 1, "p", "", "q", 0, "ack", False, False, 1)
    assert (m[2].logical, m[2].copies) == (1, 2)
    assert (m[5].unroutable, m[5].returned, m[5].confirm, m[5].copies) == (True, True, "nack", 0)
    assert ledger.duplicates == 1 and ledger.duplicated == {(6, "q")}
    assert ledger.fate_counts() == {"acked": 2, "dead_lettered": 0, "expired": 1, "dropped_overflow": 1,
                                    "discarded": 1, "lost": 1, "remaining": 1}
    assert ledger.jepsen == {"messages": 6, "ok": 2, "lost": 1, "duplicated": 1, "lost_in_transit": 0}
    assert ledger.logical(2) == 1 and ledger.logical(99) == 99


def test_answers_read_the_records():
    ledger = Ledger(EVENTS)
    assert ledger.why(1) == "copy 1 of message 1 in queue 'q': acked (manual), delivered 2x (1 redelivered)"
    assert ledger.why(7) == "copy 7 of message 7 in queue 'q': remaining, delivered 1x (0 redelivered)"
    assert ledger.history(2) == [e for e in EVENTS if getattr(e, "msg", None) in (1, 2)]
    assert ledger.counts()["routed_copies"] == ledger.routed_copies == 7 and ledger.conservation
    frame = ledger.copies_frame()
    assert tuple(frame.columns) == COPY_COLUMNS and len(frame) == 7
    assert list(frame["fate"]) == ["acked", "expired", "dropped_overflow", "discarded", "lost", "acked", "remaining"]
    assert all(type(f) is str for f in frame["fate"])
    msgs = ledger.messages_frame()
    assert tuple(msgs.columns) == MESSAGE_COLUMNS and list(msgs["msg"]) == [1, 2, 3, 4, 5, 6, 7]
    empty = Ledger([])
    assert len(empty.copies_frame()) == 0 and tuple(empty.messages_frame().columns) == MESSAGE_COLUMNS


def test_violations_are_the_folds():
    events = [pub(0, 1), enq(0, 1, 1), ack(1, 1, 1), ack(2, 1, 1), Discarded(2, 1, 9, "q", "purge")]
    ledger = Ledger(events)
    assert ledger.violations == Oracle(events).violations == 2 and not ledger.conservation
    assert ledger.copies[1].fate is Fate.ACKED and len(ledger.copies) == 1


def test_the_option_off_leaves_the_summary_handlers_untouched():
    plain, kept = LiveLedger(), LiveLedger(copies=True)
    assert plain.kept is None and "kept" not in vars(plain) and kept.kept is not None
    assert set(vars(kept)) == set(vars(plain)) | {"kept"}
    for cls, h in plain._handlers.items():
        assert getattr(h, "__self__", None) is plain, cls  # the fold's own bound methods, no wrapper
    assert kept._handlers[Published] != kept._publish
    with pytest.raises(ValueError, match="copies=True"):
        Ledger(fold=plain)


def test_keeping_copies_changes_no_summary_and_any_fold_can_keep_them():
    r = amqpsim.run(SCENARIOS / "online-store.yaml")
    interval = r.summary["series"]["interval"]
    sums = []
    for fold in (Summarizer(interval=interval, retain=float("inf")),
                 Summarizer(interval=interval, retain=float("inf"), copies=True)):
        fold.take(r.event_list)
        sums.append(fold.summary(r.summary["scenario"], r.seed, r.sim_time))
    assert sums[0] == sums[1] == r.summary
    view = ViewFold(retain=float("inf"), interval=interval)
    view.keep_copies()
    view.take(r.event_list)
    v = view.view(view.summary(r.summary["scenario"], r.seed, r.sim_time))
    ledger = Ledger(r.event_list, fold=view)
    assert ledger.copies == r.ledger.copies and ledger.messages == r.ledger.messages
    # the picture's outcomes and the records are one fold's answers
    ended = Counter((c.queue, c.fate.value, c.reason or "") for c in ledger.copies.values()
                    if c.fate not in (Fate.ACKED, Fate.REMAINING))
    assert ended == +Counter({k: n for k, n in v.outcomes.items() if k[1] in {f.value for f in Fate}})
    acked = Counter(c.queue for c in ledger.copies.values() if c.fate is Fate.ACKED)
    acked_view: Counter[str] = Counter()
    for (q, outcome, _), n in v.outcomes.items():
        if outcome in ("acked_once", "redelivered", "duplicated"):
            acked_view[q] += n
    assert acked == acked_view


def test_the_run_result_ledger_is_the_fold_of_the_kept_log():
    r = amqpsim.run(SCENARIOS / "restart-durability.yaml")
    ledger = r.ledger
    assert isinstance(ledger.fold, LiveLedger) and ledger.events == r.event_list
    assert ledger.counts() == {k: r.summary["messages"][k] for k in ledger.counts()}
    assert all(isinstance(c, CopyRecord) for c in ledger.copies.values())
    check_ledger(ledger, r.event_list)
