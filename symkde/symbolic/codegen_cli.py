"""What the code generators share: writing, diffing and the ``--update``/``--check`` command line.

Owns :func:`write` (render every generated module under its committed name into a folder),
:func:`diff` (a unified diff between the committed modules and a fresh render) and
:func:`main` (the command line of ``python -m symkde.symbolic.codegen``, ``codegen_smooth`` and
``codegen_array``).  Each generator passes its own ``{committed path: renderer}`` mapping, built
at call time so that tests may point a generator at another file.  Imports the standard library
and SymPy (for its version, named in the diff) only.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import sympy as sp

__all__ = ["Outputs", "diff", "main", "write"]

#: Committed generated module -> the function that renders its text.
Outputs = Mapping[Path, Callable[[], str]]


def write(outputs: Outputs, output_dir: Path) -> list[Path]:
    """Write every generated module into ``output_dir``; returns their paths."""
    output_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for committed, renderer in outputs.items():
        target = output_dir / committed.name
        target.write_text(renderer())
        written.append(target)
    return written


def diff(outputs: Outputs) -> str:
    """Unified diff between the committed modules and a fresh render ('' when identical)."""
    diffs: list[str] = []
    for path, renderer in outputs.items():
        committed = path.read_text() if path.exists() else ""
        diffs += difflib.unified_diff(
            committed.splitlines(keepends=True),
            renderer().splitlines(keepends=True),
            fromfile=f"committed {path.name}",
            tofile=f"regenerated with SymPy {sp.__version__}",
        )
    return "".join(diffs)


def main(
    module: str,
    description: str | None,
    outputs: Callable[[], Outputs],
    argv: list[str] | None = None,
) -> int:
    """``python -m <module> --update`` rewrites the committed modules (``outputs()``, each
    into its own folder); ``--check`` exits 1 with a diff if any is stale."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=description)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--update", action="store_true", help="rewrite the committed module")
    group.add_argument("--check", action="store_true", help="exit 1 with a diff if stale")
    args = parser.parse_args(argv)
    if args.update:
        for committed, renderer in outputs().items():
            for path in write({committed: renderer}, committed.parent):
                print(f"wrote {path}")
        return 0
    stale = diff(outputs())
    if stale:
        sys.stdout.write(stale)
        print(f"generated code is stale: run `python -m {module} --update`")
        return 1
    return 0
