"""The event log and everything computed from it (reads only events; no simpy here)."""

from .events import FIELDS, TERMINAL_FATES, Event, EventKind, NullRecorder, Recorder
from .io import read_events, to_frame, write_events
from .ledger import Ledger
from .live import LiveLedger
from .summary import Summarizer, summarize

__all__ = [
    "FIELDS",
    "TERMINAL_FATES",
    "Event",
    "EventKind",
    "Ledger",
    "LiveLedger",
    "NullRecorder",
    "Recorder",
    "Summarizer",
    "read_events",
    "summarize",
    "to_frame",
    "write_events",
]
