"""Every class of error names the YAML path and line, the bad value and a hint."""

from __future__ import annotations

import pytest
from scenario_helpers import BASE, FULL_EXAMPLE, only, problems_of

from amqpsim.scenario import ScenarioError, load_scenario


def test_message_format_matches_the_contract() -> None:
    text = BASE.replace("queue: warehouse, instances", "queue: warehose, instances")
    with pytest.raises(ScenarioError) as info:
        load_scenario(text, file="scenarios/x.yaml")
    assert str(info.value) == ("scenarios/x.yaml:12: consumers[0].queue: no queue named "
                               "'warehose' (did you mean 'warehouse'?)")
    p = info.value.problems[0]
    assert (p.file, p.line, p.path, p.value, p.suggestion) == (
        "scenarios/x.yaml", 12, "consumers[0].queue", "warehose", "warehouse")
    assert isinstance(info.value, ValueError)


def test_all_problems_are_reported_at_once_in_line_order() -> None:
    ps = problems_of("""\
        name: two-errors
        topology:
          queues: [{name: q}]
        consumers:
          - {name: a, queue: q, prefetch: -1}
          - {name: b, queue: nope}
        """)
    assert [(p.line, p.path) for p in ps] == [(5, "consumers[0].prefetch"),
                                              (6, "consumers[1].queue")]
    assert "got -1" in ps[0].message
    p = only(problems_of("name: a\nseed: null\nduration: true\n"), "seed")
    assert p.message == "Input should be a valid integer, got null"


def test_unknown_keys_suggest_the_close_valid_key() -> None:
    ps = problems_of("""\
        name: typos
        sed: 1
        topology:
          queues: [{name: q}]
        consumers:
          - name: c
            queue: q
            prefech: 3
            service_time: {lognormal: {mean: 1, sigm: 2}}
        """)
    assert only(ps, "sed").suggestion == "seed" and only(ps, "sed").line == 2
    p = only(ps, "consumers[0].prefech")
    assert (p.line, p.message, p.suggestion) == (8, "unknown key 'prefech'", "prefetch")
    assert only(ps, "consumers[0].service_time.lognormal.sigm").suggestion == "sigma"


def test_enums_and_distribution_kinds_suggest() -> None:
    ps = problems_of("""\
        name: enums
        topology:
          exchanges: [{name: x, type: topc}]
        producers:
          - {name: p, exchange: x, rate: {poison: 5}}
        faults:
          - {at: 1, kind: connection_lost, target: p, downtime: 1}
          - {at: 2, kind: ack_timeout}
        """)
    assert only(ps, "topology.exchanges[0].type").suggestion == "topic"
    rate = only(ps, "producers[0].rate")
    assert rate.suggestion == "poisson" and "unknown kind 'poison'" in rate.message
    assert only(ps, "faults[0].kind").suggestion == "connection_loss"
    assert "broker.consumer_timeout" in only(ps, "faults[1].kind").message


def test_dangling_names() -> None:
    ps = problems_of("""\
        name: dangling
        topology:
          exchanges: [{name: orders, type: direct}, {name: hidden, type: fanout, internal: true}]
          queues: [{name: warehouse}]
          bindings:
            - {source: order, destination: warehouse}
            - {source: orders, destination: warehose}
            - {source: orders, destination: ordrs, destination_type: exchange}
            - {source: "", destination: warehouse}
            - {source: orders, destination: "", destination_type: exchange}
        producers:
          - {name: web, exchange: ordres, rate: {constant: 1}, reply_to: replys}
          - {name: sneaky, exchange: hidden, rate: {constant: 1}}
        consumers:
          - {name: worker, queue: warehouse}
        """)
    assert only(ps, "topology.bindings[0].source").suggestion == "orders"
    assert only(ps, "topology.bindings[1].destination").suggestion == "warehouse"
    assert only(ps, "topology.bindings[2].destination").suggestion == "orders"
    assert "default exchange" in only(ps, "topology.bindings[3].source").message
    assert "default exchange" in only(ps, "topology.bindings[4].destination").message
    assert only(ps, "producers[0].exchange").suggestion == "orders"
    assert only(ps, "producers[0].reply_to").message == "no queue named 'replys'"
    assert "internal exchange" in only(ps, "producers[1].exchange").message


def test_predeclared_exchanges_and_dangling_dlx_are_allowed() -> None:
    s = load_scenario("""\
name: implicit
topology:
  exchanges: [{name: e, type: direct, arguments: {alternate-exchange: nowhere}}]
  queues: [{name: q, arguments: {x-dead-letter-exchange: dlx, x-dead-letter-routing-key: k}}]
  bindings:
    - {source: amq.topic, destination: q, routing_key: "#"}
    - {source: amq.direct, destination: e, destination_type: exchange}
producers: [{name: p, exchange: "", routing_key: q, rate: {constant: 1}}]
""")
    assert len(s.topology.bindings) == 2


def test_duplicates() -> None:
    ps = problems_of("""\
        name: dups
        topology:
          exchanges: [{name: x, type: direct}, {name: x, type: topic}]
          queues: [{name: q}, {name: q}]
          policies: [{name: p, pattern: a}, {name: p, pattern: b}]
        producers: [{name: app, rate: {constant: 1}}]
        consumers: [{name: app, queue: q}]
        """)
    assert only(ps, "topology.exchanges[1].name").line == 3
    assert only(ps, "topology.queues[1].name").line == 4
    assert only(ps, "topology.policies[1].name").value == "p"
    assert "share one namespace" in only(ps, "consumers[0].name").message


INVALID = "406 PRECONDITION_FAILED - invalid arg"


@pytest.mark.parametrize(("arg", "value", "needle", "hint"), [
    ("x-max-lenght", 5, "unknown queue argument 'x-max-lenght'", "x-max-length"),
    ("max-length", 5, "unknown queue argument 'max-length'", "x-max-length"),
    ("x-message-ttl", -1, f"{INVALID} 'x-message-ttl' for queue 'q' in vhost '/': {{value_negative,-1}}",
     None),
    ("x-message-ttl", 1.5, '"expected integer, got double"', None),
    ("x-expires", 0, "{value_zero,0}", None),
    ("x-max-length", True, '"expected integer, got bool"', None),
    ("x-max-length-bytes", -1, "{value_negative,-1}", None),
    ("x-overflow", "drop-tail", f"{INVALID} 'x-overflow' for queue 'q' in vhost '/': invalid_overflow",
     "drop-head"),
    ("x-max-priority", 256, "{max_value_exceeded,256}", None),
    ("x-single-active-consumer", "yes", "{unacceptable_type,longstr}", None),
    ("x-delivery-limit", 3, f"{INVALID} 'x-delivery-limit' for queue 'q' in vhost '/' of queue type "
     "rabbit_classic_queue", None),
    ("x-queue-type", "quorom", "\"unsupported queue type 'quorom'\"", "quorum"),
    ("x-max-age", "1D", "of queue type rabbit_classic_queue", None),
    ("x-queue-master-locator", "nearest", "541 INTERNAL_ERROR", None),
])
def test_queue_argument_validation(arg: str, value: object, needle: str,
                                   hint: str | None) -> None:
    ps = problems_of(f"""\
        name: args
        topology:
          queues:
            - name: q
              arguments: {{{arg}: {value!r}}}
        """.replace("True", "true"))
    p = only(ps, f"topology.queues[0].arguments.{arg}")
    assert needle in p.message and p.suggestion == hint and p.line == 5


def test_queue_rules_that_span_arguments_and_properties() -> None:
    """Every refusal of a queue is listed (RabbitMQ replies with the first only)."""
    ps = problems_of("""\
        name: qrules
        topology:
          queues:
            - {name: a, arguments: {x-dead-letter-routing-key: k}}
            - {name: b, type: quorum, durable: false, arguments: {x-max-priority: 5}}
            - {name: c, type: stream, auto_delete: true}
            - {name: d, type: classic, arguments: {x-queue-type: quorum}}
            - {name: amq.mine}
            - {name: e, type: quorum, exclusive: true, auto_delete: true}
        """)
    assert only(ps, "topology.queues[0].arguments.x-dead-letter-routing-key").message.endswith(
        "routing_key_but_no_dlx_defined")
    assert only(ps, "topology.queues[1].durable").message == (
        "406 PRECONDITION_FAILED - invalid property 'non-durable' for queue 'b' in vhost '/'")
    assert only(ps, "topology.queues[1].arguments.x-max-priority").message.endswith(
        "of queue type rabbit_quorum_queue")
    assert "'auto-delete'" in only(ps, "topology.queues[2].auto_delete").message
    assert "contradicts" in only(ps, "topology.queues[3].type").message
    assert only(ps, "topology.queues[4].name").message == (
        "403 ACCESS_REFUSED - queue name 'amq.mine' contains reserved prefix 'amq.*'")
    assert "'auto-delete'" in only(ps, "topology.queues[5].auto_delete").message
    assert "'exclusive-owner'" in only(ps, "topology.queues[5].exclusive").message
    assert [p.line for p in ps if p.path.startswith("topology.queues[5]")] == [9, 9]


def test_bindings_policies_and_exchange_arguments() -> None:
    ps = problems_of("""\
        name: binds
        broker: {version: "4.3"}
        topology:
          exchanges:
            - {name: t, type: topic, arguments: {alternate_exchange: x}}
            - {name: amq.custom, type: direct}
            - {name: ae, type: direct, arguments: {alternate-exchange: 5}}
          queues: [{name: q}]
          bindings:
            - {source: t, destination: q, routing_key: "#.a.#.#"}
            - {source: amq.headers, destination: q, arguments: {x-match: alll}}
            - {source: t, destination: qq}
          policies:
            - {name: p, pattern: "(", apply-to: queuez, definition: {max-lenght: 1, x-message-ttl: 5}}
        """)
    assert only(ps, "topology.exchanges[0].arguments.alternate_exchange").suggestion == \
        "alternate-exchange"
    assert "403 ACCESS_REFUSED" in only(ps, "topology.exchanges[1].name").message
    assert only(ps, "topology.exchanges[2].arguments.alternate-exchange").message == (
        "406 PRECONDITION_FAILED - invalid type 'signedint' for arg 'alternate-exchange' in "
        "exchange 'ae' in vhost '/'")
    assert "at most two '#'" in only(ps, "topology.bindings[0].routing_key").message
    x_match = only(ps, "topology.bindings[1].arguments.x-match")
    assert x_match.message.startswith("406 PRECONDITION_FAILED - Invalid x-match field value")
    assert x_match.suggestion == "all"
    missing = only(ps, "topology.bindings[2].destination")
    assert (missing.message, missing.suggestion) == ("404 NOT_FOUND - no queue 'qq' in vhost '/'", "q")
    assert "should be regular expression" in only(ps, "topology.policies[0].pattern").message
    assert only(ps, "topology.policies[0].apply-to").suggestion == "queues"
    assert only(ps, "topology.policies[0].definition.max-lenght").suggestion == "max-length"
    assert only(ps, "topology.policies[0].definition.x-message-ttl").message == (
        "RabbitMQ refuses the policy: [{<<\"x-message-ttl\">>,5}] are not recognised policy settings")
    assert only(ps, "topology.policies[0].definition.x-message-ttl").suggestion == "message-ttl"


def test_topic_hash_limit_only_on_4_3() -> None:
    text = FULL_EXAMPLE.read_text().replace('"order.*"', '"#.#.#"')
    assert load_scenario(text).topology.bindings[0].routing_key == "#.#.#"


def test_fault_rules() -> None:
    ps = problems_of("""\
        name: faults
        topology: {queues: [{name: q}]}
        producers: [{name: web, rate: {constant: 1}}]
        consumers: [{name: worker, queue: q, instances: 3}]
        faults:
          - {at: 10, kind: slow_consumer, target: wrker}
          - {at: 10, until: 5, kind: memory_alarm}
          - {at: 10, kind: consumer_crash, target: "worker#3", factor: 2}
          - {at: 10, kind: connection_loss, target: web}
          - {at: 10, kind: slow_consumer, target: web, factor: 0, until: 20}
          - {at: 10, kind: broker_restart, downtime: -1, target: web}
          - {at: 10, kind: consumer_crash, target: "worker#x"}
        """)
    msgs = [p.message for p in ps if p.path == "faults[0]"]
    assert msgs == ["slow_consumer needs 'factor'", "slow_consumer needs 'until'"]
    t = only(ps, "faults[0].target")
    assert (t.line, t.message, t.suggestion) == (6, "no consumer named 'wrker'", "worker")
    assert only(ps, "faults[1].until").message == "until must be after at (10)"
    assert only(ps, "faults[2].target").message == "'worker' has 3 instances (worker#0..#2)"
    assert only(ps, "faults[2].factor").message == "'factor' does not apply to consumer_crash"
    assert only(ps, "faults[3]").message == "connection_loss needs 'downtime'"
    assert "'web' is a producer" in only(ps, "faults[4].target").message
    assert "greater than 0" in only(ps, "faults[4].factor").message
    assert "greater than 0" in only(ps, "faults[5].downtime").message
    assert only(ps, "faults[5].target").message == "'target' does not apply to broker_restart"
    assert "should match pattern" in only(ps, "faults[6].target").message


def test_client_rules() -> None:
    ps = problems_of("""\
        name: clients
        topology: {queues: [{name: q}]}
        producers:
          - {name: p, rate: {constant: 1}, retry_unconfirmed: true, correlation: true}
          - {name: "p#2", rate: {constant: 0}, size: {uniform: [5, 1]}, routing_key: no}
        consumers:
          - {name: c, queue: q, ack: auto, reject: {probability: 0.1}}
          - {name: d, queue: q, ack: manul, service_time: {exponential: 0}}
        """)
    assert "needs confirms: true" in only(ps, "producers[0].retry_unconfirmed").message
    assert only(ps, "producers[0].correlation").message == "correlation needs reply_to"
    assert "should match pattern" in only(ps, "producers[1].name").message
    assert "greater than 0" in only(ps, "producers[1].rate.constant").message
    assert "low <= high" in only(ps, "producers[1].size").message
    assert "quote the value" in only(ps, "producers[1].routing_key").message
    assert "needs ack: manual" in only(ps, "consumers[0].reject").message
    assert only(ps, "consumers[1].ack").suggestion == "manual"
    assert "greater than 0" in only(ps, "consumers[1].service_time.exponential").message


def test_missing_required_keys_and_bad_name() -> None:
    ps = problems_of("""\
        description: no name
        producers:
          - {exchange: x}
        """)
    assert only(ps, "").message == "missing required key 'name'"
    assert [p.message for p in ps if p.path == "producers[0]"] == [
        "missing required key 'name'", "missing required key 'rate'"]
    assert "no exchange named 'x'" in only(ps, "producers[0].exchange").message
    p = only(problems_of("name: Online_Store\n"), "name")
    assert "[a-z0-9-]+" in p.message and p.value == "Online_Store"


def test_dict_input_reports_paths_without_lines() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario({"name": "d", "consumers": [{"name": "c", "queue": "q"}]})
    assert str(info.value) == "consumers[0].queue: no queue named 'q'"
