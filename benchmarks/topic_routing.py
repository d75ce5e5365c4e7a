"""Topic-exchange routing throughput for 10, 1,000 and 10,000 bindings.

    python benchmarks/topic_routing.py [--messages N] [--seed S]

Routing keys are ``region.service.entity.event.id``: 8 regions, 40 services, each
service with 6 entities of its own, each with 8 events, and a unique id (so 15,360
possible prefixes). Binding keys are what subscribers write over that vocabulary,
with ``*`` and ``#`` in typical places (``eu.svc3.ent7.created.*``, ``*.svc3.#``,
``#.failed.#``, ``eu.*.ent7.created.*``). Three figures per size:

- *distinct keys*: every routing key is new (its id), so every lookup misses the
  per-key cache; the automaton's states for the prefixes are shared;
- *distinct prefixes*: worst case, keys of random words from the flat vocabulary
  (384,000 prefixes, so nearly every key also builds new automaton states);
- *repeated keys*: keys drawn from a pool of 500, so most lookups hit the cache.

The figure is messages routed per CPU-second by the exchange's ``route()`` (the step
of ``basic.publish`` that depends on the number of bindings; garbage collection
included), after a check that the trie agrees with a brute-force matcher on a sample.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amqpsim.broker.exchanges import Binding, TopicExchange  # noqa: E402

REGIONS = ["eu", "us", "asia", "sa", "af", "oc", "cn", "in"]
SERVICES = [f"svc{i}" for i in range(40)]  # orders, payments, billing, ...
ENTITIES = [f"ent{i}" for i in range(40)]  # order, invoice, customer, ...
EVENTS = ["created", "updated", "deleted", "failed", "retried", "completed", "cancelled", "expired",
          "error", "warning", "info", "debug", "started", "stopped", "paid", "refunded", "shipped",
          "delivered", "returned", "opened", "closed", "merged", "split", "locked", "unlocked",
          "archived", "restored", "scored", "flagged", "cleared"]
LEVELS = [REGIONS, SERVICES, ENTITIES, EVENTS]


def vocabulary(rng: random.Random) -> dict[str, dict[str, list[str]]]:
    """service -> entity -> events (each service has its own entities and events)."""
    return {svc: {ent: rng.sample(EVENTS, 8) for ent in rng.sample(ENTITIES, 6)} for svc in SERVICES}


def random_pattern(rng: random.Random, vocab: dict[str, dict[str, list[str]]]) -> str:
    """A binding key as subscribers write them: mostly specific, with '*' and '#' where useful."""
    region, service = rng.choice(REGIONS), rng.choice(SERVICES)
    entity = rng.choice(list(vocab[service]))
    event = rng.choice(vocab[service][entity])
    if rng.random() < 0.3:
        region = "*"
    if rng.random() < 0.15:
        entity = "*"
    shape = rng.random()
    if shape < 0.5:  # one kind of event, any id: "eu.svc3.ent7.created.*"
        words = [region, service, entity, event, "*"]
    elif shape < 0.75:  # everything of a service (and entity): "eu.svc3.#", "*.svc3.ent7.#"
        words = [region, service, entity][: rng.choice((2, 3))] + ["#"]
    elif shape < 0.85:  # an audit of one event anywhere: "#.failed.#"
        words = ["#", event, "#"]
    else:  # a fixed shape with a wildcard in the middle: "eu.*.ent7.created.*"
        words = [region, "*", entity, event, "*"]
    return ".".join(words)


def random_key(rng: random.Random, vocab: dict[str, dict[str, list[str]]], n: int) -> str:
    service = rng.choice(SERVICES)
    entity = rng.choice(list(vocab[service]))
    return f"{rng.choice(REGIONS)}.{service}.{entity}.{rng.choice(vocab[service][entity])}.{n}"


def flat_key(rng: random.Random, n: int) -> str:
    return ".".join(rng.choice(level) for level in LEVELS) + f".{n}"


def brute_match(pattern: list[str], key: list[str]) -> bool:
    if not pattern:
        return not key
    if pattern[0] == "#":
        return brute_match(pattern[1:], key) or (bool(key) and brute_match(pattern, key[1:]))
    return bool(key) and pattern[0] in ("*", key[0]) and brute_match(pattern[1:], key[1:])


def build(n_bindings: int, rng: random.Random, vocab: dict[str, dict[str, list[str]]]) -> TopicExchange:
    x = TopicExchange()
    for i in range(n_bindings):
        x.add(Binding.make("t", f"q{i}", "queue", random_pattern(rng, vocab), None))
    return x


def rate(x: TopicExchange, keys: list[str]) -> tuple[float, float]:
    """(messages per second, mean destinations per message)."""
    x.cache.clear()
    route = x.route
    hits = 0
    t0 = time.process_time()  # CPU time: robust when other processes share the machine
    for k in keys:
        hits += len(route((k,), None))
    took = time.process_time() - t0
    return len(keys) / took, hits / len(keys)


def build_again(x: TopicExchange) -> TopicExchange:
    """The same bindings with nothing cached (no automaton states, no key cache)."""
    fresh = TopicExchange()
    for b in x.bindings:
        fresh.add(b)
    return fresh


def check(x: TopicExchange, keys: list[str]) -> None:
    bindings = list(x.bindings)
    for k in keys:
        want = {b.destination for b in bindings if brute_match(b.routing_key.split("."), k.split("."))}
        got = {name for _kind, name in x.route((k,), None)}
        assert got == want, k


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    vocab = vocabulary(rng)
    print(f"{'bindings':>9}  {'distinct keys':>14}  {'distinct prefixes':>17}  {'repeated keys':>14}"
          f"  {'queues/msg':>10}   (messages per CPU-second)")
    for n in (10, 1_000, 10_000):
        x = build(n, rng, vocab)
        distinct = [random_key(rng, vocab, i) for i in range(args.messages)]
        flat = [flat_key(rng, i) for i in range(args.messages)]
        pool = [random_key(rng, vocab, i) for i in range(500)]
        repeated = [rng.choice(pool) for _ in range(args.messages)]
        check(x, distinct[:100] + flat[:100])
        x = build_again(x)
        miss, fanout = rate(x, distinct)
        worst, _ = rate(build_again(x), flat)
        hit, _ = rate(build_again(x), repeated)
        print(f"{n:>9,}  {miss:>14,.0f}  {worst:>17,.0f}  {hit:>14,.0f}  {fanout:>10.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
