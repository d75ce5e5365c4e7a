"""YAML reading: safe_load semantics, line numbers, clear errors for bad documents."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario_helpers import only, problems_of

from amqpsim.scenario import ScenarioError, load_scenario


def test_unsafe_python_tag_is_refused_with_its_line(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f'name: x\nseed: !!python/object/apply:os.system ["touch {marker}"]\n'
    with pytest.raises(ScenarioError) as info:
        load_scenario(text)
    assert not marker.exists()
    p = info.value.problems[0]
    assert p.line == 2 and "!!python/object/apply:os.system" in p.message
    assert "not allowed" in str(info.value)


def test_the_exact_tag_from_the_brief_and_custom_tags() -> None:
    ps = problems_of('name: x\ndescription: !!python/object/apply:os.system ["echo hi"]\n'
                     "seed: !custom 3\n")
    assert [p.line for p in ps] == [2, 3]
    assert "'!custom'" in ps[1].message


@pytest.mark.parametrize("text", ["", "\n\n", "# just a comment\n", "---\n", "null\n"])
def test_empty_document(text: str) -> None:
    p = problems_of(text)[0]
    assert "empty scenario" in p.message and p.line == 1


@pytest.mark.parametrize(("text", "line"), [
    ("name: x\nseed: [1, 2\n", 2),
    ("name: x\n  seed: 1\n", 2),
    ("name: x\ntopology:\n  queues:\n   - name: a\n  bad\n", 5),
    ('name: x\ndescription: "open\n', 2),
    ("name: x\ntopology:\n\tqueues: []\n", 3),
])
def test_syntax_errors_carry_their_line(text: str, line: int) -> None:
    p = problems_of(text)[0]
    assert p.message.startswith("YAML syntax error") and p.line == line


def test_syntax_error_rendering_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nseed: [1, 2\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"{path}:2: YAML syntax error")


@pytest.mark.parametrize(("text", "found"), [
    ("- name: x\n", "list"), ("hello\n", "str"), ("42\n", "int")])
def test_non_mapping_document(text: str, found: str) -> None:
    p = problems_of(text)[0]
    assert p.message.endswith(f"found {found}") and "must be a mapping" in p.message


def test_duplicate_keys_are_errors() -> None:
    ps = problems_of("name: x\nseed: 1\nseed: 2\n")
    assert (ps[0].line, ps[0].message) == (3, "duplicate key 'seed' (first at line 2)")


def test_recursive_alias_is_refused() -> None:
    assert "recursive" in problems_of("name: x\nx-a: &a [*a]\n")[0].message


def test_alias_bomb_is_bounded() -> None:
    lines = ["name: x", 'x-a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x-a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    assert "too large" in problems_of("\n".join(lines) + "\n")[0].message


def test_lines_point_into_nested_flow_and_block_nodes() -> None:
    ps = problems_of("""\
        name: lines
        topology:
          queues:
            - name: q
              arguments:
                x-max-length: -5
        consumers:
          - name: c
            queue: q
            service_time:
              lognormal:
                mean: 1
                sigma: -2
        """)
    assert only(ps, "topology.queues[0].arguments.x-max-length").line == 6
    assert only(ps, "consumers[0].service_time.lognormal.sigma").line == 13


def test_missing_file_and_path_forms(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: no such scenario file"
    good = tmp_path / "good.yml"
    good.write_text("name: good\n")
    assert load_scenario(str(good)).name == "good"
    assert load_scenario(good).name == "good"
