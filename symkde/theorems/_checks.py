"""The decision procedures behind the proof steps: zero tests, sign tests and entailment.

Owns the small, SymPy-only algorithms that decide whether a step holds: reducing a difference
to exactly zero, deciding the sign of an expression from its symbols' assumptions, reading a
relation as ``e >= 0`` / ``e > 0`` / ``e == 0``, and deciding that a claim follows from
premises (by substituting premise equalities, or by a nonnegative linear combination of the
premises, both re-checked by SymPy; a bound ``|a| <= b`` is read as its two signed halves
``a <= b``, ``-a <= b``, relations being between real quantities).  Imports SymPy only;
:mod:`symkde.theorems._core` builds the public steps on top of it.

>>> import sympy as sp
>>> x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
>>> entails(sp.Ge(x + 1, 1), [sp.Ge(x, 0)])[0]
True
>>> entails(sp.Ge(x + 1, 1), [sp.Ge(y, 0)])[0]
False
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sympy as sp

__all__ = ["entails", "normalised", "read_absolute_bound", "sign_holds", "zero"]

#: Simplifiers tried in order (cheap first) to bring an expression to a decided form.
SIMPLIFIERS: tuple[Callable[[sp.Expr], sp.Expr], ...] = (
    lambda e: e,
    sp.expand,
    sp.cancel,
    lambda e: sp.cancel(sp.expand(sp.powsimp(sp.expand_power_exp(e), force=True))),
    sp.factor,
    sp.simplify,
)


def _variants(expr: sp.Expr, cheap: bool = False) -> Iterable[tuple[str, sp.Expr]]:
    # for sign tests, factor/simplify on huge trees or on an Integral cost minutes
    heavy = cheap and (expr.has(sp.Integral) or sp.count_ops(expr) > 120)
    for simplify in SIMPLIFIERS[:4] if heavy else SIMPLIFIERS:
        try:
            yield getattr(simplify, "__name__", "rewrite"), simplify(expr)
        except Exception:  # a SymPy simplifier that crashes has not decided: try the next one
            continue


def zero(diff: Any) -> tuple[bool, str]:
    """Whether SymPy reduces ``diff`` to exactly 0, and how (or what remained)."""
    reduced = sp.sympify(diff)
    for name, variant in _variants(sp.sympify(diff)):
        reduced = variant
        if variant == 0:
            return True, f"difference reduces to 0 by {name}"
    return False, f"difference does not reduce to 0: {sp.sstr(reduced)[:300]}"


def sign_holds(expr: Any, kind: str) -> bool:
    """Whether SymPy decides ``expr >= 0`` (kind ``">="``), ``> 0`` or ``== 0``.

    The sign is read from the symbols' assumptions (``is_nonnegative``/``is_positive``) of
    ``expr`` or of one of its rewritings; a sign SymPy cannot decide is not decided.

    >>> q = sp.Symbol("q", positive=True)
    >>> sign_holds(q**2 + 2 * q, ">"), sign_holds(q - 1, ">=")
    (True, False)
    """
    for _, reduced in _variants(sp.sympify(expr), cheap=True):
        if kind == "==" and reduced == 0:
            return True
        if kind == ">=" and (reduced == 0 or reduced.is_nonnegative is True):
            return True
        if kind == ">" and reduced.is_positive is True:
            return True
    return False


_PREDICATES = {
    sp.Q.positive: (1, ">"),
    sp.Q.nonnegative: (1, ">="),
    sp.Q.negative: (-1, ">"),
    sp.Q.nonpositive: (-1, ">="),
    sp.Q.zero: (1, "=="),
}


def normalised(relation: Any) -> tuple[sp.Expr, str] | None:
    """``relation`` as ``(e, kind)`` meaning ``e >= 0``, ``e > 0`` or ``e == 0``; else None.

    >>> x = sp.Symbol("x", real=True)
    >>> normalised(sp.Le(x, 3))
    (3 - x, '>=')
    """
    if isinstance(relation, sp.Equality):
        return relation.lhs - relation.rhs, "=="
    if isinstance(relation, sp.GreaterThan):
        return relation.lhs - relation.rhs, ">="
    if isinstance(relation, sp.StrictGreaterThan):
        return relation.lhs - relation.rhs, ">"
    if isinstance(relation, sp.LessThan):
        return relation.rhs - relation.lhs, ">="
    if isinstance(relation, sp.StrictLessThan):
        return relation.rhs - relation.lhs, ">"
    if isinstance(relation, sp.assumptions.AppliedPredicate) and relation.function in _PREDICATES:
        sign, kind = _PREDICATES[relation.function]
        return sign * relation.arguments[0], kind
    return None


def read_absolute_bound(relation: Any) -> tuple[sp.Expr, sp.Expr, str] | None:
    """``|a| <= b`` (or ``|a| < b``, either way round) as ``(a, b, kind)``; else None.

    ``|a| <= b`` holds exactly when ``b - a >= 0`` and ``b + a >= 0`` for real ``a``; None when
    SymPy knows ``a`` is not real (``|i y| <= 1`` is no pair of orders).  Where SymPy cannot
    tell (``Li2(1 - e^U)`` is real for real U, SymPy does not know it), the halves are still
    safe to use: a claim's halves must each be decided ``>= 0`` by SymPy, which makes them
    real; a premise's halves enter a combination whose residual SymPy must decide, and a
    residual with a part of ``a`` it cannot sign is never decided.

    >>> x, y = sp.Symbol("x", real=True), sp.Symbol("y", positive=True)
    >>> read_absolute_bound(sp.Le(sp.Abs(x - 1), y))
    (x - 1, y, '>=')
    >>> read_absolute_bound(sp.Le(2 * sp.Abs(x), y)) is None  # only a coefficient of exactly -1
    True
    >>> read_absolute_bound(sp.Le(sp.Abs(sp.Symbol("w", imaginary=True)), y)) is None
    True
    """
    read = normalised(relation)
    if read is None or read[1] == "==":
        return None
    expr, kind = read
    negated = [term for term in sp.Add.make_args(expr) if isinstance(-term, sp.Abs)]
    if len(negated) != 1:
        return None
    (term,) = negated
    inside = (-term).args[0]
    if inside.is_extended_real is False:  # |a| <= b splits into two orders only for real a
        return None
    return inside, expr - term, kind


def _signed_halves(relation: Any) -> list[Any]:
    """``[b - a >= 0, b + a >= 0]`` (strict alike) for ``|a| <= b``; else ``[]``."""
    bound = read_absolute_bound(relation)
    if bound is None:
        return []
    a, b, kind = bound
    relational = sp.Gt if kind == ">" else sp.Ge
    return [relational(b - a, 0, evaluate=False), relational(b + a, 0, evaluate=False)]


def _substituted(expr: sp.Expr, equalities: Sequence[sp.Equality]) -> sp.Expr:
    for eq in equalities:
        expr = expr.subs(eq.lhs, eq.rhs)
    return expr


def _combination_closes(
    target: sp.Expr, kind: str, premises: Sequence[tuple[sp.Expr, str]], weights: Sequence[int]
) -> bool:
    residual = target - sum((w * e for w, (e, _) in zip(weights, premises, strict=True)), start=0)
    # a symbolic multiplier (of an equality, say) has no Python truth value: ask its sign
    strict_used = any(
        k == ">" and sp.sympify(w).is_positive is True
        for w, (_, k) in zip(weights, premises, strict=True)
    )
    if kind == "==":
        return sign_holds(residual, "==")
    if kind == ">" and not strict_used:
        return sign_holds(residual, ">")
    return sign_holds(residual, ">=")


def entails(
    claim: Any, premises: Sequence[Any], multipliers: Sequence[Any] | None = None
) -> tuple[bool, str]:
    """Whether SymPy derives ``claim`` from the relations ``premises``, and how.

    Tried in order: ``claim`` is literally a premise; after substituting the premise
    equalities (``lhs -> rhs``) the claim is decided by its symbols' assumptions; the claim
    ``c >= 0`` minus a combination ``sum m_k p_k`` of premises ``p_k >= 0`` (``m_k >= 0``;
    any ``m_k`` for an equality) is decided nonnegative.  With ``multipliers`` given only that
    combination is tried; otherwise the weights 0/1 over at most three premises (a premise
    ``|a| <= b`` then also offers its halves ``a <= b``, ``-a <= b``).  A conjunction is
    entailed when each conjunct is; so is ``|a| <= b`` when both halves are.

    >>> x, b = sp.Symbol("x", real=True), sp.Symbol("b", real=True)
    >>> entails(sp.Le(sp.Abs(x), b), [sp.Le(x, b), sp.Le(-x, b)])[0]
    True
    >>> entails(sp.Le(sp.Abs(x), b), [sp.Le(x, b)])[0]  # one half is not enough
    False
    >>> entails(sp.Le(x, b + 1), [sp.Le(sp.Abs(x), b)])[0]
    True
    """
    if claim is True or claim is sp.true:
        return True, "SymPy evaluated the claim to True when it was built (it proves nothing)"
    if isinstance(claim, sp.And):
        results = [entails(part, premises, multipliers) for part in claim.args]
        bad = [detail for ok, detail in results if not ok]
        return (not bad, "every conjunct follows" if not bad else bad[0])
    if multipliers is None:  # a premise |a| <= b also gives a <= b and -a <= b (tried first)
        halves_first = [half for p in premises for half in _signed_halves(p)]
        premises = list(dict.fromkeys([*halves_first, *premises]))
    if any(claim == p for p in premises):
        return True, "the claim is one of the premises"
    halves = _signed_halves(claim)
    if halves:
        results = [entails(half, premises, multipliers) for half in halves]
        if all(ok for ok, _ in results):
            return True, "|a| <= b: both a <= b and -a <= b follow (" + results[0][1] + ")"
    target = normalised(claim)
    if target is None:
        return False, f"cannot read {sp.sstr(claim)[:100]} as a relation"
    read = [normalised(p) for p in premises]
    usable = [r for r in read if r is not None]
    equalities = [p for p in premises if isinstance(p, sp.Equality)]
    expr, kind = target
    if multipliers is None:  # a premise rearranged (cheap: before any simplification)
        weaker = {"==": ("==",), ">=": (">=", ">"), ">": (">",)}[kind]
        if any(k in weaker and sp.expand(expr - e) == 0 for e, k in usable):
            return True, "the claim is a premise, rearranged"
    substituted = _substituted(expr, equalities)
    if multipliers is None and sign_holds(substituted, kind):
        return True, "decided after substituting the premise equalities"
    if multipliers is not None:
        if len(multipliers) != len(usable):
            raise ValueError(
                f"multipliers: expected one per premise read as a relation ({len(usable)}), "
                f"got {len(multipliers)}"
            )
        for m, (_, k) in zip(multipliers, usable, strict=True):
            if k != "==" and not sign_holds(sp.sympify(m), ">="):
                return False, f"multiplier {m} of an inequality is not decided >= 0"
        if _combination_closes(expr, kind, usable, list(multipliers)):
            return True, f"claim - sum(m_k premise_k) decided, m = {list(multipliers)}"
        return False, f"the combination with m = {list(multipliers)} is not decided"
    for count in range(1, min(3 if len(usable) <= 6 else 1, len(usable)) + 1):
        for chosen in itertools.combinations(range(len(usable)), count):
            weights = [1 if k in chosen else 0 for k in range(len(usable))]
            if _combination_closes(expr, kind, usable, weights):
                return True, f"claim - (premises {[k + 1 for k in chosen]}) decided by SymPy"
    return False, "SymPy derives the claim from no combination of the premises"
