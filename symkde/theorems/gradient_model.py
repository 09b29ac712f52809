"""The line model's derivation tools shared by the gradient theorems (no theorems here).

Part of :mod:`symkde.theorems.gradient` (which re-exports its names and assembles the
registry): the hypotheses as relations, SymPy rewriting helpers, rational points and a 50-digit
quadrature for witnesses.  Imports SymPy, mpmath, :mod:`symkde.symbolic` and the proof machinery.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mpmath
import sympy as sp

from symkde.symbolic.model import (
    K,
    a,
    abstract_kernel,
    b,
    bin_loss,
    i,
    j,
    loss,
    n,
    pull_constants_out_of_sums,
    rename_summation_indices,
    softmax,
    t,
    within_range,
    z,
)
from symkde.theorems._core import (
    Parametrisation,
    Step,
    rewritten,
)
from symkde.theorems._core import (
    integral_nonnegative as _integral_nonnegative,
)

REFERENCE = "derivations/gradient.py"

#: The index of the labelled point in the one-hot and partial-label theorems.
l_index = sp.Symbol("l", integer=True, positive=True)
#: Indicator values ``chi_j = 1[j in M]`` of the partial-label set ``M``.
chi = sp.IndexedBase("chi", nonnegative=True)
#: ``b = a + width``: the hypothesis ``a < b`` as a substitution SymPy can use.
width = sp.Symbol("w", positive=True)
#: Hypotheses that SymPy cannot read off the symbols' assumptions; the steps relying on them
#: cite them (``_core.citing``).
I_IN_RANGE = sp.Le(i, n)
#: ``i <= n`` as ``n = i + m``, ``m >= 0`` (a sum over ``j = 1..i+m`` of
#: ``KroneckerDelta(i, j) f(j)`` collapses to ``f(i)`` without any assumption).
_SPARE = sp.Symbol("m", integer=True, nonnegative=True)
IN_RANGE = Parametrisation(I_IN_RANGE, n, i + _SPARE, _SPARE, n - i)
L_IN_RANGE = sp.Le(l_index, n)
#: ``l <= n`` as ``n = l + m``, ``m >= 0`` (the label's delta collapses the sum to its term).
LABEL_IN_RANGE = Parametrisation(L_IN_RANGE, n, l_index + _SPARE, _SPARE, n - l_index)
ORDERED = sp.Lt(a, b)
#: The labelled points carry mass: ``-log sum_{j in M} S_j`` is finite.
LABELLED_MASS = sp.Gt(sp.Sum(softmax(j) * chi[j], (j, 1, n)), 0)


# --------------------------------------------------------------------------- derivation tools


def collapse(expr: sp.Expr, index: sp.Expr = i) -> sp.Expr:
    """Evaluate every ``Sum`` (collapsing Kronecker deltas), resolve ``1 <= index <= n``, and
    pull summation-free factors out of the sums.  Integrals are left unevaluated.

    >>> collapse(sp.Sum(sp.KroneckerDelta(i, j) * 2 * K[j], (j, 1, n)))
    2*K[i]
    """
    summed = expr.replace(lambda e: isinstance(e, sp.Sum), lambda e: sp.expand(e).doit())
    if summed.has(sp.Piecewise):  # the range conditions Sum.doit leaves (refine is slow)
        summed = within_range(summed, index)
    return rename_summation_indices(pull_constants_out_of_sums(summed))


def derive_bin_gradient(
    kernel: sp.Expr | None = None, point: sp.Expr = t, index: sp.Expr = i, **model: Any
) -> sp.Expr:
    """``d/dz_index`` of the per-bin loss ``-log p(t)``, derived by SymPy for general n.

    Args:
        kernel: as in :func:`symkde.symbolic.model.kernel_value` (``None``: abstract values
        ``K[j]``).
        point: the bin.
        index: the component.
        **model: ``logits``, ``positions``, ``count`` passed to the model.

    Returns:
        The derivative after ``Sum.doit`` and pulling constants out of the sums.
    """
    logits = model.get("logits", z)
    return collapse(bin_loss(kernel, point, **model).diff(logits[index]), index)


def derive_integrated_gradient(kernel: sp.Expr = abstract_kernel, **model: Any) -> sp.Expr:
    """``d/dz_i`` of the integrated loss, derived by SymPy (Leibniz rule under the integral)."""
    return collapse(loss(kernel, **model).diff(z[i]))


def concretize(expr: Any, count: int) -> Any:
    """Set ``n = count`` and expand every ``Sum`` (integrals stay unevaluated)."""
    fixed = sp.sympify(expr).subs(n, count)
    return fixed.replace(lambda e: isinstance(e, sp.Sum), lambda e: e.doit())


def rational_point(
    rng: random.Random, symbols: Sequence[sp.Basic], low: int = -3, high: int = 3
) -> dict[sp.Basic, sp.Rational]:
    """Random rationals ``p/q`` (``q <= 7``) in ``[low, high]`` for ``symbols``.

    Positive symbols get values in ``(0, high]``.

    >>> rational_point(random.Random(0), [sp.Symbol("s")])
    {s: 3/7}
    """
    point: dict[sp.Basic, sp.Rational] = {}
    for sym in symbols:
        lo = 0 if getattr(sym, "is_positive", False) else low
        while True:
            q = rng.randint(1, 7)
            value = sp.Rational(rng.randint(lo * q, high * q), q)
            if value != 0 or lo < 0:
                break
        point[sym] = value
    return point


def quadrature(expr: Any, values: Mapping[sp.Basic, Any], dps: int = 50) -> sp.Expr:
    """``expr`` at ``values`` with every ``Integral`` done by mpmath tanh-sinh at ``dps + 10``.

    >>> float(quadrature(sp.Integral(t**2, (t, 0, a)), {a: 3}))
    9.0
    """
    fixed = sp.sympify(expr).subs(values)
    numbers = {}
    with mpmath.workdps(dps + 10):
        for integral in fixed.atoms(sp.Integral):
            ((var, lower, upper),) = integral.limits
            integrand = sp.lambdify(var, integral.function, "mpmath")
            value = mpmath.quad(
                integrand, [mpmath.mpf(sp.Rational(lower)), mpmath.mpf(sp.Rational(upper))]
            )
            numbers[integral] = sp.Float(value, dps + 10)
    return fixed.xreplace(numbers)


def equal_after(
    description: str, lhs: Any, rhs: Any, rewrite: Callable[[Any], Any] = collapse
) -> Step:
    """Step ``lhs == rhs`` checked after an equivalence-preserving ``rewrite`` of both sides.

    The step records the original sides; the rewrite (by default :func:`collapse`: evaluate
    sums, linearity) is SymPy's own.
    """
    return rewritten(description, lhs, rhs, rewrite)


def apply_deltas(expr: sp.Expr) -> sp.Expr:
    """``KroneckerDelta(p, q) f(p) = KroneckerDelta(p, q) f(q)``, applied term by term.

    >>> l = sp.Symbol("l", integer=True)
    >>> apply_deltas(sp.KroneckerDelta(i, l) * (z[i] - z[l]))
    0
    """

    def one_term(term: sp.Expr) -> sp.Expr:
        deltas = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.KroneckerDelta)]
        if not deltas:
            return term
        first, second = deltas[0].args
        rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not deltas[0]])
        return deltas[0] * rest.subs(first, second)

    expanded = sp.expand(collapse(expr))
    return sp.cancel(sp.Add(*[one_term(term) for term in sp.Add.make_args(expanded)]))


def merge_integrals(expr: sp.Expr) -> sp.Expr:
    """Linearity of the integral: write ``expr`` as one integral over the common limits.

    Every term ``c * Integral(f, (t, lo, hi))`` becomes ``Integral(c f)``, and a term ``c``
    free of ``t`` becomes ``Integral(c / (hi - lo))``; the summed integrand is collapsed
    (:func:`collapse`) and cancelled.  Returns 0 when that integrand is 0, the merged integral
    otherwise, and ``expr`` unchanged when its integrals do not share their limits.

    >>> merge_integrals(sp.Integral(t, (t, a, b)) / (b - a) - sp.Integral(t / (b - a), (t, a, b)))
    0
    """
    terms = sp.Add.make_args(sp.expand(collapse(expr)))
    integrals = {term.atoms(sp.Integral).pop().limits for term in terms if term.has(sp.Integral)}
    if len(integrals) != 1:
        return expr
    (limits,) = integrals
    ((var, lower, upper),) = limits
    integrand = sp.Integer(0)
    for term in terms:
        found = term.atoms(sp.Integral)
        if not found:
            if term.has(var):
                return expr
            integrand += term / (upper - lower)
            continue
        (integral,) = found
        coefficient = term / integral
        if coefficient.has(var) or coefficient.has(sp.Integral):
            return expr
        integrand += coefficient * integral.function
    reduced = sp.cancel(collapse(sp.together(integrand)))
    return sp.Integer(0) if reduced == 0 else sp.Integral(reduced, limits[0])


def integral_nonnegative(description: str, integral: sp.Integral, **assumed: Any) -> Step:
    """Step ``integral >= 0`` by monotonicity of the integral (see
    :func:`symkde.theorems._core.integral_nonnegative`); ``assumed`` substitutes real symbols
    by name (e.g. ``b = a + w`` with ``w > 0``)."""
    subs = {sp.Symbol(k, real=True): v for k, v in assumed.items()}
    return _integral_nonnegative(description, integral, subs)


def _witness_values(rng: random.Random, count: int, extra: Sequence[sp.Basic] = ()) -> dict:
    logits = rational_point(rng, [z[m] for m in range(1, count + 1)])
    values = {K[m]: sp.Rational(rng.randint(1, 40), rng.randint(1, 9)) for m in range(1, count + 1)}
    return {**logits, **values, **rational_point(rng, extra)}
