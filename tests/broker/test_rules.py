"""The declare-time rules table (amqpsim.broker.rules, .policy_rules): order, scope, wording.

Every expected text was read from RabbitMQ 3.10.8 (the conformance cases
queue_argument_refusals, quorum_argument_refusals and exchange_argument_refusals
replay most of them against the real broker).
"""

from __future__ import annotations

import pytest
from broker_helpers import World, refused

from amqpsim.broker.policy_rules import PolicyError, policy_error, policy_refusals
from amqpsim.broker.rules import (
    KNOWN_ARGUMENTS,
    QUEUE_TYPES,
    consume_crash,
    consume_refusals,
    queue_refusals,
)

QQ = {"x-queue-type": "quorum"}
RES = "for queue 'q' in vhost '/'"


def first(arguments: dict, durable: bool = True, exclusive: bool = False,
          auto_delete: bool = False) -> str:
    return queue_refusals("q", durable, exclusive, auto_delete, arguments)[0].detail


@pytest.mark.parametrize("args,detail", [
    # the channel checks the dead-letter exchange's type before anything else
    ({"x-message-ttl": -1, "x-dead-letter-exchange": 5},
     "invalid type 'signedint' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'"),
    # then the queue type, before the other values
    ({"x-max-length": -1, "x-queue-type": "foo"},
     f"invalid arg 'x-queue-type' {RES}: \"unsupported queue type 'foo'\""),
    ({"x-queue-type": ["a"]}, f"invalid arg 'x-queue-type' {RES}: {{unacceptable_type,array}}"),
    # values in RabbitMQ's order, not the client's
    ({"x-max-length": -1, "x-message-ttl": -1}, f"invalid arg 'x-message-ttl' {RES}: {{value_negative,-1}}"),
    # values before arguments of another type, those in the client's order
    ({**QQ, "x-max-priority": 5, "x-message-ttl": -1},
     f"invalid arg 'x-message-ttl' {RES}: {{value_negative,-1}}"),
    ({**QQ, "x-queue-mode": "lazy", "x-max-priority": 5},
     f"invalid arg 'x-queue-mode' {RES} of queue type rabbit_quorum_queue"),
    ({"x-max-age": 5, "x-delivery-limit": 1}, f"invalid arg 'x-max-age' {RES} of queue type rabbit_classic_queue"),
    # a foreign argument is refused whatever its value
    ({"x-quorum-initial-group-size": 0},
     f"invalid arg 'x-quorum-initial-group-size' {RES} of queue type rabbit_classic_queue"),
    ({**QQ, "x-quorum-initial-group-size": 0}, f"invalid arg 'x-quorum-initial-group-size' {RES}: {{value_zero,0}}"),
    ({**QQ, "x-queue-leader-locator": "foo"}, f"invalid arg 'x-queue-leader-locator' {RES}: invalid_queue_locator_arg"),
    ({**QQ, "x-dead-letter-strategy": 1}, f"invalid arg 'x-dead-letter-strategy' {RES}: {{unacceptable_type,signedint}}"),
    ({**QQ, "x-dead-letter-strategy": "x"}, f"invalid arg 'x-dead-letter-strategy' {RES}: invalid_dlx_strategy"),
    ({**QQ, "x-max-in-memory-bytes": "a"}, f"invalid arg 'x-max-in-memory-bytes' {RES}: \"expected integer, got longstr\""),
    ({"x-queue-version": 3}, f"invalid arg 'x-queue-version' {RES}: \"unsupported queue version '3'\""),
    ({"x-max-length": None}, f"invalid arg 'x-max-length' {RES}: \"expected integer, got void\""),
    ({"x-max-length": True}, f"invalid arg 'x-max-length' {RES}: \"expected integer, got bool\""),
    ({"x-max-priority": 2**40}, f"invalid arg 'x-max-priority' {RES}: {{max_value_exceeded,1099511627776}}"),
    ({"x-queue-type": "stream", "x-message-ttl": -5},
     f"invalid arg 'x-message-ttl' {RES} of queue type rabbit_stream_queue"),
    ({"x-queue-type": "stream", "x-max-age": 5}, f"invalid arg 'x-max-age' {RES}: {{unacceptable_type,signedint}}"),
])
def test_first_refusal_in_rabbitmq_order(args: dict, detail: str) -> None:
    assert first(args) == detail


def test_properties_of_replicated_types_come_last_auto_delete_first() -> None:
    both = queue_refusals("q", False, True, True, QQ)
    assert [r.detail for r in both] == [f"invalid property 'auto-delete' {RES}",
                                        f"invalid property 'exclusive-owner' {RES}"]
    assert [r.field for r in both] == [("auto_delete",), ("exclusive",)]
    assert first(QQ, durable=False) == f"invalid property 'non-durable' {RES}"
    assert first({"x-queue-type": "stream"}, durable=False) == f"invalid property 'non-durable' {RES}"
    assert first({**QQ, "x-max-priority": 1}, durable=False).endswith("of queue type rabbit_quorum_queue")


def test_every_refusal_is_listed_and_points_at_its_argument() -> None:
    refusals = queue_refusals("q", False, False, False,
                              {**QQ, "x-max-priority": 5, "x-message-ttl": -1, "x-overflow": "x"})
    assert [r.field for r in refusals] == [("arguments", "x-message-ttl"), ("arguments", "x-overflow"),
                                           ("arguments", "x-max-priority"), ("durable",)]
    assert queue_refusals("q", True, False, False, {"x-foo": 1, "x-consumer-timeout": 5}) == []


def test_accepted_without_a_value_check() -> None:
    for args in ({**QQ, "x-delivery-limit": "abc"}, {**QQ, "x-overflow": "reject-publish-dlx"},
                 {"x-message-ttl": 315_360_000_000}, {"x-max-priority": 0},
                 {"x-dead-letter-exchange": "nowhere"}, {"x-queue-master-locator": "random"}):
        assert queue_refusals("q", True, False, False, args) == [], args


def test_the_table_is_keyed_by_queue_type() -> None:
    assert QUEUE_TYPES["classic"].module == "rabbit_classic_queue"
    assert "x-delivery-limit" in QUEUE_TYPES["quorum"].arguments - QUEUE_TYPES["classic"].arguments
    assert all(t.simulated for t in QUEUE_TYPES.values()) and QUEUE_TYPES["stream"].replicated
    assert "x-queue-master-locator" in KNOWN_ARGUMENTS and "x-consumer-timeout" not in KNOWN_ARGUMENTS


def test_bad_master_locator_crashes_the_classic_queue_541(w: World) -> None:
    assert refused(w, 541, "queue_declare", "q", arguments={"x-queue-master-locator": "foo"}) == "INTERNAL_ERROR"
    assert "q" not in w.broker.queues
    text = refused(w, 406, "queue_declare", "q", arguments={"x-queue-master-locator": "foo", "x-message-ttl": -1})
    assert text.endswith("{value_negative,-1}")


def test_streams_are_validated_then_declared(w: World) -> None:
    refused(w, 406, "queue_declare", "s", arguments={"x-queue-type": "stream"})  # non-durable
    assert w.broker.queue_declare(0.0, w.ch, "s", durable=True, arguments={"x-queue-type": "stream"}) == ("s", 0, 0)
    assert w.broker.queues["s"].is_stream


def test_redeclare_compares_only_the_arguments_of_the_queue_type(w: World) -> None:
    w.declare("cq", arguments={"x-queue-version": 1})
    w.declare("cq", arguments={"x-queue-version": 1, "x-delivery-limit": 5, "x-max-age": "1h"})
    text = refused(w, 406, "queue_declare", "cq", arguments={"x-queue-version": 2})
    assert "inequivalent arg 'x-queue-version'" in text
    w.declare("qq", durable=True, arguments={**QQ, "x-delivery-limit": 1})
    w.declare("qq", durable=True, arguments={**QQ, "x-delivery-limit": 1, "x-max-priority": 2})
    assert "inequivalent arg 'x-quorum-initial-group-size'" in refused(
        w, 406, "queue_declare", "qq", durable=True,
        arguments={**QQ, "x-delivery-limit": 1, "x-quorum-initial-group-size": 3})


def test_alternate_exchange_must_be_a_string(w: World) -> None:
    text = refused(w, 406, "exchange_declare", "x", "direct", arguments={"alternate-exchange": True})
    assert text == ("PRECONDITION_FAILED - invalid type 'bool' for arg 'alternate-exchange' "
                    "in exchange 'x' in vhost '/'")
    w.exchange_declare("y", "direct", arguments={"alternate-exchange": "nowhere", "x-foo": 1})


def test_errors_name_the_field_to_blame(w: World) -> None:
    from amqpsim.broker import AMQPError

    w.declare("q")
    w.exchange_declare("h", "headers")
    for call, field in ((lambda: w.queue_bind("nq", "h"), ("queue",)),
                        (lambda: w.queue_bind("q", "nx"), ("exchange",)),
                        (lambda: w.queue_bind("q", "h", arguments={"x-match": "alll"}), ("arguments", "x-match")),
                        (lambda: w.queue_declare("q", durable=True), ("durable",)),
                        (lambda: w.queue_declare("q", arguments={"x-message-ttl": 1}),
                         ("arguments", "x-message-ttl"))):
        with pytest.raises(AMQPError) as info:
            call()
        assert info.value.field == field
        w.ch = w.channel()


# ------------------------------------------------------------------ policies
@pytest.mark.parametrize("definition,text", [
    ({"message-ttl": -1}, "-1 is not a valid message TTL"),
    ({"message-ttl": "a"}, '<<"a">> is not a valid message TTL'),
    ({"message-ttl": 1.5}, "1.5 is not a valid message TTL"),
    ({"message-ttl": True}, "true is not a valid message TTL"),
    ({"max-length": None}, "null is not a valid maximum length"),
    ({"expires": 0}, "0 is not a valid queue expiry"),
    ({"overflow": "foo"}, '<<"foo">> is not a valid overflow value'),
    ({"alternate-exchange": [1]}, "[1] is not a valid alternate exchange name"),
    ({"queue-version": 1.0}, "1.0 is not a valid queue-version value"),
    ({"queue-master-locator": 5}, "5 invalid queue-master-locator value"),
    ({"delivery-limit": -1}, "-1 is not a valid delivery limit"),
    ({"max-in-memory-length": -1}, "-1 is not a valid maximum memory in bytes"),
    ({"max-length": -1, "message-ttl": -1}, "-1 is not a valid maximum length"),
    ({"message-ttl": -1, "foo": 1}, "-1 is not a valid message TTL"),
    ({"foo": 1, "bar": 2}, '[{<<"bar">>,2},{<<"foo">>,1}] are not recognised policy settings'),
    ({"consumer-timeout": 5}, '[{<<"consumer-timeout">>,5}] are not recognised policy settings'),
    ({}, "no policy provided"),
    ({"ha-params": 2}, "ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown"),
    ({"ha-mode": "exactly", "ha-params": 0}, 'ha-mode="exactly" takes an integer, 0 given'),
    ({"ha-mode": "nodes"}, 'ha-mode="nodes" takes a list, none given'),
    ({"ha-mode": "all", "ha-sync-mode": "foo"}, 'ha-sync-mode must be "manual" or "automatic", got <<"foo">>'),
])
def test_policy_definition_refusals(definition: dict, text: str) -> None:
    error = policy_error("^x$", definition)
    assert error is not None and str(error) == f"Validation failed\n\n{text}"


def test_policy_accepts_what_3_10_accepts() -> None:
    for definition in ({"message-ttl": 315_360_000_001}, {"dead-letter-routing-key": "k"},
                       {"initial-cluster-size": 0}, {"queue-leader-locator": "least-leaders"},
                       {"ha-mode": "exactly", "ha-params": 2}, {"federation-upstream-set": "all"},
                       {"max-age": "1h"}, {"delivery-limit": 0}):
        assert policy_refusals(".*", definition) == [], definition


def test_policy_apply_to_and_pattern_are_reported_after_the_definition(w: World) -> None:
    with pytest.raises(PolicyError) as info:
        w.broker.set_policy(w.now, "p", "(", {"message-ttl": -1}, apply_to="quorum_queues")
    assert str(info.value).splitlines()[2:4] == [
        "-1 is not a valid message TTL",
        "apply-to 'quorum_queues' unrecognised; should be 'queues', 'exchanges' or 'all'"]
    assert str(info.value).splitlines()[4].startswith("pattern should be regular expression but is invalid")
    assert w.broker.vhost.topology.policies == {}
    assert policy_refusals(".*", {"max-length": 1}, "quorum_queues", version="4.3") == []


# ------------------------------------------------------------------ basic.consume arguments
# (conformance cases consume_argument_checks and consume_argument_crash_and_order)


@pytest.mark.parametrize("qtype,args,detail", [
    ("classic", {"x-priority": "high"}, f"invalid arg 'x-priority' {RES}: \"expected integer, got longstr\""),
    ("classic", {"x-priority": b"1"}, f"invalid arg 'x-priority' {RES}: \"expected integer, got binary\""),
    ("quorum", {"x-priority": None}, f"invalid arg 'x-priority' {RES}: \"expected integer, got void\""),
    ("classic", {"x-cancel-on-ha-failover": 1},
     f"invalid arg 'x-cancel-on-ha-failover' {RES}: {{unacceptable_type,signedint}}"),
    # values first, in RabbitMQ's order; then the other types' arguments, in the client's order
    ("classic", {"x-cancel-on-ha-failover": "y", "x-priority": "x"},
     f"invalid arg 'x-priority' {RES}: \"expected integer, got longstr\""),
    ("classic", {"x-stream-offset": 1, "x-cancel-on-ha-failover": "y"},
     f"invalid arg 'x-cancel-on-ha-failover' {RES}: {{unacceptable_type,longstr}}"),
    ("quorum", {"x-cancel-on-ha-failover": True, "x-stream-offset": 1},
     f"invalid arg 'x-cancel-on-ha-failover' {RES} of queue type rabbit_quorum_queue"),
    ("classic", {"x-stream-offset": "first"}, f"invalid arg 'x-stream-offset' {RES} of queue type rabbit_classic_queue"),
])
def test_consume_refusals(qtype: str, args: dict, detail: str) -> None:
    assert consume_refusals("q", qtype, args)[0].detail == detail


def test_consume_arguments_accepted() -> None:
    for args in ({"x-priority": 2**63 - 1}, {"x-priority": -2**31}, {"x-cancel-on-ha-failover": False},
                 {"x-credit": {"credit": "a"}}, {"x-foo": 1, "X-Priority": "high"}):
        assert consume_refusals("q", "classic", args) == [], args
        assert consume_crash(args) is None


def test_consume_crash_order(w: World) -> None:
    """A non-table x-credit: 541 and the connection closes, but after 'in exclusive use'."""
    w.declare("q")
    w.declare("busy")
    w.basic_consume("busy", "t", exclusive=True, ch=w.channel())
    assert refused(w, 403, "basic_consume", "busy", arguments={"x-credit": 5}).endswith("in exclusive use")
    assert refused(w, 406, "basic_consume", "busy", arguments={"x-priority": "x"}).startswith("PRECONDITION")
    assert refused(w, 541, "basic_consume", "q", arguments={"x-credit": None}) == "INTERNAL_ERROR"


def test_bytes_are_binary_never_a_string() -> None:
    """pika sends bytes as 'x' (binary): refused wherever a string is expected."""
    assert first({"x-dead-letter-exchange": b""}) == (
        "invalid type 'binary' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'")
    assert first({"x-overflow": b"reject-publish"}) == f"invalid arg 'x-overflow' {RES}: {{unacceptable_type,binary}}"
    assert first({"x-max-length": b"5"}) == f"invalid arg 'x-max-length' {RES}: \"expected integer, got binary\""
    assert queue_refusals("q", True, False, False, {"x-foo": b"bar"}) == []
