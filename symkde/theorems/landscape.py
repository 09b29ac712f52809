"""The loss landscape: convex in the weights, not in the logits, no spurious stationary points.

Owns four theorems about the shape of ``L`` for general n and any positive kernel ``K``
(imports SymPy, the symbolic model, the checker's public steps from
:mod:`symkde.theorems._core`, the interchange lemma of :mod:`symkde.theorems.derivatives`, and
``symkde.reference`` for the one refutation).  Write ``L`` as a function of the mixture
weights ``q`` (positive, general n): ``F(q) = -(1/(b-a)) Integral(log sum_k q_k K(t - x_k))``,
so that ``L(z) = F(softmax(z))``:

* ``landscape_convex_weights`` -- ``F`` is convex: the density is linear in ``q`` and ``-log``
  is convex, so along every line ``q + theta v`` the second derivative at ``theta = 0`` is
  ``(1/(b-a)) Integral((sum v_k K_k)^2 / p^2) >= 0`` (positive semi-definite Hessian at every
  ``q`` of the open orthant, which is convex; differentiation under the integral: lemma
  L-interchange).
* ``landscape_tangent_inequality`` -- the first-order form, with the gradient in ``z``:
  for weights ``q``, ``r`` on the simplex, ``F(r) - F(q) >= sum_j (r_j/q_j - 1) g_j`` where
  ``g_j = q_j - q_j m_j`` and ``m_j = (1/(b-a)) Integral(K_j / p_q)``, so ``g_j = dL/dz_j``
  at ``softmax(z) = q``.  Hence **every stationary point in z (g = 0) is a global minimiser**
  of ``L`` (over all logits: every ``softmax(z')`` is such an ``r``).  Proved from the
  identity ``Y - 1 - log Y = Integral_0^oo (Y-1)^2 tau / ((1 + Y tau)(1 + tau)^2) dtau`` with
  ``Y = p_r/p_q``, whose integrand SymPy signs, so no lemma is needed.
* ``landscape_em_gradient`` -- ``dL/dz_i = S_i - EM(S)_i`` where ``EM(S)_i`` is the mean of
  ``R_i(t)`` over ``[a, b]``, which equals ``S_i m_i`` (the EM update of the mixture
  proportions, a map of the simplex to itself: ``sum_i EM(S)_i = 1``).
* ``landscape_convex_logits`` -- the claim "``L`` is convex in ``z``" is **refuted**: an exact
  counterexample (n = 2, Laplace, h = 1, target ``[0, 1]``, ``x = (-1, 3)``, logits
  ``(-6, 0)``, ``(-4, 0)`` and their midpoint), both sides re-computed at 50 digits by
  ``symkde.reference``.

Walk-through: ``derivations/landscape.py``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import mpmath
import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import (
    a,
    abstract_kernel,
    b,
    i,
    j,
    k,
    kernel_value,
    loss,
    n,
    pull_constants_out_of_sums,
    rename_summation_indices,
    responsibility,
    softmax,
    substitute_indexed,
    t,
    x,
    z,
)
from symkde.theorems._core import (
    Lemma,
    Parametrisation,
    Step,
    Theorem,
    by_lemma,
    evaluates,
    follows,
    holds_true,
    integral_nonnegative,
    refutation,
    rewritten,
)
from symkde.theorems.derivatives import derived_under_lemma, lemma_step

__all__ = [
    "THEOREMS",
    "em_update",
    "tangent_gap_integrand",
    "weights_loss",
]

REFERENCE = "derivations/landscape.py"

#: Mixture weights (points of the open orthant; the simplex when they sum to 1).
q = sp.IndexedBase("q", positive=True)
#: Another point of the simplex.
r = sp.IndexedBase("r", positive=True)
#: A direction in weight space.
v = sp.IndexedBase("v", real=True)
theta = sp.Symbol("theta", real=True)
#: ``b = a + w``: the hypothesis ``a < b`` as a substitution.
width = sp.Symbol("w", positive=True)
tau = sp.Symbol("tau", nonnegative=True)
_y = sp.Symbol("y", positive=True)

ORDERED = sp.Lt(a, b)
ON_SIMPLEX_Q = sp.Eq(sp.Sum(q[j], (j, 1, n)), 1)
ON_SIMPLEX_R = sp.Eq(sp.Sum(r[j], (j, 1, n)), 1)
WIDTH = Parametrisation(ORDERED, b, a + width, width, b - a)


def _kernel(index: sp.Expr) -> sp.Expr:
    return kernel_value(abstract_kernel, index)


def density(weights: sp.IndexedBase) -> sp.Expr:
    """``sum_k weights_k K(t - x_k)``."""
    return sp.Sum(weights[k] * _kernel(k), (k, 1, n))


def weights_loss(weights: Any) -> sp.Expr:
    """``F(w) = -(1/(b-a)) Integral(log sum_k w_k K(t - x_k), (t, a, b))``; ``weights`` is an
    ``IndexedBase`` or a function of the index.

    >>> weights_loss(q).args[-1]
    Integral(log(Sum(K(t - x[k])*q[k], (k, 1, n))), (t, a, b))
    """
    value = weights if callable(weights) else (lambda m: weights[m])
    mix = sp.Sum(value(k) * _kernel(k), (k, 1, n))
    return -sp.Integral(sp.log(mix), (t, a, b)) / (b - a)


def mean_ratio(index: sp.Expr, weights: sp.IndexedBase = q) -> sp.Expr:
    """``m_index = (1/(b-a)) Integral(K(t - x_index) / p_weights(t))``."""
    return sp.Integral(_kernel(index) / density(weights), (t, a, b)) / (b - a)


def em_update(index: sp.Expr = i) -> sp.Expr:
    """``EM(S)_index``: the mean of the responsibility ``R_index(t)`` over ``[a, b]``."""
    return sp.Integral(responsibility(index, abstract_kernel), (t, a, b)) / (b - a)


# --------------------------------------------------------------------------- convex in q

_HESSIAN_FORM = sp.Integral(
    sp.Sum(v[k] * _kernel(k), (k, 1, n)) ** 2 / density(q) ** 2, (t, a, b)
) / (b - a)
_CONVEX_EQ = sp.Eq(
    sp.Subs(sp.Derivative(weights_loss(lambda m: q[m] + theta * v[m]), (theta, 2)), theta, 0),
    _HESSIAN_FORM,
)
CONVEX_WEIGHTS = sp.And(_CONVEX_EQ, sp.Ge(_HESSIAN_FORM, 0))


def _prove_convex_weights() -> Iterator[Step]:
    claim = _CONVEX_EQ
    lemma = lemma_step()
    yield lemma
    inner = evaluates(
        "SymPy differentiates F(q + theta v) twice under the integral, at theta = 0",
        claim.lhs,
        claim.rhs,
        lambda e: sp.cancel(e.doit() - claim.rhs) + claim.rhs,
    )
    yield inner
    yield follows("this differentiation rests on lemma L-interchange", claim, [lemma, inner])
    # the integrand is a square over a square of a positive density: SymPy signs it
    parametrised = WIDTH.apply(sp.Ge(_HESSIAN_FORM * (b - a), 0))
    sign = integral_nonnegative("(sum v_k K_k)^2 / p^2 >= 0 on [a, a + w]", parametrised.lhs, {})
    yield sign
    scaled = follows(
        "divided by w = b - a > 0",
        WIDTH.apply(sp.Ge(_HESSIAN_FORM, 0)),
        [sign],
        multipliers=[1 / width],
    )
    yield scaled
    yield WIDTH.lift(scaled, sp.Ge(_HESSIAN_FORM, 0))


# --------------------------------------------------------------------------- tangent inequality

#: ``Y = p_r / p_q`` (both densities positive).
_RATIO = density(r) / density(q)


def tangent_gap_integrand(ratio: sp.Expr = _RATIO) -> sp.Expr:
    """``(Y - 1)^2 tau / ((1 + Y tau)(1 + tau)^2)``, whose tau-integral is ``Y - 1 - log Y``."""
    return (ratio - 1) ** 2 * tau / ((1 + ratio * tau) * (1 + tau) ** 2)


def _tau_integral(e: sp.Integral) -> sp.Expr:
    """Evaluate an integral over ``tau`` in ``[0, oo)`` of :func:`tangent_gap_integrand`: for a
    positive symbol ``y`` SymPy integrates the partial fractions and takes the limit; the
    result, valid for every ``y > 0``, is then read at ``y = Y``."""
    ratio = _RATIO if e.has(_RATIO) else _y
    generic = tangent_gap_integrand(_y)
    pieces = sp.Add.make_args(sp.apart(generic, tau))
    antiderivative = sp.Add(*[sp.integrate(piece, tau) for piece in pieces])
    value = sp.limit(antiderivative, tau, sp.oo) - antiderivative.subs(tau, 0)
    return sp.expand(value).subs(_y, ratio)


def _evaluate_inner(e: sp.Expr) -> sp.Expr:
    return e.replace(
        lambda s: isinstance(s, sp.Integral) and s.limits[0][0] == tau,
        lambda s: sp.Integral(_tau_integral(sp.Integral(s.function, s.limits[0])), *s.limits[1:]),
    )


G_J = q[j] - q[j] * mean_ratio(j)
TANGENT = sp.Ge(weights_loss(r) - weights_loss(q), sp.Sum((r[j] / q[j] - 1) * G_J, (j, 1, n)))


def _linear(expr: sp.Expr) -> sp.Expr:
    """Linearity, SymPy's own rewrites: sums of integrals over ``t`` become one integral (a
    finite sum moves under the integral), terms free of ``t`` become ``Integral(c/(hi-lo))``,
    logarithms of positive quotients are expanded, summation indices renamed, cancelled."""
    expanded = sp.expand(expr)
    expanded = _split_sums(expanded)
    expanded = expanded.replace(lambda s: isinstance(s, sp.Sum), _pull_integral)
    limits = {g.limits for g in expanded.atoms(sp.Integral) if g.limits[0][0] == t}
    if len(limits) != 1:
        return expanded
    ((_var, lower, upper),) = limits.pop()
    integrand = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(expanded)):
        found = [g for g in term.atoms(sp.Integral) if g.limits[0][0] == t]
        if not found:
            integrand += term / (upper - lower)
            continue
        (integral,) = found
        integrand += (term / integral) * integral.function
    integrand = pull_constants_out_of_sums(_split_sums(sp.expand(sp.expand_log(integrand))))
    integrand = rename_summation_indices(integrand, k)
    return sp.cancel(sp.together(integrand))


def _split_sums(expr: sp.Expr) -> sp.Expr:
    """``Sum(f + g) = Sum(f) + Sum(g)`` (linearity of a finite sum)."""
    return expr.replace(
        lambda s: isinstance(s, sp.Sum),
        lambda s: sp.Add(
            *[sp.Sum(term, *s.limits) for term in sp.Add.make_args(sp.expand(s.function))]
        ),
    )


def _pull_integral(s: sp.Sum) -> sp.Expr:
    """``Sum_j c_j Integral(f_j dt)`` -> ``Integral(Sum_j c_j f_j dt)`` (a finite sum)."""
    found = [g for g in s.function.atoms(sp.Integral) if g.limits[0][0] == t]
    if len(found) != 1:
        return s
    (integral,) = found
    coefficient = s.function / integral
    if coefficient.has(t):
        return s
    return sp.Integral(sp.Sum(coefficient * integral.function, *s.limits), *integral.limits)


_F2 = sp.Function("F")
#: Tonelli: a nonnegative integrand may be integrated in either order.
TONELLI = Lemma(
    name="L-tonelli",
    statement=sp.Eq(
        sp.Integral(_F2(t, tau), (t, a, b), (tau, 0, sp.oo)),
        sp.Integral(_F2(t, tau), (tau, 0, sp.oo), (t, a, b)),
    ),
    citation="Tonelli's theorem, Folland, Real Analysis (2nd ed.), Thm 2.37: for a "
    "nonnegative measurable F on [a, b] x [0, oo) the iterated integrals agree. Here F = "
    "(Y-1)^2 tau / ((1 + Y tau)(1 + tau)^2) >= 0 is continuous (SymPy signs it in the proof)",
    witness={_F2: sp.Lambda((t, tau), (1 + t * tau) * sp.exp(-tau)), a: 0, b: 1},
    why="SymPy has no Fubini/Tonelli rule; and its monotonicity rule for integrals needs a "
    "finite range (oo is extended-positive, not positive), so the tau-integral is signed "
    "with t as the first variable and the order is then exchanged",
)


def _prove_tangent() -> Iterator[Step]:
    gap = TANGENT.lhs - TANGENT.rhs
    wide = WIDTH.apply(gap)
    yield holds_true("Y = p_r / p_q > 0", sp.Gt(_RATIO, 0, evaluate=False))
    swapped = sp.Integral(tangent_gap_integrand(), (t, a, a + width), (tau, 0, sp.oo))
    double = sp.Integral(tangent_gap_integrand(), (tau, 0, sp.oo), (t, a, a + width))
    single = sp.Integral(_RATIO - 1 - sp.log(_RATIO), (t, a, a + width))
    positive = integral_nonnegative(
        "the integrand (Y-1)^2 tau / ((1 + Y tau)(1 + tau)^2) >= 0 (tau >= 0, Y > 0)", swapped
    )
    yield positive
    order = by_lemma(
        TONELLI,
        {_F2(t, tau): tangent_gap_integrand(), b: a + width},
        "Tonelli: integrate over tau first",
    )
    yield order
    evaluated = evaluates(
        "SymPy integrates over tau: Y - 1 - log Y (partial fractions, limit tau -> oo)",
        double,
        single,
        _evaluate_inner,
    )
    yield evaluated
    sum_q, sum_r = ON_SIMPLEX_Q.lhs, ON_SIMPLEX_R.lhs
    identity = rewritten(
        "linearity: F(r) - F(q) - sum_j (r_j/q_j - 1) g_j = (1/w) Integral(Y - 1 - log Y) "
        "+ sum q - sum r  (sum_j q_j K_j / p_q = 1)",
        wide,
        single / width + sum_q - sum_r,
        _linear,
    )
    yield identity
    closed = follows(
        "the integral is >= 0 and both weight vectors sum to 1",
        sp.Ge(wide, 0),
        [identity, evaluated, order, positive, ON_SIMPLEX_Q, ON_SIMPLEX_R],
        multipliers=[1, -1 / width, -1 / width, 1 / width, 1, -1],
    )
    yield closed
    lifted = WIDTH.lift(closed, sp.Ge(gap, 0))
    yield lifted
    yield follows("the tangent inequality", TANGENT, [lifted])


# --------------------------------------------------------------------------- EM form of g

_R_I = responsibility(i, abstract_kernel)
_P = sp.Sum(softmax(k) * _kernel(k), (k, 1, n))
_EM_GRADIENT = sp.Eq(sp.Derivative(loss(), z[i]), softmax(i) - em_update(i))
_EM_PRODUCT = sp.Eq(em_update(i), softmax(i) * sp.Integral(_kernel(i) / _P, (t, a, b)) / (b - a))
_EM_SIMPLEX = sp.Eq(sp.Sum(em_update(i), (i, 1, n)), 1)
EM_GRADIENT = sp.And(_EM_GRADIENT, _EM_PRODUCT, _EM_SIMPLEX)


def _factor_out_of_integrals(expr: sp.Expr) -> sp.Expr:
    """Linearity: ``Integral(c f dt) = c Integral(f dt)`` for ``c`` free of ``t``."""

    def pull(g: sp.Integral) -> sp.Expr:
        constant, rest = g.function.as_independent(t, as_Add=False)
        tidy = rename_summation_indices(sp.cancel(pull_constants_out_of_sums(rest)), k)
        return constant * sp.Integral(tidy, *g.limits)

    return rename_summation_indices(
        sp.sympify(expr).replace(lambda e: isinstance(e, sp.Integral), pull), k
    )


def _sum_of_responsibilities(expr: sp.Expr) -> sp.Expr:
    """A finite sum moves under the integral; ``sum_i S_i K_i / p = 1`` by cancelling."""
    moved = sp.sympify(expr).replace(lambda e: isinstance(e, sp.Sum), _pull_integral)
    moved = moved.replace(
        lambda e: isinstance(e, sp.Integral),
        lambda g: sp.Integral(
            sp.cancel(rename_summation_indices(pull_constants_out_of_sums(g.function), k)),
            *g.limits,
        ),
    )
    return sp.cancel(moved.doit())


def _prove_em_gradient() -> Iterator[Step]:
    yield from derived_under_lemma(
        "SymPy differentiates L in z_i under the integral: S_i - mean of R_i",
        _EM_GRADIENT,
        lambda e: e.doit(deep=False),
    )
    yield rewritten(
        "EM(S)_i = S_i m_i: S_i is free of t (linearity)",
        _EM_PRODUCT.lhs,
        _EM_PRODUCT.rhs,
        _factor_out_of_integrals,
    )
    yield rewritten(
        "sum_i EM(S)_i = mean of sum_i R_i = 1 (a finite sum moves under the integral)",
        _EM_SIMPLEX.lhs,
        _EM_SIMPLEX.rhs,
        _sum_of_responsibilities,
    )


# --------------------------------------------------------------------------- not convex in z

#: A second logit vector.
y = sp.IndexedBase("y", real=True)
_L_Z = loss()
_L_Y = substitute_indexed(loss(), z, lambda m: y[m])
_L_MID = substitute_indexed(loss(), z, lambda m: (z[m] + y[m]) / 2)
CONVEX_LOGITS = sp.Le(_L_MID, (_L_Z + _L_Y) / 2)
#: The exact counterexample: n = 2, K = Laplace with h = 1, [a, b] = [0, 1], x = (-1, 3),
#: logits (-8, 0) and (-2, 0), midpoint (-5, 0).
NONCONVEX_AT: dict[Any, Any] = {
    n: 2, a: 0, b: 1, x[1]: -1, x[2]: 3, z[1]: -8, z[2]: 0, y[1]: -2, y[2]: 0,
    abstract_kernel.func: sp.Lambda(u, KERNELS["laplace"].density.subs(h, 1)),
}  # fmt: skip


def _numeric_side(side: sp.Expr, values: Mapping[Any, Any]) -> sp.Expr:
    """A side at ``values``: sums expanded, the kernel substituted, every integral by mpmath
    tanh-sinh at 60 digits (no kink: every x_j lies outside [a, b])."""
    count = int(values[n])
    expr = sp.sympify(side).subs(n, count)
    expr = expr.replace(lambda e: isinstance(e, sp.Sum), lambda e: e.doit())
    plain_values = {s: val for s, val in values.items() if not isinstance(s, sp.FunctionClass)}
    kernel = values[abstract_kernel.func]
    expr = expr.replace(abstract_kernel.func, lambda arg: kernel(arg)).subs(plain_values)
    numbers = {}
    with mpmath.workdps(60):
        for integral in expr.atoms(sp.Integral):
            ((var, lower, upper),) = integral.limits
            integrand = sp.lambdify(var, integral.function, "mpmath")
            value = mpmath.quad(integrand, [mpmath.mpf(lower), mpmath.mpf(upper)])
            numbers[integral] = sp.Float(value, 60)
    return expr.xreplace(numbers)


def _reference_sides(values: Mapping[Any, Any]) -> tuple[Any, Any]:
    """Both sides by ``symkde.reference.loss`` (exact Laplace, 50 digits)."""
    from symkde import reference

    def at(logits: list[int]) -> Any:
        return reference.loss(
            logits, [int(values[x[1]]), int(values[x[2]])], int(values[a]), int(values[b]),
            kernel="laplace", bandwidth=1, dps=50,
        )  # fmt: skip

    mid = [int((values[z[m]] + values[y[m]]) / 2) for m in (1, 2)]
    first = [int(values[z[m]]) for m in (1, 2)]
    second = [int(values[y[m]]) for m in (1, 2)]
    with mpmath.workdps(60):
        return at(mid), (at(first) + at(second)) / 2


def _prove_convex_logits() -> Iterator[Step]:
    yield refutation(
        "n = 2, Laplace h = 1, [0, 1], x = (-1, 3): L at the midpoint of z = (-8, 0) and "
        "(-2, 0) exceeds the mean of the two values",
        CONVEX_LOGITS,
        NONCONVEX_AT,
        _reference_sides,
        evaluate=_numeric_side,
        stored=(
            sp.Float("3.17863548431841246377955355234456005019408179", 50),
            sp.Float("3.08337980626167217008560691307619209471054176", 50),
        ),
    )


THEOREMS: list[Theorem] = [
    Theorem(
        name="landscape_convex_weights",
        title="L is convex in the weights S (general n, any positive kernel)",
        statement=CONVEX_WEIGHTS,
        hypotheses=(ORDERED,),
        prover=_prove_convex_weights,
        explanation="p is linear in the weights and -log is convex: the second derivative "
        "of F along every line q + theta v is the mean of (sum v_k K_k)^2/p^2 >= 0.",
        reference=REFERENCE,
    ),
    Theorem(
        name="landscape_tangent_inequality",
        title="F(r) - F(q) >= sum_j (r_j/q_j - 1) g_j: stationary points are global minima",
        statement=TANGENT,
        hypotheses=(ORDERED, ON_SIMPLEX_Q, ON_SIMPLEX_R),
        prover=_prove_tangent,
        explanation="With g_j = dL/dz_j at softmax(z) = q, a stationary point (g = 0) has "
        "L(z') >= L(z) for every z'.",
        reference=REFERENCE,
    ),
    Theorem(
        name="landscape_em_gradient",
        title="dL/dz_i = S_i - EM(S)_i, EM(S)_i = mean of R_i = S_i m_i (general n)",
        statement=EM_GRADIENT,
        hypotheses=(sp.Le(i, n),),
        prover=_prove_em_gradient,
        explanation="The gradient is the gap between the weights and one EM update of the "
        "mixture proportions; the EM map sends the simplex to itself.",
        reference=REFERENCE,
    ),
    Theorem(
        name="landscape_convex_logits",
        title="claim: L is convex in z (refuted: exact counterexample, n = 2)",
        statement=CONVEX_LOGITS,
        hypotheses=(ORDERED,),
        prover=_prove_convex_logits,
        expected=False,
        explanation="L is bounded and not constant along z_1 - z_2, so it cannot be convex; "
        "the counterexample is re-computed by symkde.reference.",
        reference=REFERENCE,
    ),
]
