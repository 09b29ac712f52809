"""Every hypothesis is needed: dropped or weakened, the proof no longer closes.

Each theorem below is proved once (cached); :meth:`Theorem.reclose` then re-runs only the
closing checks with one hypothesis removed or weakened (a prover never reads the hypotheses,
so this is the verdict a re-proof would give).  Hypotheses the symbols' own assumptions imply
(``K_j > 0`` for a positive ``K``) cannot be dropped and are not listed.  Where the weaker
claim is false, a numeric counterexample shows it at exact inputs (30+ digits).
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from symkde import theorems
from symkde.cli.main import _print_lemmas, _summary
from symkde.symbolic.kernels import KERNELS, h
from symkde.symbolic.model import a, b, i, n, softmax_concrete, t, x, z
from symkde.theorems import circle_contraction as circle
from symkde.theorems._closing import _implied
from symkde.theorems._core import verdict_text
from symkde.theorems.gradient import derive_bin_gradient
from symkde.theorems.laplace import center, d, exact_integrated_gradient, move_toward

#: fast theorems (together ~20 s on an idle machine) whose hypotheses are not all implied
#: by their symbols' assumptions: the line, the Laplace contraction, closed forms, the circle
NAMES = (
    "kde_normalized",
    "gradient_integrated",
    "gradient_bounds",
    "one_hot",
    "partial_labels",
    "gradient_sum_zero",
    "laplace_contraction_bin",
    "laplace_segment_density",
    "triangle_resp_integrals",
    "circle_wrapped_laplace_closed_form",
    "circle_one_hot",
    "circle_partial_labels",
    "only_exponential_kernels",
    "circle_laplace_contraction_bound",
    "laplace_contraction_interval",
)
_PROOFS: dict[str, theorems.Proof] = {}


def _proof(name: str) -> theorems.Proof:
    if name not in _PROOFS:
        _PROOFS[name] = theorems.get(name).prove()
    return _PROOFS[name]


def _needed() -> list[tuple[str, int]]:
    return [
        (name, k)
        for name in NAMES
        for k, hypothesis in enumerate(theorems.get(name).hypotheses)
        if not _implied(hypothesis)
    ]


def _weakened(relation: sp.Basic) -> sp.Basic:
    """A strictly weaker relation: the bound moved by 1 (``<`` also made ``<=``)."""
    if isinstance(relation, sp.Equality):
        return sp.Le(relation.lhs, relation.rhs + 1)
    if isinstance(relation, sp.LessThan | sp.StrictLessThan):
        return sp.Le(relation.lhs, relation.rhs + 1)
    if isinstance(relation, sp.GreaterThan | sp.StrictGreaterThan):
        return sp.Ge(relation.lhs + 1, relation.rhs)
    if isinstance(relation, sp.assumptions.AppliedPredicate):
        return sp.Q.real(relation.arguments[0])
    raise AssertionError(f"no weakening for {relation}")


def test_every_listed_theorem_is_proved_with_all_its_hypotheses() -> None:
    for name in NAMES:
        assert _proof(name).holds, name


@pytest.mark.parametrize(("name", "k"), _needed(), ids=lambda v: str(v))
def test_dropping_a_hypothesis_breaks_the_proof(name: str, k: int) -> None:
    theorem = theorems.get(name)
    rest = [hyp for m, hyp in enumerate(theorem.hypotheses) if m != k]
    assert not theorem.reclose(_proof(name), rest).holds


@pytest.mark.parametrize(("name", "k"), _needed(), ids=lambda v: str(v))
def test_weakening_a_hypothesis_breaks_the_proof(name: str, k: int) -> None:
    theorem = theorems.get(name)
    weaker = list(theorem.hypotheses)
    weaker[k] = _weakened(weaker[k])
    assert not theorem.reclose(_proof(name), weaker).holds


def test_reclose_with_the_same_hypotheses_is_the_proof() -> None:
    theorem = theorems.get("gradient_bounds")
    assert theorem.reclose(_proof("gradient_bounds"), theorem.hypotheses).holds


# ----------------------------------------------------------------- the weaker claims are false

LAPLACE = KERNELS["laplace"].density


def test_contraction_by_more_than_the_distance_changes_the_gradient() -> None:
    """laplace_contraction_bin without d <= |t - x_j|: at t = 0, x = (-1/2, 3), d = 1 the
    first point crosses the bin, and dL/dz_1 changes (exact, h = 1)."""
    g = derive_bin_gradient(LAPLACE).subs(n, 2).doit().subs(i, 1)
    values = {z[1]: 0, z[2]: 0, t: 0, h: 1, x[1]: sp.Rational(-1, 2), x[2]: 3}
    before = sp.N(g.subs(values), 30)
    after = sp.N(move_toward(g, t, 1).subs(values), 30)
    assert abs(before - after) > sp.Rational(1, 10)
    # and within the hypothesis (d = 1/2) it does not change
    assert abs(sp.N(move_toward(g, t, sp.Rational(1, 2)).subs(values), 30) - before) < 1e-25


def test_only_exponential_without_the_flat_derivative_is_false() -> None:
    """only_exponential_kernels without f'(s) f(r0) = f(s) f'(r0): the Gaussian profile
    f = e^(-r^2) (lambda = -f'(r0)/f(r0) = 2 r0 = 2 at r0 = 1) is not f(r0) e^(-lambda (r - r0))
    at r = 2 (exact: e^-4 against e^-3)."""
    rr = sp.Symbol("r", positive=True)
    gauss = sp.exp(-(rr**2))
    lam = -(gauss.diff(rr) / gauss).subs(rr, 1)
    assert lam == 2
    assert gauss.subs(rr, 2) != gauss.subs(rr, 1) * sp.exp(-lam * (2 - 1))
    assert abs(sp.N(gauss.subs(rr, 2) - gauss.subs(rr, 1) * sp.exp(-lam), 30)) > sp.Rational(1, 50)


def test_interval_contraction_beyond_the_nearest_distance_changes_the_gradient() -> None:
    """laplace_contraction_interval with d <= 10**6 in place of d <= distance to [a, b]:
    x = (-3, 4), [a, b] = [-1, 1], moved by 3 (more than 2, the distance of -3)."""
    before = exact_integrated_gradient([0, 0], [-3, 4], -1, 1)
    after = exact_integrated_gradient([0, 0], [0, 1], -1, 1)
    assert abs(sp.N(before, 20) - sp.Float("-0.18383", 20)) < 1e-5
    assert abs(sp.N(after - before, 20)) > sp.Rational(1, 20)


def test_verify_lists_each_lemma_with_its_users(capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    _print_lemmas(sys.stdout, [_summary("kernel_normalized_vonmises")])
    line = next(s for s in capsys.readouterr().out.splitlines() if "L-bessel-integral" in s)
    assert "Eq(Integral(exp(kappa*cos(u))" in line and "DLMF 10.32.1" in line
    assert line.endswith("used by kernel_normalized_vonmises")


def test_circle_bound_stated_stronger_does_not_close_and_is_false() -> None:
    """circle_laplace_contraction_bound with R_i eta^2/(1 - eta) in place of R_i eta/(1 - eta)
    (or with the relaxation eta < exp(-2 (pi - r_max)/h) reversed): the same steps no longer
    prove it, and at h = 1, z = (2, 0, 4), r = (1/2, 2, pi - 1/10) moved by 2/5 the stronger
    bound is false (|g_1' - g_1| = 0.0684 > 0.0392; the theorem's bound is 0.158)."""
    name = "circle_laplace_contraction_bound"
    theorem = theorems.get(name)
    change = next(a for a in theorem.statement.args if isinstance(a, sp.LessThan)).lhs
    eta, cap = circle._ETA, sp.exp(-2 * (sp.pi - circle.largest) / h)
    resp = circle._RESPONSIBILITY_BEFORE
    stronger = sp.And(sp.Le(change, resp * eta**2 / (1 - eta)), sp.Lt(eta, cap))
    reversed_ = sp.And(sp.Le(change, resp * eta / (1 - eta)), sp.Gt(eta, cap))
    for statement in (stronger, reversed_):
        wrong = dataclasses.replace(theorem, statement=statement)
        assert not wrong.reclose(_proof(name), theorem.hypotheses).holds
    assert theorem.reclose(_proof(name), theorem.hypotheses).holds
    logits, step = [2, 0, 4], sp.Rational(2, 5)
    dists = [sp.Rational(1, 2), 2, sp.pi - sp.Rational(1, 10)]
    before = circle._distance_gradient(logits, dists, 1)
    after = circle._distance_gradient(logits, [r - step for r in dists], 1)
    at = {circle.largest: dists[2], circle.move: step, h: 1}
    value = eta.subs(at)
    r_1 = softmax_concrete(logits)[0] - before[0]
    gap = sp.N(abs(after[0] - before[0]), 30)
    assert gap > sp.N(r_1 * value**2 / (1 - value), 30) + sp.Rational(1, 50)
    assert gap < sp.N(r_1 * value / (1 - value), 30)


def test_interval_contraction_by_twice_the_distance_does_not_close_and_is_false() -> None:
    """laplace_contraction_interval stated for a move by 2d (contraction by more than the
    distance): the same steps no longer prove it, and at h = 1, [a, b] = [-1, 1],
    x = (-3, 4), d = 2 (the distance of -3) the move by 4 changes dL/dz_1 (x -> (1, 0))."""
    name = "laplace_contraction_interval"
    theorem = theorems.get(name)
    moved, plain = theorem.statement.lhs, theorem.statement.rhs
    twice = dataclasses.replace(theorem, statement=sp.Eq(moved.subs(d, 2 * d), plain))
    assert not twice.reclose(_proof(name), theorem.hypotheses).holds
    assert theorem.reclose(_proof(name), theorem.hypotheses).holds
    assert move_toward(x[1], center).subs({x[1]: -3, d: 4, a: -1, b: 1}) == 1
    before = exact_integrated_gradient([0, 0], [-3, 4], -1, 1)
    within = exact_integrated_gradient([0, 0], [-1, 2], -1, 1)  # moved by d = 2
    beyond = exact_integrated_gradient([0, 0], [1, 0], -1, 1)  # moved by 2d = 4
    assert sp.N(within - before, 30) == 0
    assert abs(sp.N(beyond - before, 30)) > sp.Rational(1, 10)


# ------------------------------------------------------------------------------------------
# s4-13b (issue 13): hypotheses the proofs now use verifiably (were cited labels before)
# ------------------------------------------------------------------------------------------

#: theorems whose formerly cited hypotheses are now used (substituted, or premises SymPy needs)
NAMES_13B = (
    "dilog_series_remainder",
    "kde_normalized",
    "one_hot",
    "partial_labels",
    "gradient_sum_zero",
    "laplace_segment_density",
    "triangle_resp_integrals",
    "laplace_short_segment",
    "circle_scale_invariance",
    "circle_gradient_sum_zero",
    "circle_one_hot",
    "circle_partial_labels",
)
#: still cites one hypothesis it cannot use verifiably (see the test below)
STILL_CITED_13B = {"circle_wrapped_laplace_closed_form": ["r < 2*pi"]}


def _needed_13b() -> list[tuple[str, int]]:
    return [
        (name, k)
        for name in (*NAMES_13B, *STILL_CITED_13B)
        for k, hypothesis in enumerate(theorems.get(name).hypotheses)
        if not _implied(hypothesis)
    ]


@pytest.mark.parametrize("name", NAMES_13B)
def test_13b_proved_with_every_hypothesis_used(name: str) -> None:
    proof = _proof(name)
    assert proof.holds and not proof.unchecked, name
    assert not any(step.unchecked for step in proof.steps), name
    assert "cites" not in verdict_text(theorems.get(name), proof)


@pytest.mark.parametrize(("name", "k"), _needed_13b(), ids=lambda v: str(v))
def test_13b_dropping_or_weakening_a_hypothesis_breaks_the_proof(name: str, k: int) -> None:
    theorem = theorems.get(name)
    rest = [hyp for m, hyp in enumerate(theorem.hypotheses) if m != k]
    assert not theorem.reclose(_proof(name), rest).holds
    weaker = list(theorem.hypotheses)
    weaker[k] = _weakened(weaker[k])
    assert not theorem.reclose(_proof(name), weaker).holds


def test_13b_dilog_series_past_log_2_misses_the_bound() -> None:
    """dilog_series_remainder without U <= log 2: at U = 4/5 the relative truncation error
    is 6.6e-18 > 2^-59 = 1.7e-18 (mpmath at 50 digits, far above its 1e-45 error)."""
    import mpmath

    from symkde.theorems.special_functions import TRUNCATION_BOUND, series_coefficients

    with mpmath.workdps(50):
        for u, fails in ((mpmath.log(2), False), (mpmath.mpf(4) / 5, True)):
            tail = -mpmath.polylog(2, 1 - mpmath.exp(u)) / 2
            poly = mpmath.fsum(
                mpmath.mpf(c.p) / c.q * u ** (m + 1) for m, c in enumerate(series_coefficients())
            )
            bound = mpmath.mpf(TRUNCATION_BOUND.p) / TRUNCATION_BOUND.q
            assert (abs(tail - poly) > bound * tail) is fails


def test_13b_the_wrapped_laplace_closed_form_cites_only_r_below_2_pi() -> None:
    """u = r + 2 pi N is now used (a premise SymPy substitutes); r < 2 pi still enters through
    q = 2 pi - r > 0 inside the summation rewrite, which no checked step can lift yet."""
    name = "circle_wrapped_laplace_closed_form"
    proof = _proof(name)
    assert proof.holds
    assert [sp.sstr(hyp) for hyp in proof.unchecked] == STILL_CITED_13B[name]


def test_13b_a_kernel_of_mass_2_gives_a_kde_of_mass_2() -> None:
    """kde_normalized without Integral(K) = 1: K = 2 N(0, 1), n = 2 points, gives mass 2."""
    tt = sp.Symbol("t", real=True)
    gauss = sp.exp(-(tt**2) / 2) / sp.sqrt(2 * sp.pi)
    weights = [sp.Rational(1, 3), sp.Rational(2, 3)]
    density = sum(w * 2 * gauss.subs(tt, tt - c) for w, c in zip(weights, (0, 1), strict=True))
    mass = sp.N(sp.integrate(density, (tt, -sp.oo, sp.oo)), 40)
    assert abs(mass - 2) < sp.Rational(1, 10**30)  # SymPy's exact erf terms at 40 digits


def test_13b_a_point_left_of_the_segment_seen_from_outside() -> None:
    """laplace_segment_density without s >= 0: at s = -1 (t left of lo) a point delta = 1/2
    left of lo is to the right of t, and its kernel is e^{-1/2}/2, not e^{-delta - s}/2."""
    kernel = LAPLACE.subs(h, 1)
    u = sp.Symbol("u", real=True)
    assert kernel.free_symbols == {u}
    delta, ss = sp.Rational(1, 2), -1
    actual = kernel.subs(u, delta + ss)
    formula = sp.exp(-delta) * sp.exp(-ss) / 2
    assert sp.N(formula - actual, 30) > sp.Rational(1, 2)


def test_13b_triangle_integral_past_q_1_is_not_the_closed_form() -> None:
    """triangle_resp_integrals without q < 1: at q = 2 the integrand s/(2s - 1) has a pole
    in [0, 1] (the integral diverges) and the closed form is complex, (2 - i pi)/4."""
    from symkde.theorems.closed_forms_compact import q, s

    statement = theorems.get("triangle_resp_integrals").statement
    assert sp.solve(sp.denom(sp.together(statement.lhs.function.subs(q, 2))), s) == [
        sp.Rational(1, 2)
    ]
    assert sp.im(sp.N(statement.rhs.subs(q, 2), 30)) != 0


def test_13b_short_segment_bound_fails_past_one_tenth() -> None:
    """laplace_short_segment without d <= 1/10: at d = 1/5 the bound M_11 (d/2)^12/13! is
    about 5.7e-17, far above 2e-20."""
    from symkde.theorems.closed_forms_series import (
        M_LOG,
        SHORT_SERIES_ORDER,
        _max_abs_on_unit_interval,
        _tanh_derivative,
    )

    bound = next(c for c in theorems.get("laplace_short_segment").statement.args if c.has(M_LOG))
    m_log = _max_abs_on_unit_interval(_tanh_derivative(SHORT_SERIES_ORDER - 1))
    d = next(sym for sym in bound.free_symbols if sym.name == "d")
    assert not bool(bound.subs({M_LOG: m_log, d: sp.Rational(1, 5)}))
    assert bool(bound.subs({M_LOG: m_log, d: sp.Rational(1, 10)}))
