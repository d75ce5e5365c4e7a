"""The teaching notebooks: committed without outputs, each runs headless, and its exercises work.

Every notebook is executed three ways (``amqpsim/course.py`` describes the convention):

* **shipped**: as committed, nothing answered. No cell errors (cells tagged
  ``raises-exception`` are meant to fail and may), every check cell prints its ✎ reminder,
  and the notebook shows at least two pictures;
* **right**: each ``exercise:NAME`` cell replaced by ``notebooks/answers/<stem>.json``'s
  ``right[NAME]``. No cell errors, and every ``check:NAME`` cell prints ✔;
* **wrong**: each replaced by ``wrong[NAME]``. Every check cell fails with ``WrongAnswer``
  and no other cell errors.

So every check is known to pass with a right answer and to fail with a wrong one.
Notebooks run from ``notebooks/`` with the repository on ``PYTHONPATH``, so they work
whether or not the package is installed. The right and wrong runs use matplotlib's Agg
backend: they test the answers, and skip turning every figure into a PNG.
"""

from __future__ import annotations

import ast
import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ANSWERS = ROOT / "notebooks" / "answers"
#: the layers under the public API: a notebook that reaches into them teaches internals
INTERNAL = ("amqpsim.broker", "amqpsim.sim", "amqpsim.trace", "amqpsim.scenario", "amqpsim.viz.")
#: where a link in the README, the docs or a notebook may lead outside the repository: public documentation
PUBLIC_DOCS = ("www.rabbitmq.com", "rabbitmq.com", "pika.readthedocs.io", "docs.python.org",
               "simpy.readthedocs.io", "jupyter.org", "docs.jupyter.org")
MODES = ("shipped", "right", "wrong")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _tagged(nb: nbformat.NotebookNode, prefix: str) -> dict[str, int]:
    """``{NAME: cell index}`` of the cells tagged ``prefix:NAME``."""
    found: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        for tag in cell.metadata.get("tags", []):
            if tag.startswith(prefix + ":"):
                name = tag.split(":", 1)[1]
                assert name not in found, f"two cells tagged {tag}"
                found[name] = i
    return found


def _answers(path: Path) -> dict[str, dict[str, str]]:
    file = ANSWERS / f"{path.stem}.json"
    assert file.exists(), f"{path.name}: no answers file {file.relative_to(ROOT)}"
    return json.loads(file.read_text(encoding="utf-8"))


def _assigned_value(source: str, name: str) -> ast.expr | None:
    """The value of the last top-level ``NAME = value`` (or ``def NAME``) in a cell."""
    value: ast.expr | None = None
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            value = node.value
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            value = ast.Constant(value=node.name)
    return value


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_outputs_are_stripped(path: Path):
    nb = nbformat.read(path, as_version=4)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert dirty == [], f"{path.name}: cells {dirty} have outputs; strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_imports_only_the_public_api(path: Path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            words = line.replace(",", " ").split()
            if words[:1] in (["import"], ["from"]) and words[1].startswith("amqpsim"):
                module = words[1]
                private = any(part.startswith("_") for part in module.split("."))
                assert not private and not module.startswith(INTERNAL), (
                    f"{path.name}: {line.strip()!r} reaches past the public API")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_exercises_follow_the_convention(path: Path):
    """At least two exercises; each has one check cell after it, ships unanswered (``NAME = ...``),
    and has a right and a wrong answer that assign NAME; the answers file names no other exercise."""
    nb = nbformat.read(path, as_version=4)
    exercises, checks = _tagged(nb, "exercise"), _tagged(nb, "check")
    assert len(exercises) >= 2, f"{path.name}: {len(exercises)} exercise(s); every notebook needs at least 2"
    assert sorted(checks) == sorted(exercises), f"{path.name}: exercises {sorted(exercises)}, checks {sorted(checks)}"
    answers = _answers(path)
    assert set(answers) == {"right", "wrong"}, f"{path.name}: the answers file needs 'right' and 'wrong'"
    for kind in ("right", "wrong"):
        assert set(answers[kind]) == set(exercises), (
            f"{path.name}: {kind} answers for {sorted(answers[kind])}, exercises {sorted(exercises)}")
    for name, i in exercises.items():
        cell = nb.cells[i]
        assert cell.cell_type == "code"
        shipped = _assigned_value(cell.source, name)
        assert isinstance(shipped, ast.Constant) and shipped.value is Ellipsis, (
            f"{path.name}: the exercise cell of {name} must ship as `{name} = ...`")
        assert checks[name] > i, f"{path.name}: the check of {name} comes before its exercise"
        check = nb.cells[checks[name]].source
        assert name in check and re.search(r"\bcheck(_that)?\(", check), (
            f"{path.name}: the check cell of {name} must call check(...) or check_that(...) on {name}")
        right, wrong = answers["right"][name], answers["wrong"][name]
        assert right != wrong
        for kind, source in (("right", right), ("wrong", wrong)):
            value = _assigned_value(source, name)
            assert value is not None and not (isinstance(value, ast.Constant) and value.value is Ellipsis), (
                f"{path.name}: the {kind} answer of {name} does not answer it")


def _links(text: str) -> list[str]:
    """Markdown link targets and bare URLs."""
    return re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"(?<![(\[])\bhttps?://[^\s)>\]`'\"]+", text)


def _documents() -> list[tuple[Path, str]]:
    """The README, the docs and the notebooks' text cells."""
    docs = [(ROOT / "README.md", (ROOT / "README.md").read_text(encoding="utf-8"))]
    docs += [(p, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "docs").glob("*.md"))]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        docs.append((path, "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")))
    return docs


DOCUMENTS = _documents()


@pytest.mark.parametrize("path,text", DOCUMENTS, ids=[str(p.relative_to(ROOT)) for p, _ in DOCUMENTS])
def test_links_stay_in_the_repository(path: Path, text: str):
    """Every link leads to a file of the repository (and a heading in it, if it names one) or to
    public documentation: nothing points at a sibling directory or an arbitrary site."""
    for link in _links(text):
        url = urlparse(link)
        if url.scheme in ("http", "https"):
            assert url.hostname in PUBLIC_DOCS, f"{path.name}: {link} leaves the repository"
            continue
        assert not url.scheme, f"{path.name}: {link}"
        if not url.path:  # a heading of this document
            continue
        target = (path.parent / url.path).resolve()
        assert target.is_relative_to(ROOT), f"{path.name}: {link} points outside the repository"
        assert target.exists(), f"{path.name}: {link} points at nothing"
        if url.fragment and target.suffix == ".md":
            anchors = {_anchor(h) for h in re.findall(r"^#+\s+(.*)$", target.read_text(encoding="utf-8"), re.M)}
            assert url.fragment in anchors, f"{path.name}: {link}: no such heading"


def test_the_glossary_has_every_fate_and_the_course_words():
    from amqpsim.trace.events import Fate

    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    missing = [f"`{fate.value}`" for fate in Fate if f"`{fate.value}`" not in glossary]
    words = ("**ready**", "**unacked**", "**delivery tag**", "**routed copy**", "**x-death**",
             "**publisher confirm**", "**return**", "**returned**", "**unroutable**", "**prefetch**")
    missing += [w for w in words if w not in glossary]
    assert missing == [], f"docs/glossary.md does not explain {missing}"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _execute(path: Path, mode: str, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline" if mode == "shipped" else "agg")
    nb = nbformat.read(path, as_version=4)
    if mode != "shipped":
        sources = _answers(path)[mode]
        for name, i in _tagged(nb, "exercise").items():
            nb.cells[i].source = sources[name]
    client = NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=mode == "wrong",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _errors(cell: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(out.get("ename"), out.get("evalue")) for out in cell.get("outputs", [])
            if out.get("output_type") == "error"]


def _text(cell: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("output_type") == "stream")


@pytest.mark.notebook
@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path: Path, mode: str, monkeypatch: pytest.MonkeyPatch):
    nb = _execute(path, mode, monkeypatch)
    checks = {i: name for name, i in _tagged(nb, "check").items()}
    unexpected = [(i, *e) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                  and i not in checks and "raises-exception" not in cell.metadata.get("tags", [])
                  for e in _errors(cell)]
    assert unexpected == [], f"{path.name} ({mode}): cells that failed"
    for i, name in checks.items():
        cell, errors = nb.cells[i], _errors(nb.cells[i])
        if mode == "wrong":
            assert [e for e, _ in errors] == ["WrongAnswer"], (
                f"{path.name}: the wrong answer to {name} was not caught: {errors or _text(cell)!r}")
        else:
            assert errors == [], f"{path.name} ({mode}): the check of {name} failed: {errors}"
            mark = "✎" if mode == "shipped" else "✔"
            assert mark in _text(cell), f"{path.name} ({mode}): the check of {name} printed {_text(cell)!r}"
    if mode == "shipped":
        pictures = sum("image/png" in out.get("data", {}) or "text/html" in out.get("data", {})
                       for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", []))
        assert pictures >= 2, f"{path.name} shows fewer than two pictures"
