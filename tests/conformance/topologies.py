"""Topologies RabbitMQ 3.10.8 refuses or accepts at declare time, with the recorded answer.

Each :class:`Topo` is a scenario ``topology`` and what RabbitMQ answers when it is
declared in a run's order (policies, exchanges, queues, bindings): ``None`` when it
accepts everything, else the one refusal as ``amqpsim validate`` reports it (the
YAML path of the field to blame and ``"<code> <reply text>"``; for a policy
rabbitmqctl's validation message). ``test_validation.py`` checks that
``amqpsim validate`` gives exactly this answer and that the real broker does too.

Not here, because amqpsim is deliberately stricter or knowingly different: custom
``x-`` arguments (RabbitMQ ignores them; a scenario calls them misspelt), policy
patterns that do not compile (Python's regex error text is not PCRE's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PF = "406 PRECONDITION_FAILED - "
RES = "for queue 'q' in vhost '/'"
QUORUM = {"name": "q", "type": "quorum"}
STREAM = {"name": "q", "type": "stream"}


@dataclass(frozen=True)
class Topo:
    id: str
    topology: dict[str, Any]
    path: str | None = None  # the refused field, as amqpsim validate names it
    refused: str | None = None  # None: RabbitMQ accepts the whole topology


def queue(id: str, q: dict[str, Any], path: str | None = None, refused: str | None = None) -> Topo:
    q = {"name": "q", **q}
    return Topo(id, {"queues": [q]}, path and f"topology.queues[0].{path}", refused)


def policy(id: str, definition: dict[str, Any], path: str | None = None, refused: str | None = None,
           apply_to: str = "queues") -> Topo:
    pol = {"name": "p", "pattern": "^amqpsim-validate-nothing$", "apply-to": apply_to,
           "definition": definition}
    text = refused and f"RabbitMQ refuses the policy: {refused}"
    return Topo(id, {"policies": [pol]}, path and f"topology.policies[0].{path}", text)


TOPOLOGIES: list[Topo] = [
    # --- queues: arguments of another queue type, properties of replicated types
    queue("quorum_master_locator", {**QUORUM, "arguments": {"x-queue-master-locator": "min-masters"}},
          "arguments.x-queue-master-locator",
          f"{PF}invalid arg 'x-queue-master-locator' {RES} of queue type rabbit_quorum_queue"),
    queue("quorum_max_priority", {**QUORUM, "arguments": {"x-max-priority": 5}},
          "arguments.x-max-priority", f"{PF}invalid arg 'x-max-priority' {RES} of queue type rabbit_quorum_queue"),
    queue("quorum_non_durable", {**QUORUM, "durable": False}, "durable",
          f"{PF}invalid property 'non-durable' {RES}"),
    queue("quorum_exclusive", {**QUORUM, "exclusive": True}, "exclusive",
          f"{PF}invalid property 'exclusive-owner' {RES}"),
    queue("quorum_auto_delete", {**QUORUM, "auto_delete": True}, "auto_delete",
          f"{PF}invalid property 'auto-delete' {RES}"),
    queue("quorum_by_argument_non_durable", {"durable": False, "arguments": {"x-queue-type": "quorum"}},
          "durable", f"{PF}invalid property 'non-durable' {RES}"),
    queue("classic_delivery_limit", {"arguments": {"x-delivery-limit": 3}}, "arguments.x-delivery-limit",
          f"{PF}invalid arg 'x-delivery-limit' {RES} of queue type rabbit_classic_queue"),
    queue("classic_leader_locator", {"arguments": {"x-queue-leader-locator": "balanced"}},
          "arguments.x-queue-leader-locator",
          f"{PF}invalid arg 'x-queue-leader-locator' {RES} of queue type rabbit_classic_queue"),
    queue("classic_max_age", {"arguments": {"x-max-age": "1D"}}, "arguments.x-max-age",
          f"{PF}invalid arg 'x-max-age' {RES} of queue type rabbit_classic_queue"),
    # --- queues: values
    queue("queue_type_unknown", {"arguments": {"x-queue-type": "quorom"}}, "arguments.x-queue-type",
          f"{PF}invalid arg 'x-queue-type' {RES}: \"unsupported queue type 'quorom'\""),
    queue("max_length_negative", {"arguments": {"x-max-length": -1}}, "arguments.x-max-length",
          f"{PF}invalid arg 'x-max-length' {RES}: {{value_negative,-1}}"),
    queue("max_length_string", {"arguments": {"x-max-length": "ten"}}, "arguments.x-max-length",
          f"{PF}invalid arg 'x-max-length' {RES}: \"expected integer, got longstr\""),
    queue("max_length_bool", {"arguments": {"x-max-length": True}}, "arguments.x-max-length",
          f"{PF}invalid arg 'x-max-length' {RES}: \"expected integer, got bool\""),
    queue("overflow_unknown", {"arguments": {"x-overflow": "drop-tail"}}, "arguments.x-overflow",
          f"{PF}invalid arg 'x-overflow' {RES}: invalid_overflow"),
    queue("overflow_number", {"arguments": {"x-overflow": 1}}, "arguments.x-overflow",
          f"{PF}invalid arg 'x-overflow' {RES}: {{unacceptable_type,signedint}}"),
    queue("message_ttl_too_large", {"arguments": {"x-message-ttl": 315360000001}}, "arguments.x-message-ttl",
          f"{PF}invalid arg 'x-message-ttl' {RES}: {{value_too_large,315360000001}}"),
    queue("message_ttl_negative", {"arguments": {"x-message-ttl": -1}}, "arguments.x-message-ttl",
          f"{PF}invalid arg 'x-message-ttl' {RES}: {{value_negative,-1}}"),
    queue("expires_zero", {"arguments": {"x-expires": 0}}, "arguments.x-expires",
          f"{PF}invalid arg 'x-expires' {RES}: {{value_zero,0}}"),
    queue("dead_letter_routing_key_alone", {"arguments": {"x-dead-letter-routing-key": "k"}},
          "arguments.x-dead-letter-routing-key",
          f"{PF}invalid arg 'x-dead-letter-routing-key' {RES}: routing_key_but_no_dlx_defined"),
    queue("dead_letter_exchange_number", {"arguments": {"x-dead-letter-exchange": 5}},
          "arguments.x-dead-letter-exchange",
          f"{PF}invalid type 'signedint' for arg 'x-dead-letter-exchange' in queue 'q' in vhost '/'"),
    queue("max_priority_256", {"arguments": {"x-max-priority": 256}}, "arguments.x-max-priority",
          f"{PF}invalid arg 'x-max-priority' {RES}: {{max_value_exceeded,256}}"),
    queue("single_active_consumer_string", {"arguments": {"x-single-active-consumer": "yes"}},
          "arguments.x-single-active-consumer",
          f"{PF}invalid arg 'x-single-active-consumer' {RES}: {{unacceptable_type,longstr}}"),
    queue("queue_mode_unknown", {"arguments": {"x-queue-mode": "eager"}}, "arguments.x-queue-mode",
          f"{PF}invalid arg 'x-queue-mode' {RES}: \"unsupported queue mode 'eager'\""),
    queue("queue_version_3", {"arguments": {"x-queue-version": 3}}, "arguments.x-queue-version",
          f"{PF}invalid arg 'x-queue-version' {RES}: \"unsupported queue version '3'\""),
    queue("quorum_leader_locator_unknown", {**QUORUM, "arguments": {"x-queue-leader-locator": "nearest"}},
          "arguments.x-queue-leader-locator",
          f"{PF}invalid arg 'x-queue-leader-locator' {RES}: invalid_queue_locator_arg"),
    queue("quorum_group_size_zero", {**QUORUM, "arguments": {"x-quorum-initial-group-size": 0}},
          "arguments.x-quorum-initial-group-size",
          f"{PF}invalid arg 'x-quorum-initial-group-size' {RES}: {{value_zero,0}}"),
    queue("classic_master_locator_unknown", {"arguments": {"x-queue-master-locator": "nearest"}},
          "arguments.x-queue-master-locator", "541 INTERNAL_ERROR"),
    queue("reserved_name", {"name": "amq.mine"}, "name",
          "403 ACCESS_REFUSED - queue name 'amq.mine' contains reserved prefix 'amq.*'"),
    # --- streams
    queue("stream_max_length", {**STREAM, "arguments": {"x-max-length": 10}}, "arguments.x-max-length",
          f"{PF}invalid arg 'x-max-length' {RES} of queue type rabbit_stream_queue"),
    queue("stream_dead_letter_exchange", {**STREAM, "arguments": {"x-dead-letter-exchange": "dlx"}},
          "arguments.x-dead-letter-exchange",
          f"{PF}invalid arg 'x-dead-letter-exchange' {RES} of queue type rabbit_stream_queue"),
    queue("stream_single_active_consumer", {**STREAM, "arguments": {"x-single-active-consumer": True}},
          "arguments.x-single-active-consumer",
          f"{PF}invalid arg 'x-single-active-consumer' {RES} of queue type rabbit_stream_queue"),
    queue("stream_max_age_zero", {**STREAM, "arguments": {"x-max-age": "0s"}}, "arguments.x-max-age",
          f"{PF}invalid arg 'x-max-age' {RES}: invalid_max_age"),
    queue("stream_cluster_size_zero", {**STREAM, "arguments": {"x-initial-cluster-size": 0}},
          "arguments.x-initial-cluster-size", f"{PF}invalid arg 'x-initial-cluster-size' {RES}: {{value_zero,0}}"),
    queue("stream_non_durable", {**STREAM, "durable": False}, "durable",
          f"{PF}invalid property 'non-durable' {RES}"),
    queue("stream_auto_delete", {**STREAM, "auto_delete": True}, "auto_delete",
          f"{PF}invalid property 'auto-delete' {RES}"),
    queue("stream_by_argument_exclusive", {"exclusive": True, "arguments": {"x-queue-type": "stream"}},
          "exclusive", f"{PF}invalid property 'exclusive-owner' {RES}"),
    queue("stream_accepted", {**STREAM, "arguments": {
        "x-max-length-bytes": 20000000, "x-max-age": "1h", "x-stream-max-segment-size-bytes": 5000000,
        "x-initial-cluster-size": 1, "x-queue-leader-locator": "balanced"}}),
    # --- queues RabbitMQ accepts
    queue("quorum_accepted", {**QUORUM, "arguments": {
        "x-delivery-limit": 3, "x-overflow": "reject-publish-dlx", "x-queue-leader-locator": "balanced",
        "x-dead-letter-strategy": "at-least-once", "x-max-in-memory-length": 5}}),
    queue("classic_accepted", {"arguments": {
        "x-queue-master-locator": "random", "x-max-priority": 0, "x-message-ttl": 315360000000,
        "x-dead-letter-exchange": "nowhere", "x-queue-version": 2, "x-queue-mode": "lazy"}}),
    queue("classic_exclusive_durable", {"exclusive": True}),
    # --- exchanges
    Topo("alternate_exchange_number", {"exchanges": [
        {"name": "x", "type": "direct", "arguments": {"alternate-exchange": 5}}]},
        "topology.exchanges[0].arguments.alternate-exchange",
        f"{PF}invalid type 'signedint' for arg 'alternate-exchange' in exchange 'x' in vhost '/'"),
    Topo("exchange_reserved_name", {"exchanges": [{"name": "amq.custom", "type": "direct"}]},
         "topology.exchanges[0].name",
         "403 ACCESS_REFUSED - exchange name 'amq.custom' contains reserved prefix 'amq.*'"),
    Topo("predeclared_other_type", {"exchanges": [{"name": "amq.direct", "type": "fanout"}]},
         "topology.exchanges[0].type",
         f"{PF}inequivalent arg 'type' for exchange 'amq.direct' in vhost '/': received 'fanout' "
         "but current is 'direct'"),
    Topo("predeclared_not_durable", {"exchanges": [
        {"name": "amq.topic", "type": "topic", "durable": False}]}, "topology.exchanges[0].durable",
        f"{PF}inequivalent arg 'durable' for exchange 'amq.topic' in vhost '/': received 'false' "
        "but current is 'true'"),
    Topo("exchanges_accepted", {"exchanges": [
        {"name": "amq.topic", "type": "topic"},
        {"name": "x", "type": "headers", "internal": True, "arguments": {"alternate-exchange": "nowhere"}}]}),
    # --- bindings
    Topo("bind_missing_queue", {"exchanges": [{"name": "x", "type": "direct"}], "queues": [{"name": "q"}],
                                "bindings": [{"source": "x", "destination": "qq"}]},
         "topology.bindings[0].destination", "404 NOT_FOUND - no queue 'qq' in vhost '/'"),
    Topo("bind_missing_exchange", {"queues": [{"name": "q"}],
                                   "bindings": [{"source": "x", "destination": "q"}]},
         "topology.bindings[0].source", "404 NOT_FOUND - no exchange 'x' in vhost '/'"),
    Topo("bind_missing_destination_exchange", {"exchanges": [{"name": "x", "type": "fanout"}], "bindings": [
        {"source": "x", "destination": "y", "destination_type": "exchange"}]},
        "topology.bindings[0].destination", "404 NOT_FOUND - no exchange 'y' in vhost '/'"),
    Topo("bind_x_match_unknown", {"queues": [{"name": "q"}], "bindings": [
        {"source": "amq.headers", "destination": "q", "arguments": {"x-match": "every"}}]},
        "topology.bindings[0].arguments.x-match",
        f"{PF}Invalid x-match field value <<\"every\">>; expected all, any, all-with-x, or any-with-x"),
    Topo("bind_x_match_number", {"queues": [{"name": "q"}], "bindings": [
        {"source": "amq.match", "destination": "q", "arguments": {"x-match": 1}}]},
        "topology.bindings[0].arguments.x-match",
        f"{PF}Invalid x-match field type signedint (value 1); expected longstr"),
    Topo("bind_from_default_exchange", {"queues": [{"name": "q"}],
                                        "bindings": [{"source": "", "destination": "q"}]},
         "topology.bindings[0].source", "403 ACCESS_REFUSED - operation not permitted on the default exchange"),
    Topo("bind_to_default_exchange", {"bindings": [
        {"source": "amq.fanout", "destination": "", "destination_type": "exchange"}]},
        "topology.bindings[0].destination", "403 ACCESS_REFUSED - operation not permitted on the default exchange"),
    Topo("bindings_accepted", {
        "exchanges": [{"name": "x", "type": "topic"}, {"name": "h", "type": "headers"}],
        "queues": [{"name": "q"}, {"name": "mine", "exclusive": True}],
        "bindings": [{"source": "x", "destination": "q", "routing_key": "#.#.#"},
                     {"source": "x", "destination": "mine", "routing_key": "a.*"},
                     {"source": "h", "destination": "q", "arguments": {"x-match": "any-with-x"}},
                     {"source": "x", "destination": "h", "destination_type": "exchange"}]}),
    # --- policies (rabbitmqctl set_policy)
    policy("policy_ttl_negative", {"message-ttl": -1}, "definition.message-ttl",
           "-1 is not a valid message TTL"),
    policy("policy_unknown_key", {"x-message-ttl": 5}, "definition.x-message-ttl",
           '[{<<"x-message-ttl">>,5}] are not recognised policy settings'),
    policy("policy_consumer_timeout", {"consumer-timeout": 5}, "definition.consumer-timeout",
           '[{<<"consumer-timeout">>,5}] are not recognised policy settings'),
    policy("policy_overflow_unknown", {"overflow": "drop-tail"}, "definition.overflow",
           '<<"drop-tail">> is not a valid overflow value'),
    policy("policy_empty", {}, "definition", "no policy provided"),
    policy("policy_ha_params_alone", {"ha-params": 2}, "definition.ha-params",
           "ha-mode must be specified to specify ha-params, ha-sync-mode or ha-promote-on-shutdown"),
    policy("policy_apply_to_quorum_queues", {"delivery-limit": 3}, "apply-to",
           "apply-to 'quorum_queues' unrecognised; should be 'queues', 'exchanges' or 'all'",
           apply_to="quorum_queues"),
    policy("policy_accepted", {"message-ttl": 315360000001, "dead-letter-routing-key": "k",
                               "delivery-limit": 0, "queue-leader-locator": "least-leaders",
                               "expires": 1, "max-length-bytes": 0}),
]
