"""The dependency rule of ARCHITECTURE.md, enforced on the source text (via ast)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "amqpsim"


def imports_of(layer: str) -> dict[str, set[str]]:
    """Absolute module names imported by each file of ``amqpsim/<layer>``."""
    out: dict[str, set[str]] = {}
    for path in sorted((PKG / layer).rglob("*.py")):
        module = ".".join(path.relative_to(PKG.parent).with_suffix("").parts)
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    names.add(".".join(base + ([node.module] if node.module else [])))
                else:
                    names.add(node.module or "")
        out[str(path.relative_to(PKG.parent))] = names
    return out


def offenders(layer: str, allowed) -> list[str]:
    return [f"{f}: {n}" for f, names in imports_of(layer).items() for n in names if not allowed(n)]


def test_broker_is_pure():
    def allowed(n: str) -> bool:
        return not n.startswith(("simpy", "amqpsim")) or n.startswith(("amqpsim.broker", "amqpsim.trace.events"))

    assert offenders("broker", allowed) == []


def test_trace_reads_only_events():
    def allowed(n: str) -> bool:
        return not n.startswith(("simpy", "amqpsim")) or n.startswith("amqpsim.trace")

    assert offenders("trace", allowed) == []


@pytest.mark.parametrize("layer", ["viz"])
def test_viz_imports_only_trace(layer):
    if not (PKG / layer).exists():
        pytest.fail(f"amqpsim/{layer} is missing")

    def allowed(n: str) -> bool:
        return not n.startswith(("simpy", "amqpsim")) or n.startswith(("amqpsim.trace", f"amqpsim.{layer}"))

    assert offenders(layer, allowed) == []


def test_rule_checker_sees_a_violation(tmp_path, monkeypatch):
    """The checker itself must be able to fail."""
    fake = tmp_path / "amqpsim" / "broker"
    fake.mkdir(parents=True)
    (fake / "bad.py").write_text("import simpy\nfrom ..sim import engine\n")
    monkeypatch.setattr(__import__(__name__), "PKG", tmp_path / "amqpsim")
    assert sorted(offenders("broker", lambda n: not n.startswith(("simpy", "amqpsim.sim")))) == [
        "amqpsim/broker/bad.py: amqpsim.sim",
        "amqpsim/broker/bad.py: simpy",
    ]
