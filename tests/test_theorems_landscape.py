"""The stronger theorems of issue 13 (landscape, Hessian, characterization, general far field):
each is proved for general n, each wrong variant (wrong constant, sign, limit, missing
hypothesis, tampered counterexample) is rejected, and the Hessian agrees with finite
differences of the independent ``symkde.reference`` gradient."""

from __future__ import annotations

import dataclasses
from functools import cache

import mpmath
import pytest
import sympy as sp

from symkde import reference
from symkde.symbolic.model import a, b, i, n
from symkde.theorems import characterization as C
from symkde.theorems import far_field_general as F
from symkde.theorems import hessian as H
from symkde.theorems import landscape as L
from symkde.theorems._core import Theorem, refutation

NEW = {t.name: t for m in (L, H, C, F) for t in m.THEOREMS}


@cache
def _verdict(name: str) -> bool:
    theorem = NEW[name]
    return theorem.verdict_ok(theorem.prove())


@pytest.mark.parametrize("name", sorted(NEW))
def test_proved_or_refuted_as_expected(name: str) -> None:
    assert _verdict(name)


def test_every_new_theorem_is_registered() -> None:
    from symkde import theorems

    assert set(NEW) <= set(theorems.names())


def _wrong(theorem: Theorem, **changes: object) -> bool:
    """Whether the theorem with ``changes`` still comes out as expected (it must not)."""
    altered = dataclasses.replace(theorem, **changes)
    return altered.verdict_ok(altered.prove())


def _theorem(name: str) -> Theorem:
    return NEW[name]


# --------------------------------------------------------------------------- wrong statements

_HALF = H.HALF_NORM
_FORM = H.HESSIAN_FORM
WRONG_STATEMENTS = {
    "landscape_tangent_inequality": sp.Ge(L.TANGENT.lhs, -L.TANGENT.rhs),
    "landscape_convex_weights": sp.Ge(-L._HESSIAN_FORM, 0),
    "landscape_em_gradient": sp.Eq(L._EM_GRADIENT.lhs, L._EM_GRADIENT.rhs + 2 * L.em_update(i)),
    "hessian_logits": sp.Eq(_FORM, H.variance(H.softmax_weight) + H._MEAN_VAR_R),
    "hessian_spectrum": sp.And(sp.Le(_FORM, _HALF / 2), sp.Ge(_FORM, -_HALF / 2)),
    "covariance_half_bound": sp.Le(H.variance(H.softmax_weight), _HALF / 2),
    "exponential_kernels_invariant": sp.Eq(
        C.functional_gap(lambda w: sp.exp(-(w**2)), (C.d + C.e1, C.d + C.e2), (C.e1, C.e2)), 0
    ),
    "exponential_kernels_normalisable": sp.Eq(C._TAIL, 2 * C.amp_plus / C.rate),
    "far_field_general": sp.Eq(
        F.far_gradient_of_ratios(lambda m: sp.exp(F.rate * F.offsets[m])),
        F.LAPLACE_LIMIT.rhs,
    ),
}


@pytest.mark.parametrize("name", sorted(WRONG_STATEMENTS))
def test_wrong_statement_is_rejected(name: str) -> None:
    assert not _wrong(_theorem(name), statement=WRONG_STATEMENTS[name])


def test_far_field_wrong_limits_are_rejected() -> None:
    theorem = _theorem("far_field_general")
    flat = sp.Eq(F.far_gradient_of_ratios(lambda m: sp.Integer(1)), sp.Symbol("S_i"))
    one_hot = sp.Eq(F.ONE_HOT_LIMIT.lhs, F.ONE_HOT_LIMIT.rhs + sp.KroneckerDelta(i, 1) / 2)
    for statement in (flat, one_hot):
        assert not _wrong(theorem, statement=statement)


# --------------------------------------------------------------------------- hypotheses


def test_tangent_inequality_needs_both_points_on_the_simplex() -> None:
    theorem = _theorem("landscape_tangent_inequality")
    for dropped in (L.ON_SIMPLEX_Q, L.ON_SIMPLEX_R, L.ORDERED):
        kept = tuple(hyp for hyp in theorem.hypotheses if hyp is not dropped)
        assert not _wrong(theorem, hypotheses=kept)
    # and the claim is false without them: n = 1, q = 1, r = 2 (r off the simplex), any K:
    # F(r) - F(q) = -log 2 while the right side is (2 - 1) g_1 = 0 (m_1 = 1)
    kernel = sp.Lambda(sp.Symbol("u"), sp.exp(-sp.Abs(sp.Symbol("u"))) / 2)

    def at(expr: sp.Expr) -> sp.Expr:
        fixed = expr.subs(n, 1).replace(lambda e: isinstance(e, sp.Sum), lambda e: e.doit())
        fixed = fixed.subs({L.q[1]: 1, L.r[1]: 2, a: 0, b: 1, L.x[1]: -1})
        return sp.N(fixed.replace(L.abstract_kernel.func, kernel).doit(), 30)

    assert at(L.TANGENT.lhs) < at(L.TANGENT.rhs) - sp.Rational(1, 2)


def test_only_exponential_needs_the_functional_equation() -> None:
    theorem = _theorem("only_exponential_kernels_halfline")
    assert not _wrong(theorem, hypotheses=())


def test_spectrum_and_convexity_need_an_ordered_target() -> None:
    for name in ("hessian_spectrum", "landscape_convex_weights"):
        assert not _wrong(_theorem(name), hypotheses=())


# --------------------------------------------------------------------------- refutation


def test_nonconvexity_counterexample_is_recomputed() -> None:
    theorem = _theorem("landscape_convex_logits")
    proof = theorem.prove()
    assert proof.refuted
    example = proof.counterexample
    assert example is not None and example.lhs > example.rhs
    doubled = (2 * example.lhs, 2 * example.rhs)
    fake = refutation(
        "tampered stored values",
        L.CONVEX_LOGITS,
        L.NONCONVEX_AT,
        L._reference_sides,
        evaluate=L._numeric_side,
        stored=doubled,
    )
    assert not fake.holds and fake.counterexample is None
    # equal endpoints: L(mid) = the mean, the relation holds there and nothing is refuted
    convex_here = {**L.NONCONVEX_AT, L.z[1]: -8, L.y[1]: -8}
    same = refutation(
        "equal endpoints", L.CONVEX_LOGITS, convex_here, L._reference_sides,
        evaluate=L._numeric_side,
    )  # fmt: skip
    assert same.counterexample is None


# --------------------------------------------------------------------------- numbers


def _hessian_parts(
    logits: list[int], xs: list[int], lo: int, hi: int
) -> tuple[mpmath.matrix, mpmath.matrix]:
    """``(Cov_S, mean_t Cov_R(t))`` for the Laplace kernel (h = 1), mpmath at 40 digits."""
    count = len(logits)
    with mpmath.workdps(40):
        weights = [mpmath.e ** mpmath.mpf(v) for v in logits]
        total = sum(weights)
        s = [wt / total for wt in weights]

        def cov(p: list) -> mpmath.matrix:
            return mpmath.matrix(
                [
                    [(p[r] if r == c else 0) - p[r] * p[c] for c in range(count)]
                    for r in range(count)
                ]
            )

        def resp(t: mpmath.mpf, r: int, c: int) -> mpmath.mpf:
            kern = [s[m] * mpmath.e ** (-abs(t - xs[m])) / 2 for m in range(count)]
            mix = sum(kern)
            p = [v / mix for v in kern]
            return (p[r] if r == c else 0) - p[r] * p[c]

        mean = mpmath.matrix(count, count)
        for r in range(count):
            for c in range(count):
                mean[r, c] = mpmath.quad(lambda t, r=r, c=c: resp(t, r, c), [lo, hi]) / (hi - lo)
        return cov(s), mean


def _hessian_formula(logits: list[int], xs: list[int], lo: int, hi: int) -> mpmath.matrix:
    cov_s, mean = _hessian_parts(logits, xs, lo, hi)
    return cov_s - mean


def test_hessian_matches_finite_differences_of_the_reference() -> None:
    logits, xs, lo, hi = [0, 1, -1], [-2, 3, 5], 0, 2  # every x_j outside [a, b]: no kink
    formula = _hessian_formula(logits, xs, lo, hi)
    step = mpmath.mpf(10) ** -12
    with mpmath.workdps(40):
        for c in range(3):
            up = [mpmath.mpf(v) for v in logits]
            down = [mpmath.mpf(v) for v in logits]
            up[c] += step
            down[c] -= step
            g_up = reference.grad(up, xs, lo, hi, kernel="laplace", bandwidth=1, dps=40)
            g_down = reference.grad(down, xs, lo, hi, kernel="laplace", bandwidth=1, dps=40)
            for r in range(3):
                column = (g_up[r] - g_down[r]) / (2 * step)
                # central difference: error ~ step^2 * |g'''| ~ 1e-24, far below 1e-15
                assert abs(column - formula[r, c]) < mpmath.mpf(10) ** -15
        eigen = mpmath.eigsy(formula)[0]
        assert all(-0.5 <= value <= 0.5 for value in eigen)


def test_hessian_check_rejects_a_wrong_sign() -> None:
    logits, xs, lo, hi = [0, 1, -1], [-2, 3, 5], 0, 2
    cov_s, mean = _hessian_parts(logits, xs, lo, hi)
    with mpmath.workdps(40):
        step = mpmath.mpf(10) ** -12
        up = [mpmath.mpf(v) for v in logits]
        down = [mpmath.mpf(v) for v in logits]
        up[0] += step
        down[0] -= step
        g_up = reference.grad(up, xs, lo, hi, kernel="laplace", bandwidth=1, dps=40)
        g_down = reference.grad(down, xs, lo, hi, kernel="laplace", bandwidth=1, dps=40)
        column = (g_up[0] - g_down[0]) / (2 * step)
        assert abs(column - (cov_s[0, 0] - mean[0, 0])) < 1e-15
        # Cov_S + mean Cov_R (the wrong sign) is far from the derivative
        assert abs(column - (cov_s[0, 0] + mean[0, 0])) > 1e-3
