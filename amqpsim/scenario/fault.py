"""Faults: what goes wrong, and when (the ``faults`` section).

The fields each kind needs or allows are checked by the loader
(:data:`.checks.FAULT_FIELDS`); the node faults (``node_crash``, ``node_stop``,
``partition``) need a ``cluster`` section.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_serializer, field_validator

from .base import ScenarioModel
from .cluster import NodeList

__all__ = ["FAULT_KINDS", "Fault"]

FAULT_KINDS = ("consumer_crash", "broker_restart", "slow_consumer", "connection_loss",
               "memory_alarm", "node_crash", "node_stop", "partition")

ActorRef = Annotated[str, Field(pattern=r"^[^#]+(#[0-9]+)?$")]
Seconds = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class Fault(ScenarioModel):
    """A fault at sim time ``at``. Fields per kind (checked by the loader):
    consumer_crash: target (consumer), optional downtime (restart after; unset =
    stays down); broker_restart: optional downtime (default 0); slow_consumer:
    target, factor (service time multiplier), until; connection_loss: target
    (producer or consumer), downtime; memory_alarm: until.
    In a cluster: node_crash (the node's VM dies) and node_stop (a clean stop):
    target (a node), optional downtime (restart after; unset = stays down);
    partition: groups (two or more disjoint lists of nodes; the nodes not listed
    join the first, see :meth:`.Scenario.partition_groups`), optional until (healed)."""

    at: Seconds
    kind: Literal[
        "consumer_crash", "broker_restart", "slow_consumer", "connection_loss", "memory_alarm",
        "node_crash", "node_stop", "partition",
    ]
    until: Seconds | None = None
    target: ActorRef | None = None
    downtime: Positive | None = None
    factor: Positive | None = None
    groups: tuple[NodeList, ...] | None = None

    @field_validator("groups", mode="before")
    @classmethod
    def _tuples(cls, value: Any) -> Any:
        if isinstance(value, list):
            return tuple(tuple(g) if isinstance(g, list) else g for g in value)
        return value

    @field_serializer("groups")
    def _lists(self, groups: tuple[tuple[str, ...], ...] | None) -> list[list[str]] | None:
        return None if groups is None else [list(g) for g in groups]

    @property
    def outage(self) -> float | None:
        """Seconds until recovery: ``downtime``; for ``broker_restart`` ``0`` when unset.
        ``None`` for a ``consumer_crash``, ``node_crash`` or ``node_stop`` without
        downtime (it stays down)."""
        if self.downtime is None and self.kind == "broker_restart":
            return 0.0
        return self.downtime

    @property
    def node(self) -> str | None:
        """The node a ``node_crash`` or ``node_stop`` hits; ``None`` for other kinds."""
        return self.target if self.kind in ("node_crash", "node_stop") else None

    @property
    def target_name(self) -> str | None:
        """``worker`` for targets ``worker`` and ``worker#1``."""
        return None if self.target is None else self.target.partition("#")[0]

    @property
    def target_index(self) -> int | None:
        """``1`` for ``worker#1``; ``None`` when the fault hits every instance."""
        if self.target is None or "#" not in self.target:
            return None
        return int(self.target.partition("#")[2])
