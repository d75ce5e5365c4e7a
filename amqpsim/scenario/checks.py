"""Whole-document checks that look across fields and sections.

They run on the *raw* data (dicts and lists from YAML), next to the pydantic
shape checks, so that one pass reports every problem even when some items are
malformed: anything of the wrong shape is skipped here (pydantic reports it).
What RabbitMQ itself refuses in the topology (argument values, queue types,
reserved names, dangling bindings, policies) is checked by the broker, in
:mod:`.broker_check`; these checks are the scenario's own (duplicate names,
clients and faults, misspelt arguments, what amqpsim does not simulate).
"""

from __future__ import annotations

from typing import Any, TypeGuard

from amqpsim.broker.replyto import REPLY_QUEUE
from amqpsim.broker.rules import stream_consume_refusal, stream_not_supported

from .args import PREDECLARED_EXCHANGES, misspelt_exchange_arguments, misspelt_queue_arguments
from .broker_check import check_topology
from .cluster_checks import check_cluster
from .errors import MISSING, Issue, did_you_mean
from .paths import items_at

__all__ = ["check_scenario", "FAULT_FIELDS"]

Path = tuple[Any, ...]

# kind -> (required fields, allowed optional fields, sections a target may name)
FAULT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "consumer_crash": (("target",), ("downtime",), ("consumers",)),
    "broker_restart": ((), ("downtime",), ()),
    "slow_consumer": (("target", "factor", "until"), (), ("consumers",)),
    "connection_loss": (("target", "downtime"), (), ("producers", "consumers")),
    "memory_alarm": (("until",), (), ()),
    "node_crash": (("target",), ("downtime",), ()),  # a node: see .cluster_checks
    "node_stop": (("target",), ("downtime",), ()),
    "partition": (("groups",), ("until",), ()),
}


def _dict(d: dict[Any, Any], key: str) -> dict[Any, Any]:
    value = d.get(key)
    return value if isinstance(value, dict) else {}


def _is_num(v: Any) -> TypeGuard[float]:
    return isinstance(v, int | float) and not isinstance(v, bool)


class _Checker:
    def __init__(self, data: dict[Any, Any]) -> None:
        self.data = data
        self.issues: list[Issue] = []
        version = _dict(data, "broker").get("version", "3.10")
        self.version = "4.3" if version in ("4.3", 4.3) else "3.10"
        self.exchanges: dict[str, dict[Any, Any]] = {}
        self.queues: dict[str, str] = {}  # name -> queue type
        self.actors: dict[str, tuple[str, int]] = {}  # name -> (section, instances)

    def add(self, parts: Path, message: str, value: Any = MISSING, hint: str | None = None
            ) -> None:
        self.issues.append(Issue(parts, message, value, hint))

    def unique(self, seen: dict[str, Any], name: Any, p: Path, what: str, first: Any) -> bool:
        if not isinstance(name, str):
            return False
        if name in seen:
            self.add((*p, "name"), f"duplicate {what} name {name!r}", name)
            return False
        seen[name] = first
        return True

    def exchange_exists(self, p: Path, name: Any, role: str) -> None:
        if not isinstance(name, str) or name in self.exchanges or name in PREDECLARED_EXCHANGES:
            return
        names = [*self.exchanges, *PREDECLARED_EXCHANGES]
        self.add(p, f"no exchange named {name!r}" + role, name, did_you_mean(name, names))

    def queue_exists(self, p: Path, name: Any) -> None:
        if isinstance(name, str) and name not in self.queues:
            self.add(p, f"no queue named {name!r}", name, did_you_mean(name, self.queues))

    # --- topology -----------------------------------------------------------

    def exchanges_(self) -> None:
        for p, x in items_at(self.data, "topology", "exchanges"):
            self.unique(self.exchanges, x.get("name"), p, "exchange", x)
            self.issues += misspelt_exchange_arguments((*p, "arguments"), _dict(x, "arguments"))

    def queues_(self) -> None:
        for p, q in items_at(self.data, "topology", "queues"):
            name, args = q.get("name"), _dict(q, "arguments")
            if name == "":
                self.add((*p, "name"), "server-named queues ('') are not supported: give the "
                         "queue a name", name)
            qtype = self.queue_type(p, q.get("type"), args.get("x-queue-type"))
            if isinstance(name, str) and self.unique(self.queues, name, p, "queue", qtype):
                self.queues[name] = qtype
            self.issues += misspelt_queue_arguments((*p, "arguments"), args)

    def queue_type(self, p: Path, field: Any, arg: Any) -> str:
        """The queue's type (``classic``, ``quorum`` or ``stream``)."""
        types = ("classic", "quorum", "stream")
        if field in types and arg in types and field != arg:
            self.add((*p, "type"), f"type {field!r} contradicts arguments.x-queue-type {arg!r}",
                     field)
        for t in ("stream", "quorum"):
            if t in (field, arg):
                return t
        return "classic"

    def bindings_(self) -> None:
        """RabbitMQ 4.3.5+ refuses a topic binding key with more than two '#' words (the
        broker does not model it yet, and its wording is unverified)."""
        for p, b in items_at(self.data, "topology", "bindings"):
            key = b.get("routing_key", "")
            if self.exchange_type(b.get("source")) == "topic" and isinstance(key, str) \
                    and self.version == "4.3" and key.split(".").count("#") > 2:
                self.add((*p, "routing_key"), "a topic binding key may have at most two '#' "
                         "words on RabbitMQ 4.3 (406)", key)

    def exchange_type(self, name: Any) -> str | None:
        if not isinstance(name, str):
            return None
        if name in self.exchanges:
            return self.exchanges[name].get("type")
        return PREDECLARED_EXCHANGES.get(name)

    def policies_(self) -> None:
        seen: dict[str, Any] = {}
        for p, pol in items_at(self.data, "topology", "policies"):
            self.unique(seen, pol.get("name"), p, "policy", pol)

    # --- clients and faults -------------------------------------------------

    def clients(self) -> None:
        for section in ("producers", "consumers"):
            for p, a in items_at(self.data, section):
                n = a.get("instances", 1)
                if isinstance(a.get("name"), str) and a["name"] in self.actors:
                    self.add((*p, "name"), f"duplicate name {a['name']!r} (producers and "
                             "consumers share one namespace)", a["name"])
                elif isinstance(a.get("name"), str):
                    self.actors[a["name"]] = (section, n if isinstance(n, int) else 1)
        for p, prod in items_at(self.data, "producers"):
            self.exchange_exists((*p, "exchange"), prod.get("exchange", ""), "")
            name = prod.get("exchange")
            x = self.exchanges.get(name) if isinstance(name, str) else None
            if x is not None and x.get("internal") is True:
                self.add((*p, "exchange"), f"cannot publish to internal exchange "
                         f"{prod['exchange']!r} (RabbitMQ refuses it with 403)", prod["exchange"])
            if prod.get("reply_to") is not None and prod["reply_to"] != REPLY_QUEUE:  # (direct reply-to: no queue)
                self.queue_exists((*p, "reply_to"), prod["reply_to"])
            if prod.get("correlation") is True and prod.get("reply_to") is None:
                self.add((*p, "correlation"), "correlation needs reply_to", True)
            if prod.get("retry_unconfirmed") is True and prod.get("confirms") is not True:
                self.add((*p, "retry_unconfirmed"), "retry_unconfirmed needs confirms: true "
                         "(only confirms tell which messages are in doubt)", True)
        for p, cons in items_at(self.data, "consumers"):
            self.queue_exists((*p, "queue"), cons.get("queue"))
            self.offset(p, cons)
            if cons.get("ack") == "auto" and cons.get("reject") is not None:
                self.add((*p, "reject"), "reject needs ack: manual (an auto-ack consumer "
                         "never rejects)", cons["reject"])

    def offset(self, p: Path, cons: dict[Any, Any]) -> None:
        """An ``offset`` only means something on a stream (RabbitMQ refuses x-stream-offset
        on other queue types with 406); a stream consumer needs a prefetch and manual acks,
        and cannot reject (RabbitMQ's refusals, :mod:`amqpsim.broker.rules`)."""
        queue = cons.get("queue")
        qtype = self.queues.get(queue) if isinstance(queue, str) else None
        if cons.get("offset") is not None and qtype not in (None, "stream"):
            self.add((*p, "offset"), f"offset applies to stream queues only ({queue!r} is a "
                     f"{qtype} queue)", cons["offset"])
        if qtype != "stream" or not isinstance(queue, str):
            return
        prefetch = cons.get("prefetch", 0)
        refusal = stream_consume_refusal(queue, cons.get("ack") == "auto",
                                         prefetch if isinstance(prefetch, int) else 1)
        if refusal is not None:
            key = "ack" if "no_ack" in refusal.field else "prefetch"
            self.add((*p, key), f"a stream consumer needs a prefetch (> 0) and ack: manual: RabbitMQ "
                     f"refuses the consume with {refusal.code} {refusal.reply_text}", cons.get(key, 0))
        if cons.get("reject") is not None:
            r = stream_not_supported("basic.reject", queue)
            self.add((*p, "reject"), f"a stream consumer cannot reject: RabbitMQ closes the connection "
                     f"with {r.code} {r.reply_text}", cons["reject"])

    def faults(self) -> None:
        for p, f in items_at(self.data, "faults"):
            kind = f.get("kind")
            if kind in ("ack_timeout", "consumer_timeout"):
                self.add((*p, "kind"), f"{kind} is not a fault: set broker.consumer_timeout "
                         "(seconds) instead", kind)
            if not isinstance(kind, str) or kind not in FAULT_FIELDS:
                continue
            required, optional, sections = FAULT_FIELDS[kind]
            for key in required:
                if f.get(key) is None:
                    self.add(p, f"{kind} needs {key!r}")
            for key in ("until", "target", "downtime", "factor", "groups"):
                if f.get(key) is not None and key not in required + optional:
                    self.add((*p, key), f"{key!r} does not apply to {kind}", f[key])
            at, until = f.get("at"), f.get("until")
            if _is_num(at) and _is_num(until) and until <= at:
                self.add((*p, "until"), f"until must be after at ({at})", until)
            if isinstance(f.get("target"), str) and sections:
                self.target((*p, "target"), f["target"], sections, kind)

    def target(self, p: Path, target: str, sections: tuple[str, ...], kind: str) -> None:
        name, _, index = target.partition("#")
        what = " or ".join(s.rstrip("s") for s in sections)
        found = self.actors.get(name)
        if found is None or found[0] not in sections:
            names = [n for n, (s, _) in self.actors.items() if s in sections]
            extra = f" ({name!r} is a {found[0].rstrip('s')})" if found else ""
            self.add(p, f"no {what} named {name!r}{extra}", target,
                     did_you_mean(name, names))
        elif index.isdigit() and int(index) >= found[1]:
            n = found[1]
            have = f"1 instance ({name}#0)" if n == 1 else f"{n} instances ({name}#0..#{n - 1})"
            self.add(p, f"{name!r} has {have}", target)


def check_scenario(data: dict[Any, Any]) -> list[Issue]:
    """Every cross-field and cross-section problem in a raw scenario mapping, and
    everything RabbitMQ would refuse when the topology is declared."""
    checker = _Checker(data)
    checker.exchanges_()
    checker.queues_()
    checker.bindings_()
    checker.policies_()
    checker.clients()
    checker.faults()
    actors = {name: section for name, (section, _) in checker.actors.items()}
    return checker.issues + check_cluster(data, actors) + check_topology(data, checker.version)
