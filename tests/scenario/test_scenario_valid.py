"""Valid scenarios load into typed models with the documented defaults."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from scenario_helpers import BASE, FULL_EXAMPLE, MINIMAL

from amqpsim.scenario import (
    BurstRate,
    Choice,
    Constant,
    ConstantRate,
    Exponential,
    KeyChoice,
    Lognormal,
    PoissonRate,
    Scenario,
    Uniform,
    load_scenario,
)

SHARED_FORMAT = Path(__file__).resolve().parents[3] / "shared" / "SCENARIO-FORMAT.md"


def test_minimal_scenario_defaults() -> None:
    s = load_scenario(MINIMAL)
    assert isinstance(s, Scenario)
    assert (s.name, s.description, s.seed, s.duration) == ("minimal", "", 0, None)
    assert s.broker.version == "3.10" and s.broker.consumer_timeout == 1800
    assert s.topology.exchanges == [] and s.producers == [] and s.faults == []


def test_full_example_from_the_format_document() -> None:
    s = load_scenario(FULL_EXAMPLE)
    assert s.name == "online-store" and s.seed == 42 and s.duration == 600
    # the queue's dead-letter exchange "dlx" is not declared: allowed, as in RabbitMQ
    assert s.queue("warehouse").arguments["x-dead-letter-exchange"] == "dlx"
    web, worker = s.producer("web"), s.consumer("worker")
    assert web.rate == PoissonRate(rate=5) and web.rate.kind == "poisson"
    assert web.size == Constant(value=512) and web.priority == Constant(value=0)
    assert web.persistent and web.confirms and web.retry_unconfirmed and web.count == 1000
    assert worker.service_time == Exponential(mean=0.5)
    assert worker.reject is not None and worker.reject.probability == 0.01
    assert worker.instance_names() == ["worker#0", "worker#1", "worker#2"]
    kinds = [f.kind for f in s.faults]
    assert kinds == ["consumer_crash", "broker_restart", "slow_consumer", "connection_loss",
                     "memory_alarm"]
    assert s.fault_targets(s.faults[0]) == ["worker#1"]
    assert s.fault_targets(s.faults[2]) == ["worker#0", "worker#1", "worker#2"]
    assert s.fault_targets(s.faults[1]) == [] and s.faults[1].outage == 10
    assert s.exchange_type("orders") == "topic" and s.exchange_type("amq.match") == "headers"


@pytest.mark.skipif(not SHARED_FORMAT.exists(), reason="shared/ not beside the repo")
def test_fixture_matches_the_contract_document() -> None:
    block = re.search(r"```yaml\n(.*?)```", SHARED_FORMAT.read_text(), re.S)
    assert block is not None
    assert load_scenario(block.group(1)) == load_scenario(FULL_EXAMPLE)


def test_all_distribution_and_rate_forms() -> None:
    s = load_scenario(BASE + """\
  - name: picky
    queue: warehouse
    service_time: {lognormal: {mean: 2, sigma: 0.5}}
  - {name: even, queue: warehouse, service_time: {uniform: [1, 3]}}
  - {name: fixed, queue: warehouse, service_time: {constant: 0.2}, ack: auto}
  - {name: plain, queue: warehouse, service_time: 0.3}
""")
    assert s.consumer("picky").service_time == Lognormal(mean=2, sigma=0.5)
    assert s.consumer("even").service_time == Uniform(low=1, high=3)
    assert s.consumer("fixed").service_time == Constant(value=0.2)
    assert s.consumer("plain").service_time.kind == "constant"
    s = load_scenario("""\
name: rates
producers:
  - {name: a, rate: {constant: 2}, size: {choice: {512: 0.9, 4096: 0.1}}, priority: 3}
  - {name: b, rate: {burst: {size: 3, every: 10}}, routing_key: {choice: {x: 1, y: 3}}}
""")
    a, b = s.producers
    assert a.rate == ConstantRate(rate=2) and a.rate.mean_rate == 2
    assert a.size == Choice(weights={512: 0.9, 4096: 0.1}) and a.priority == Constant(value=3)
    assert b.rate == BurstRate(size=3, every=10) and b.rate.mean_rate == 0.3
    assert b.routing_key == KeyChoice(choice={"x": 1, "y": 3})


def test_sampling_is_seeded_and_in_range() -> None:
    dists = [Constant(value=2), Exponential(mean=0.5), Uniform(low=1, high=2),
             Lognormal(mean=2, sigma=0.5), Choice(weights={1: 1, 5: 3})]
    first = [d.sample(random.Random(7)) for d in dists]
    assert first == [d.sample(random.Random(7)) for d in dists]
    rng = random.Random(1)
    for d in dists:
        xs = [d.sample(rng) for _ in range(4000)]
        assert min(xs) >= 0
        assert abs(sum(xs) / len(xs) - d.expected) < 0.1 * d.expected
    assert 1 <= Uniform(low=1, high=2).sample(rng) <= 2
    assert Choice(weights={1: 1, 5: 3}).sample_int(rng) in (1, 5)


def test_rate_gaps_and_routing_key_choice() -> None:
    rng = random.Random(3)
    gaps = ConstantRate(rate=4).gaps(rng)
    assert [next(gaps) for _ in range(3)] == [0.0, 0.25, 0.25]
    gaps = BurstRate(size=3, every=10).gaps(rng)
    assert [next(gaps) for _ in range(7)] == [0, 0, 0, 10, 0, 0, 10]
    gaps = PoissonRate(rate=100).gaps(rng)
    assert all(g > 0 for g in (next(gaps) for _ in range(10)))
    s = load_scenario(BASE)
    assert s.producers[0].pick_routing_key(rng) == "order.created"
    keys = {KeyChoice(choice={"x": 1, "y": 1}).sample(rng) for _ in range(50)}
    assert keys == {"x", "y"}


@pytest.mark.parametrize("rate", [ConstantRate(rate=4), BurstRate(size=3, every=10), PoissonRate(rate=100)])
def test_a_gap_sampler_gives_the_gaps_one_per_call(rate) -> None:
    gaps, sample = rate.gaps(random.Random(5)), rate.gap_sampler(random.Random(5))
    assert [sample() for _ in range(20)] == [next(gaps) for _ in range(20)]


def test_broker_profile_and_version_float() -> None:
    assert load_scenario("name: a\nbroker: {version: 3.10}\n").broker.version == "3.10"
    b = load_scenario("name: a\nbroker: {version: '4.3'}\n").broker
    assert b.version == "4.3" and b.consumer_timeout is None
    b = load_scenario("name: a\nbroker: {version: '4.3', consumer_timeout: 60}\n").broker
    assert b.consumer_timeout == 60


def test_queue_types_policies_and_extensions() -> None:
    s = load_scenario("""\
name: extras
topology:
  queues:
    - {name: q1, type: quorum, arguments: {x-delivery-limit: 3}}
    - {name: q2, arguments: {x-queue-type: quorum}}
    - {name: q3, arguments: {x-max-priority: 10, custom-flag: yes}}
    - {name: replies, durable: false, exclusive: true}
  policies:
    - {name: ttl, pattern: "^q", apply-to: queues, priority: 1, definition: {message-ttl: 1000}}
    - {name: ae, pattern: ".*", apply_to: exchanges, definition: {alternate-exchange: spill}}
producers:
  - {name: client, exchange: "", routing_key: q1, rate: {constant: 1}, reply_to: replies,
     correlation: true, confirms: true, retry_unconfirmed: false, expiration: "60000"}
consumers:
  - {name: server, queue: q1, reply: true, prefetch: 1, global_prefetch: 5, exclusive: true}
faults:
  - {at: 1, kind: consumer_crash, target: server, downtime: 2}
  - {at: 2, kind: broker_restart}
""")
    assert [q.queue_type for q in s.topology.queues] == ["quorum", "quorum", "classic", "classic"]
    assert [p.apply_to for p in s.topology.policies] == ["queues", "exchanges"]
    client = s.producer("client")
    assert client.reply_to == "replies" and client.correlation and client.expiration == 60000
    assert client.confirms and not client.retry_unconfirmed
    assert s.consumer("server").reply and s.consumer("server").global_prefetch == 5
    assert s.faults[1].outage == 0.0 and s.faults[0].outage == 2


def test_x_prefixed_top_level_keys_hold_yaml_anchors() -> None:
    s = load_scenario("""\
x-slow: &slow {exponential: 2}
name: anchors
topology: {queues: [{name: q}]}
consumers:
  - {name: a, queue: q, service_time: *slow}
  - {name: b, queue: q, service_time: *slow}
""")
    assert s.consumer("a").service_time == s.consumer("b").service_time == Exponential(mean=2)


def test_null_sections_mean_empty() -> None:
    s = load_scenario("name: a\nfaults:\nbroker:\ntopology:\n  queues:\n"
                      "    - name: q\n      arguments:\n")
    assert s.faults == [] and s.topology.queues[0].arguments == {}
    assert s.broker.version == "3.10"


def test_models_are_frozen() -> None:
    s = load_scenario(BASE)
    with pytest.raises(ValueError):
        s.consumers[0].prefetch = 5  # type: ignore[misc]
