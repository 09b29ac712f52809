"""The closing checks Theorem.prove adds: own symbols, statement proved, hypotheses used.

Part of the proof machinery that :mod:`symkde.theorems._core` re-exports.  Imports SymPy,
:mod:`symkde.theorems._checks` and :mod:`symkde.theorems._steps`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sympy as sp

from symkde.theorems._checks import normalised, sign_holds
from symkde.theorems._steps import (
    Step,
    _step,
)


def conjuncts(statement: Any) -> tuple[Any, ...]:
    """The parts of a statement: the arguments of an ``And``, else the statement itself."""
    return tuple(statement.args) if isinstance(statement, sp.And) else (statement,)


def _atoms(expr: Any) -> set[Any]:
    if not isinstance(expr, sp.Basic):
        return set()
    return set(expr.atoms(sp.Symbol)) | set(expr.atoms(sp.IndexedBase))


_OWN = "the hypotheses are relations on the statement's own symbols"


def own_symbols(statement: Any, hypotheses: Iterable[Any]) -> Step:
    """Closing step: every hypothesis is a SymPy relation or predicate, and names no
    placeholder: a symbol absent from the statement whose name is not a variable name (such
    as ``Symbol("min_j |c - x_j|")``) is refused.

    >>> d, D = sp.Symbol("d", positive=True), sp.Symbol("D", positive=True)
    >>> own_symbols(sp.Ge(d, D), [sp.Le(d, sp.Symbol("min_j |c - x_j|"))]).holds
    False
    >>> own_symbols(sp.Ge(d, D), [sp.Le(d, 1)]).holds
    True
    """
    own = _atoms(statement)
    problems = []
    for hypothesis in hypotheses:
        if hypothesis is sp.true:  # SymPy decided it from the symbols' assumptions
            continue
        if not isinstance(hypothesis, sp.Basic) or not isinstance(
            hypothesis, sp.logic.boolalg.Boolean
        ):
            problems.append(f"not a SymPy relation: {hypothesis!r}")
            continue
        named = hypothesis.free_symbols | set(hypothesis.atoms(sp.IndexedBase))
        # a symbol the statement lacks is a placeholder when its name is not a variable name
        # ("min_j |c - x_j|"); a "for all u" property of a kernel may name its own variable
        stray = {
            s
            for s in named
            if not isinstance(s, sp.Indexed)
            and s not in own
            and not str(s).replace("_", "a").isidentifier()
        }
        if stray:
            names = ", ".join(sorted(map(str, stray)))
            problems.append(f"{sp.sstr(hypothesis)[:80]} names {names}, not in the statement")
    detail = "; ".join(problems) if problems else "every hypothesis speaks of the statement"
    return _step(_OWN, sp.And(*[h for h in hypotheses if isinstance(h, sp.Basic)]), sp.true,
                not problems, detail)  # fmt: skip


def _edges(steps: Iterable[Step]) -> list[tuple[Any, Any]]:
    """The exact equalities that steps holding have shown, as pairs of sides.

    A side that is a ``Float`` comes from a numeric witness (agreement to ``tol_digits``, not
    an identity) and never links a chain.
    """
    found = []
    for step in steps:
        if not step.holds or isinstance(step.lhs, sp.MatrixBase):
            continue
        if step.rhs is sp.true or step.rhs is True:
            if isinstance(step.lhs, sp.Equality):
                found.append((step.lhs.lhs, step.lhs.rhs))
        else:
            found.append((step.lhs, step.rhs))
    return [
        (lhs, rhs)
        for lhs, rhs in found
        if not isinstance(lhs, sp.Float) and not isinstance(rhs, sp.Float)
    ]


def _chained(claim: Any, steps: list[Step]) -> bool:
    """Whether ``claim`` is a step that holds, or an equality the holding steps chain up to."""
    if any(s.holds and (s.rhs is sp.true or s.rhs is True) and s.lhs == claim for s in steps):
        return True
    if not isinstance(claim, sp.Equality):
        return False
    neighbours: dict[Any, list[Any]] = {}
    for left, right in _edges(steps):
        neighbours.setdefault(left, []).append(right)
        neighbours.setdefault(right, []).append(left)
    seen, frontier = {claim.lhs}, [claim.lhs]
    while frontier:
        node = frontier.pop()
        if node == claim.rhs:
            return True
        for other in neighbours.get(node, ()):
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return False


def statement_proved(statement: Any, steps: Iterable[Step]) -> Step:
    """Closing step: each conjunct of ``statement`` is proved by the steps that hold.

    A conjunct is proved when it is literally the claim of a step that holds, or, for an
    equality, when a chain of steps that hold joins its two sides (see :func:`_chained`).

    >>> from symkde.theorems._inference import equal
    >>> x = sp.Symbol("x", real=True)
    >>> proved = [equal("double angle", sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x))]
    >>> statement_proved(sp.Eq(sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x)), proved).holds
    True
    >>> statement_proved(sp.Eq(sp.sin(2 * x), 2 * sp.sin(x)), proved).holds
    False
    """
    steps = [s for s in steps if s.description != _OWN]
    missing = [c for c in conjuncts(statement) if not _chained(c, steps)]
    detail = (
        "every conjunct is proved by steps that hold"
        if not missing
        else "no chain of steps that hold proves " + "; ".join(sp.sstr(c)[:200] for c in missing)
    )
    return _step("the steps prove the statement", statement, sp.true, not missing, detail)


def _implied(hypothesis: Any) -> bool:
    """Whether the symbols' own assumptions imply ``hypothesis``."""
    try:
        if sp.ask(hypothesis) is True:
            return True
    except (TypeError, ValueError, NotImplementedError, AttributeError):
        pass
    read = normalised(hypothesis)
    if read is None or read[0].has(sp.Integral, sp.Sum, sp.Derivative, sp.Limit):
        return False  # simplify would try to evaluate these: not an assumption
    return sign_holds(*read)


def hypotheses_accounted_for(hypotheses: Iterable[Any], steps: Iterable[Step]) -> Step:
    """Closing step: the hypotheses are exactly what the proof uses.

    Every hypothesis must follow from the symbols' assumptions, be *used* by a step that holds
    (a premise of :func:`follows` the inference needs, or a :class:`Parametrisation`), or be
    *cited* by a step that holds (:func:`citing`: a label, listed by ``symkde verify`` as not
    machine-checked); every hypothesis a step uses or cites must be one of ``hypotheses``.

    >>> x, y = sp.Symbol("x", positive=True), sp.Symbol("y", real=True)
    >>> hypotheses_accounted_for([sp.Q.positive(x)], []).holds
    True
    >>> hypotheses_accounted_for([sp.Lt(y, 1)], []).holds
    False
    >>> from symkde.theorems._inference import follows
    >>> uses_y = follows("y < 2", sp.Lt(y, 2), [sp.Lt(y, 1)])
    >>> hypotheses_accounted_for([sp.Lt(y, 1)], [uses_y]).holds
    True
    >>> hypotheses_accounted_for([], [uses_y]).holds
    False
    """
    hypotheses, steps = tuple(hypotheses), list(steps)
    mentioned = [h for s in steps for h in (*s.uses, *s.cited)]
    held = [h for s in steps if s.holds for h in (*s.uses, *s.cited)]
    loose = [h for h in hypotheses if not _implied(h) and not any(h == c for c in held)]
    unstated = [c for c in mentioned if not any(c == h for h in hypotheses)]
    problems = []
    if loose:
        problems.append("neither implied nor used: " + "; ".join(sp.sstr(h)[:200] for h in loose))
    if unstated:
        problems.append(
            "used but not a hypothesis: " + "; ".join(sp.sstr(c)[:200] for c in unstated)
        )
    only_cited = unchecked_hypotheses(hypotheses, steps)
    detail = (
        "; ".join(problems)
        if problems
        else "each is implied by the symbols' assumptions or used by a step that holds"
        + (
            "; cited, not machine-checked: " + "; ".join(sp.sstr(h)[:80] for h in only_cited)
            if only_cited
            else ""
        )
    )
    return _step(
        "the hypotheses are the proof's", sp.And(*hypotheses), sp.true, not problems, detail
    )


def unchecked_hypotheses(hypotheses: Iterable[Any], steps: Iterable[Step]) -> list[Any]:
    """Hypotheses that only :func:`citing` labels account for (none verifiably used)."""
    steps = list(steps)
    used = [h for s in steps if s.holds for h in s.uses]
    cited = [h for s in steps if s.holds for h in s.cited]
    return [
        h
        for h in hypotheses
        if not _implied(h) and not any(h == u for u in used) and any(h == c for c in cited)
    ]
