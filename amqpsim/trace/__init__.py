"""The event log and everything computed from it."""

from .events import FIELDS, TERMINAL_FATES, Event, EventKind, NullRecorder, Recorder

__all__ = ["FIELDS", "TERMINAL_FATES", "Event", "EventKind", "NullRecorder", "Recorder"]
