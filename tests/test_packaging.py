"""Packaging promises: what the core needs, what the extras add, and what `make lab` does."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_scipy_is_core_and_jupyterlab_is_only_an_extra() -> None:
    core = _names(PROJECT["dependencies"])
    extras = PROJECT["optional-dependencies"]
    assert "scipy" in core
    assert "jupyterlab" not in core and "jupyterlab" not in _names(extras["dev"])
    assert "jupyterlab" in _names(extras["lab"])
    assert "playwright" in _names(extras["dev"])


def test_make_lab_installs_the_extra_and_opens_the_notebooks() -> None:
    makefile = (REPO / "Makefile").read_text()
    stamp = re.search(r"^\$\(LAB_STAMP\):.*\n((?:\t.*\n)+)", makefile, re.M)
    lab = re.search(r"^lab: \$\(LAB_STAMP\)\n((?:\t.*\n)+)", makefile, re.M)
    assert stamp and "pip install" in stamp.group(1) and "'.[lab]'" in stamp.group(1)
    assert lab and "$(BIN)/jupyter lab notebooks/" in lab.group(1)
    assert re.search(r"^\.PHONY:.*\blab\b", makefile, re.M)


def test_readme_quick_start_is_two_commands_and_names_make_lab() -> None:
    readme = (REPO / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in quick.splitlines()] == [["make", "demo"], ["make", "test"]]
    notebooks = readme.split("## The course", 1)[1].split("\n## ", 1)[0]
    assert "make lab" in notebooks
