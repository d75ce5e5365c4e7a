"""Each scenario's summary equals its stored golden (counts exactly, floats to 6 digits).

Regenerate with ``python tests/scenarios/regen.py [NAME ...]`` or
``pytest tests/scenarios --regen-goldens`` (see README.md).
"""

from __future__ import annotations

import pytest
from library_helpers import (
    cli_summary,
    format_diff,
    golden_diff,
    golden_of,
    golden_path,
    load_golden,
    names,
    result,
    write_golden,
)


@pytest.mark.parametrize("name", names())
def test_summary_matches_golden(name, regen_goldens):
    if regen_goldens:
        write_golden(name)
        pytest.skip(f"regenerated {golden_path(name).name}")
    if not golden_path(name).exists():
        pytest.fail(f"no golden for {name}: run python tests/scenarios/regen.py {name}")
    lines = golden_diff(load_golden(name), golden_of(result(name).summary))
    if lines:
        pytest.fail(format_diff(name, lines), pytrace=False)


def test_golden_is_what_the_cli_writes(tmp_path):
    """The goldens hold exactly the summary ``amqpsim run SCENARIO --json FILE`` writes."""
    for name in ("restart-durability", "poison-message"):
        assert golden_diff(load_golden(name), golden_of(cli_summary(name, tmp_path))) == []


# ---------------------------------------------------------------------- the diff itself
GOLD = {"messages": {"acked": 3, "lost": 0}, "latency": {"mean": 1.25},
        "series": {"depth": {"q": [0, 1, 2]}}, "invariants": {"conservation": True}}


def _with(**changes):
    import copy

    g = copy.deepcopy(GOLD)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = g
        for p in parents:
            node = node[p]
        if value is KeyError:
            del node[leaf]
        else:
            node[leaf] = value
    return g


def test_diff_is_empty_for_equal_summaries():
    assert golden_diff(GOLD, _with()) == []


def test_diff_counts_are_exact():
    assert golden_diff(GOLD, _with(messages__acked=4)) == ["  ~ messages.acked: 3 -> 4"]


def test_diff_floats_to_six_digits():
    assert golden_diff(GOLD, _with(latency__mean=1.2500004)) == []
    assert golden_diff(GOLD, _with(latency__mean=1.250004)) == [
        "  ~ latency.mean: 1.25 -> 1.250004"]


def test_diff_names_added_removed_and_list_keys():
    lines = golden_diff(GOLD, _with(messages__lost=KeyError, messages__returned=1,
                                    series__depth__q=[0, 5, 2]))
    assert sorted(lines) == sorted(["  + messages.returned: 1 (new)",
                                    "  - messages.lost: 0 (missing now)",
                                    "  ~ series.depth.q[1]: 1 -> 5"])


def test_diff_bool_is_not_a_count():
    assert golden_diff(GOLD, _with(invariants__conservation=False)) == [
        "  ~ invariants.conservation: True -> False"]
    assert golden_diff({"a": 1}, {"a": True}) == ["  ~ a: 1 -> True"]


def test_failure_message_lists_the_changed_keys():
    text = format_diff("x", golden_diff(GOLD, _with(messages__acked=4, latency__mean=2.0)))
    assert "changed in 2 key(s)" in text
    assert "messages.acked: 3 -> 4" in text and "latency.mean: 1.25 -> 2.0" in text
    assert "regen.py" in text


def test_golden_of_rounds_floats():
    assert golden_of({"a": 0.1 + 0.2, "b": [1.23456789], "c": 3}) == {"a": 0.3, "b": [1.234568],
                                                                     "c": 3}
