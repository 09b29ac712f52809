"""Tests for ``symkde.reference``: the mpmath reference checked against SymPy and itself.

Every input below is a dyadic rational (exact in binary), so the SymPy integrals and the
reference see the same numbers.  Tolerances are in decimal digits and sit next to their
reason; the reference claims ``dps - 5`` digits.
"""

from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import symkde
from symkde import reference
from symkde.errors import UncoveredTargetError
from symkde.symbolic.kernels import KERNELS, h, u

mp = mpmath.mp
T = sp.Symbol("t", real=True)
LINE_KERNELS = ("laplace", "gaussian", "boxcar", "triangle", "cauchy")
SMOOTH_KERNELS = ("laplace", "gaussian", "cauchy")


def agree(got, want, digits: int) -> bool:
    """Entry-wise ``|got - want| <= 10**-digits * max(1, |want|)``: the one comparison helper."""
    got_list = got if isinstance(got, (list, tuple)) else [got]
    want_list = want if isinstance(want, (list, tuple)) else [want]
    assert len(got_list) == len(want_list)
    with mp.workdps(digits + 20):
        bound = mp.mpf(10) ** -digits
        return all(
            abs(mp.mpf(g) - mp.mpf(w)) <= bound * max(1, abs(mp.mpf(w)))
            for g, w in zip(got_list, want_list, strict=True)
        )


def sympy_single_point_loss(kernel: str, x0, h0, a0, b0) -> sp.Expr:
    """``-(1/(b-a)) int_a^b log K_h(t - x0) dt``, integrated by SymPy (one point: p = K)."""
    integrand = KERNELS[kernel].log_density.subs(h, h0).subs(u, T - x0)
    return -sp.integrate(integrand, (T, a0, b0)) / (b0 - a0)


# --------------------------------------------------------------------------- single point


SINGLE_POINT = [  # kernel, x0, h0, a0, b0 (dyadic; compact supports cover [a0, b0])
    ("laplace", sp.Rational(3, 8), sp.Rational(1, 2), 0, 1),
    ("gaussian", sp.Rational(-1, 4), sp.Rational(3, 4), 0, 1),
    ("boxcar", sp.Rational(1, 2), 1, 0, 1),
    ("triangle", sp.Rational(1, 4), sp.Rational(3, 2), 0, 1),
    ("cauchy", sp.Rational(5, 4), sp.Rational(1, 8), 0, 1),
]


@pytest.mark.parametrize(
    ("kernel", "x0", "h0", "a0", "b0"), SINGLE_POINT, ids=[c[0] for c in SINGLE_POINT]
)
def test_single_point_loss_equals_sympy_integral(kernel, x0, h0, a0, b0):
    want = sp.N(sympy_single_point_loss(kernel, x0, h0, a0, b0), 50)
    got = reference.loss(
        [0.0], [float(x0)], float(a0), float(b0), kernel=kernel, bandwidth=float(h0), dps=40
    )
    assert agree(got, str(want), 35)  # claim: dps - 5 digits


def test_single_point_vonmises_full_circle_equals_sympy_integral():
    kappa_h = sp.Rational(1, 2)  # h = 1/2, kappa = 4
    integrand = KERNELS["vonmises"].density.subs(h, kappa_h).subs(u, T - sp.Rational(1, 4))
    want = sp.N(
        -sp.integrate(sp.expand_log(sp.log(integrand), force=True), (T, -sp.pi, sp.pi))
        / (2 * sp.pi),
        50,
    )
    got = reference.loss(
        [0.0],
        [0.25],
        -math.pi,
        math.pi + 4e-16,
        kernel="vonmises",
        bandwidth=0.5,
        circular=True,
        dps=40,
    )
    assert agree(got, str(want), 35)  # the arc is the full circle (rounding forgiven)


def test_single_point_wrapped_boxcar_wider_than_pi():
    # h = 4 > pi: the support wraps onto itself, so p = 2/(2h) on an arc of length 2(h - pi)
    # and 1/(2h) elsewhere; L = -(1/2pi) [2(h - pi) log(1/h) + (4 pi - 2h) log(1/(2h))].
    hh = sp.Integer(4)
    want = sp.N(
        -(2 * (hh - sp.pi) * sp.log(1 / hh) + (4 * sp.pi - 2 * hh) * sp.log(1 / (2 * hh)))
        / (2 * sp.pi),
        50,
    )
    got = reference.loss(
        [0.0],
        [1.0],
        -3.0,
        -3.0 + 2 * math.pi,
        kernel="boxcar",
        bandwidth=4.0,
        circular=True,
        dps=30,
    )
    assert agree(got, str(want), 25)


@pytest.mark.parametrize("kernel", LINE_KERNELS)
def test_single_point_gradient_is_exactly_zero(kernel):
    assert reference.grad([3.0], [0.5], 0.0, 1.0, kernel=kernel, bandwidth=1.0, dps=20) == [0]


# --------------------------------------------------------------------------- gradient


POINTS = dict(z=[0.5, -1.0, 2.0], x=[0.125, 0.625, 1.25], a=0.0, b=1.0)


@pytest.mark.parametrize("kernel", LINE_KERNELS)
def test_gradient_sums_to_zero(kernel):
    g = reference.grad(**POINTS, kernel=kernel, bandwidth=0.75, dps=30)
    with mp.workdps(40):
        assert abs(mp.fsum(g)) < mp.mpf(10) ** -25  # sum S_i = sum R_i = 1: only roundoff left


def finite_difference(kw: dict, i: int, step) -> mpmath.mpf:
    """Central difference of ``reference.loss`` in ``z_i`` (z given as exact mpf values)."""
    with mp.workdps(80):
        z_plus = [mp.mpf(v) + (step if k == i else 0) for k, v in enumerate(kw["z"])]
        z_minus = [mp.mpf(v) - (step if k == i else 0) for k, v in enumerate(kw["z"])]
    rest = {k: v for k, v in kw.items() if k != "z"}
    plus = reference.loss(z_plus, **rest, dps=50, check=False)
    minus = reference.loss(z_minus, **rest, dps=50, check=False)
    with mp.workdps(60):
        return (plus - minus) / (2 * step)


FD_CASES = [
    ("laplace", False),
    ("gaussian", False),
    ("triangle", False),
    ("cauchy", False),
    ("vonmises", True),
]


@pytest.mark.parametrize(("kernel", "circular"), FD_CASES, ids=[c[0] for c in FD_CASES])
def test_gradient_equals_finite_difference_of_loss(kernel, circular):
    kw = dict(POINTS, kernel=kernel, bandwidth=0.75, circular=circular)
    g = reference.grad(**kw, dps=50)
    with mp.workdps(60):
        step = mp.mpf(10) ** -20
    fd = [finite_difference(kw, i, step) for i in range(3)]
    # loss error 1e-45 / step 1e-20 -> 1e-25; truncation step**2 * L''' ~ 1e-40.
    assert agree(g, fd, 22)
    # The same comparison rejects a gradient that is off in the 16th digit.
    perturbed = [g[0] + mp.mpf(10) ** -16, *g[1:]]
    assert not agree(perturbed, fd, 22)


def test_masked_point_equals_removing_it():
    full = reference.loss_and_grad([0.5, float("-inf"), 2.0], [0.125, 0.5, 1.25], 0.0, 1.0, dps=30)
    kept = reference.loss_and_grad([0.5, 2.0], [0.125, 1.25], 0.0, 1.0, dps=30)
    assert full[0] == kept[0]
    assert full[1][1] == 0
    assert [full[1][0], full[1][2]] == kept[1]


# --------------------------------------------------------------------------- bins


def test_bins_approach_the_integral_at_second_order():
    kw = dict(POINTS, kernel="gaussian", bandwidth=0.5)
    exact = reference.loss(**kw, dps=30)
    errors = [
        abs(reference.loss(**kw, method="bins", bins=m, dps=30) - exact) for m in (100, 200, 400)
    ]
    assert errors[2] < 1e-5
    for coarse, fine in itertools.pairwise(errors):
        assert 3.5 < coarse / fine < 4.5  # midpoint rule on a smooth integrand: O(M**-2)


def test_bins_equal_the_midpoint_sum_by_hand():
    # Two laplace points, M = 2: t = 1/4, 3/4; p(t) = sum_j S_j exp(-|t - x_j|) / 2.
    with mp.workdps(40):
        weights = [mp.exp(0) / (1 + mp.e), mp.e / (1 + mp.e)]
        p = [
            sum(w * mp.exp(-abs(t - xj)) / 2 for w, xj in zip(weights, (0, 1), strict=True))
            for t in (0.25, 0.75)
        ]
        want = -(mp.log(p[0]) + mp.log(p[1])) / 2
    got = reference.loss([0.0, 1.0], [0.0, 1.0], 0.0, 1.0, method="bins", bins=2, dps=30)
    assert agree(got, want, 25)


# --------------------------------------------------------------------------- precision


@pytest.mark.parametrize("kernel", LINE_KERNELS)
def test_dps_and_dps_plus_15_agree(kernel):
    low, g_low, err = reference.loss_grad_error(**POINTS, kernel=kernel, bandwidth=0.75, dps=30)
    high, g_high, _ = reference.loss_grad_error(**POINTS, kernel=kernel, bandwidth=0.75, dps=45)
    assert agree([low, *g_low], [high, *g_high], 25)  # claim: 30 - 5 digits
    assert err < 1e-25


@pytest.mark.parametrize("kernel", SMOOTH_KERNELS)
def test_far_field_with_extreme_logits_is_finite(kernel):
    # 3000 bandwidths away on both sides, logits +-700: a linear-space KDE underflows.
    z = [700.0, -700.0, 350.0, -350.0]
    x = [-3000.0, 3001.0, -2999.5, 3000.5]
    value, g, err = reference.loss_grad_error(z, x, 0.0, 1.0, kernel=kernel, bandwidth=1.0, dps=30)
    assert mp.isfinite(value) and value > 0
    assert all(-1 <= v <= 1 for v in g)
    assert err < 1e-25
    with mp.workdps(40):
        assert abs(mp.fsum(g)) < mp.mpf(10) ** -25


def test_far_field_agrees_with_sympy_for_one_dominant_point():
    # Both points ~3000 h to the left; the second has weight e**-1400 and is one h farther,
    # so its share of p is below e**-4400 on [0, 1]: L is the first point's alone, ~4.5e6.
    want = sp.N(sympy_single_point_loss("gaussian", -3000, 1, 0, 1), 40)
    got = reference.loss([700.0, -700.0], [-3000.0, -3001.0], 0.0, 1.0, kernel="gaussian", dps=30)
    assert agree(got, str(want), 25)


def test_logits_near_float_max_keep_their_digits():
    # z = +-1e308: log S = z - logsumexp(z) needs ~310 guard digits; the live point alone
    # gives L = log 2 + mean |t - 0| = log 2 + 1/2 on [0, 1].
    value, g, _ = reference.loss_grad_error([1e308, -1e308], [0.0, 0.5], 0.0, 1.0, dps=30)
    with mp.workdps(40):
        assert agree(value, mp.log(2) + mp.mpf(1) / 2, 25)
    assert g[0] == 0 and 0 <= g[1] < mp.mpf(10) ** -300


# --------------------------------------------------------------------------- coverage


def test_uncovered_target_loss_is_inf_and_grad_names_the_gap():
    kw = dict(z=[0.0, 0.0], x=[0.25, 1.75], a=0.0, b=2.0, kernel="boxcar", bandwidth=0.5)
    assert reference.loss(**kw, dps=20) == mp.inf
    with pytest.raises(UncoveredTargetError) as info:
        reference.grad(**kw, dps=20)
    assert info.value.interval == (0.75, 1.25)


def test_touching_supports_cover_the_target():
    value = reference.loss([0.0, 0.0], [0.5, 1.5], 0.0, 2.0, kernel="boxcar", bandwidth=0.5, dps=20)
    assert agree(value, mp.log(2), 15)  # p = 1/2 everywhere: L = log 2


def test_triangles_meeting_at_a_zero_of_p():
    # p vanishes at t = 1 only (log-singular, integrable): the loss is that of one triangle
    # on each half plus log 2 for the weights 1/2.
    want = sp.N(
        sympy_single_point_loss("triangle", sp.Rational(1, 2), sp.Rational(1, 2), 0, 1) + sp.log(2),
        40,
    )
    got = reference.loss([0.0, 0.0], [0.5, 1.5], 0.0, 2.0, kernel="triangle", bandwidth=0.5, dps=30)
    assert agree(got, str(want), 25)


# --------------------------------------------------------------------------- circle


@pytest.mark.parametrize(
    "kernel", ["laplace", "gaussian", "boxcar", "triangle", "cauchy", "vonmises"]
)
def test_circle_shift_by_two_pi_changes_nothing(kernel):
    z, x, a, b = [0.5, -1.0, 2.0], [0.125, 3.0, -2.5], 2.5, 4.5  # arc crosses +-pi
    base = reference.loss_and_grad(z, x, a, b, kernel=kernel, bandwidth=0.75, circular=True, dps=30)
    with mp.workdps(80):
        shift = 2 * mp.pi
        moved_x = [mp.mpf(v) + shift for v in x]
        moved = reference.loss_and_grad(
            z,
            moved_x,
            mp.mpf(a) - 2 * shift,
            mp.mpf(b) - 2 * shift,
            kernel=kernel,
            bandwidth=0.75,
            circular=True,
            dps=30,
        )
    assert agree([base[0], *base[1]], [moved[0], *moved[1]], 25)


@pytest.mark.parametrize("bandwidth", [0.125, 1.0, 3.0])
def test_wrapped_laplace_closed_form_equals_image_sum(bandwidth):
    with mp.workdps(40):
        closed = reference.wrapped_log_kernel("laplace", mp.mpf(bandwidth))
        images = reference.wrapped_log_kernel("laplace", mp.mpf(bandwidth), images=True)
        for angle in (-7.0, -math.pi, 0.0, 0.5, 3.0, 10.0):
            assert agree(closed(mp.mpf(angle)), images(mp.mpf(angle)), 35)


@pytest.mark.parametrize("bandwidth", [0.125, 1.0, 3.0])
def test_wrapped_cauchy_closed_form_equals_image_sum(bandwidth):
    density = sp.lambdify((u, h), KERNELS["cauchy"].density, modules="mpmath")
    with mp.workdps(30):
        closed = reference.wrapped_log_kernel("cauchy", mp.mpf(bandwidth))
        for angle in (-7.0, 0.0, 0.5, 3.0):
            summed = mp.nsum(
                lambda k, angle=angle: density(angle + 2 * mp.pi * k, bandwidth), [-mp.inf, mp.inf]
            )
            assert agree(
                closed(mp.mpf(angle)), mp.log(summed), 20
            )  # nsum extrapolates the 1/k**2 tail


def test_wrapped_closed_forms_are_derived_not_typed():
    expr, var = reference.wrapped_closed_form("cauchy")
    rho = sp.exp(-h)  # the textbook wrapped Cauchy (1 - rho**2) / (2 pi (1 + rho**2 - 2 rho cos u))
    assert (
        sp.simplify(expr - (1 - rho**2) / (2 * sp.pi * (1 + rho**2 - 2 * rho * sp.cos(var)))) == 0
    )


def test_full_circle_forgives_four_ulps_only():
    two_pi = 2 * math.pi  # 2.4e-16 below 2 pi: still the full circle
    kw = dict(z=[0.0], x=[0.0], kernel="vonmises", circular=True, dps=20)
    full = reference.loss(a=0.0, b=two_pi, **kw)
    assert reference.loss(a=0.0, b=two_pi + 3 * 2.0**-50, **kw) == full
    assert agree(reference.loss(a=-math.pi, b=math.pi, **kw), full, 15)  # rotation-free
    assert reference.loss(a=0.0, b=two_pi - 8 * 2.0**-50, **kw) != full  # a true sub-arc
    with pytest.raises(ValueError, match=r"^a, b"):
        reference.loss(a=0.0, b=two_pi + 16 * 2.0**-50, **kw)


# --------------------------------------------------------------------------- speed


def test_ten_points_at_fifty_digits_is_quick():
    rng = np.random.default_rng(20261126)
    z, x = rng.normal(size=10), rng.uniform(-0.25, 1.25, size=10)
    import time

    start = time.process_time()
    reference.loss_and_grad(z, x, 0.0, 1.0, kernel="laplace", bandwidth=0.25, dps=50)
    assert time.process_time() - start < 4  # target 2 s; margin for a loaded machine


# --------------------------------------------------------------------------- bad input


GOOD = dict(z=[0.0, 1.0], x=[0.0, 0.5], a=0.0, b=1.0)
BAD = [  # (argument named in the message, overrides)
    ("z, x", dict(z=[0.0], x=[0.0, 0.5])),
    ("z, x", dict(z=[], x=[])),
    ("x", dict(x=[[0.0, 0.5]])),
    ("x", dict(x=[0.0, float("nan")])),
    ("x", dict(x=[0.0, float("inf")])),
    ("z", dict(z=[0.0, float("nan")])),
    ("z", dict(z=[0.0, float("inf")])),
    ("z", dict(z=[float("-inf"), float("-inf")])),
    ("a", dict(a=float("-inf"))),
    ("a", dict(a=float("nan"))),
    ("b", dict(b=float("inf"))),
    ("a, b", dict(a=1.0, b=1.0)),
    ("a, b", dict(a=2.0, b=1.0)),
    ("bandwidth", dict(bandwidth=0.0)),
    ("bandwidth", dict(bandwidth=-1.0)),
    ("bandwidth", dict(bandwidth=float("inf"))),
    ("bandwidth", dict(bandwidth=float("nan"))),
    ("kernel", dict(kernel="epanechnikov")),
    ("kernel", dict(kernel="vonmises")),
    ("method", dict(method="auto")),
    ("method", dict(method="quadrature")),
    ("bins", dict(method="bins")),
    ("bins", dict(method="bins", bins=0)),
    ("bins", dict(method="bins", bins=2.5)),
    ("bins", dict(method="bins", bins=True)),
    ("bins", dict(bins=10)),
    ("a, b", dict(a=0.0, b=7.0, circular=True)),
    ("circular", dict(circular="yes")),
    ("dps", dict(dps=5)),
]


@pytest.mark.parametrize(
    ("name", "overrides"), BAD, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD)]
)
@pytest.mark.parametrize("function", [reference.loss, reference.grad])
def test_bad_input_raises_value_error_naming_the_argument(function, name, overrides):
    kw = dict(GOOD, **overrides)
    with pytest.raises(ValueError, match=rf"^{name}:" if "," not in name else rf"^{name}"):
        function(**kw)


def test_kink_a_few_ulps_from_the_arc_end_converges():
    # the image 3.3 - 2 pi + 2 pi of a boxcar support edge lands ~1e-16 from a = 2.5 in
    # float64 but the kernel's own arithmetic puts the jump a few working ulps elsewhere:
    # tanh-sinh cannot converge across it; the tiny-panel rule must (it took >60 s before)
    args = ([0.3, -0.2, 1.0], [2.5, 4.0, 3.3 - 2 * math.pi], 2.5, 4.0)
    kw = dict(kernel="boxcar", bandwidth=0.8, circular=True)
    loss, gradient = reference.loss_and_grad(*args, dps=30, **kw)
    got_loss, got_grad = symkde.loss_and_grad(*args, method="quadrature", **kw)
    assert abs(float(loss) - got_loss) < 1e-14
    assert max(abs(float(g) - v) for g, v in zip(gradient, got_grad, strict=True)) < 1e-14
