"""Showing derivations: rich (Markdown, LaTeX) in a notebook, plain text in a terminal.

The derivation sources (``derivations/``) and the notebooks use these instead of each
defining their own display helpers.

>>> from symkde.cli.display import say
>>> say("plain text outside Jupyter")
plain text outside Jupyter
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symkde import theorems
from symkde.cli.derive import render_derivation

__all__ = ["in_notebook", "say", "show", "show_theorem", "walk"]


def in_notebook() -> bool:
    """True inside a running IPython kernel (Jupyter), False in a plain interpreter."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the notebook extras
        return False
    return get_ipython() is not None


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def say(text: str) -> None:
    """Markdown in a notebook, plain text in a terminal."""
    if in_notebook():
        from IPython.display import Markdown

        _display(Markdown(text))
    else:
        print(text)


def show(label: str, expr: object) -> None:
    """One derivation line: LaTeX in a notebook, SymPy's string form in a terminal."""
    if in_notebook():
        from IPython.display import Math

        _display(Math(rf"\text{{{label}}}:\quad " + sp.latex(expr)))
    else:
        print(f"{label}: {sp.sstr(expr)}")


def walk(name: str) -> theorems.Proof:
    """Prove theorem ``name`` and show its statement and every checked step (short form)."""
    theorem = theorems.get(name)
    say(f"### {theorem.name}: {theorem.title}")
    show("statement", theorem.statement)
    proof = theorem.prove()
    for step in proof.steps:
        mark = "ok" if step.holds else ("counterexample" if step.counterexample else "FAILED")
        say(f"- [{mark}] {step.description}")
    return proof


def show_theorem(name: str) -> theorems.Proof:
    """Prove theorem ``name``, show its whole derivation (Markdown + LaTeX), return the proof."""
    theorem = theorems.get(name)
    proof = theorem.prove()
    say(render_derivation(theorem, proof, "markdown"))
    return proof
