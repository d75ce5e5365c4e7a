"""The typed scenario: pydantic models mirroring SCENARIO-FORMAT.md.

These models check the *shape* of each field (types, ranges, enums, unknown
keys). Checks that look across fields or sections (dangling names, queue
arguments, fault requirements) live in :mod:`amqpsim.scenario.checks`; use
:func:`amqpsim.scenario.load_scenario` to run both.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    model_validator,
)

from .args import PREDECLARED_EXCHANGES
from .distributions import Constant, Distribution
from .offsets import StreamOffset
from .rates import Rate, RoutingKey
from .validation import apply_overrides

__all__ = [
    "Binding", "Broker", "Consumer", "Exchange", "Fault", "Policy", "Producer", "Queue",
    "Reject", "Scenario", "Topology", "FAULT_KINDS", "PREDECLARED_EXCHANGES",
]

FAULT_KINDS = ("consumer_crash", "broker_restart", "slow_consumer", "connection_loss",
               "memory_alarm")

Name = Annotated[str, Field(min_length=1, max_length=255)]
ActorName = Annotated[str, Field(pattern=r"^[^#]+$")]
ActorRef = Annotated[str, Field(pattern=r"^[^#]+(#[0-9]+)?$")]
Args = dict[str, Any]


def _derive(model: BaseModel, field: str, value: Any) -> None:
    """Fill a default that depends on other fields. The field stays *unset*, so a
    compact dump leaves it out and a reload derives it again."""
    object.__setattr__(model, field, value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        """``faults:`` or ``arguments:`` with nothing after them (YAML null) means
        empty: drop nulls of list, mapping and section fields."""
        if not isinstance(data, dict) or None not in data.values():
            return data
        containers = {name for name, f in cls.model_fields.items()
                      if isinstance(f.default, list | dict | BaseModel)}
        return {k: v for k, v in data.items() if not (v is None and k in containers)}


# --- topology (RabbitMQ definitions.json shape) -----------------------------

class Exchange(_Model):
    name: Name
    type: Literal["direct", "fanout", "topic", "headers"]
    durable: bool = True
    auto_delete: bool = False
    internal: bool = False
    arguments: Args = {}
    vhost: str | None = None  # accepted (and ignored) so definitions exports paste in


class Queue(_Model):
    name: Name
    durable: bool = True
    auto_delete: bool = False
    exclusive: bool = False
    type: Literal["classic", "quorum", "stream"] | None = None
    arguments: Args = {}
    vhost: str | None = None

    @property
    def queue_type(self) -> Literal["classic", "quorum", "stream"]:
        """``type``, else ``arguments['x-queue-type']``, else ``classic``."""
        found = self.type or self.arguments.get("x-queue-type") or "classic"
        return found if found in ("quorum", "stream") else "classic"


class Binding(_Model):
    source: str
    destination: str
    destination_type: Literal["queue", "exchange"] = "queue"
    routing_key: str = Field("", max_length=255)
    arguments: Args = {}
    vhost: str | None = None


class Policy(_Model):
    name: Name
    pattern: str
    apply_to: Literal[
        "all", "queues", "exchanges", "classic_queues", "quorum_queues", "streams"
    ] = Field("all", validation_alias=AliasChoices("apply-to", "apply_to"),
              serialization_alias="apply-to")
    priority: int = 0
    definition: Args = {}
    vhost: str | None = None


class Topology(_Model):
    exchanges: list[Exchange] = []
    queues: list[Queue] = []
    bindings: list[Binding] = []
    policies: list[Policy] = []


# --- broker profile ---------------------------------------------------------

class Broker(_Model):
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
            _derive(self, "consumer_timeout", None)
        return self


# --- clients ----------------------------------------------------------------

Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class Producer(_Model):
    """``instances`` publishers named ``name#0``...; each publishes to ``exchange``
    with ``routing_key`` at ``rate`` from ``start`` (sim seconds) until ``count``
    messages (per instance) or the end. ``size``/``priority`` are sampled per
    message (``priority=None``: no priority property); ``expiration`` is in ms."""

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
            _derive(self, "retry_unconfirmed", self.confirms)
        return self

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


class Reject(_Model):
    probability: Annotated[float, Field(ge=0, le=1)]
    requeue: bool = False


class Consumer(_Model):
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

    def instance_names(self) -> list[str]:
        return [f"{self.name}#{i}" for i in range(self.instances)]


class Fault(_Model):
    """A fault at sim time ``at``. Fields per kind (checked by the loader):
    consumer_crash: target (consumer), optional downtime (restart after; unset =
    stays down); broker_restart: optional downtime (default 0); slow_consumer:
    target, factor (service time multiplier), until; connection_loss: target
    (producer or consumer), downtime; memory_alarm: until."""

    at: Seconds
    kind: Literal[
        "consumer_crash", "broker_restart", "slow_consumer", "connection_loss", "memory_alarm"
    ]
    until: Seconds | None = None
    target: ActorRef | None = None
    downtime: Positive | None = None
    factor: Positive | None = None

    @property
    def outage(self) -> float | None:
        """Seconds until recovery: ``downtime``; for ``broker_restart`` ``0`` when unset.
        ``None`` for a ``consumer_crash`` without downtime (it stays down)."""
        if self.downtime is None and self.kind == "broker_restart":
            return 0.0
        return self.downtime

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


# --- the scenario -----------------------------------------------------------

class Scenario(_Model):
    name: Annotated[str, Field(pattern=r"^[a-z0-9-]+$")]
    description: str = ""
    seed: int = 0
    duration: Positive | None = None
    broker: Broker = Broker()
    topology: Topology = Topology()
    producers: list[Producer] = []
    consumers: list[Consumer] = []
    faults: list[Fault] = []

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
        """Instance names (``worker#0`` ...) a fault applies to; ``[]`` if untargeted."""
        if fault.target_name is None:
            return []
        actors: dict[str, Producer | Consumer] = {a.name: a for a in self.producers}
        actors.update((c.name, c) for c in self.consumers)
        names = actors[fault.target_name].instance_names()
        return names if fault.target_index is None else [names[fault.target_index]]

    def to_dict(self, *, compact: bool = False) -> dict[str, Any]:
        """Plain data in the YAML shape. ``compact`` keeps only keys that were set."""
        return self.model_dump(by_alias=True, exclude_unset=compact)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A re-validated copy with dotted-path overrides applied, e.g.
        ``{"consumers.0.prefetch": 10}``. Raises :class:`ScenarioError`."""
        return apply_overrides(self, overrides)
