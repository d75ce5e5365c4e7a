"""Topic matching equals an independent reference matcher on random patterns and keys."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from amqpsim.broker.exchanges import Binding, TopicExchange


def words(key: str) -> list[str]:
    return key.split(".") if key else []


def reference_match(pattern: str, key: str) -> bool:
    """AMQP topic semantics over word lists: '*' one word (maybe empty), '#' zero or more."""

    def m(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return m(p[1:], k) or (bool(k) and m(p, k[1:]))
        if not k:
            return False
        return (p[0] == "*" or p[0] == k[0]) and m(p[1:], k[1:])

    return m(words(pattern), words(key))


pattern_word = st.sampled_from(["", "a", "b", "*", "#", "ab", "a#", "**"])
key_word = st.sampled_from(["", "a", "b", "ab", "*", "#", "a#"])
patterns = st.lists(pattern_word, max_size=5).map(".".join)
keys = st.lists(key_word, max_size=6).map(".".join)


@settings(max_examples=300, deadline=None)
@given(pattern=patterns, key=keys)
def test_single_binding_matches_reference(pattern: str, key: str) -> None:
    x = TopicExchange()
    x.add(Binding.make("t", "q", "queue", pattern, None))
    assert bool(x.route((key,), None)) == reference_match(pattern, key), (pattern, key)


@settings(max_examples=100, deadline=None)
@given(bindings=st.lists(patterns, min_size=1, max_size=12), ks=st.lists(keys, min_size=1, max_size=8),
       removed=st.sets(st.integers(0, 11)))
def test_many_bindings_with_removal_match_reference(bindings: list[str], ks: list[str], removed: set[int]) -> None:
    x = TopicExchange()
    made = [Binding.make("t", f"q{i}", "queue", p, None) for i, p in enumerate(bindings)]
    for b in made:
        x.add(b)
    for key in ks:  # fill the cache before removing
        x.route((key,), None)
    live = [b for i, b in enumerate(made) if i not in removed]
    for i in removed:
        if i < len(made):
            x.remove(made[i])
    for key in ks:
        got = {name for _kind, name in x.route((key,), None)}
        want = {b.destination for b in live if reference_match(b.routing_key, key)}
        assert got == want, (key, bindings, removed)
    # several keys at once (CC): the union, each queue once
    got_multi = [name for _kind, name in x.route(tuple(ks), None)]
    want_multi = {b.destination for b in live if any(reference_match(b.routing_key, k) for k in ks)}
    assert sorted(got_multi) == sorted(want_multi)
