"""RabbitMQ definitions import/export: formats, vhosts, round trips, CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from amqpsim.cli import main
from amqpsim.scenario import (
    DefinitionsWarning,
    ScenarioError,
    export_definitions,
    import_definitions,
    load_scenario,
)

REPO = Path(__file__).resolve().parents[2]


def cluster_export() -> dict[str, Any]:
    """The shape of ``rabbitmqctl export_definitions`` (3.10.8), two vhosts."""
    return {
        "rabbit_version": "3.10.8", "rabbitmq_version": "3.10.8",
        "product_name": "RabbitMQ", "product_version": "3.10.8",
        "users": [{"name": "guest", "password_hash": "c2VjcmV0", "tags": ["administrator"],
                   "hashing_algorithm": "rabbit_password_hashing_sha256", "limits": {}}],
        "vhosts": [{"name": "/", "limits": [], "metadata": {"description": "", "tags": []}},
                   {"name": "staging"}],
        "permissions": [{"user": "guest", "vhost": "/", "configure": ".*", "write": ".*",
                         "read": ".*"}],
        "topic_permissions": [], "global_parameters": [{"name": "cluster_name", "value": "x"}],
        "parameters": [{"vhost": "/", "component": "shovel", "name": "s", "value": {}}],
        "policies": [
            {"vhost": "/", "name": "ttl", "pattern": "^orders$", "apply-to": "queues",
             "definition": {"message-ttl": 60000, "max-length": 100}, "priority": 5},
            {"vhost": "staging", "name": "other", "pattern": ".*", "apply-to": "all",
             "definition": {"expires": 1000}, "priority": 0},
        ],
        "queues": [
            {"name": "orders", "vhost": "/", "type": "classic", "durable": True,
             "auto_delete": False, "arguments": {"x-dead-letter-exchange": "dlx"}},
            {"name": "work", "vhost": "/", "type": "quorum", "durable": True,
             "auto_delete": False, "arguments": {"x-queue-type": "quorum", "x-delivery-limit": 3}},
            {"name": "staged", "vhost": "staging", "type": "classic", "durable": True,
             "auto_delete": False, "arguments": {}},
        ],
        "exchanges": [
            {"name": "shop", "vhost": "/", "type": "topic", "durable": True,
             "auto_delete": False, "arguments": {"alternate-exchange": "dlx"}},
            {"name": "dlx", "vhost": "/", "type": "fanout", "durable": True,
             "auto_delete": False, "arguments": {}},
            {"name": "amq.direct", "vhost": "/", "type": "direct", "durable": True,
             "auto_delete": False, "arguments": {}},
        ],
        "bindings": [
            {"source": "shop", "vhost": "/", "destination": "orders",
             "destination_type": "queue", "routing_key": "order.*", "arguments": {}},
            {"source": "shop", "vhost": "/", "destination": "dlx",
             "destination_type": "exchange", "routing_key": "#", "arguments": {"k": 1}},
            {"source": "dlx", "vhost": "/", "destination": "work",
             "destination_type": "queue", "routing_key": "", "arguments": {}},
        ],
    }


def topology_items(defs: dict[str, Any], vhost: str = "/") -> dict[str, list[str]]:
    """The topology sections, order-free, as the broker would compare them."""
    out = {}
    for section in ("exchanges", "queues", "bindings", "policies"):
        items = [{k: v for k, v in item.items() if k != "vhost"} for item in defs[section]
                 if item.get("vhost", vhost) == vhost and not item.get("name", "").startswith("amq.")]
        out[section] = sorted(json.dumps(i, sort_keys=True) for i in items)
    return out


def test_cluster_export_imports_the_default_vhost() -> None:
    s = import_definitions(cluster_export(), "shop")
    assert s.name == "shop" and s.producers == [] and s.consumers == []
    topo = s.topology
    assert [x.name for x in topo.exchanges] == ["shop", "dlx"]  # amq.* is predeclared
    assert [(q.name, q.queue_type) for q in topo.queues] == [("orders", "classic"),
                                                             ("work", "quorum")]
    assert topo.queues[1].arguments == {"x-queue-type": "quorum", "x-delivery-limit": 3}
    assert [(b.destination, b.destination_type, b.arguments) for b in topo.bindings] == [
        ("orders", "queue", {}), ("dlx", "exchange", {"k": 1}), ("work", "queue", {})]
    (policy,) = topo.policies
    assert (policy.name, policy.pattern, policy.apply_to, policy.priority, policy.definition) \
        == ("ttl", "^orders$", "queues", 5, {"message-ttl": 60000, "max-length": 100})
    assert all(getattr(item, "vhost", None) is None
               for section in (topo.exchanges, topo.queues, topo.bindings, topo.policies)
               for item in section)


def test_users_permissions_parameters_are_ignored_and_never_written() -> None:
    defs = export_definitions(import_definitions(cluster_export()))
    assert set(defs) == {"rabbit_version", "rabbitmq_version", "vhosts", "policies", "queues",
                         "exchanges", "bindings"}
    assert defs["rabbit_version"] == "3.10.8" and defs["vhosts"] == [{"name": "/"}]
    assert "password" not in json.dumps(defs) and "guest" not in json.dumps(defs)


def test_choose_another_vhost() -> None:
    s = import_definitions(cluster_export(), vhost="staging")
    assert [q.name for q in s.topology.queues] == ["staged"]
    assert [p.name for p in s.topology.policies] == ["other"]
    assert s.topology.exchanges == []


def test_unknown_vhost_is_an_error_with_a_hint() -> None:
    with pytest.raises(ScenarioError, match=r"no vhost 'stagin'.*did you mean 'staging'"):
        import_definitions(cluster_export(), vhost="stagin")


def test_the_only_vhost_is_chosen_and_several_without_root_are_ambiguous() -> None:
    defs = cluster_export()
    defs["vhosts"] = [{"name": "staging"}]
    for section in ("exchanges", "queues", "bindings", "policies"):
        defs[section] = [i for i in defs[section] if i["vhost"] == "staging"]
    assert [q.name for q in import_definitions(defs).topology.queues] == ["staged"]
    defs["vhosts"].append({"name": "prod"})
    with pytest.raises(ScenarioError, match="several vhosts"):
        import_definitions(defs)


def test_single_vhost_format_has_no_vhost_fields() -> None:
    defs = cluster_export()
    single = {"rabbitmq_definition_format": "single_virtual_host", "original_vhost_name": "/",
              "rabbit_version": "3.10.8", "parameters": [], "limits": {}}
    for section in ("exchanges", "queues", "bindings", "policies"):
        single[section] = [{k: v for k, v in i.items() if k != "vhost"}
                           for i in defs[section] if i["vhost"] == "/"]
    assert import_definitions(single) == import_definitions(defs)
    single["original_vhost_name"] = "shop"
    assert "vhost 'shop'" in import_definitions(single).description
    assert import_definitions(single, vhost="any").topology == import_definitions(defs).topology


def test_export_of_an_import_gives_the_same_objects() -> None:
    defs = cluster_export()
    assert topology_items(export_definitions(import_definitions(defs))) == topology_items(defs)


def test_import_of_an_export_is_a_fixed_point() -> None:
    s = load_scenario(REPO / "tests" / "scenario" / "online-store.yaml")
    once = export_definitions(s)
    again = import_definitions(once, s.name)
    assert export_definitions(again) == once
    assert import_definitions(export_definitions(again), s.name) == again


def test_export_shape_and_quorum_type_argument() -> None:
    s = load_scenario({"name": "q", "broker": {"version": "4.3"}, "topology": {  # apply-to: 3.12+
        "exchanges": [{"name": "x", "type": "headers", "internal": True},
                      {"name": "amq.topic", "type": "topic"}],
        "queues": [{"name": "qq", "type": "quorum"}, {"name": "c"}],
        "bindings": [{"source": "x", "destination": "qq", "arguments": {"x-match": "all"}}],
        "policies": [{"name": "p", "pattern": ".*", "apply_to": "quorum_queues",
                      "definition": {"delivery-limit": 2}}]}})
    defs = export_definitions(s)
    assert defs["exchanges"] == [{"name": "x", "vhost": "/", "type": "headers", "durable": True,
                                  "auto_delete": False, "internal": True, "arguments": {}}]
    assert defs["queues"] == [
        {"name": "qq", "vhost": "/", "type": "quorum", "durable": True, "auto_delete": False,
         "arguments": {"x-queue-type": "quorum"}},  # RabbitMQ reads the type from here
        {"name": "c", "vhost": "/", "type": "classic", "durable": True, "auto_delete": False,
         "arguments": {}}]
    assert defs["bindings"] == [{"source": "x", "vhost": "/", "destination": "qq",
                                 "destination_type": "queue", "routing_key": "",
                                 "arguments": {"x-match": "all"}}]
    assert defs["policies"] == [{"vhost": "/", "name": "p", "pattern": ".*",
                                 "apply-to": "quorum_queues", "definition": {"delivery-limit": 2},
                                 "priority": 0}]


def test_exclusive_queues_are_not_exported() -> None:
    s = load_scenario({"name": "x", "topology": {
        "queues": [{"name": "mine", "exclusive": True, "durable": False}],
        "bindings": [{"source": "amq.direct", "destination": "mine"}]}})
    with pytest.warns(DefinitionsWarning, match="'mine'"):
        defs = export_definitions(s)
    assert defs["queues"] == [] and defs["bindings"] == []


def test_streams_are_kept_and_plugin_exchanges_skipped_with_a_warning() -> None:
    defs = cluster_export()
    defs["queues"].append({"name": "log", "vhost": "/", "type": "stream", "durable": True,
                           "auto_delete": False, "arguments": {"x-queue-type": "stream"}})
    defs["exchanges"].append({"name": "hash", "vhost": "/", "type": "x-consistent-hash",
                              "durable": True, "auto_delete": False, "arguments": {}})
    defs["bindings"] += [
        {"source": "shop", "vhost": "/", "destination": "log", "destination_type": "queue",
         "routing_key": "#", "arguments": {}},
        {"source": "hash", "vhost": "/", "destination": "orders", "destination_type": "queue",
         "routing_key": "1", "arguments": {}}]
    defs["policies"].append({"vhost": "/", "name": "age", "pattern": "^log$",
                             "apply-to": "streams", "definition": {"max-age": "1D"},
                             "priority": 0})
    with pytest.warns(DefinitionsWarning) as caught:
        s = import_definitions(defs)
    assert len(caught) == 3  # the exchange, its binding, the 3.12 policy
    log = next(q for q in s.topology.queues if q.name == "log")
    assert log.queue_type == "stream"
    assert any(b.destination == "log" for b in s.topology.bindings)


def test_problems_point_at_the_definitions_item() -> None:
    defs = cluster_export()
    defs["queues"][1]["arguments"]["x-max-lenght"] = 5
    defs["bindings"][0]["destination"] = "ordres"
    with pytest.raises(ScenarioError) as info:
        import_definitions(defs)
    text = str(info.value)
    assert "queues[1] ('work').arguments.x-max-lenght: unknown queue argument" in text
    assert "(did you mean 'x-max-length'?)" in text
    assert ("bindings[0] ('shop' -> 'ordres').destination: 404 NOT_FOUND - no queue 'ordres' in "
            "vhost '/' (did you mean 'orders'?)") in text


@pytest.mark.parametrize("defs, message", [
    ([], "must be a mapping"),
    ({"queues": {"name": "q"}}, "queues: must be a list"),
    ({"queues": ["q"]}, r"queues\[0\]: each item must be a JSON object"),
])
def test_malformed_definitions(defs: Any, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        import_definitions(defs)


# --- CLI ------------------------------------------------------------------------

def test_cli_import_then_export(tmp_path: Path) -> None:
    src = tmp_path / "Prod Cluster.json"
    src.write_text(json.dumps(cluster_export()))
    out = tmp_path / "prod.yaml"
    assert main(["import-definitions", str(src), "-o", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    assert data["name"] == "prod-cluster"
    assert "Prod Cluster.json" in data["description"]
    assert data["producers"] == [] and data["consumers"] == []
    scenario = load_scenario(out)
    assert scenario.topology == import_definitions(cluster_export()).topology

    back = tmp_path / "back.json"
    assert main(["export-definitions", str(out), "-o", str(back)]) == 0
    assert topology_items(json.loads(back.read_text())) == topology_items(cluster_export())


def test_cli_vhost_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "defs.json"
    src.write_text(json.dumps(cluster_export()))
    assert main(["import-definitions", str(src), "--vhost", "staging"]) == 0
    assert "staged" in capsys.readouterr().out


def test_cli_warns_about_skipped_objects(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    defs = cluster_export()
    defs["queues"].append({"name": "log", "vhost": "/", "exclusive": True, "arguments": {}})
    src = tmp_path / "defs.json"
    src.write_text(json.dumps(defs))
    assert main(["import-definitions", str(src), "-o", str(tmp_path / "s.yaml")]) == 0
    assert "warning: skipped queue 'log': exclusive queues are not simulated" in capsys.readouterr().err


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "amqpsim", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("content, message", [
    (None, "no such definitions file"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    (json.dumps({"queues": [{"name": "q", "arguments": {"x-max-length": "ten"}}]}),
     "406 PRECONDITION_FAILED - invalid arg 'x-max-length' for queue 'q' in vhost '/': "
     '"expected integer, got longstr"'),
])
def test_cli_bad_definitions_exit_2_without_traceback(
        tmp_path: Path, content: str | None, message: str) -> None:
    src = tmp_path / "defs.json"
    if content is not None:
        src.write_text(content)
    done = _cli("import-definitions", str(src), "-o", str(tmp_path / "s.yaml"))
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "s.yaml").exists()


def test_cli_export_bad_scenario_and_unwritable_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: Bad Name\n")
    done = _cli("export-definitions", str(bad))
    assert done.returncode == 2 and "name" in done.stderr and "Traceback" not in done.stderr
    good = tmp_path / "good.yaml"
    good.write_text("name: good\n")
    done = _cli("export-definitions", str(good), "-o", str(tmp_path / "no" / "dir.json"))
    assert done.returncode == 2 and "cannot write" in done.stderr


def test_defs_are_not_mutated() -> None:
    defs = cluster_export()
    before = copy.deepcopy(defs)
    import_definitions(defs)
    assert defs == before


def test_imported_policies_apply_in_the_simulation() -> None:
    import amqpsim

    defs = {"queues": [{"name": "inbox", "durable": True, "auto_delete": False,
                        "arguments": {}}],
            "policies": [{"name": "cap", "pattern": "^inbox$", "apply-to": "queues",
                          "priority": 1, "definition": {"max-length": 2}},
                         {"name": "low", "pattern": ".*", "apply-to": "queues", "priority": 0,
                          "definition": {"max-length": 100}}]}
    scenario = import_definitions(defs, "capped").with_overrides({"producers": [
        {"name": "p", "routing_key": "inbox", "rate": {"constant": 10}, "count": 10}]})
    summary = amqpsim.run(scenario, seed=0).summary
    assert summary["queues"]["inbox"]["final_depth"] == 2  # the higher-priority policy wins
    assert summary["messages"]["dropped_overflow"] == 8  # drop-head, the default overflow


def test_a_4x_export_imports_with_the_4x_profile() -> None:
    """Per-type apply-to values exist from 3.12: a 3.10 broker refuses them, a 4.x one not."""
    defs = {"rabbitmq_version": "4.1.0", "policies": [
        {"vhost": "/", "name": "dl", "pattern": ".*", "apply-to": "quorum_queues",
         "definition": {"delivery-limit": 5}, "priority": 0}]}
    assert import_definitions(defs).broker.version == "4.3"
    with pytest.raises(ScenarioError, match="apply-to 'quorum_queues' unrecognised"):
        import_definitions({**defs, "rabbitmq_version": "3.10.8"})
