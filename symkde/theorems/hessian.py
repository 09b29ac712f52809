"""The Hessian in the logits, and its spectrum in [-1/2, 1/2] (general n, any positive kernel).

Owns three theorems (imports SymPy, the symbolic model, the checker's public steps from
:mod:`symkde.theorems._core` and the interchange lemma of :mod:`symkde.theorems.derivatives`).
For a direction ``v`` and the line ``z + theta v``:

* ``hessian_logits`` -- ``d^2/dtheta^2 L(z + theta v)`` at ``theta = 0`` equals
  ``Var_S(v) - (1/(b-a)) Integral(Var_R(t)(v))`` where ``Var_w(v) = sum_j w_j v_j^2 -
  (sum_j w_j v_j)^2 = v^T (diag(w) - w w^T) v``: the Hessian is ``Cov_S - mean_t Cov_R(t)``
  with ``Cov_w = diag(w) - w w^T`` (a quadratic form determines the symmetric matrix).
* ``covariance_half_bound`` -- for every point ``S = softmax(z)`` of the open simplex and
  real ``v``, ``0 <= Var_S(v) <= |v|^2 / 2``: the lower bound is ``sum_j S_j (v_j - mu)^2``;
  the upper one the certificate ``|v|^2/2 - Var_S(v) = sum_j 2 (S_j - 1/2)^2 v_j^2 + (1/2)
  sum_{j,l} S_j S_l (1 - delta_jl)^2 (v_j + v_l)^2``, both identities checked by SymPy.
* ``hessian_spectrum`` -- ``-|v|^2/2 <= d^2/dtheta^2 L(z + theta v) <= |v|^2/2`` for every
  ``v``: the same certificates for ``S`` and, at every ``t``, for ``R(t)`` (whose sums are 1
  identically), then the mean over ``[a, b]`` (monotonicity of the integral).  So every
  eigenvalue of the Hessian lies in ``[-1/2, 1/2]`` and the gradient ``g(z)`` is
  1/2-Lipschitz in the Euclidean norm: ``L(z - eta g) <= L(z) - eta (1 - eta/4) |g|^2``,
  so every step ``0 < eta < 4`` decreases ``L`` (the descent lemma, a standard consequence
  not proved here).

Differentiation under the integral rests on lemma L-interchange.  Walk-through:
``derivations/landscape.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy as sp

from symkde.symbolic.model import (
    a,
    abstract_kernel,
    b,
    j,
    kernel_value,
    loss,
    n,
    pull_constants_out_of_sums,
    rename_summation_indices,
    substitute_indexed,
    t,
    z,
)
from symkde.theorems._core import (
    Parametrisation,
    Step,
    Theorem,
    follows,
    integral_nonnegative,
    nonnegative,
    rewritten,
)
from symkde.theorems.derivatives import derived_under_lemma

__all__ = ["THEOREMS", "certificates", "variance"]

REFERENCE = "derivations/landscape.py"

v = sp.IndexedBase("v", real=True)
theta = sp.Symbol("theta", real=True)
#: Second index of the double sums, and the normaliser's index.
l = sp.Symbol("l", integer=True, positive=True)  # noqa: E741
p = sp.Symbol("p", integer=True, positive=True)
width = sp.Symbol("w_ab", positive=True)
ORDERED = sp.Lt(a, b)
WIDTH = Parametrisation(ORDERED, b, a + width, width, b - a)
HALF_NORM = sp.Sum(v[j] ** 2, (j, 1, n)) / 2

Weight = Callable[[sp.Expr], sp.Expr]


def softmax_weight(m: sp.Expr) -> sp.Expr:
    """``S_m = e^{z_m} / sum_p e^{z_p}``."""
    return sp.exp(z[m]) / sp.Sum(sp.exp(z[p]), (p, 1, n))


def responsibility_weight(m: sp.Expr) -> sp.Expr:
    """``R_m(t) = S_m K(t - x_m) / sum_p S_p K(t - x_p)``."""
    mix = sp.Sum(sp.exp(z[p]) * kernel_value(abstract_kernel, p), (p, 1, n))
    return sp.exp(z[m]) * kernel_value(abstract_kernel, m) / mix


def variance(weight: Weight) -> sp.Expr:
    """``Var_w(v) = sum_j w_j v_j^2 - (sum_j w_j v_j)^2``."""
    return sp.Sum(weight(j) * v[j] ** 2, (j, 1, n)) - sp.Sum(weight(j) * v[j], (j, 1, n)) ** 2


def certificates(weight: Weight) -> tuple[sp.Expr, sp.Expr]:
    """``(lower, upper)``: ``Var = lower`` and ``|v|^2/2 - Var = upper`` when the weights sum
    to 1; each a sum SymPy signs (positive weights times squares)."""
    mean = sp.Sum(weight(l) * v[l], (l, 1, n))
    lower = sp.Sum(weight(j) * (v[j] - mean) ** 2, (j, 1, n))
    delta = sp.KroneckerDelta(j, l)
    upper = (
        sp.Sum(2 * (weight(j) - sp.Rational(1, 2)) ** 2 * v[j] ** 2, (j, 1, n))
        + sp.Sum(
            sp.Sum(weight(j) * weight(l) * (1 - delta) ** 2 * (v[j] + v[l]) ** 2, (l, 1, n)),
            (j, 1, n),
        )
        / 2
    )
    return lower, upper


# --------------------------------------------------------------------------- finite-sum algebra


def _split(expr: sp.Expr) -> sp.Expr:
    """``Sum(f + g) = Sum(f) + Sum(g)`` for single sums (linearity)."""
    return expr.replace(
        lambda s: isinstance(s, sp.Sum) and len(s.limits) == 1,
        lambda s: sp.Add(*[sp.Sum(u, *s.limits) for u in sp.Add.make_args(sp.expand(s.function))]),
    )


def _separate(s: sp.Sum) -> sp.Expr:
    """``Sum_{j,l} A(j) B(l) = (Sum_j A)(Sum_l B)`` (a finite double sum of products)."""
    if len(s.limits) != 2:
        return s
    (inner, lo1, hi1), (outer, lo2, hi2) = s.limits
    total = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(s.function)):
        left, right, rest = sp.Integer(1), sp.Integer(1), sp.Integer(1)
        for factor in sp.Mul.make_args(term):
            has_inner, has_outer = factor.has(inner), factor.has(outer)
            if has_inner and has_outer:
                return s
            if has_inner:
                right *= factor
            elif has_outer:
                left *= factor
            else:
                rest *= factor
        total += rest * sp.Sum(left, (outer, lo2, hi2)) * sp.Sum(right, (inner, lo1, hi1))
    return total


def finite_sums(expr: sp.Expr) -> sp.Expr:
    """SymPy's own rewrites of finite sums: linearity, the Kronecker delta summed (``j`` is
    in ``1..n`` inside the sum over ``j``), constants pulled out, double sums of products
    separated, summation indices renamed, cancelled."""
    e = sp.expand(expr)
    for _ in range(2):
        e = _split(e)
        e = e.replace(
            lambda s: isinstance(s, sp.Sum) and s.function.has(sp.KroneckerDelta),
            lambda s: sp.refine(s.doit(), sp.Q.le(j, n) & sp.Q.ge(j, 1)),
        )
        e = sp.expand(e)
    e = pull_constants_out_of_sums(_split(e))
    e = pull_constants_out_of_sums(_split(e))
    e = e.replace(lambda s: isinstance(s, sp.Sum) and len(s.limits) == 2, _separate)
    e = pull_constants_out_of_sums(_split(sp.expand(e)))
    e = rename_summation_indices(e, j)
    return sp.cancel(sp.expand(e))


# --------------------------------------------------------------------------- the Hessian

_LINE = substitute_indexed(loss(), z, lambda m: z[m] + theta * v[m])
HESSIAN_FORM = sp.Subs(sp.Derivative(_LINE, (theta, 2)), theta, 0)
_MEAN_VAR_R = sp.Integral(variance(responsibility_weight), (t, a, b)) / (b - a)
HESSIAN = sp.Eq(HESSIAN_FORM, variance(softmax_weight) - _MEAN_VAR_R)


def _hessian_steps(claim: sp.Equality = HESSIAN) -> list[Step]:
    def derive(e: sp.Expr) -> sp.Expr:
        # Subs(Derivative(L, (theta, 2)), theta, 0): SymPy's diff (Leibniz under the
        # integral), then theta = 0; no doit (it would try to evaluate the sums: slow)
        (derivative, (variable,), (value,)) = e.args
        done = derivative.expr.diff(*derivative.variable_count).subs(variable, value)
        return done.replace(
            lambda g: isinstance(g, sp.Integral),
            lambda g: sp.Integral(finite_sums(g.function), *g.limits),
        )

    return derived_under_lemma(
        "SymPy differentiates L(z + theta v) twice under the integral, at theta = 0",
        claim,
        derive,
        free_index=False,
    )


def _prove_hessian() -> Iterator[Step]:
    yield from _hessian_steps()


# --------------------------------------------------------------------------- covariance bound

_VAR_S = variance(softmax_weight)
COVARIANCE = sp.And(sp.Ge(_VAR_S, 0), sp.Le(_VAR_S, HALF_NORM))


def _prove_covariance() -> Iterator[Step]:
    lower, upper = certificates(softmax_weight)
    first = rewritten("Var_S(v) = sum_j S_j (v_j - mu)^2", _VAR_S, lower, finite_sums)
    second = rewritten(
        "|v|^2/2 - Var_S(v) = sum_j 2 (S_j - 1/2)^2 v_j^2 + (1/2) sum_{j != l} S_j S_l "
        "(v_j + v_l)^2",
        HALF_NORM - _VAR_S,
        upper,
        finite_sums,
    )
    yield from (first, second)
    yield follows("Var_S(v) >= 0: a sum of positive weights times squares", sp.Ge(_VAR_S, 0),
                  [first])  # fmt: skip
    yield follows("Var_S(v) <= |v|^2 / 2: the certificate is a sum of positive terms",
                  sp.Le(_VAR_S, HALF_NORM), [second])  # fmt: skip


# --------------------------------------------------------------------------- the spectrum

SPECTRUM = sp.And(sp.Le(HESSIAN_FORM, HALF_NORM), sp.Ge(HESSIAN_FORM, -HALF_NORM))


def _prove_spectrum() -> Iterator[Step]:
    hessian = _hessian_steps(sp.Eq(WIDTH.apply(HESSIAN.lhs), WIDTH.apply(HESSIAN.rhs)))
    yield from hessian
    identity_w = hessian[-1]
    s_low, s_up = certificates(softmax_weight)
    r_low, r_up = certificates(responsibility_weight)
    var_s, var_r = variance(softmax_weight), variance(responsibility_weight)
    eq_s_low = rewritten("Var_S(v) = sum_j S_j (v_j - mu)^2", var_s, s_low, finite_sums)
    eq_s_up = rewritten(
        "|v|^2/2 - Var_S(v) = its certificate", HALF_NORM - var_s, s_up, finite_sums
    )
    sign_s_low = nonnegative("Var_S certificate >= 0", s_low, s_low)
    sign_s_up = nonnegative("|v|^2/2 - Var_S certificate >= 0", s_up, s_up)
    yield from (eq_s_low, eq_s_up, sign_s_low, sign_s_up)
    # at every t, for the responsibilities (their sum is 1 identically), then the mean
    span = (t, a, a + width)
    mean_r = sp.Integral(var_r, span)
    eq_r_low = rewritten(
        "Integral(Var_R) = Integral(sum_j R_j (v_j - mu_R)^2) (the integrands agree)",
        mean_r / width,
        sp.Integral(r_low, span) / width,
        _integrands,
    )
    eq_r_up = rewritten(
        "Integral(|v|^2/2 - Var_R) = Integral(its certificate) (the integrands agree)",
        HALF_NORM - mean_r / width,
        sp.Integral(r_up, span) / width,
        _integrands,
    )
    sign_r_low = integral_nonnegative(
        "mean of the Var_R certificate >= 0", sp.Integral(r_low, span)
    )
    sign_r_up = integral_nonnegative("mean of the upper certificate >= 0", sp.Integral(r_up, span))
    yield from (eq_r_low, eq_r_up, sign_r_low, sign_r_up)
    form = WIDTH.apply(HESSIAN_FORM)
    # H = Var_S - (1/w) Integral(Var_R): upper bound |v|^2/2, lower bound -|v|^2/2
    upper = follows(
        "H <= Var_S <= |v|^2/2 (the mean of Var_R is >= 0)",
        sp.Le(form, HALF_NORM),
        [identity_w, eq_s_up, eq_r_low, sign_r_low],
        multipliers=[-1, 1, 1, 1 / width],
    )
    lower = follows(
        "H >= -mean Var_R >= -|v|^2/2 (Var_S >= 0)",
        sp.Ge(form, -HALF_NORM),
        [identity_w, eq_s_low, eq_r_up, sign_r_up],
        multipliers=[1, 1, 1, 1 / width],
    )
    yield from (upper, lower)
    yield WIDTH.lift(upper, sp.Le(HESSIAN_FORM, HALF_NORM))
    yield WIDTH.lift(lower, sp.Ge(HESSIAN_FORM, -HALF_NORM))


def _integrands(expr: sp.Expr) -> sp.Expr:
    """Linearity over ``t``: every integral over the same range merged into one, terms free
    of ``t`` as ``Integral(c / (hi - lo))``; then :func:`finite_sums` on the integrand."""
    terms = sp.Add.make_args(sp.expand(expr))
    ranges = {g.limits for g in sp.sympify(expr).atoms(sp.Integral)}
    if len(ranges) != 1:
        return expr
    ((_var, lo, hi),) = ranges.pop()
    integrand = sp.Integer(0)
    for term in terms:
        found = term.atoms(sp.Integral)
        if not found:
            integrand += term / (hi - lo)
            continue
        (integral,) = found
        integrand += (term / integral) * integral.function
    return finite_sums(integrand)


THEOREMS: list[Theorem] = [
    Theorem(
        name="hessian_logits",
        title="Hessian in z: Cov_S - mean_t Cov_R(t) (general n, any positive kernel)",
        statement=HESSIAN,
        hypotheses=(),
        prover=_prove_hessian,
        explanation="The second derivative of L along any direction v is the variance of v "
        "under S minus the mean over the target of its variance under R(t).",
        reference=REFERENCE,
    ),
    Theorem(
        name="covariance_half_bound",
        title="0 <= v^T (diag(S) - S S^T) v <= |v|^2/2 for every S = softmax(z) (general n)",
        statement=COVARIANCE,
        hypotheses=(),
        prover=_prove_covariance,
        explanation="A covariance matrix of a categorical distribution has its spectrum in "
        "[0, 1/2].",
        reference=REFERENCE,
    ),
    Theorem(
        name="hessian_spectrum",
        title="the Hessian's spectrum lies in [-1/2, 1/2]: g is 1/2-Lipschitz (general n)",
        statement=SPECTRUM,
        hypotheses=(ORDERED,),
        prover=_prove_spectrum,
        explanation="|v^T H v| <= |v|^2/2 for every v, so every eigenvalue of the Hessian is "
        "in [-1/2, 1/2] and the gradient is 1/2-Lipschitz: a step size that needs no "
        "knowledge of the kernel, the bandwidth or the points.",
        reference=REFERENCE,
    ),
]
