"""Regenerate the golden summaries: ``python tests/scenarios/regen.py [NAME ...]``.

Without names every scenario in ``scenarios/`` is run with its own seed and its
summary (what ``amqpsim run scenarios/NAME.yaml --json FILE`` writes) is stored,
floats rounded to 6 digits, in ``tests/scenarios/golden/NAME.json``; goldens of
scenarios that no longer exist are removed. ``pytest tests/scenarios --regen-goldens``
does the same from pytest. (``python -m tests.scenarios.regen`` cannot work here: the
ciw package installs a top-level ``tests`` package that shadows this directory.)
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
if str(HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(HERE.parents[1]))

from library_helpers import (  # noqa: E402
    GOLDEN,
    golden_diff,
    golden_of,
    golden_path,
    load_golden,
    names,
    write_golden,
)


def regen(selected: list[str] | None = None) -> int:
    known = names()
    todo = selected or known
    unknown = [n for n in todo if n not in known]
    if unknown:
        print(f"no such scenario(s): {', '.join(unknown)} (have: {', '.join(known)})",
              file=sys.stderr)
        return 2
    for name in todo:
        before = load_golden(name) if golden_path(name).exists() else None
        out = write_golden(name)
        if before is None:
            print(f"new      {out.relative_to(HERE.parents[1])}")
        else:
            changed = golden_diff(before, golden_of(load_golden(name)))
            state = f"changed ({len(changed)} keys)" if changed else "same"
            print(f"{state:<9}{out.relative_to(HERE.parents[1])}")
    if not selected:
        for stale in sorted(GOLDEN.glob("*.json")):
            if stale.stem not in known:
                stale.unlink()
                print(f"removed  {stale.relative_to(HERE.parents[1])}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        return 0
    return regen([a.removesuffix(".yaml").rsplit("/", 1)[-1] for a in args] or None)


if __name__ == "__main__":
    sys.exit(main())
