"""The dependency rules of ARCHITECTURE.md, enforced on the source text (via ast).

One rule per layer of ``amqpsim/``, each saying which other layers it may import
(``amqpsim.<layer>`` and anything below it; ``amqpsim`` alone is the public API of
the package's ``__init__``). Third-party imports are free except ``simpy``, which
only the simulation may use. Every layer must have a rule
(:func:`test_every_layer_has_a_rule`).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "amqpsim"


def files_of(layer: str) -> list[Path]:
    """The source files of ``amqpsim/<layer>`` (a package) or ``amqpsim/<layer>.py``."""
    if (PKG / layer).is_dir():
        return sorted((PKG / layer).rglob("*.py"))
    return [PKG / f"{layer}.py"] if (PKG / f"{layer}.py").exists() else []


def is_module(name: str) -> bool:
    """Whether ``name`` (``amqpsim.x.y``) is a module or package of the source tree."""
    path = PKG.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def bound_names(package: str) -> set[str]:
    """Names a package's ``__init__`` binds at its top level: ``from pkg import name``
    gets those, not the module ``pkg.name`` (``amqpsim.study`` binds ``compare``, the
    function, over its module ``compare``)."""
    init = PKG.parent.joinpath(*package.split("."), "__init__.py")
    if not init.exists():
        return set()
    names: set[str] = set()
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def imports_of(layer: str) -> dict[str, set[str]]:
    """Absolute module names imported by each file of the layer, function-level and
    ``TYPE_CHECKING`` imports included. ``from pkg import name`` counts as an import of
    ``pkg`` and, when ``name`` is a module that ``pkg`` does not bind (``from .. import
    viz``), of ``pkg.name``."""
    out: dict[str, set[str]] = {}
    for path in files_of(layer):
        parts = path.relative_to(PKG.parent).with_suffix("").parts
        package = ".".join(parts[:-1])  # the package a relative import starts from
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                names.add(module)
                names.update(f"{module}.{a.name}" for a in node.names
                             if is_module(f"{module}.{a.name}") and a.name not in bound_names(module))
        out[str(path.relative_to(PKG.parent))] = names
    return out


def offenders(layer: str, allowed: Callable[[str], bool]) -> list[str]:
    return [f"{f}: {n}" for f, names in imports_of(layer).items() for n in sorted(names) if not allowed(n)]


def may_import(*layers: str, public_api: bool = False, simpy: bool = False,
               packages_only: bool = False) -> Callable[[str], bool]:
    """A rule: the ``amqpsim`` modules a layer may import are those of ``layers`` (each
    an ``amqpsim`` sub-package or module, with everything below it unless
    ``packages_only``); ``public_api``: also ``amqpsim`` itself; ``simpy``: also simpy."""
    prefixes = tuple(f"amqpsim.{layer}" for layer in layers)

    def allowed(name: str) -> bool:
        if name == "simpy" or name.startswith("simpy."):
            return simpy
        if name == "amqpsim":
            return public_api
        if not name.startswith("amqpsim."):
            return True  # the standard library and third-party packages
        return any(name == p or (not packages_only and name.startswith(p + ".")) for p in prefixes)

    return allowed


#: layer -> (rule, why). Each reason says what ARCHITECTURE.md asks and what is allowed beyond it.
RULES: dict[str, tuple[Callable[[str], bool], str]] = {
    "broker": (may_import("broker", "trace.events"),
               "pure AMQP semantics: no simpy, no clock; it emits the event records of trace.events "
               "through a narrow sink and knows nothing else of the trace"),
    "trace": (may_import("trace"),
              "the event log and what is computed from it: it reads only events"),
    "scenario": (may_import("scenario", "broker"),
                 "YAML -> a validated Scenario, checked before t=0 with the broker's own declare-time "
                 "rules (broker_check); never the simulation, the trace, viz or pika"),
    "sim": (may_import("sim", "broker", "trace", "scenario", simpy=True),
            "SimPy processes around the broker: a Scenario in, events out through the trace; "
            "nothing that looks at a run (viz, study), nor pika or the cli"),
    "pika": (may_import("pika", "broker", "trace"),
             "a pika-compatible client over the same broker on its own simulated clock (no SimPy, "
             "no simulation); its frames go to the broker's event log"),
    "viz": (may_import("viz", "trace"),
            "reads the trace only"),
    "study": (may_import("study", "scenario", "sim", "trace", "viz", public_api=True),
              "many runs: scenarios in, runs through the public API (amqpsim.run, lazily), results "
              "read through the trace and drawn with viz; never the broker or pika"),
    "course": (may_import(),
               "the notebooks' predict-run-check exercises: plain comparisons, no other layer"),
    "cli": (may_import("scenario", "study", "trace", "viz", public_api=True, packages_only=True),
            "a thin wrapper over the public library: the public API (amqpsim) and the packages "
            "amqpsim.scenario, amqpsim.study, amqpsim.trace and amqpsim.viz: what their __init__ "
            "exports, never one of their modules"),
}

#: files of the package root that are not layers
NOT_LAYERS = {"__init__.py": "the public API: lazy imports of scenario, sim and study",
              "__main__.py": "python -m amqpsim: the cli", "py.typed": "a marker"}


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports_follow_the_rule(layer: str) -> None:
    if not files_of(layer):
        pytest.fail(f"amqpsim/{layer} is missing")
    allowed, why = RULES[layer]
    assert offenders(layer, allowed) == [], why


def test_every_layer_has_a_rule() -> None:
    entries = {p.name for p in PKG.iterdir() if p.name != "__pycache__" and not p.name.startswith(".")}
    layers = {e.removesuffix(".py") for e in entries if e not in NOT_LAYERS}
    assert layers == set(RULES)


def test_rule_checker_sees_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself must be able to fail."""
    fake = tmp_path / "amqpsim" / "broker"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "bad.py").write_text("import simpy\nfrom ..sim import engine\nfrom .. import viz\n")
    (tmp_path / "amqpsim" / "viz").mkdir()
    (tmp_path / "amqpsim" / "viz" / "__init__.py").write_text("")
    monkeypatch.setattr(__import__(__name__), "PKG", tmp_path / "amqpsim")
    assert offenders("broker", RULES["broker"][0]) == [
        "amqpsim/broker/bad.py: amqpsim",
        "amqpsim/broker/bad.py: amqpsim.sim",
        "amqpsim/broker/bad.py: amqpsim.viz",
        "amqpsim/broker/bad.py: simpy",
    ]


def test_scenario_model_does_not_import_its_loader() -> None:
    """The loader builds on the model, never the other way round (not even lazily):
    ``Scenario.with_overrides`` goes through :mod:`amqpsim.scenario.validation`, which
    is given the model class rather than importing it."""
    imports = imports_of("scenario")
    assert "amqpsim.scenario.loader" not in imports["amqpsim/scenario/model.py"]
    assert "amqpsim.scenario.model" not in imports["amqpsim/scenario/validation.py"]
