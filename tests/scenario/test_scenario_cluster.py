"""The cluster section: what loads (with its defaults and helpers) and what is refused."""

from __future__ import annotations

import re
import textwrap
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario_helpers import BASE, only, problems_of

from amqpsim.cli import main
from amqpsim.scenario import (
    Cluster,
    Consumer,
    Queue,
    Scenario,
    ScenarioError,
    ScenarioWarning,
    dump_yaml,
    load_scenario,
)
from amqpsim.scenario.validation import _set_path

CLUSTER = """\
name: cluster
cluster:
  nodes: 3
  partition_handling: pause_minority
  net_ticktime: 30
topology:
  queues:
    - {name: orders, durable: true, node: rabbit2}
    - {name: payments, arguments: {x-queue-type: quorum, x-quorum-initial-group-size: 5}}
    - {name: audit}
  policies:
    - {name: ha, pattern: "^orders$", apply-to: queues,
       definition: {ha-mode: all, ha-sync-mode: manual, ha-promote-on-failure: always,
                    ha-promote-on-shutdown: when-synced}}
producers:
  - {name: web, exchange: "", routing_key: orders, rate: {constant: 1}, node: rabbit1}
  - {name: api, routing_key: payments, rate: {constant: 1}, node: [rabbit3, rabbit2]}
  - {name: batch, routing_key: audit, rate: {constant: 1}}
consumers:
  - {name: worker, queue: orders, node: [rabbit2, rabbit3]}
faults:
  - {at: 100, kind: node_crash, target: rabbit1, downtime: 30}
  - {at: 100, kind: node_stop, target: rabbit2}
  - {at: 200, until: 260, kind: partition, groups: [[rabbit1], [rabbit2, rabbit3]]}
  - {at: 300, kind: partition, groups: [[rabbit2], [rabbit3]]}
"""


def load(text: str) -> Scenario:
    return load_scenario(textwrap.dedent(text))


# --- what loads ---------------------------------------------------------------

def test_a_cluster_scenario_loads_with_its_nodes_and_defaults() -> None:
    s = load(CLUSTER)
    assert s.cluster == Cluster(nodes=3, partition_handling="pause_minority", net_ticktime=30)
    assert s.node_names == s.cluster.node_names == ("rabbit1", "rabbit2", "rabbit3")
    assert s.cluster.first_node == "rabbit1"
    # queues: one node name, default the first node
    assert [q.node for q in s.topology.queues] == ["rabbit2", "rabbit1", "rabbit1"]
    # clients: a tuple of names, in order, default the first node
    assert [p.node for p in s.producers] == [("rabbit1",), ("rabbit3", "rabbit2"), ("rabbit1",)]
    assert s.consumer("worker").node == ("rabbit2", "rabbit3")


def test_cluster_defaults_and_named_nodes() -> None:
    c = load("name: c\ncluster: {nodes: [alpha, beta_2, Gamma-3]}\n").cluster
    assert c is not None
    assert (c.partition_handling, c.net_ticktime) == ("ignore", 60.0)
    assert c.node_names == ("alpha", "beta_2", "Gamma-3") and c.first_node == "alpha"
    one = load("name: c\ncluster: {nodes: 1, partition_handling: autoheal}\n").cluster
    assert one is not None and one.node_names == ("rabbit1",)


def test_node_faults_expose_their_node_and_groups() -> None:
    s = load(CLUSTER)
    crash, stop, cut, open_cut = s.faults
    assert (crash.kind, crash.node, crash.outage) == ("node_crash", "rabbit1", 30)
    assert (stop.node, stop.outage) == ("rabbit2", None)  # no downtime: stays down
    assert cut.node is None and cut.until == 260
    assert cut.groups == (("rabbit1",), ("rabbit2", "rabbit3"))
    assert s.partition_groups(cut) == (("rabbit1",), ("rabbit2", "rabbit3"))
    # nodes not listed join the first group; no until: never healed
    assert open_cut.until is None
    assert s.partition_groups(open_cut) == (("rabbit2", "rabbit1"), ("rabbit3",))
    assert [s.fault_targets(f) for f in s.faults] == [[], [], [], []]  # no client is hit
    assert s.partition_groups(crash) == ()


def test_quorum_group_size_is_capped_at_the_nodes() -> None:
    s = load(CLUSTER)
    assert s.quorum_group_size("payments") == 3  # 5 asked, 3 nodes
    five = s.with_overrides({"cluster.nodes": 5})
    assert five.quorum_group_size("payments") == 5
    assert five.with_overrides({"topology.queues.1.arguments": {"x-queue-type": "quorum"}}
                               ).quorum_group_size("payments") == 3  # the 3.10 default
    assert load_scenario(BASE).quorum_group_size("warehouse") == 1  # a single broker


def test_round_trips_and_overrides_derive_the_node_defaults_again() -> None:
    s = load(CLUSTER)
    compact = dump_yaml(s)
    assert "node: rabbit1\n" not in compact.split("producers:")[0]  # derived defaults stay out
    assert load_scenario(compact) == s
    assert load_scenario(dump_yaml(s, compact=False)) == s
    named = s.with_overrides({"cluster.nodes": ["rabbit3", "rabbit2", "rabbit1"]})
    assert named.queue("audit").node == "rabbit3" and named.producer("batch").node == ("rabbit3",)
    assert named.queue("orders").node == "rabbit2"  # set, so kept


def test_models_passed_in_are_not_changed() -> None:
    q, c = Queue(name="q"), Consumer(name="c", queue="q")
    s = Scenario.model_validate({"name": "m", "cluster": Cluster(nodes=2),
                                 "topology": {"queues": [q]}, "consumers": [c]})
    assert s.queue("q").node == "rabbit1" and s.consumer("c").node == ("rabbit1",)
    assert q.node is None and c.node is None


def test_single_node_scenarios_have_no_cluster_and_no_nodes() -> None:
    s = load_scenario(BASE)
    assert s.cluster is None and s.node_names == ()
    assert s.queue("warehouse").node is None and s.producer("web").node is None
    assert "cluster" not in s.to_dict(compact=True)


MIRRORED_AND_QUORUM = """\
topology:
  queues:
    - {name: q}
    - {name: qq, arguments: {x-queue-type: quorum, x-quorum-initial-group-size: 7}}
  policies:
    - {name: ha, pattern: "^q$", apply-to: queues,
       definition: {ha-mode: exactly, ha-params: 2, ha-sync-mode: automatic}}
    - {name: hn, pattern: "^n$", definition: {ha-mode: nodes, ha-params: [rabbit1]}}
"""


def test_mirroring_and_quorum_queues_are_valid_with_or_without_a_cluster() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # all nodes exist (and one broker has no nodes)
        single = load_scenario("name: single\n" + MIRRORED_AND_QUORUM)
        clustered = load_scenario("name: c\ncluster: {nodes: 2}\n" + MIRRORED_AND_QUORUM)
    assert [p.name for p in single.topology.policies] == ["ha", "hn"]
    assert single.quorum_group_size("qq") == 1 and clustered.quorum_group_size("qq") == 2


# --- what is refused ------------------------------------------------------------

def test_node_needs_a_cluster_section() -> None:
    ps = problems_of("""\
        name: no-cluster
        topology:
          queues: [{name: q, node: rabbit1}]
        producers: [{name: p, rate: {constant: 1}, node: [rabbit1, rabbit2]}]
        consumers: [{name: c, queue: q, node: rabbit1}]
        faults:
          - {at: 1, kind: node_crash, target: rabbit1}
          - {at: 1, kind: node_stop, target: rabbit1}
          - {at: 1, until: 2, kind: partition, groups: [[rabbit1], [rabbit2]]}
        """)
    for path, line in (("topology.queues[0].node", 3), ("producers[0].node", 4),
                       ("consumers[0].node", 5)):
        p = only(ps, path)
        assert (p.line, p.message) == (line, "node: needs a cluster section")
    assert only(ps, "producers[0].node").value == ["rabbit1", "rabbit2"]
    assert [only(ps, f"faults[{i}].kind").message for i in range(3)] == [
        "node_crash needs a cluster section", "node_stop needs a cluster section",
        "partition needs a cluster section"]
    assert len(ps) == 6


def test_the_cluster_section_refuses_bad_values_with_suggestions() -> None:
    ps = problems_of("""\
        name: bad-cluster
        cluster:
          nodes: [rabbit1, rabbit2, rabbit2, "rabbit@host", 7]
          partition_handling: pause_minorty
          net_tickime: 30
        """)
    p = only(ps, "cluster.partition_handling")
    assert (p.line, p.suggestion, p.value) == (4, "pause_minority", "pause_minorty")
    assert p.message == ("expected 'ignore', 'pause_minority' or 'autoheal', got "
                         "'pause_minorty'")
    p = only(ps, "cluster.net_tickime")
    assert (p.line, p.message, p.suggestion) == (5, "unknown key 'net_tickime'", "net_ticktime")
    assert only(ps, "cluster.nodes[2]").message == "duplicate node name 'rabbit2'"
    p = only(ps, "cluster.nodes[3]")
    assert (p.line, p.message) == (
        3, "a node name is letters, digits, '-' and '_', got 'rabbit@host'")
    assert only(ps, "cluster.nodes[4]").message == (
        "a node name is letters, digits, '-' and '_', got 7")
    assert len(ps) == 5


@pytest.mark.parametrize(("cluster", "path", "message"), [
    ("{nodes: 0}", "cluster.nodes", "a cluster needs at least 1 node, got 0"),
    ("{nodes: []}", "cluster.nodes", "a cluster needs at least 1 node, got an empty list"),
    ("{nodes: 1000000000}", "cluster.nodes", "a cluster has at most 100 nodes, got 1000000000"),
    (f"{{nodes: [{', '.join(f'n{i}' for i in range(101))}]}}", "cluster.nodes",
     "a cluster has at most 100 nodes, got 101"),
    ("{nodes: three}", "cluster.nodes",
     "expected a number of nodes (rabbit1..rabbitN) or a list of node names, got 'three'"),
    ("{nodes: yes}", "cluster.nodes",
     "expected a number of nodes (rabbit1..rabbitN) or a list of node names, got true"),
    ("{}", "cluster", "missing required key 'nodes'"),
    ("{nodes: 2, net_ticktime: 0}", "cluster.net_ticktime",
     "Input should be greater than 0, got 0"),
    ("{nodes: 2, partition_handling: pause_if_all_down}", "cluster.partition_handling",
     "pause_if_all_down is not simulated (use ignore, pause_minority or autoheal)"),
    ("[rabbit1]", "cluster", "Input should be a valid dictionary or instance of Cluster"),
])
def test_bad_cluster_sections(cluster: str, path: str, message: str) -> None:
    ps = problems_of(f"name: c\ncluster: {cluster}\n")
    assert [(p.path, p.line, p.message) for p in ps] == [(path, 2, message)]


def test_a_cluster_runs_rabbitmq_3_10_only() -> None:
    p = only(problems_of('name: c\nbroker: {version: "4.3"}\ncluster: {nodes: 3}\n'),
             "broker.version")
    assert p.line == 2 and p.message.startswith(
        "amqpsim simulates clusters of RabbitMQ 3.10 only")


def test_node_references_must_name_cluster_nodes() -> None:
    ps = problems_of("""\
        name: refs
        cluster: {nodes: 3}
        topology:
          queues:
            - {name: q, node: rabit2}
            - {name: r, node: [rabbit1]}
            - {name: s, node: rabbit9}
        producers:
          - {name: p, rate: {constant: 1}, node: [rabbit1, rabbit1, rabbbit3]}
          - {name: e, rate: {constant: 1}, node: []}
          - {name: n, rate: {constant: 1}, node: 3}
        consumers:
          - {name: c, queue: q, node: Rabbit1}
        """)
    p = only(ps, "topology.queues[0].node")
    assert (p.line, p.message, p.value, p.suggestion) == (5, "no node named 'rabit2'", "rabit2",
                                                          "rabbit2")
    assert str(p).endswith("no node named 'rabit2' (did you mean 'rabbit2'?)")
    assert only(ps, "topology.queues[1].node").message == (
        "a queue lives on one node: expected a node name, got ['rabbit1']")
    p = only(ps, "topology.queues[2].node")  # a number off is not a misspelling
    assert (p.message, p.suggestion) == (
        "no node named 'rabbit9' (the nodes: rabbit1, rabbit2, rabbit3)", None)
    assert only(ps, "producers[0].node[1]").message == "'rabbit1' is listed twice"
    p = only(ps, "producers[0].node[2]")
    assert (p.line, p.suggestion) == (9, "rabbit3")
    assert only(ps, "producers[1].node").message == (
        "expected a node name or a non-empty list of node names, got []")
    assert only(ps, "producers[2].node").message == (
        "expected a node name or a list of node names, got 3")
    assert only(ps, "consumers[0].node").suggestion == "rabbit1"
    assert len(ps) == 8


def test_node_fault_rules() -> None:
    ps = problems_of("""\
        name: node-faults
        cluster: {nodes: [alpha, beta, gamma]}
        topology: {queues: [{name: q}]}
        consumers: [{name: worker, queue: q}]
        faults:
          - {at: 1, kind: node_crash, target: betta, downtime: 0}
          - {at: 1, until: 5, kind: node_stop, target: worker}
          - {at: 1, kind: node_stop}
          - {at: 1, kind: node_crsh, target: alpha}
          - {at: 1, kind: broker_restart, downtime: 5}
          - {at: 1, kind: consumer_crash, target: worker, groups: [[alpha], [beta]]}
          - {at: 1, kind: node_crash, target: alpha, groups: [[alpha], [beta]]}
        """)
    assert only(ps, "faults[0].target").suggestion == "beta"
    assert "greater than 0" in only(ps, "faults[0].downtime").message
    assert only(ps, "faults[1].until").message == "'until' does not apply to node_stop"
    assert only(ps, "faults[1].target").message == (
        "no node named 'worker' ('worker' is a consumer; the nodes: alpha, beta, gamma)")
    assert only(ps, "faults[2]").message == "node_stop needs 'target'"
    assert only(ps, "faults[3].kind").suggestion == "node_crash"
    p = only(ps, "faults[4].kind")
    assert (p.line, p.message) == (10, "broker_restart restarts a single broker: in a cluster, "
                                        "use node_stop or node_crash on each node (alpha, beta, gamma)")
    assert only(ps, "faults[5].groups").message == "'groups' does not apply to consumer_crash"
    assert only(ps, "faults[6].groups").message == "'groups' does not apply to node_crash"
    assert len(ps) == 9


def test_partition_rules() -> None:
    ps = problems_of("""\
        name: partitions
        cluster: {nodes: 3}
        faults:
          - {at: 10, until: 5, kind: partition, groups: [[rabbit1], [rabbit2]]}
          - {at: 10, kind: partition, groups: [[rabbit1, rabbit2, rabbit3]]}
          - {at: 10, kind: partition, groups: [[rabbit1], [rabbit1, rabbit2, rabbit2], []]}
          - {at: 10, kind: partition, groups: [rabbit1, rabbit2]}
          - {at: 10, kind: partition, groups: [[rabbit1], [rabbti2]]}
          - {at: 10, kind: partition, target: rabbit1}
          - {at: 10, kind: partition, groups: [[rabbit1], [rabbit2]], downtime: 3}
          - {at: 10, kind: partition, groups: rabbit1}
        """)
    assert only(ps, "faults[0].until").message == "until must be after at (10)"
    assert only(ps, "faults[1].groups").message == (
        "a partition needs at least 2 groups (e.g. [[rabbit1], [rabbit2, rabbit3]]), got 1")
    p = only(ps, "faults[2].groups[1][0]")
    assert (p.line, p.message) == (6, "'rabbit1' is also in group 0 (the groups must be disjoint)")
    assert only(ps, "faults[2].groups[1][2]").message == (
        "'rabbit2' is twice in this group (the groups must be disjoint)")
    assert only(ps, "faults[2].groups[2]").message == "a group needs at least 1 node"
    assert [only(ps, f"faults[3].groups[{i}]").message for i in (0, 1)] == [
        f"a group is a list of node names (e.g. [[rabbit1], [rabbit2, rabbit3]]), got {n!r}"
        for n in ("rabbit1", "rabbit2")]
    assert only(ps, "faults[4].groups[1][0]").suggestion == "rabbit2"
    assert only(ps, "faults[5]").message == "partition needs 'groups'"
    assert only(ps, "faults[5].target").message == "'target' does not apply to partition"
    assert only(ps, "faults[6].downtime").message == "'downtime' does not apply to partition"
    assert only(ps, "faults[7].groups").message == (
        "expected a list of lists of node names (e.g. [[rabbit1], [rabbit2, rabbit3]]), "
        "got 'rabbit1'")
    assert len(ps) == 12


def test_overrides_are_checked_against_the_new_nodes() -> None:
    s = load(CLUSTER)
    with pytest.raises(ScenarioError) as info:
        s.with_overrides({"cluster.nodes": 2})
    assert {p.path for p in info.value.problems} == {
        "producers[1].node[0]", "consumers[0].node[1]", "faults[2].groups[1][1]",
        "faults[3].groups[1][0]"}
    with pytest.raises(ScenarioError) as info:
        s.with_overrides({"cluster": None})
    assert "node: needs a cluster section" in str(info.value)


# --- warnings: accepted by RabbitMQ, probably not meant ---------------------------

HA_NODES = """\
name: ha-nodes
cluster: {nodes: 3}
topology:
  queues: [{name: q}]
  policies:
    - name: ha
      pattern: "^q$"
      definition: {ha-mode: nodes, ha-params: [rabbit1, "rabbit2@localhost", rabit3, rabbit7]}
"""


def test_ha_params_naming_unknown_nodes_is_a_warning() -> None:
    with pytest.warns(ScenarioWarning) as caught:
        s = load_scenario(HA_NODES, file="x.yaml")
    assert s.topology.policies[0].definition["ha-params"][0] == "rabbit1"
    assert [str(w.message) for w in caught] == [
        f"x.yaml:8: topology.policies[0].definition.ha-params[{i}]: no node named {name!r} in "
        f"the cluster: RabbitMQ accepts the policy and places no mirror there{hint}"
        for i, name, hint in ((1, "rabbit2@localhost", " (did you mean 'rabbit2'?)"),
                              (2, "rabit3", " (did you mean 'rabbit3'?)"),
                              (3, "rabbit7", ""))]


def test_validate_prints_warnings_and_exits_0(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "ha.yaml"
    path.write_text(HA_NODES)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"ok: {path} (ha-nodes)\n"
    assert err.count("warning: ") == 3 and f"warning: {path}:8: " in err


def test_validate_exits_2_on_cluster_errors(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\ncluster: {nodes: 2}\nfaults:\n"
                    "  - {at: 1, kind: node_crash, target: rabbit3}\n")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"{path}:4: faults[0].target: no node named 'rabbit3' (the nodes: rabbit1, rabbit2)\n")


# --- garbage anywhere in a cluster scenario: problems, never a crash ---------------

junk = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-1, 1)
    | st.sampled_from(["rabbit1", "rabbit9", "", "a@b"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["nodes", "node", "groups", "x"]), inner, max_size=2),
    max_leaves=6,
)
PLACES = ["cluster", "cluster.nodes", "cluster.nodes.1", "cluster.partition_handling",
          "topology.queues.0.node", "producers.1.node", "producers.1.node.0",
          "consumers.0.node", "faults.0.target", "faults.2.groups", "faults.2.groups.1",
          "faults.2.groups.1.0", "faults.1.kind", "topology.policies.0.definition"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PLACES), junk), min_size=1, max_size=3))
def test_garbage_in_cluster_places_gives_scenario_errors(edits: list) -> None:
    data = load(CLUSTER).to_dict(compact=True)
    for path, value in edits:
        try:
            _set_path(Scenario, data, path, value)
        except ScenarioError:
            pass  # an earlier edit replaced a parent
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScenarioWarning)
            load_scenario(data)
    except ScenarioError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"


def test_the_documented_cluster_example_loads() -> None:
    section = DOCS.read_text().split("## Clusters", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    s = load_scenario("name: doc\n" + block.group(1))
    assert s.node_names == ("rabbit1", "rabbit2", "rabbit3")
    assert [f.kind for f in s.faults] == ["node_crash", "node_stop", "partition"]
    assert s.producer("api").node == ("rabbit1", "rabbit2")
