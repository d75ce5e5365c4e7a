"""Client and network behaviour that a scenario does not describe (documented defaults).

==========================  ===================================================
``network_delay``           a publisher confirm of a transient message reaches
                            the client at the end of the current window of this
                            many seconds (confirms travel in batches)
``fsync_delay``             the same window for persistent messages: RabbitMQ
                            confirms them after an fsync, batched (~200 ms)
``loss_detection``          a producer notices a dead connection after this many
                            seconds (heartbeat / TCP timeout), capped by the
                            outage; what it publishes meanwhile never reaches the
                            broker (with confirms and retry it is republished)
``reconnect_interval``      clients retry a refused connection (broker down)
                            every this many seconds
``crash_restart``           restart delay of a ``consumer_crash`` without
                            ``downtime``; ``None`` (default): it stays down, as
                            the scenario format documents (``Fault.outage``)
``max_bins``                the summary's time series keep at most ``2*max_bins``
                            intervals (the interval doubles when needed)
==========================  ===================================================
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SimConfig:
    network_delay: float = 0.001
    fsync_delay: float = 0.2
    loss_detection: float = 1.0
    reconnect_interval: float = 1.0
    crash_restart: float | None = None
    max_bins: int = 500

    @property
    def retain(self) -> float:
        """How long the live ledger must remember finished messages (see trace.logical)."""
        return self.loss_detection + max(self.fsync_delay, self.network_delay) + 1.0
