"""The teaching notebooks: committed without outputs, and each runs headless without errors.

Cells tagged ``raises-exception`` are meant to fail (nbclient lets them); any other
error fails the test. Notebooks run from ``notebooks/`` with the repository on
``PYTHONPATH``, so they work whether or not the package is installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: the layers under the public API: a notebook that reaches into them teaches internals
INTERNAL = ("amqpsim.broker", "amqpsim.sim", "amqpsim.trace", "amqpsim.scenario", "amqpsim.viz.")


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7


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


@pytest.mark.notebook
@pytest.mark.xdist_group("notebooks")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=120,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [(i, out.get("ename"), out.get("evalue")) for i, cell in enumerate(nb.cells)
              if cell.cell_type == "code" and "raises-exception" not in cell.metadata.get("tags", [])
              for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert errors == []
    pictures = sum("image/png" in out.get("data", {}) or "text/html" in out.get("data", {})
                   for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", []))
    assert pictures >= 2, f"{path.name} shows fewer than two pictures"
