"""Render a theorem and its proof step by step as text, LaTeX or Markdown.

>>> from symkde.theorems._core import Theorem, equal
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> thm = Theorem("square", "a square", sp.Eq((x + 1) ** 2, x**2 + 2 * x + 1), (),
...               lambda: [equal("expand", (x + 1) ** 2, x**2 + 2 * x + 1)])
>>> print(render_derivation(thm, thm.prove(), "text"), end="")
square: a square
statement: Eq((x + 1)**2, x**2 + 2*x + 1)
hypotheses: none
step 1 [ok] the hypotheses are relations on the statement's own symbols
    True
    (every hypothesis speaks of the statement)
step 2 [ok] expand
    (x + 1)**2 = x**2 + 2*x + 1
    (difference reduces to 0 by expand)
step 3 [ok] the steps prove the statement
    Eq((x + 1)**2, x**2 + 2*x + 1)
    (every conjunct is proved by steps that hold)
step 4 [ok] the hypotheses are the proof's
    True
    (each is implied by the symbols' assumptions or used by a step that holds)
verdict: proved
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from symkde.theorems._core import Proof, Step, Theorem, verdict_text

__all__ = ["render_derivation", "verdict"]


def verdict(theorem: Theorem, proof: Proof) -> str:
    """``proved`` (``from lemmas ...``, ``cites k unchecked``, ``with k unchecked inferences``),
    ``refuted (as expected)``, ``refuted`` or ``FAILED``."""
    return verdict_text(theorem, proof)


def _text(obj: Any) -> str:
    return sp.sstr(obj) if isinstance(obj, sp.Basic) else str(obj)


def _latex(obj: Any) -> str:
    return sp.latex(obj) if isinstance(obj, sp.Basic) else str(obj)


def _counterexample_lines(info: dict[str, Any]) -> list[str]:
    """A counterexample as Markdown bullets: the point, then both sides to 20 digits."""
    lines = []
    for key, value in info.items():
        if isinstance(value, dict) and not value:
            continue
        if isinstance(value, dict):
            shown = ", ".join(f"{k} = {_text(v)}" for k, v in value.items())
        elif isinstance(value, sp.Basic) and value.is_number:
            shown = sp.sstr(sp.N(value, 20))
        else:
            shown = _text(value)
        lines.append(f"- {key}: {shown}")
    return lines


def _step_text(number: int, step: Step) -> list[str]:
    mark = "ok" if step.holds else ("counterexample" if step.counterexample else "FAILED")
    body = _text(step.lhs) if step.rhs is sp.true else f"{_text(step.lhs)} = {_text(step.rhs)}"
    return [f"step {number} [{mark}] {step.description}", f"    {body}", f"    ({step.detail})"]


def _shown(hypotheses: Any) -> list[Any]:
    """The hypotheses worth printing: SymPy evaluates one the symbols' assumptions already
    imply (``1 <= i`` for a positive integer ``i``) to ``True``, which says nothing."""
    return [h for h in hypotheses if h is not sp.true]


def render_derivation(theorem: Theorem, proof: Proof, style: str = "text") -> str:
    """The derivation of ``theorem`` with each checked step, in ``style``.

    Args:
        theorem: the theorem.
        proof: the result of ``theorem.prove()``.
        style: ``"text"``, ``"latex"`` (a LaTeX fragment) or ``"markdown"`` (with $$ math).
    """
    hyps = ", ".join(_text(h) for h in _shown(theorem.hypotheses)) or "none"
    if style == "text":
        lines = [
            f"{theorem.name}: {theorem.title}",
            f"statement: {_text(theorem.statement)}",
            f"hypotheses: {hyps}",
        ]
        for number, step in enumerate(proof.steps, start=1):
            lines += _step_text(number, step)
        if proof.counterexample:
            example = proof.counterexample
            lines.append(f"counterexample at {example.values}: lhs = {sp.N(example.lhs, 15)}, "
                         f"rhs = {sp.N(example.rhs, 15)} (reference agrees)")  # fmt: skip
        for lemma in proof.lemmas:
            lines.append(f"lemma {lemma.name}: {lemma.citation}")
        lines.append(f"verdict: {verdict(theorem, proof)}")
        return "\n".join(lines) + "\n"
    if style not in ("latex", "markdown"):
        raise ValueError(f"style: expected 'text', 'latex' or 'markdown', got {style!r}")
    hyps_tex = ", ".join(_latex(h) for h in _shown(theorem.hypotheses)) or r"\text{none}"
    if style == "latex":
        lines = [
            rf"\paragraph{{{theorem.name}}} {theorem.title}",
            rf"\[ {_latex(theorem.statement)} \quad \text{{under}} \quad {hyps_tex} \]",
            r"\begin{enumerate}",
        ]
        for step in proof.steps:
            tag = r"\checkmark" if step.holds else r"\times"
            lines.append(rf"\item {step.description} ${tag}$ \[ {step.latex()} \]")
        lines.append(r"\end{enumerate}")
        lines.append(rf"Verdict: \textbf{{{verdict(theorem, proof)}}}.")
        return "\n".join(lines) + "\n"
    lines = [
        f"### `{theorem.name}` — {theorem.title}",
        "",
        f"**Statement** $${_latex(theorem.statement)}$$",
        "",
        f"**Hypotheses** ${hyps_tex}$",
        "",
    ]
    if theorem.explanation:
        lines += [theorem.explanation, ""]
    for number, step in enumerate(proof.steps, start=1):
        mark = "✓" if step.holds else ("✗ counterexample" if step.counterexample else "✗")
        lines += [f"{number}. {step.description} ({mark})", "", f"   $${step.latex()}$$", ""]
    if proof.counterexample:
        example = proof.counterexample
        info = {"values": example.values, "lhs": example.lhs, "rhs": example.rhs}
        lines += ["**Counterexample:**", "", *_counterexample_lines(info), ""]
    lines.append(f"**Verdict:** {verdict(theorem, proof)} ({proof.seconds:.2f} s)")
    return "\n".join(lines) + "\n"
