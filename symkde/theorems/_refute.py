"""Refutations: a counterexample to the statement itself, re-computed independently.

Part of the proof machinery that :mod:`symkde.theorems._core` re-exports.  Imports SymPy and
the earlier machinery modules; the independent evaluator comes with each refutation
(normally ``symkde.reference``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sympy as sp

from symkde.theorems._checks import normalised
from symkde.theorems._closing import (
    conjuncts,
)
from symkde.theorems._steps import (
    DPS,
    REFERENCE_BOUND,
    Counterexample,
    Step,
    _relation_at,
    _step,
)


def _hypothesis_at(hypothesis: Any, values: Mapping[Any, Any]) -> bool:
    """Whether ``hypothesis`` holds at ``values`` (free integer indices range over 1..n)."""
    expr = hypothesis.subs(values)
    free = sorted((s for s in expr.free_symbols if s.is_integer), key=str)
    count = next((v for k, v in values.items() if str(k) == "n"), None)
    if free and count is None:
        return False
    ranges = [range(1, int(count) + 1)] * len(free) if free and count is not None else []
    for combo in itertools.product(*ranges):
        at = expr.subs(dict(zip(free, combo, strict=True))).subs(values).doit()
        read = normalised(at)
        if read is None:
            if not bool(at):
                return False
            continue
        ok, _ = _relation_at(at, {})
        if not ok:
            return False
    return True


def refutation(
    description: str,
    relation: Any,
    values: Mapping[Any, Any],
    reference: Callable[[Mapping[Any, Any]], tuple[Any, Any]],
    *,
    evaluate: Callable[[Any, Mapping[Any, Any]], Any] | None = None,
    stored: tuple[Any, Any] | None = None,
) -> Step:
    """A counterexample to ``relation`` (a conjunct of the statement) at exact ``values``.

    Both sides are evaluated by SymPy at 50 digits (``evaluate(side, values)``, default
    ``side.subs(values).doit()``) and re-computed by ``reference(values)`` (an independent
    evaluator, normally ``symkde.reference``); the two must agree to 1e-30 relative and the
    relation must fail by more than that.  ``stored`` (the values a reader is shown) must
    reproduce too.  The step never holds (the claim fails there); :meth:`Theorem.prove`
    accepts it as a refutation only if ``relation`` is a conjunct of the statement and the
    theorem's hypotheses hold at ``values``.
    """
    read = normalised(relation)
    if read is None:
        return _step(description, relation, sp.true, False, "not a relation")
    sides = (relation.lhs, relation.rhs)
    run = evaluate or (lambda side, at: sp.sympify(side).subs(at).doit())
    try:
        lhs, rhs = (sp.N(run(side, values), DPS) for side in sides)
        ref_lhs, ref_rhs = (sp.Float(v, DPS) for v in reference(values))
    except Exception as exc:  # an evaluation that fails refutes nothing
        return _step(description, relation, sp.true, False, f"could not evaluate: {exc}")
    scale = max(1, abs(lhs), abs(rhs))
    tol = REFERENCE_BOUND * scale
    agree = bool(abs(lhs - ref_lhs) <= tol and abs(rhs - ref_rhs) <= tol)
    if not agree:
        detail = f"SymPy ({lhs}, {rhs}) and the reference ({ref_lhs}, {ref_rhs}) disagree"
        return _step(description, relation, sp.true, False, detail)
    if stored is not None:
        if not all(abs(sp.N(s, DPS) - v) <= tol for s, v in zip(stored, (lhs, rhs), strict=True)):
            detail = f"the stored sides {stored} do not reproduce ({lhs}, {rhs})"
            return _step(description, relation, sp.true, False, detail)
    left_minus_right = lhs - rhs
    if read[1] == "==":
        fails = bool(abs(left_minus_right) > tol)
    else:
        sign = 1 if isinstance(relation, sp.GreaterThan | sp.StrictGreaterThan) else -1
        value = sign * left_minus_right  # the relation says value >= 0 (or > 0)
        fails = bool(value < -tol) if read[1] == ">=" else bool(value <= tol)
    if not fails:
        return _step(description, relation, sp.true, False, "no counterexample: the relation holds")
    example = Counterexample(relation, dict(values), lhs, rhs, ref_lhs, ref_rhs, reference, stored)
    detail = f"lhs = {sp.N(lhs, 12)}, rhs = {sp.N(rhs, 12)} (reference agrees to 1e-30)"
    return _step(description, relation, sp.true, False, detail, counterexample=example)


def counterexample(
    description: str, lhs: Any, rhs: Any, values: Mapping[sp.Symbol, Any], *, dps: int = 50
) -> Step:
    """Deprecated: two typed sides that differ are not a refutation of anything.

    Kept so old provers run; the step fails and records no counterexample.  Use
    :func:`refutation`.
    """
    return _step(description, lhs, rhs, False, "typed sides refute nothing: use refutation()")


def refutes_statement(statement: Any, hypotheses: Iterable[Any], steps: Iterable[Step]) -> Step:
    """Closing step of a refuted claim: some counterexample refutes a conjunct of the
    statement itself, at a point where every hypothesis holds."""
    parts = conjuncts(statement)
    hypotheses = tuple(hypotheses)
    problems = []
    for step in steps:
        example = step.counterexample
        if example is None:
            continue
        if not any(example.relation == part for part in parts):
            problems.append(f"{step.description}: refutes a relation that is not the statement")
            continue
        bad = [h for h in hypotheses if not _hypothesis_at(h, example.values)]
        if bad:
            problems.append(f"{step.description}: hypotheses fail there: {bad}")
            continue
        return _step("the counterexample refutes the statement", statement, sp.true, True,
                    f"re-computed at 50 digits: {step.detail}")  # fmt: skip
    return _step("the counterexample refutes the statement", statement, sp.true, False,
                "; ".join(problems) or "no counterexample")  # fmt: skip


def reproduces(example: Counterexample) -> tuple[bool, str]:
    """Re-run the reference on a stored counterexample (``symkde verify``)."""
    if example.reference is None:
        return False, "no reference to re-compute with"
    ref = [sp.Float(v, DPS) for v in example.reference(example.values)]
    tol = REFERENCE_BOUND * max(1, abs(example.lhs), abs(example.rhs))
    same = all(abs(r - s) <= tol for r, s in zip(ref, (example.lhs, example.rhs), strict=True))
    return same, "reproduces" if same else f"re-computed {ref}, stored {example.lhs, example.rhs}"
