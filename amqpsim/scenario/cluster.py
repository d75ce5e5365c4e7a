"""The ``cluster`` section: a RabbitMQ cluster's nodes and how it handles partitions.

Without it a scenario runs on one broker. With it, queues, clients and faults may
name nodes (``node:`` and the ``node_crash``, ``node_stop`` and ``partition``
faults); :mod:`.cluster_checks` checks those names against :attr:`Cluster.node_names`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_serializer, field_validator

from .base import ScenarioModel

__all__ = ["MAX_NODES", "NODE_FAULT_KINDS", "Cluster", "NodeList", "NodeName", "PARTITION_HANDLING",
           "node_tuple"]

NODE_NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
MAX_NODES = 100
PARTITION_HANDLING = ("ignore", "pause_minority", "autoheal")
NODE_FAULT_KINDS = ("node_crash", "node_stop", "partition")
"""The fault kinds that need a cluster section."""

NodeName = Annotated[str, Field(pattern=NODE_NAME_PATTERN, max_length=255)]
NodeList = tuple[NodeName, ...]


def _nodes_tag(v: Any) -> str:
    return "count" if isinstance(v, int) and not isinstance(v, bool) else "names"


def node_tuple(value: Any) -> Any:
    """``rabbit1`` or ``[rabbit1, rabbit2]`` as a tuple of names (other values as they
    are, for the type check to refuse)."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list) else value


class Cluster(ScenarioModel):
    """``nodes``: how many (named ``rabbit1``..``rabbitN``) or the names, in order (at
    most :data:`MAX_NODES`);
    ``partition_handling``: RabbitMQ's ``cluster_partition_handling``; ``net_ticktime``:
    seconds of silence before a peer is considered down (noticed 0.75-1.25 x later)."""

    nodes: Annotated[
        Annotated[Annotated[int, Field(ge=1, le=MAX_NODES)], Tag("count")]
        | Annotated[Annotated[NodeList, Field(min_length=1, max_length=MAX_NODES)],
                    Tag("names")],
        Discriminator(_nodes_tag),
    ]
    partition_handling: Literal["ignore", "pause_minority", "autoheal"] = "ignore"
    net_ticktime: Annotated[float, Field(gt=0)] = 60.0

    @field_validator("nodes", mode="before")
    @classmethod
    def _names_list(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @field_serializer("nodes")
    def _plain_nodes(self, nodes: int | tuple[str, ...]) -> int | list[str]:
        return nodes if isinstance(nodes, int) else list(nodes)

    @property
    def node_names(self) -> tuple[str, ...]:
        """The nodes in order: ``('rabbit1', 'rabbit2', 'rabbit3')`` for ``nodes: 3``."""
        if isinstance(self.nodes, int):
            return tuple(f"rabbit{i}" for i in range(1, self.nodes + 1))
        return self.nodes

    @property
    def first_node(self) -> str:
        """Where clients connect and queues live unless they say otherwise."""
        return self.node_names[0]
