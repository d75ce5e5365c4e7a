"""Checks of the ``cluster`` section and of every place that names a node.

Like :mod:`.checks` they run on the raw data, so a malformed item is skipped (the
shape checks report it) and one pass reports everything. An issue given here at a
path replaces pydantic's at the same path: the messages speak of node names and
lists where pydantic would speak of tuples and union members.

What RabbitMQ accepts but is likely a slip (a ``ha-mode: nodes`` policy naming a node
the cluster does not have: RabbitMQ ignores it) is a warning, not an error
(:func:`cluster_warnings`).
"""

from __future__ import annotations

import re
from typing import Any

from .cluster import MAX_NODES, NODE_FAULT_KINDS, NODE_NAME_PATTERN
from .errors import MISSING, Issue, did_you_mean
from .paths import items_at

__all__ = ["check_cluster", "cluster_warnings"]

Path = tuple[Any, ...]
_NODE_NAME = re.compile(NODE_NAME_PATTERN)



def _shown(v: Any) -> str:
    """A value as YAML writes it: ``true``, ``null``, ``'text'``, ``[a]``."""
    return {True: "true", False: "false", None: "null"}.get(v, repr(v)) \
        if v is None or isinstance(v, bool) else repr(v)


def _hint(name: Any, nodes: list[str]) -> str | None:
    """The nearest node name, unless it differs only in its digits (``rabbit9`` is
    not a misspelt ``rabbit2``)."""
    hint = did_you_mean(name, nodes)
    if hint is None or hint == name or not isinstance(name, str):
        return hint
    return None if re.sub(r"[0-9]", "", hint) == re.sub(r"[0-9]", "", name) else hint


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class _ClusterChecker:
    def __init__(self, data: dict[Any, Any], actors: dict[str, str]) -> None:
        self.data = data
        self.actors = actors  # client name -> "producers" | "consumers"
        self.issues: list[Issue] = []
        cluster = data.get("cluster")
        self.present = cluster is not None
        self.cluster: dict[Any, Any] = cluster if isinstance(cluster, dict) else {}
        self.nodes: list[str] = []  # the valid node names, in order

    def add(self, parts: Path, message: str, value: Any = MISSING, hint: str | None = None
            ) -> None:
        self.issues.append(Issue(parts, message, value, hint))

    # --- the section ----------------------------------------------------------

    def section(self) -> None:
        if not self.present:
            return
        version = self.data.get("broker", {}).get("version") \
            if isinstance(self.data.get("broker"), dict) else None
        if version in ("4.3", 4.3):
            self.add(("broker", "version"), "amqpsim simulates clusters of RabbitMQ 3.10 only "
                     "(4.3 has no classic mirroring and no partition handling): use 3.10 or "
                     "leave out the cluster section", "4.3")
        handling = self.cluster.get("partition_handling")
        if handling == "pause_if_all_down":
            self.add(("cluster", "partition_handling"), "pause_if_all_down is not simulated "
                     "(use ignore, pause_minority or autoheal)", handling)
        nodes = self.cluster.get("nodes", MISSING)
        p = ("cluster", "nodes")
        if nodes is MISSING:
            return
        if _is_int(nodes):
            if nodes < 1:
                self.add(p, f"a cluster needs at least 1 node, got {nodes}", nodes)
            elif nodes > MAX_NODES:
                self.add(p, f"a cluster has at most {MAX_NODES} nodes, got {nodes}", nodes)
            else:
                self.nodes = [f"rabbit{i}" for i in range(1, nodes + 1)]
        elif isinstance(nodes, list):
            if not nodes:
                self.add(p, "a cluster needs at least 1 node, got an empty list", nodes)
            elif len(nodes) > MAX_NODES:
                self.add(p, f"a cluster has at most {MAX_NODES} nodes, got {len(nodes)}", nodes)
            for i, name in enumerate(nodes):
                if not isinstance(name, str) or not _NODE_NAME.match(name):
                    self.add((*p, i), "a node name is letters, digits, '-' and '_', got "
                             f"{_shown(name)}", name)
                elif name in self.nodes:
                    self.add((*p, i), f"duplicate node name {name!r}", name)
                else:
                    self.nodes.append(name)
        else:
            self.add(p, "expected a number of nodes (rabbit1..rabbitN) or a list of node "
                     f"names, got {_shown(nodes)}", nodes)

    # --- node references --------------------------------------------------------

    def node_exists(self, p: Path, name: Any) -> bool:
        """Whether ``name`` is a node of the cluster; reports it if not."""
        if not self.nodes or isinstance(name, str) and name in self.nodes:
            return True  # no valid node list: the section's problems are reported
        if not isinstance(name, str):
            self.add(p, f"expected a node name, got {_shown(name)}", name)
            return False
        hint = _hint(name, self.nodes)
        known = "" if hint else f" (the nodes: {', '.join(self.nodes)})"
        self.add(p, f"no node named {name!r}{known}", name, hint)
        return False

    def needs_cluster(self, p: Path, value: Any) -> bool:
        if not self.present:
            self.add(p, "node: needs a cluster section", value)
        return self.present

    def node_refs(self) -> None:
        for p, q in items_at(self.data, "topology", "queues"):
            node = q.get("node")
            if node is not None and self.needs_cluster((*p, "node"), node):
                if isinstance(node, str):
                    self.node_exists((*p, "node"), node)
                else:
                    self.add((*p, "node"), "a queue lives on one node: expected a node name, "
                             f"got {_shown(node)}", node)
        for section in ("producers", "consumers"):
            for p, client in items_at(self.data, section):
                node = client.get("node")
                if node is not None and self.needs_cluster((*p, "node"), node):
                    self.client_nodes((*p, "node"), node)

    def client_nodes(self, p: Path, node: Any) -> None:
        if isinstance(node, str):
            self.node_exists(p, node)
        elif not isinstance(node, list):
            self.add(p, f"expected a node name or a list of node names, got {_shown(node)}", node)
        elif not node:
            self.add(p, "expected a node name or a non-empty list of node names, got []", node)
        else:
            for i, name in enumerate(node):
                if name in node[:i]:
                    self.add((*p, i), f"{name!r} is listed twice", name)
                else:
                    self.node_exists((*p, i), name)

    # --- faults -------------------------------------------------------------------

    def faults(self) -> None:
        for p, f in items_at(self.data, "faults"):
            kind = f.get("kind")
            if kind in NODE_FAULT_KINDS and not self.present:
                self.add((*p, "kind"), f"{kind} needs a cluster section", kind)
            elif kind == "broker_restart" and self.present:
                every = ", ".join(self.nodes) or "every node"
                self.add((*p, "kind"), "broker_restart restarts a single broker: in a cluster, "
                         f"use node_stop or node_crash on each node ({every})", kind)
            elif kind in ("node_crash", "node_stop") and isinstance(f.get("target"), str):
                self.node_target((*p, "target"), f["target"])
            elif kind == "partition" and f.get("groups") is not None:
                self.groups((*p, "groups"), f["groups"])

    def node_target(self, p: Path, target: str) -> None:
        name = target.partition("#")[0]
        if name in self.actors and name not in self.nodes:
            hint = _hint(target, self.nodes)
            self.add(p, f"no node named {target!r} ({name!r} is a "
                     f"{self.actors[name].rstrip('s')}; the nodes: {', '.join(self.nodes)})",
                     target, hint)
        else:
            self.node_exists(p, target)

    def groups(self, p: Path, groups: Any) -> None:
        example = "e.g. [[rabbit1], [rabbit2, rabbit3]]"
        if not isinstance(groups, list):
            self.add(p, "expected a list of lists of node names "
                     f"({example}), got {_shown(groups)}", groups)
            return
        if len(groups) < 2:
            self.add(p, f"a partition needs at least 2 groups ({example}), got {len(groups)}",
                     groups)
        seen: dict[str, int] = {}
        for i, group in enumerate(groups):
            if not isinstance(group, list):
                self.add((*p, i), f"a group is a list of node names ({example}), got "
                         f"{_shown(group)}", group)
                continue
            if not group:
                self.add((*p, i), "a group needs at least 1 node", group)
            for j, name in enumerate(group):
                if isinstance(name, str) and name in seen:
                    where = "twice in this group" if seen[name] == i \
                        else f"also in group {seen[name]}"
                    self.add((*p, i, j), f"{name!r} is {where} (the groups must be disjoint)",
                             name)
                elif self.node_exists((*p, i, j), name) and isinstance(name, str):
                    seen[name] = i


def check_cluster(data: dict[Any, Any], actors: dict[str, str]) -> list[Issue]:
    """Every problem with the cluster section and the nodes that queues, clients and
    faults name. ``actors``: client name -> its section (``producers``/``consumers``)."""
    checker = _ClusterChecker(data, actors)
    checker.section()
    checker.node_refs()
    checker.faults()
    return checker.issues


def cluster_warnings(data: dict[Any, Any]) -> list[Issue]:
    """What RabbitMQ accepts but the scenario probably did not mean: a ``ha-mode: nodes``
    policy naming nodes the cluster does not have (RabbitMQ ignores them)."""
    checker = _ClusterChecker(data, {})
    checker.section()
    if not checker.present or checker.issues:
        return []
    for p, pol in items_at(data, "topology", "policies"):
        definition = pol.get("definition")
        params = definition.get("ha-params") if isinstance(definition, dict) else None
        if not isinstance(definition, dict) or definition.get("ha-mode") != "nodes" \
                or not isinstance(params, list):
            continue
        for i, name in enumerate(params):
            if isinstance(name, str) and name not in checker.nodes:
                hint = _hint(name.partition("@")[0], checker.nodes)
                checker.add((*p, "definition", "ha-params", i), f"no node named {name!r} in the "
                            "cluster: RabbitMQ accepts the policy and places no mirror there",
                            name, hint)
    return checker.issues
