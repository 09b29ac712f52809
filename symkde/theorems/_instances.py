"""Checked rules for instances, absolute values, sign cases, per-index identities, [a, b].

Part of the proof machinery that :mod:`symkde.theorems._core` re-exports.  Imports SymPy,
:mod:`symkde.theorems._checks`, :mod:`symkde.theorems._steps` and the helpers of
:mod:`symkde.theorems._inference` and :mod:`symkde.theorems._closing`.  Every rule checks its
inputs with SymPy; none turns an unchecked inference or a cited label into a checked one (the
new step inherits both).

* :func:`instantiate` -- a step proved for *fresh* symbols (or indexed families), each assumed
  only positive or only nonnegative, holds at any values that steps prove positive
  (nonnegative): the step was proved for every value its symbols' assumptions allow.
* :func:`absolute_bound` -- ``|X| <= B`` from steps proving ``X <= B`` and ``-B <= X``.
* :func:`by_parity` -- a claim that depends on an integer ``s`` only through ``(-1)**s``
  holds for every ``s`` once it holds at ``s = 0`` and ``s = 1``.
* :func:`by_identity` -- an identity proved for a generic index, replaced at every index.
* :func:`under_integral_between` -- an identity proved at ``t = a + tau``,
  ``b = a + tau + kappa`` (``tau, kappa >= 0``), i.e. on ``[a, b]``, used in the integral
  over ``[a, b]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

from symkde.theorems._checks import normalised, zero
from symkde.theorems._closing import _atoms
from symkde.theorems._inference import _same_relation
from symkde.theorems._steps import Step, _step
from symkde.theorems._steps import debts as _debts

#: A value for a fresh symbol: ``(value, bound)``; for an indexed family
#: ``(value, index, bound)`` with ``value`` an expression in ``index``.
Instance = tuple[Any, Step] | tuple[Any, Any, Step]


def _kind_of(fresh: Any) -> str | None:
    """``">"`` for a symbol (family) assumed positive and nothing else, ``">="`` for one
    assumed nonnegative and nothing else, otherwise None."""
    make = sp.IndexedBase if isinstance(fresh, sp.IndexedBase) else sp.Symbol
    name = str(fresh.label) if isinstance(fresh, sp.IndexedBase) else fresh.name
    if fresh == make(name, positive=True):
        return ">"
    if fresh == make(name, nonnegative=True):
        return ">="
    return None


def _bound_proves(bound: Step, value: Any, kind: str) -> bool:
    """Whether ``bound`` holds and proves ``value > 0`` (``kind`` ``">"``) or ``>= 0``."""
    if not bound.holds or bound.claim is None:
        return False
    read = normalised(bound.claim)
    if read is None or read[1] == "==" or (kind == ">" and read[1] != ">"):
        return False
    return zero(read[0] - value)[0]


def _index_covered(claim: Any, family: sp.IndexedBase, index: Any) -> bool:
    """Every index of ``family`` in ``claim`` is ``index`` or a symbol whose assumptions
    include all of ``index``'s (so a bound proved for every ``index`` covers it)."""
    wanted = {k for k, v in index.assumptions0.items() if v}
    for element in claim.atoms(sp.Indexed):
        if element.base != family:
            continue
        if len(element.indices) != 1:
            return False
        (used,) = element.indices
        if used == index:
            continue
        if not isinstance(used, sp.Symbol):
            return False
        have = {k for k, v in used.assumptions0.items() if v}
        if not wanted <= have:
            return False
    return True


def instantiate(description: str, step: Step, claim: Any, values: Mapping[Any, Instance]) -> Step:
    """Step ``claim``: ``step`` with each fresh symbol replaced by its value (universal
    instantiation).

    Each key of ``values`` is a symbol (or ``IndexedBase``) assumed positive and nothing else,
    or nonnegative and nothing else; ``step`` proved its claim for every value those
    assumptions allow.  Its value comes with a ``bound``: a step that holds and proves the
    value ``> 0`` (``>= 0`` for a nonnegative symbol; a strict bound also serves).  For a
    family, the value is an expression in ``index`` and the bound is proved for that generic
    ``index`` (read "for every index", as the registry reads hypotheses on ``x_j``); every
    index of the family in ``step``'s claim must be ``index`` or carry at least its
    assumptions.  Holds iff all bounds check, no fresh symbol occurs in ``claim``, in a value
    or in a hypothesis ``step`` uses, ``step`` holds, and ``step``'s claim with the values
    substituted is SymPy-equal (side by side) to ``claim``.

    >>> y, z = sp.Symbol("y", nonnegative=True), sp.Symbol("z", positive=True)
    >>> c = sp.Symbol("c", real=True)
    >>> from symkde.theorems._inference import holds_true
    >>> ratio = holds_true("y/z >= 0", sp.Ge(y / z, 0, evaluate=False))
    >>> top = holds_true("c^2 >= 0", sp.Ge(c**2, 0, evaluate=False))
    >>> below = holds_true("c^2 + 1 > 0", sp.Gt(c**2 + 1, 0, evaluate=False))
    >>> claim = sp.Ge(c**2 / (c**2 + 1), 0, evaluate=False)
    >>> instantiate("at c", ratio, claim, {y: (c**2, top), z: (c**2 + 1, below)}).holds
    True
    >>> wrong = sp.Ge(c / (c**2 + 1), 0, evaluate=False)         # c may be negative
    >>> instantiate("at c", ratio, wrong, {y: (c, top), z: (c**2 + 1, below)}).holds
    False
    """
    ok, detail = True, "every fresh symbol is given a value its bound proves in range"
    fresh_atoms = {f for f in values}
    plain: dict[Any, Any] = {}
    families: list[tuple[sp.IndexedBase, Any, Any]] = []
    lemmas = list(step.lemmas)
    uses = list(step.uses)
    for fresh, spec in values.items():
        kind = _kind_of(fresh)
        value, bound = spec[0], spec[-1]
        lemmas.extend(bound.lemmas)
        uses.extend(bound.uses)
        if kind is None:
            ok, detail = False, f"{fresh} is not assumed only positive or only nonnegative"
        elif _atoms(sp.sympify(value)) & fresh_atoms:
            ok, detail = False, f"the value of {fresh} mentions a fresh symbol"
        elif not _bound_proves(bound, value, kind):
            ok, detail = False, f"no step that holds proves {sp.sstr(value)[:60]} {kind} 0"
        elif isinstance(fresh, sp.IndexedBase):
            if len(spec) != 3:
                ok, detail = False, f"the family {fresh} needs (value, index, bound)"
            elif step.claim is None or not _index_covered(step.claim, fresh, spec[1]):
                ok, detail = False, f"an index of {fresh} is not covered by the bound's index"
            else:
                families.append((fresh, value, spec[1]))
        else:
            plain[fresh] = value
        if not ok:
            break
    if ok and _atoms(claim) & fresh_atoms:
        ok, detail = False, "the claim mentions a fresh symbol"
    elif ok and any(_atoms(h) & fresh_atoms for h in step.uses):
        ok, detail = False, "the step uses a hypothesis on a fresh symbol"
    elif ok and not step.holds:
        ok, detail = False, f"the step for the fresh symbols fails: {step.description}"
    elif ok:
        shown = step.claim

        def substituted(expr: Any) -> Any:
            for family, value, index in families:
                expr = sp.sympify(expr).replace(
                    lambda e, f=family: isinstance(e, sp.Indexed) and e.base == f,
                    lambda e, v=value, k=index: sp.sympify(v).subs(k, e.indices[0]),
                )
            return sp.sympify(expr).subs(plain, simultaneous=True)

        wanted = claim
        if isinstance(shown, sp.core.relational.Relational):
            shown = type(shown)(substituted(shown.lhs), substituted(shown.rhs), evaluate=False)
        else:
            shown = substituted(shown)
        ok, detail = _same_relation(shown, wanted, detail)
    lhs, rhs = (claim.lhs, claim.rhs) if isinstance(claim, sp.Equality) else (claim, sp.true)
    bounds = [spec[-1] for spec in values.values()]
    return _step(description, lhs, rhs, ok, detail, uses=tuple(uses), lemmas=tuple(lemmas),
                 **_debts(step, *bounds))  # fmt: skip


def _literal(claim: Any, bound: Any, upper: Any, lower: Any) -> bool:
    """``upper`` is literally ``X <= B`` and ``lower`` ``-B <= X``, with ``Abs(X)`` the claim's
    (SymPy rewrites the inside of ``Abs`` as it builds it, so that is compared built)."""
    absolute = claim.lhs if isinstance(claim, sp.LessThan) else claim.rhs
    return (
        isinstance(upper, sp.LessThan)
        and isinstance(lower, sp.LessThan)
        and upper.rhs == bound
        and lower.lhs == -bound
        and lower.rhs == upper.lhs
        and sp.Abs(upper.lhs) == absolute
    )


def absolute_bound(description: str, claim: Any, upper: Step, lower: Step) -> Step:
    """Step ``claim = |X| <= B`` from ``upper`` proving ``X <= B`` and ``lower`` proving
    ``-B <= X`` (each a step that holds; sides compared by SymPy).

    >>> x, b = sp.Symbol("x", real=True), sp.Symbol("b", real=True)
    >>> from symkde.theorems._inference import follows
    >>> up = follows("x <= b", sp.Le(x, b), [sp.Le(x, b)])
    >>> down = follows("-b <= x", sp.Le(-b, x), [sp.Le(-b, x)])
    >>> absolute_bound("|x| <= b", sp.Le(sp.Abs(x), b), up, down).holds
    True
    >>> absolute_bound("|x| <= b from one side", sp.Le(sp.Abs(x), b), up, up).holds
    False
    """
    inner = bound = None
    if isinstance(claim, sp.LessThan) and isinstance(claim.lhs, sp.Abs):
        inner, bound = claim.lhs.args[0], claim.rhs
    elif isinstance(claim, sp.GreaterThan) and isinstance(claim.rhs, sp.Abs):
        inner, bound = claim.rhs.args[0], claim.lhs
    ok, detail = True, "X <= B and -B <= X give |X| <= B"
    if inner is None:
        ok, detail = False, "the claim is not |X| <= B"
    else:
        # |X| = |-X|: SymPy may store Abs(X) as Abs(-X), so the two sides may come either way
        reads = [normalised(s.claim) if s.holds and s.claim is not None else None
                 for s in (upper, lower)]  # fmt: skip
        if any(r is None or r[1] == "==" for r in reads):
            ok, detail = False, "a side is not a step that holds proving an inequality"
        else:
            (first, _), (second, _) = reads  # type: ignore[misc]
            wanted = (bound - inner, bound + inner)
            orders = (wanted, wanted[::-1])
            # literal agreement first (cheap), SymPy's reduction only if it is not literal
            if not _literal(claim, bound, upper.claim, lower.claim) and not any(
                zero(first - one)[0] and zero(second - other)[0] for one, other in orders
            ):
                ok, detail = False, f"the sides do not prove {sp.sstr(bound)[:60]} -+ X >= 0"
    uses = (*upper.uses, *lower.uses)
    lemmas = (*upper.lemmas, *lower.lemmas)
    return _step(description, claim, sp.true, ok, detail, uses=uses, lemmas=lemmas,
                 **_debts(upper, lower))  # fmt: skip


def _only_integer_power(claim: Any, sign: Any) -> bool:
    """Whether ``sign`` (an integer symbol or indexed symbol) occurs in ``claim`` only as the
    power ``(-1)**sign``."""
    marker = sp.Dummy("parity")
    return not claim.xreplace({sp.Integer(-1) ** sign: marker}).has(sign)


def _sides(relation: Any, change: Any) -> Any:
    """``relation`` with ``change`` applied to both sides (left unevaluated)."""
    if isinstance(relation, sp.core.relational.Relational):
        return type(relation)(change(relation.lhs), change(relation.rhs), evaluate=False)
    return change(relation)


def by_parity(description: str, claim: Any, sign: Any, even: Step, odd: Step) -> Step:
    """Step ``claim`` for every integer ``sign``: ``claim`` depends on ``sign`` only through
    ``(-1)**sign`` (which is 1 or -1), ``even`` proves it at ``sign = 0`` and ``odd`` at
    ``sign = 1`` (steps that hold; sides compared by SymPy).  A case split.

    >>> s = sp.Symbol("s", integer=True)
    >>> y = sp.Symbol("y", positive=True)
    >>> from symkde.theorems._inference import equal
    >>> claim = sp.Eq(sp.Abs(y + (-1) ** s * y) + sp.Abs(y - (-1) ** s * y), 2 * y)
    >>> even, odd = equal("s = 0", 2 * y, 2 * y), equal("s = 1", 2 * y, 2 * y)
    >>> by_parity("|y + s y| + |y - s y| = 2y", claim, s, even, odd).holds
    True
    >>> wrong = sp.Eq(sp.Abs(y + (-1) ** s * y), 2 * y)          # 0 for odd s
    >>> by_parity("|y + s y| = 2y", wrong, s, even, odd).holds
    False
    """
    ok, detail = True, f"(-1)**{sign} is 1 or -1: both cases proved"
    if not (isinstance(sign, sp.Symbol | sp.Indexed) and sign.is_integer):
        ok, detail = False, f"{sign} is not an integer symbol"
    elif not _only_integer_power(claim, sign):
        ok, detail = False, f"the claim depends on {sign} other than through (-1)**{sign}"
    else:
        for case, step in ((0, even), (1, odd)):
            wanted = _sides(claim, lambda e, v=case: sp.sympify(e).subs(sign, v))
            if not step.holds:
                ok, detail = False, f"the case {sign} = {case} fails: {step.description}"
            else:
                ok, detail = _same_relation(step.claim, wanted, detail)
            if not ok:
                break
    lhs, rhs = (claim.lhs, claim.rhs) if isinstance(claim, sp.Equality) else (claim, sp.true)
    return _step(description, lhs, rhs, ok, detail, uses=(*even.uses, *odd.uses),
                 lemmas=(*even.lemmas, *odd.lemmas), **_debts(even, odd))  # fmt: skip


def _only_nonnegative(symbol: Any) -> bool:
    return isinstance(symbol, sp.Symbol) and symbol == sp.Symbol(symbol.name, nonnegative=True)


def under_integral_between(
    description: str,
    integral: sp.Integral,
    integrand: Any,
    premise: Step,
    gaps: tuple[sp.Symbol, sp.Symbol],
    order: Step,
) -> Step:
    """Step ``Integral(f, (t, a, b)) = Integral(integrand, (t, a, b))`` from ``premise``
    proving ``f = integrand`` at ``t = a + tau``, ``b = a + tau + kappa`` for fresh
    ``gaps = (tau, kappa)``, each assumed only nonnegative: that is the identity at every
    ``t`` in ``[a, b]`` (``tau = t - a``, ``kappa = b - t``), and ``order`` proves ``b >= a``.

    The upper limit ``b`` must be a symbol (it is substituted wherever it occurs), absent from
    ``a``; the fresh symbols occur in neither integrand nor the limits; ``premise`` (a step that
    holds) uses no hypothesis on ``t``, ``b`` or the fresh symbols.

    >>> t, a, b = sp.symbols("t a b", real=True)
    >>> tau, kappa = sp.Symbol("tau", nonnegative=True), sp.Symbol("kappa", nonnegative=True)
    >>> from symkde.theorems._inference import equal, follows
    >>> order = follows("b >= a", sp.Ge(b - a, 0), [sp.Le(a, b)])
    >>> inside = sp.Abs(t - a) + sp.Abs(b - t)                  # b - a on [a, b] only
    >>> premise = equal("at t = a + tau", inside.subs(
    ...     {t: a + tau, b: a + tau + kappa}, simultaneous=True), tau + kappa)
    >>> under_integral_between("|t - a| + |b - t| on [a, b]", sp.Integral(inside, (t, a, b)),
    ...                        b - a, premise, (tau, kappa), order).holds
    True
    >>> under_integral_between("on [a, b + 1]", sp.Integral(inside, (t, a, b + 1)),
    ...                        b - a, premise, (tau, kappa), order).holds
    False
    """
    ((var, lower, upper),) = integral.limits
    fresh = set(gaps)
    ok, detail = True, f"the identity holds for every {var} in [{lower}, {upper}]"
    read = normalised(order.claim) if order.holds and order.claim is not None else None
    if not isinstance(upper, sp.Symbol) or upper == var or lower.has(upper) or lower.has(var):
        ok, detail = False, "the upper limit is not a symbol apart from the lower one"
    elif not all(_only_nonnegative(g) for g in gaps) or len(fresh) != 2:
        ok, detail = False, "the gaps are not two symbols assumed only nonnegative"
    elif (_atoms(integral) | _atoms(integrand)) & fresh:
        ok, detail = False, "the integrals mention a gap symbol"
    elif read is None or read[1] == "==" or not zero(read[0] - (upper - lower))[0]:
        ok, detail = False, f"no step that holds proves {upper} >= {lower}"
    elif not premise.holds or not isinstance(premise.claim, sp.Equality):
        ok, detail = False, "the premise is not an equality that holds"
    elif any(_atoms(h) & (fresh | {var, upper}) for h in premise.uses):
        ok, detail = False, "the premise uses a hypothesis on the variable, b or a gap"
    else:
        inside = {var: lower + gaps[0], upper: lower + gaps[0] + gaps[1]}
        wanted = sp.Eq(
            integral.function.subs(inside, simultaneous=True),
            sp.sympify(integrand).subs(inside, simultaneous=True),
            evaluate=False,
        )
        ok, detail = _same_relation(premise.claim, wanted, detail)
    rhs = sp.Integral(integrand, *integral.limits)
    return _step(description, integral, rhs, ok, detail, uses=(*premise.uses, *order.uses),
                 lemmas=(*premise.lemmas, *order.lemmas), **_debts(premise, order))  # fmt: skip


def _bound(expr: Any) -> set[Any]:
    """The integration and summation variables of ``expr``."""
    found: set[Any] = set()
    for inner in sp.sympify(expr).atoms(sp.Integral, sp.Sum):
        found.update(inner.variables)
    return found


def by_identity(description: str, lhs: Any, rhs: Any, identity: Step, index: Any) -> Step:
    """Step ``lhs = rhs``: ``rhs`` is ``lhs`` with every instance ``f(m)`` of the identity
    ``f(index) = g(index)`` (a step that holds, using no hypothesis on ``index``) replaced by
    ``g(m)``, for ``m = index`` and every integer symbol of ``lhs`` carrying at least
    ``index``'s assumptions (so the identity covers it); SymPy checks the result is ``rhs``.
    The identity may use no hypothesis on ``index`` or on a variable bound in ``lhs`` (it is
    used for every value of those).

    >>> k = sp.Symbol("k", integer=True)
    >>> w = sp.IndexedBase("w", real=True)
    >>> from symkde.theorems._inference import equal
    >>> pythagoras = sp.sin(w[k]) ** 2 + sp.cos(w[k]) ** 2
    >>> one = equal("sin^2 + cos^2 = 1", pythagoras, 1)
    >>> by_identity("in a sum", sp.Sum(pythagoras, (k, 1, 3)), sp.Sum(1, (k, 1, 3)), one, k).holds
    True
    >>> by_identity("a wrong right side", 3 * pythagoras, 2, one, k).holds
    False
    """
    ok, detail = True, "every instance of the identity replaced"
    claim = identity.claim
    if not identity.holds or not isinstance(claim, sp.Equality):
        ok, detail = False, "the identity is not an equality that holds"
    elif not (isinstance(index, sp.Symbol) and index.is_integer):
        ok, detail = False, f"{index} is not an integer symbol"
    elif any(_atoms(h) & ({index} | _bound(lhs)) for h in identity.uses):
        ok, detail = False, f"the identity uses a hypothesis on {index} or a bound variable"
    else:
        wanted = {k for k, v in index.assumptions0.items() if v}
        indices = [index] + [
            s for s in sp.sympify(lhs).atoms(sp.Symbol)
            if s != index and s.is_integer and wanted <= {k for k, v in s.assumptions0.items() if v}
        ]  # fmt: skip
        pairs = {claim.lhs.xreplace({index: m}): claim.rhs.xreplace({index: m}) for m in indices}
        replaced = sp.sympify(lhs).xreplace(pairs)
        if replaced == sp.sympify(lhs):
            ok, detail = False, "the identity's left side does not occur"
        elif not (replaced == rhs or zero(replaced - rhs)[0]):
            ok, detail = False, "the replaced expression is not the right side"
    return _step(description, lhs, rhs, ok, detail, uses=identity.uses, lemmas=identity.lemmas,
                 **_debts(identity))  # fmt: skip
