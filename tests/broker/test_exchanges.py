"""Routing: default, amq.*, direct, fanout, topic, headers, E2E, alternate, internal, auto-delete."""

from __future__ import annotations

import pytest
from broker_helpers import World, delivered, events, refused

from amqpsim.broker.exchanges.topic import split_key
from amqpsim.trace.events import ExchangeDeleted


def bind_queues(w: World, exchange: str, bindings: dict[str, str | list[str]]) -> None:
    for q, keys in bindings.items():
        w.declare(q)
        for k in [keys] if isinstance(keys, str) else keys:
            w.queue_bind(q, exchange, k)


def routed(w: World, exchange: str, rk: str, **props: object) -> list[str]:
    return sorted(w.pub(rk, exchange=exchange, **props).queues)


# ------------------------------------------------------------------ default exchange
def test_default_exchange_routes_by_queue_name(w: World) -> None:
    w.declare("q1")
    assert routed(w, "", "q1") == ["q1"]
    assert routed(w, "", "nope") == []
    assert w.drain("q1") == ["m"]


def test_default_exchange_reaches_other_connections_exclusive_queue(w: World) -> None:
    other = w.channel(w.connect())
    w.declare("excl", ch=other, exclusive=True)
    assert routed(w, "", "excl") == ["excl"]


@pytest.mark.parametrize("method,args", [
    ("exchange_declare", ("",)),
    ("exchange_delete", ("",)),
    ("exchange_bind", ("", "amq.direct", "k")),
    ("exchange_bind", ("amq.direct", "", "k")),
    ("exchange_unbind", ("amq.direct", "", "k")),
    ("queue_bind", ("q", "", "q")),
    ("queue_unbind", ("q", "", "q")),
])
def test_default_exchange_operations_refused_403(w: World, method: str, args: tuple) -> None:
    w.declare("q")
    text = refused(w, 403, method, *args)
    assert text == "ACCESS_REFUSED - operation not permitted on the default exchange"


def test_passive_declare_of_default_exchange_is_403(w: World) -> None:
    refused(w, 403, "exchange_declare", "", passive=True)  # verified on 3.10.8


# ------------------------------------------------------------------ amq.*
def test_amq_exchanges_predeclared(w: World) -> None:
    xs = w.broker.exchanges
    expected = {"amq.direct": "direct", "amq.fanout": "fanout", "amq.topic": "topic",
                "amq.headers": "headers", "amq.match": "headers", "amq.rabbitmq.trace": "topic"}
    for name, typ in expected.items():
        assert xs[name].type == typ and xs[name].durable
        w.exchange_declare(name, passive=True)
    assert xs["amq.rabbitmq.trace"].internal


def test_amq_prefix_reserved(w: World) -> None:
    text = refused(w, 403, "exchange_declare", "amq.custom", "direct")
    assert "reserved prefix 'amq.*'" in text
    w.exchange_declare("amq.direct", "direct", durable=True)  # equivalent redeclare is fine
    refused(w, 406, "exchange_declare", "amq.direct", "direct", durable=False)
    assert "deletion of system exchange" in refused(w, 403, "exchange_delete", "amq.direct")
    refused(w, 403, "exchange_delete", "amq.no-such")


# ------------------------------------------------------------------ direct / fanout
def test_direct_exact_match_including_empty_key(w: World) -> None:
    w.exchange_declare("d", "direct")
    bind_queues(w, "d", {"a": "k", "b": ["k", "K"], "e": ""})
    assert routed(w, "d", "k") == ["a", "b"]
    assert routed(w, "d", "K") == ["b"]
    assert routed(w, "d", "") == ["e"]
    assert routed(w, "d", "k.x") == []


def test_bindings_differing_only_in_args_are_distinct(w: World) -> None:
    w.exchange_declare("d", "direct")
    w.declare("q")
    w.queue_bind("q", "d", "k", arguments={"v": 1})
    w.queue_bind("q", "d", "k", arguments={"v": 2})
    w.queue_bind("q", "d", "k", arguments={"v": 2})  # identical: no-op
    assert len(w.broker.exchanges["d"].impl.bindings) == 2
    assert routed(w, "d", "k") == ["q"]  # still one copy
    w.queue_unbind("q", "d", "k", arguments={"v": 1})
    assert routed(w, "d", "k") == ["q"]
    w.queue_unbind("q", "d", "k", arguments={"v": 2})
    assert routed(w, "d", "k") == []


def test_fanout_ignores_keys_and_args(w: World) -> None:
    w.exchange_declare("f", "fanout")
    bind_queues(w, "f", {"a": "x", "b": ""})
    assert routed(w, "f", "anything") == ["a", "b"]


# ------------------------------------------------------------------ topic
TOPIC_CASES = [
    # (binding key, routing key, matches)
    ("#", "", True), ("#.#", "", True), ("", "", True), ("*", "", False), ("*.#", "", False),
    ("#.*.#", "", False), ("#", "a.b.c", True), ("*", "a", True), ("*", ".", False), ("*", "a.b", False),
    ("a.*", "a", False), ("a.*", "a.b.c", False), ("a.*", "a.b", True), ("a.#", "a", True),
    ("a.#", "a.b.c", True), ("a.#.b", "a.b", True), ("a.#.b", "a.x.y.b", True), ("a.#.b", "a.x.y", False),
    ("#.b.#", "x.b.y", True), ("#.b.#", "b", True), ("#.b.#", "xb", False), ("*.a", ".a", True),
    ("a.*", "a.", True), ("a..b", "a..b", True), ("a.*.b", "a..b", True), ("a.b", "a..b", False),
    (".*.a.b.c", ".0.a.b.c", True), (".*", "a", False), ("a#b", "a#b", True), ("a#b", "axb", False),
    ("##", "x", False), ("##", "##", True), ("**", "ab", False), ("*.#.#", "a", True), ("*.#.#", "", False),
    ("A", "a", False), ("#.*", "a.b", True), ("*.*", "a", False), ("*.*", "a.", True),
]


@pytest.mark.parametrize("bk,rk,hit", TOPIC_CASES)
def test_topic_matching(w: World, bk: str, rk: str, hit: bool) -> None:
    w.exchange_declare("t", "topic")
    bind_queues(w, "t", {"q": bk})
    assert routed(w, "t", rk) == (["q"] if hit else [])


def test_topic_split_keeps_empty_words() -> None:
    assert split_key("") == []
    assert split_key("a..b") == ["a", "", "b"]
    assert split_key(".") == ["", ""]


def test_topic_one_copy_per_queue(w: World) -> None:
    w.exchange_declare("t", "topic")
    bind_queues(w, "t", {"q": ["a.*", "*.b", "#", "a.b"], "r": "x"})
    assert w.pub("a.b", exchange="t", headers={"CC": ["a.b", "x"]}).queues == ("q", "r")
    assert w.drain("q") == ["m"] and w.drain("r") == ["m"]


def test_topic_unbind_prunes_and_cache_invalidated(w: World) -> None:
    w.exchange_declare("t", "topic")
    bind_queues(w, "t", {"q": "a.*.c"})
    assert routed(w, "t", "a.b.c") == ["q"]
    w.queue_unbind("q", "t", "a.*.c")
    assert routed(w, "t", "a.b.c") == []
    assert not w.broker.exchanges["t"].impl.root.children


# ------------------------------------------------------------------ headers
def hq(w: World, name: str, args: dict) -> None:
    w.declare(name)
    w.queue_bind(name, "h", "", arguments=args)


def test_headers_all_any_and_x_args(w: World) -> None:
    w.exchange_declare("h", "headers")
    hq(w, "all", {"a": 1, "b": "x"})
    hq(w, "all_default", {"x-match": "all", "a": 1, "x-ignored": 5})
    hq(w, "any", {"x-match": "any", "a": 1, "b": "x"})
    hq(w, "any_x_only", {"x-match": "any", "x-foo": 1})
    hq(w, "all_with_x", {"x-match": "all-with-x", "x-foo": 1})
    hq(w, "any_with_x", {"x-match": "any-with-x", "x-foo": 1, "a": 9})
    hq(w, "void", {"a": None})
    hq(w, "empty", {})
    assert routed(w, "h", "", headers={"a": 1, "b": "x"}) == ["all", "all_default", "any", "empty", "void"]
    assert routed(w, "h", "", headers={"a": 1}) == ["all_default", "any", "empty", "void"]
    assert routed(w, "h", "", headers={"b": "x"}) == ["any", "empty"]
    assert routed(w, "h", "", headers={"x-foo": 1}) == ["all_with_x", "any_with_x", "empty"]
    assert routed(w, "h", "", headers={"a": "zz"}) == ["empty", "void"]
    assert routed(w, "h", "") == ["empty"]  # no headers: only 'all' with nothing to test


def test_headers_value_types(w: World) -> None:
    w.exchange_declare("h", "headers")
    hq(w, "int", {"a": 1})
    hq(w, "str", {"a": "1"})
    hq(w, "bool", {"a": True})
    hq(w, "long", {"a": 2**40})
    assert routed(w, "h", "", headers={"a": 1}) == ["int"]
    assert routed(w, "h", "", headers={"a": "1"}) == ["str"]
    assert routed(w, "h", "", headers={"a": True}) == ["bool"]
    assert routed(w, "h", "", headers={"a": 2**40}) == ["long"]
    assert routed(w, "h", "", headers={"a": 1.0}) == ["int"]  # 3.10 compares with ==


def test_headers_4x_compares_exactly(w4: World) -> None:
    w4.exchange_declare("h", "headers")
    hq(w4, "int", {"a": 1})
    assert routed(w4, "h", "", headers={"a": 1.0}) == []
    assert routed(w4, "h", "", headers={"a": 1}) == ["int"]


def test_headers_invalid_x_match_406(w: World) -> None:
    w.exchange_declare("h", "headers")
    w.declare("q")
    text = refused(w, 406, "queue_bind", "q", "h", "", arguments={"x-match": "some"})
    assert text == ('PRECONDITION_FAILED - Invalid x-match field value <<"some">>; '
                    "expected all, any, all-with-x, or any-with-x")
    text = refused(w, 406, "queue_bind", "q", "h", "", arguments={"x-match": 1})
    assert text == "PRECONDITION_FAILED - Invalid x-match field type signedint (value 1); expected longstr"


# ------------------------------------------------------------------ exchange-to-exchange
def test_e2e_destination_applies_its_own_type(w: World) -> None:
    w.exchange_declare("src", "direct")
    w.exchange_declare("dst", "topic")
    w.exchange_bind("dst", "src", "a.b")
    bind_queues(w, "dst", {"q": "a.*", "r": "z.*"})
    assert routed(w, "src", "a.b") == ["q"]
    assert routed(w, "src", "a.c") == []


def test_e2e_cycles_and_one_copy(w: World) -> None:
    for x in ("x1", "x2", "x3"):
        w.exchange_declare(x, "fanout")
    w.exchange_bind("x2", "x1")
    w.exchange_bind("x3", "x2")
    w.exchange_bind("x1", "x3")  # cycle
    w.exchange_bind("x3", "x1")  # a second path to x3
    bind_queues(w, "x1", {"q": ""})
    w.queue_bind("q", "x3", "")
    assert w.pub("", exchange="x2").queues == ("q",)
    assert w.drain("q") == ["m"]


def test_e2e_missing_ends_404(w: World) -> None:
    w.exchange_declare("x", "fanout")
    assert "no exchange 'nope'" in refused(w, 404, "exchange_bind", "x", "nope")
    refused(w, 404, "exchange_bind", "nope", "x")
    refused(w, 404, "queue_bind", "nope", "x", "")
    w.exchange_unbind("x", "nope")  # unbinding what does not exist is fine (3.10.8)
    w.queue_unbind("nope", "nope-x", "k")


def test_exchange_delete_removes_bindings_both_ways(w: World) -> None:
    w.exchange_declare("a", "fanout")
    w.exchange_declare("b", "fanout")
    w.exchange_bind("b", "a")
    bind_queues(w, "b", {"q": ""})
    w.exchange_delete("b")
    assert routed(w, "a", "") == []
    assert not w.broker.exchanges["a"].impl.bindings
    w.exchange_delete("b")  # idempotent


def test_exchange_delete_if_unused(w: World) -> None:
    w.exchange_declare("a", "fanout")
    bind_queues(w, "a", {"q": ""})
    assert "in use" in refused(w, 406, "exchange_delete", "a", if_unused=True)
    w.queue_unbind("q", "a", "")
    w.exchange_delete("a", if_unused=True)
    assert "a" not in w.broker.exchanges


def test_exchange_redeclare_equivalence(w: World) -> None:
    w.exchange_declare("x", "direct", arguments={"alternate-exchange": "ae", "other": 1})
    w.exchange_declare("x", "direct", arguments={"alternate-exchange": "ae", "other": 2})  # only AE compared
    text = refused(w, 406, "exchange_declare", "x", "fanout")
    assert text == ("PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'x' in vhost '/': "
                    "received 'fanout' but current is 'direct'")
    refused(w, 406, "exchange_declare", "x", "direct", durable=True)
    refused(w, 406, "exchange_declare", "x", "direct", arguments={"alternate-exchange": "other"})
    refused(w, 404, "exchange_declare", "missing", passive=True)


def test_unknown_exchange_type_is_a_connection_error_503(w: World) -> None:
    text = refused(w, 503, "exchange_declare", "x", "no-such-type")
    assert text == "COMMAND_INVALID - unknown exchange type 'no-such-type'"


# ------------------------------------------------------------------ alternate exchanges
def test_alternate_exchange_chain_and_mandatory(w: World) -> None:
    w.exchange_declare("ae2", "fanout")
    w.exchange_declare("ae1", "direct", arguments={"alternate-exchange": "ae2"})
    w.exchange_declare("x", "direct", arguments={"alternate-exchange": "ae1"})
    bind_queues(w, "x", {"main": "k"})
    bind_queues(w, "ae1", {"side": "s"})
    bind_queues(w, "ae2", {"last": ""})
    assert routed(w, "x", "k") == ["main"]
    assert routed(w, "x", "s") == ["side"]
    out = w.pub("zz", exchange="x", mandatory=True)
    assert out.queues == ("last",) and not out.returned
    assert not [i for i in w.ch.inbox if i[0] == "return"]
    d = w.get("last")
    assert d is not None and d.exchange == "x"  # the message is unchanged


def test_alternate_exchange_cycle_and_missing(w: World) -> None:
    w.exchange_declare("a", "direct", arguments={"alternate-exchange": "b"})
    w.exchange_declare("b", "direct", arguments={"alternate-exchange": "a"})
    w.exchange_declare("c", "direct", arguments={"alternate-exchange": "missing"})
    assert routed(w, "a", "k") == []
    assert w.pub("k", exchange="c", mandatory=True).returned


def test_alternate_exchange_not_used_when_e2e_destination_routes_nowhere(w: World) -> None:
    w.exchange_declare("ae", "fanout")
    w.exchange_declare("x", "direct", arguments={"alternate-exchange": "ae"})
    w.exchange_declare("inner", "direct")
    w.exchange_bind("inner", "x", "k")
    bind_queues(w, "ae", {"alt": ""})
    assert w.pub("k", exchange="x", mandatory=True).returned  # x routed to 'inner': no AE
    assert routed(w, "x", "other") == ["alt"]


def test_alternate_exchange_of_e2e_destination(w: World) -> None:
    w.exchange_declare("ae", "fanout")
    w.exchange_declare("inner", "direct", arguments={"alternate-exchange": "ae"})
    w.exchange_declare("x", "fanout")
    w.exchange_bind("inner", "x")
    bind_queues(w, "ae", {"alt": ""})
    assert routed(w, "x", "k") == ["alt"]


def test_alternate_exchange_policy_and_argument_wins(w: World) -> None:
    w.exchange_declare("pol-ae", "fanout")
    w.exchange_declare("arg-ae", "fanout")
    bind_queues(w, "pol-ae", {"p": ""})
    bind_queues(w, "arg-ae", {"a": ""})
    w.exchange_declare("x1", "direct")
    w.exchange_declare("x2", "direct", arguments={"alternate-exchange": "arg-ae"})
    w.broker.set_policy(w.now, "ae", "^x", {"alternate-exchange": "pol-ae"}, apply_to="exchanges")
    assert routed(w, "x1", "k") == ["p"]
    assert routed(w, "x2", "k") == ["a"]
    w.broker.clear_policy(w.now, "ae")
    assert routed(w, "x1", "k") == []


def test_default_exchange_has_no_alternate(w: World) -> None:
    assert w.pub("nope", mandatory=True).returned


# ------------------------------------------------------------------ internal, auto-delete
def test_internal_exchange(w: World) -> None:
    w.exchange_declare("int", "fanout", internal=True)
    w.exchange_declare("front", "fanout")
    w.exchange_declare("x", "direct", arguments={"alternate-exchange": "int"})
    w.exchange_bind("int", "front")
    bind_queues(w, "int", {"q": ""})
    text = refused(w, 403, "basic_publish", "int", "k", b"m")
    assert text == "ACCESS_REFUSED - cannot publish to internal exchange 'int' in vhost '/'"
    assert routed(w, "front", "k") == ["q"]  # as an E2E destination
    assert routed(w, "x", "k") == ["q"]  # as an alternate exchange


def test_auto_delete_exchange(w: World) -> None:
    w.exchange_declare("ad", "fanout", auto_delete=True)
    w.exchange_declare("other", "fanout")
    w.exchange_bind("ad", "other")  # as a destination: does not count
    w.exchange_unbind("ad", "other")
    assert "ad" in w.broker.exchanges  # never had a binding as source
    bind_queues(w, "ad", {"q1": "", "q2": ""})
    w.queue_unbind("q1", "ad", "")
    assert "ad" in w.broker.exchanges
    w.queue_delete("q2")  # last binding goes with the queue
    assert "ad" not in w.broker.exchanges
    assert events(w.broker, ExchangeDeleted)[-1].exchange == "ad"


def test_auto_delete_exchange_cascade_via_e2e(w: World) -> None:
    w.exchange_declare("top", "fanout", auto_delete=True)
    w.exchange_declare("mid", "fanout", auto_delete=True)
    w.exchange_bind("mid", "top")
    bind_queues(w, "mid", {"q": ""})
    w.queue_delete("q")  # mid loses its last binding -> deleted -> top loses its only one
    assert "mid" not in w.broker.exchanges and "top" not in w.broker.exchanges


def test_sender_selected_cc_bcc(w: World) -> None:
    w.exchange_declare("d", "direct")
    bind_queues(w, "d", {"a": "a", "b": "b", "c": "c"})
    c = w.channel()
    w.basic_consume("c", no_ack=True, ch=c)
    out = w.pub("a", exchange="d", headers={"CC": ["b"], "BCC": ["c"]})
    assert sorted(out.queues) == ["a", "b", "c"]
    [got] = delivered(c)
    assert got.routing_key == "a" and got.properties.headers == {"CC": ["b"]}  # BCC stripped
    assert w.get("b").properties.headers == {"CC": ["b"]}
