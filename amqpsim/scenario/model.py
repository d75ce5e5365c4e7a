"""The typed scenario: pydantic models mirroring SCENARIO-FORMAT.md.

These models check the *shape* of each field (types, ranges, enums, unknown
keys). Checks that look across fields or sections (dangling names, queue
arguments, fault requirements) live in :mod:`amqpsim.scenario.checks`; use
:func:`amqpsim.scenario.load_scenario` to run both.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import AliasChoices, Field, field_serializer, field_validator, model_validator

from .args import PREDECLARED_EXCHANGES
from .base import ScenarioModel, derive
from .cluster import NODE_FAULT_KINDS, Cluster, NodeList, NodeName, node_tuple
from .distributions import Constant, Distribution
from .fault import FAULT_KINDS, Fault
from .offsets import StreamOffset
from .rates import Rate, RoutingKey
from .validation import apply_overrides

__all__ = [
    "Binding", "Broker", "Cluster", "Consumer", "Exchange", "Fault", "Policy", "Producer", "Queue",
    "Reject", "Scenario", "Topology", "FAULT_KINDS", "PREDECLARED_EXCHANGES",
]

Name = Annotated[str, Field(min_length=1, max_length=255)]
ActorName = Annotated[str, Field(pattern=r"^[^#]+$")]
M = TypeVar("M", "Queue", "Producer", "Consumer")
Args = dict[str, Any]


# --- topology (RabbitMQ definitions.json shape) -----------------------------

class Exchange(ScenarioModel):
    name: Name
    type: Literal["direct", "fanout", "topic", "headers"]
    durable: bool = True
    auto_delete: bool = False
    internal: bool = False
    arguments: Args = {}
    vhost: str | None = None  # accepted (and ignored) so definitions exports paste in


class Queue(ScenarioModel):
    name: Name
    durable: bool = True
    auto_delete: bool = False
    exclusive: bool = False
    type: Literal["classic", "quorum", "stream"] | None = None
    arguments: Args = {}
    vhost: str | None = None
    node: NodeName | None = None
    """In a cluster: the home of a classic queue, the master of a mirrored one, the
    first leader of a quorum one (default: the first node; ``None`` without a cluster)."""

    @property
    def queue_type(self) -> Literal["classic", "quorum", "stream"]:
        """``type``, else ``arguments['x-queue-type']``, else ``classic``."""
        found = self.type or self.arguments.get("x-queue-type") or "classic"
        return found if found in ("quorum", "stream") else "classic"


class Binding(ScenarioModel):
    source: str
    destination: str
    destination_type: Literal["queue", "exchange"] = "queue"
    routing_key: str = Field("", max_length=255)
    arguments: Args = {}
    vhost: str | None = None


class Policy(ScenarioModel):
    name: Name
    pattern: str
    apply_to: Literal[
        "all", "queues", "exchanges", "classic_queues", "quorum_queues", "streams"
    ] = Field("all", validation_alias=AliasChoices("apply-to", "apply_to"),
              serialization_alias="apply-to")
    priority: int = 0
    definition: Args = {}
    vhost: str | None = None


class Topology(ScenarioModel):
    exchanges: list[Exchange] = []
    queues: list[Queue] = []
    bindings: list[Binding] = []
    policies: list[Policy] = []


# --- broker profile ---------------------------------------------------------

class Broker(ScenarioModel):
    """Which RabbitMQ to imitate. ``consumer_timeout`` (seconds, ``None`` = off)
    defaults to 1800 on 3.10 and to off on 4.3 (classic queues have none there).
    ``consumer_timeout_interval``: how often a channel checks it (3.10: every 60 s;
    0 = at the exact instant)."""

    version: Literal["3.10", "4.3"] = "3.10"
    consumer_timeout: Annotated[float, Field(gt=0)] | None = 1800.0
    consumer_timeout_interval: Annotated[float, Field(ge=0)] = 60.0

    @model_validator(mode="before")
    @classmethod
    def _version(cls, data: Any) -> Any:
        version = data.get("version") if isinstance(data, dict) else None
        if isinstance(version, float):  # YAML reads an unquoted 3.10 as the float 3.1
            data = {**data, "version": {3.1: "3.10", 4.3: "4.3"}.get(version, version)}
        return data

    @model_validator(mode="after")
    def _timeout_default(self) -> Broker:
        if "consumer_timeout" not in self.model_fields_set and self.version != "3.10":
            derive(self, "consumer_timeout", None)
        return self


# --- clients ----------------------------------------------------------------

Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class Producer(ScenarioModel):
    """``instances`` publishers named ``name#0``...; each publishes to ``exchange``
    with ``routing_key`` at ``rate`` from ``start`` (sim seconds) until ``count``
    messages (per instance) or the end. ``size``/``priority`` are sampled per
    message (``priority=None``: no priority property); ``expiration`` is in ms.
    ``reply_to`` (RPC requests) names the queue for the replies, or is
    ``amq.rabbitmq.reply-to`` (direct reply-to): then the producer consumes that
    pseudo-queue with auto-ack on its own channel before it publishes, and the
    replies come straight to it, never queued."""

    name: ActorName
    exchange: str = ""
    routing_key: RoutingKey = ""
    rate: Rate
    count: Annotated[int, Field(ge=0)] | None = None
    start: Seconds = 0.0
    instances: Count = 1
    persistent: bool = False
    confirms: bool = False
    mandatory: bool = False
    size: Distribution = Constant(value=0)
    priority: Distribution | None = None
    headers: Args = {}
    expiration: Annotated[int, Field(ge=0)] | None = None
    retry_unconfirmed: bool = False
    """Republish in-doubt (unconfirmed) messages after a connection loss;
    defaults to the value of ``confirms``."""
    reply_to: str | None = None
    correlation: bool = False
    node: NodeList | None = None
    """In a cluster: the nodes to connect to, in order of preference (after its
    connection dies a client reconnects to the next reachable one); default the first
    node. Written as a name or a list of names; ``None`` without a cluster."""

    _node_tuple = field_validator("node", mode="before")(node_tuple)

    @model_validator(mode="before")
    @classmethod
    def _expiration(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("expiration"), str):
            if data["expiration"].isdigit():  # AMQP carries it as a string
                data = {**data, "expiration": int(data["expiration"])}
        return data

    @model_validator(mode="after")
    def _retry_default(self) -> Producer:
        if "retry_unconfirmed" not in self.model_fields_set:
            derive(self, "retry_unconfirmed", self.confirms)
        return self

    @field_serializer("node")
    def _node_list(self, node: tuple[str, ...] | None) -> list[str] | None:
        return None if node is None else list(node)

    @field_serializer("size", "priority")
    def _plain_constant(self, d: Any) -> Any:
        if d is None:
            return None
        return d.model_dump()["constant"] if isinstance(d, Constant) else d.model_dump()

    def instance_names(self) -> list[str]:
        return [f"{self.name}#{i}" for i in range(self.instances)]

    def pick_routing_key(self, rng: Any) -> str:
        """The routing key of the next publish (draws from ``rng`` only for a choice)."""
        return self.routing_key if isinstance(self.routing_key, str) else \
            self.routing_key.sample(rng)


class Reject(ScenarioModel):
    probability: Annotated[float, Field(ge=0, le=1)]
    requeue: bool = False


class Consumer(ScenarioModel):
    """``instances`` consumers named ``name#0``... on ``queue``. ``prefetch`` is
    basic.qos per consumer (0 = unlimited), ``global_prefetch`` a per-channel limit;
    ``priority`` is the x-priority argument; ``reply``: publish a reply to each
    message's reply_to via the default exchange (RPC server); ``start``: the simulated
    second it first connects (a consumer that joins late); ``offset``: where a
    consumer of a stream starts reading (the x-stream-offset argument, see
    :mod:`.offsets`; unset = RabbitMQ's default, ``next``)."""

    name: ActorName
    queue: str
    instances: Count = 1
    prefetch: Annotated[int, Field(ge=0, le=65535)] = 0
    ack: Literal["manual", "auto"] = "manual"
    service_time: Distribution = Constant(value=0)
    reject: Reject | None = None
    priority: int = 0
    reply: bool = False
    exclusive: bool = False
    global_prefetch: Annotated[int, Field(ge=0, le=65535)] | None = None
    start: Seconds = 0.0
    offset: StreamOffset | None = None
    node: NodeList | None = None
    """In a cluster: the nodes to connect to, in order (see :attr:`Producer.node`)."""

    _node_tuple = field_validator("node", mode="before")(node_tuple)

    @field_serializer("node")
    def _node_list(self, node: tuple[str, ...] | None) -> list[str] | None:
        return None if node is None else list(node)

    def instance_names(self) -> list[str]:
        return [f"{self.name}#{i}" for i in range(self.instances)]


# --- the scenario -----------------------------------------------------------

class Scenario(ScenarioModel):
    name: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    description: str = ""
    seed: int = 0
    duration: Positive | None = None
    broker: Broker = Broker()
    cluster: Cluster | None = None
    topology: Topology = Topology()
    producers: list[Producer] = []
    consumers: list[Consumer] = []
    faults: list[Fault] = []

    @model_validator(mode="after")
    def _node_defaults(self) -> Scenario:
        """In a cluster, an unset ``node`` is the first node (queues: a name; clients:
        a tuple of one); copies, so that models passed in are not changed."""
        if self.cluster is None:
            return self
        first = self.cluster.first_node

        def placed(items: list[M], value: Any) -> list[M]:
            out = []
            for item in items:
                if item.node is None:
                    item = item.model_copy()
                    derive(item, "node", value)
                out.append(item)
            return out

        topology = self.topology.model_copy()
        derive(topology, "queues", placed(self.topology.queues, first))
        derive(self, "topology", topology)
        derive(self, "producers", placed(self.producers, (first,)))
        derive(self, "consumers", placed(self.consumers, (first,)))
        return self

    @property
    def node_names(self) -> tuple[str, ...]:
        """The cluster's nodes in order; ``()`` for a single broker."""
        return () if self.cluster is None else self.cluster.node_names

    def producer(self, name: str) -> Producer:
        return next(p for p in self.producers if p.name == name)

    def consumer(self, name: str) -> Consumer:
        return next(c for c in self.consumers if c.name == name)

    def queue(self, name: str) -> Queue:
        return next(q for q in self.topology.queues if q.name == name)

    def exchange_type(self, name: str) -> str:
        """Type of a declared or predeclared exchange."""
        if name in PREDECLARED_EXCHANGES:
            return PREDECLARED_EXCHANGES[name]
        return next(x.type for x in self.topology.exchanges if x.name == name)

    def fault_targets(self, fault: Fault) -> list[str]:
        """Instance names (``worker#0`` ...) a fault applies to; ``[]`` if untargeted
        or when it hits a node (see :attr:`Fault.node`, :meth:`partition_groups`)."""
        if fault.target_name is None or fault.kind in NODE_FAULT_KINDS:
            return []
        actors: dict[str, Producer | Consumer] = {a.name: a for a in self.producers}
        actors.update((c.name, c) for c in self.consumers)
        names = actors[fault.target_name].instance_names()
        return names if fault.target_index is None else [names[fault.target_index]]

    def partition_groups(self, fault: Fault) -> tuple[tuple[str, ...], ...]:
        """The sides of a ``partition``, every node on exactly one: the groups as
        written, with the nodes they leave out added to the first (in cluster order)."""
        if fault.groups is None:
            return ()
        listed = {n for group in fault.groups for n in group}
        rest = tuple(n for n in self.node_names if n not in listed)
        return (fault.groups[0] + rest, *fault.groups[1:])

    def quorum_group_size(self, queue: str) -> int:
        """How many replicas a quorum queue starts with: ``x-quorum-initial-group-size``
        (default 3) capped at the number of nodes (1 on a single broker)."""
        size = self.queue(queue).arguments.get("x-quorum-initial-group-size", 3)
        return min(size if isinstance(size, int) else 3, max(len(self.node_names), 1))

    def to_dict(self, *, compact: bool = False) -> dict[str, Any]:
        """Plain data in the YAML shape. ``compact`` keeps only keys that were set."""
        return self.model_dump(by_alias=True, exclude_unset=compact)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A re-validated copy with dotted-path overrides applied, e.g.
        ``{"consumers.0.prefetch": 10}``. Raises :class:`ScenarioError`."""
        return apply_overrides(self, overrides)
