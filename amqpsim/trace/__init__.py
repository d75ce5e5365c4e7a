"""The event log and everything computed from it (reads only events; no simpy here).

:mod:`.events` is the vocabulary (one record class per kind of event, the fates);
:mod:`.recorder` the sink a run emits into; :mod:`.live` and :mod:`.summary` the fold
that turns the events into the summary; :mod:`.ledger` the per-copy ledger of a kept
log; :mod:`.io` the log on disk and as a DataFrame (:mod:`.stream`: written as a run goes);
:mod:`.table` the summary as terminal tables; :mod:`.cluster` the fold of a cluster run (the
summary fold makes one at the run's ``ClusterFormed``) and :mod:`.cluster_view` what its
pictures draw.
"""

from .cluster import ClusterFold
from .events import COLUMNS, RECORDS, EventKind, EventLog, Fate, Sink
from .io import read_events, to_frame, write_events
from .ledger import Ledger
from .live import LiveLedger
from .recorder import Recorder
from .stream import EventWriter
from .summary import Summarizer, summarize
from .table import print_summary

__all__ = [
    "COLUMNS",
    "ClusterFold",
    "RECORDS",
    "EventKind",
    "EventLog",
    "EventWriter",
    "Fate",
    "Ledger",
    "LiveLedger",
    "Recorder",
    "Sink",
    "Summarizer",
    "print_summary",
    "read_events",
    "summarize",
    "to_frame",
    "write_events",
]
