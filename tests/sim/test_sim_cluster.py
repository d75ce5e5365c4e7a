"""The simulation on a cluster: clients on nodes (failing over in order), node faults
and partitions, and the single-node behaviour untouched."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_helpers import of, run

from amqpsim.trace.events import EventKind as K

BASE = {
    "seed": 1,
    "duration": 60,
    "cluster": {"nodes": 3, "net_ticktime": 10},
    "topology": {"queues": [{"name": "q", "durable": True, "node": "rabbit1",
                             "arguments": {"x-queue-type": "quorum"}}]},
    "producers": [{"name": "p", "node": ["rabbit2", "rabbit3"], "routing_key": "q", "rate": {"constant": 20},
                   "count": 600, "persistent": True, "confirms": True}],
    "consumers": [{"name": "c", "node": ["rabbit3", "rabbit2"], "queue": "q", "prefetch": 5,
                   "service_time": {"constant": 0.01}}],
}


def scenario(**changes):
    return {"name": "t", **BASE, **changes}


def test_clients_connect_to_their_first_node_and_fail_over_in_order():
    r = run(scenario(faults=[{"at": 10, "kind": "node_crash", "target": "rabbit3", "downtime": 5}]), events=True)
    opened = [(e.actor, e.node) for e in of(r.event_list, K.CONNECTION_OPEN) if e.actor in ("p#0", "c#0")]
    assert opened == [("c#0", "rabbit3"), ("p#0", "rabbit2"), ("c#0", "rabbit2")]
    assert [(e.node, e.cause) for e in of(r.event_list, K.NODE_DOWN)] == [("rabbit3", "crash")]
    assert [(e.node, e.cause) for e in of(r.event_list, K.NODE_UP)] == [("rabbit3", "restart")]
    assert r.summary["messages"]["published"] == 600


def test_every_run_starts_with_the_cluster_and_each_queue_placed():
    r = run(scenario(), events=True)
    first = r.event_list[0]
    assert first.kind == K.CLUSTER and first.nodes == ("rabbit1", "rabbit2", "rabbit3")
    placed = of(r.event_list, K.PLACEMENT)
    assert [(e.queue, e.queue_type, e.leader, e.members) for e in placed] == [
        ("q", "quorum", "rabbit1", ("rabbit1", "rabbit2", "rabbit3"))]


def test_a_quorum_leader_crash_loses_nothing_in_a_run():
    r = run(scenario(faults=[{"at": 10, "kind": "node_crash", "target": "rabbit1", "downtime": 10}]), events=True)
    assert not of(r.event_list, K.LOSS)
    elected = [e for e in of(r.event_list, K.PLACEMENT) if e.reason == "election"]
    assert len(elected) == 1 and 10.15 <= elected[0].time <= 10.28
    assert r.summary["messages"]["confirmed"] == 600


def test_a_partition_with_pause_minority_pauses_the_lone_node_and_resumes_it():
    r = run(scenario(cluster={"nodes": 3, "net_ticktime": 10, "partition_handling": "pause_minority"},
                     faults=[{"at": 10, "until": 30, "kind": "partition", "groups": [["rabbit1"], ["rabbit2", "rabbit3"]]}]),
            events=True)
    phases = [(e.phase, e.groups) for e in of(r.event_list, K.PARTITION)]
    assert phases == [("start", ("rabbit1", "rabbit2+rabbit3")), ("detected", ("rabbit1", "rabbit2+rabbit3")),
                      ("end", ("rabbit1", "rabbit2+rabbit3"))]
    assert [(e.node, e.cause) for e in of(r.event_list, K.NODE_DOWN)] == [("rabbit1", "pause")]
    up = of(r.event_list, K.NODE_UP)
    assert [(e.node, e.cause) for e in up] == [("rabbit1", "resume")] and up[0].time == 31.0
    assert not of(r.event_list, K.LOSS)


def test_same_seed_same_cluster_log():
    sc = scenario(faults=[{"at": 10, "until": 25, "kind": "partition", "groups": [["rabbit2"], ["rabbit1"]]},
                          {"at": 30, "kind": "node_stop", "target": "rabbit1", "downtime": 5}])
    assert run(sc, events=True).event_list == run(sc, events=True).event_list


# ---------------------------------------------------------------------------- random faults
NODES = ["rabbit1", "rabbit2", "rabbit3"]
node_fault = st.builds(lambda at, kind, node, down: {"at": at, "kind": kind, "target": node,
                                                     **({"downtime": down} if down else {})},
                       st.floats(1, 50).map(lambda x: round(x, 2)), st.sampled_from(["node_crash", "node_stop"]),
                       st.sampled_from(NODES), st.one_of(st.none(), st.floats(0.5, 20).map(lambda x: round(x, 2))))
partition = st.builds(lambda at, length, lone: {"at": at, "until": at + length, "kind": "partition",
                                                "groups": [[lone], [n for n in NODES if n != lone]]},
                      st.floats(1, 40).map(lambda x: round(x, 2)), st.floats(1, 30).map(lambda x: round(x, 2)),
                      st.sampled_from(NODES))
random_cluster = st.fixed_dictionaries({
    "mode": st.sampled_from(["ignore", "pause_minority", "autoheal"]),
    "qtype": st.sampled_from(["classic", "mirrored", "quorum"]),
    "faults": st.lists(st.one_of(node_fault, partition), max_size=4),
    "seed": st.integers(0, 1000),
})


def random_scenario(d):
    queue = {"name": "q", "durable": True, "node": "rabbit1"}
    if d["qtype"] == "quorum":
        queue["arguments"] = {"x-queue-type": "quorum"}
    topology = {"queues": [queue]}
    if d["qtype"] == "mirrored":
        topology["policies"] = [{"name": "ha", "pattern": "^q$", "apply-to": "queues",
                                 "definition": {"ha-mode": "all"}}]
    return scenario(seed=d["seed"], duration=80, topology=topology,
                    cluster={"nodes": 3, "net_ticktime": 10, "partition_handling": d["mode"]},
                    producers=[{"name": "p", "node": ["rabbit2", "rabbit1"], "routing_key": "q",
                                "rate": {"poisson": 10}, "count": 300, "persistent": True, "confirms": True}],
                    consumers=[{"name": "c", "node": ["rabbit3", "rabbit1"], "queue": "q", "prefetch": 5,
                                "service_time": {"exponential": 0.08}}],
                    faults=d["faults"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_cluster)
def test_random_cluster_runs_conserve_every_copy_and_repeat_exactly(d):
    sc = random_scenario(d)
    a = run(sc, events=True)
    assert a.summary["invariants"]["conservation"] is True
    assert run(sc, events=True).event_list == a.event_list
    if d["qtype"] == "quorum":
        assert a.summary["messages"]["confirmed_lost"] == 0  # its replicas keep their logs: nothing confirmed is lost
