"""to_dict / dump_yaml round trips, and dotted-path overrides for sweeps."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_helpers import BASE, FULL_EXAMPLE

from amqpsim.scenario import Scenario, ScenarioError, dump_yaml, load_scenario
from amqpsim.scenario.validation import _set_path


def test_full_example_round_trips_compact_and_full() -> None:
    s = load_scenario(FULL_EXAMPLE)
    assert load_scenario(dump_yaml(s)) == s
    assert load_scenario(dump_yaml(s, compact=False)) == s
    assert load_scenario(s.to_dict()) == s
    assert "rate: {poisson: 5}" in dump_yaml(s) and "size: 512" in dump_yaml(s)


def test_derived_defaults_follow_their_source_after_overrides() -> None:
    s = load_scenario(FULL_EXAMPLE)
    assert s.producers[0].retry_unconfirmed is True
    t = s.with_overrides({"producers.0.confirms": False, "broker.version": "4.3"})
    assert t.producers[0].retry_unconfirmed is False
    assert t.broker.consumer_timeout is None
    assert s.producers[0].confirms is True  # the original is untouched


def test_overrides_apply_and_revalidate() -> None:
    s = load_scenario(BASE)
    t = s.with_overrides({
        "consumers.0.prefetch": 10,
        "consumers.0.service_time": {"uniform": [0.1, 0.2]},
        "topology.queues.0.arguments.x-max-length": 100,
        "broker.consumer_timeout": 60,
        "seed": 7,
    })
    assert t.consumers[0].prefetch == 10 and t.seed == 7
    assert t.consumers[0].service_time.kind == "uniform"
    assert t.topology.queues[0].arguments == {"x-max-length": 100}
    assert t.broker.consumer_timeout == 60
    assert s.consumers[0].prefetch == 0


@pytest.mark.parametrize(("override", "expected"), [
    ({"consumers.0.prefech": 1},
     "consumers[0].prefech: unknown key 'prefech' (override 'consumers.0.prefech') "
     "(did you mean 'prefetch'?)"),
    ({"brokr.version": "4.3"},
     "brokr: unknown key 'brokr' (override 'brokr.version') (did you mean 'broker'?)"),
    ({"consumers.5.prefetch": 1},
     "consumers[5]: no item 5 in a list of 1 (override 'consumers.5.prefetch')"),
    ({"name.x": 1}, "name: cannot override inside a str (override 'name.x')"),
    ({"consumers.0.prefetch": -1},
     "consumers[0].prefetch: Input should be greater than or equal to 0, got -1"),
    ({"consumers.0.queue": "warehous"},
     "consumers[0].queue: no queue named 'warehous' (did you mean 'warehouse'?)"),
    ({"topology.queues.0.arguments.x-max-lenght": 1},
     "topology.queues[0].arguments.x-max-lenght: unknown queue argument 'x-max-lenght' "
     "(did you mean 'x-max-length'?)"),
])
def test_bad_overrides_name_the_path(override: dict[str, object], expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASE).with_overrides(override)
    assert str(info.value) == expected


# --- property: random valid scenarios survive dump_yaml -> load_scenario ------

names = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
pos = st.floats(min_value=0.001, max_value=1e6, allow_nan=False)
nonneg = st.one_of(st.integers(0, 10_000), st.floats(0, 1e6, allow_nan=False))
dist = st.one_of(
    nonneg,
    nonneg.map(lambda v: {"constant": v}),
    pos.map(lambda m: {"exponential": m}),
    st.tuples(nonneg, nonneg).map(lambda t: {"uniform": sorted(t)}),
    st.tuples(pos, nonneg).map(lambda t: {"lognormal": {"mean": t[0], "sigma": t[1]}}),
    st.dictionaries(st.integers(0, 4096), pos, min_size=1, max_size=3)
    .map(lambda d: {"choice": d}),
)
rate = st.one_of(
    pos.map(lambda r: {"constant": r}),
    pos.map(lambda r: {"poisson": r}),
    st.tuples(st.integers(1, 100), pos).map(lambda t: {"burst": {"size": t[0], "every": t[1]}}),
)
routing_key = st.one_of(
    st.text(max_size=20),
    st.dictionaries(st.text(min_size=1, max_size=10), pos, min_size=1, max_size=3)
    .map(lambda d: {"choice": d}),
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    queues = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    actors = draw(st.lists(names, min_size=2, max_size=4, unique=True))
    split = draw(st.integers(1, len(actors) - 1))
    producers = [{
        "name": a, "exchange": "amq.topic", "routing_key": draw(routing_key), "rate": draw(rate),
        "size": draw(dist), "priority": draw(st.none() | dist), "instances": draw(st.integers(1, 3)),
        "confirms": draw(st.booleans()), "persistent": draw(st.booleans()),
        "count": draw(st.none() | st.integers(0, 10**6)), "start": draw(nonneg),
        "expiration": draw(st.none() | st.integers(0, 10**6)),
        "headers": draw(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5),
                                        max_size=2)),
    } for a in actors[:split]]
    consumers = [{
        "name": a, "queue": draw(st.sampled_from(queues)), "prefetch": draw(st.integers(0, 500)),
        "ack": draw(st.sampled_from(["manual", "auto"])), "service_time": draw(dist),
        "instances": draw(st.integers(1, 3)), "priority": draw(st.integers(-5, 5)),
    } for a in actors[split:]]
    qtype = st.sampled_from([{}, {"type": "quorum"}, {"arguments": {"x-max-length": 5}}])
    return {
        "name": draw(names), "seed": draw(st.integers(0, 2**32)),
        "description": draw(st.text(max_size=40)),
        "duration": draw(st.none() | pos),
        "broker": draw(st.sampled_from([{}, {"version": "4.3"}, {"consumer_timeout": 5}])),
        "topology": {
            "queues": [{"name": q, **draw(qtype)} for q in queues],
            "bindings": [{"source": "amq.topic", "destination": q, "routing_key": "#"}
                         for q in queues],
        },
        "producers": producers,
        "consumers": consumers,
        "faults": [{"at": 1.0, "until": 2.5, "kind": "slow_consumer",
                    "target": consumers[0]["name"], "factor": draw(pos)},
                   {"at": 3, "kind": "broker_restart"}],
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.booleans())
def test_dump_yaml_round_trips(data: dict[str, object], compact: bool) -> None:
    s = load_scenario(data)
    assert load_scenario(dump_yaml(s, compact=compact)) == s


junk = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-1, 1) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6,
)


def _paths(node: object, prefix: str = "") -> list[str]:
    out = [prefix] if prefix else []
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, value in items:
        out += _paths(value, f"{prefix}.{key}" if prefix else str(key))
    return out


FULL_PATHS = _paths(load_scenario(FULL_EXAMPLE).to_dict())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(FULL_PATHS), junk), min_size=1, max_size=3))
def test_garbage_anywhere_gives_scenario_error_not_a_crash(edits: list) -> None:
    data = load_scenario(FULL_EXAMPLE).to_dict()
    for path, value in edits:
        try:
            _set_path(Scenario, data, path, value)
        except ScenarioError:
            pass  # an earlier edit replaced a parent
    try:
        load_scenario(data)
    except ScenarioError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
