"""symkde.numeric.exact on the circle: wrapped laplace, boxcar and triangle (issue 5 section 1).

Checked against the mpmath reference (its own wrapped kernels: closed forms and image sums),
against the quadrature method (independent float64 code), and for the symmetries of the
circle: periodicity, other representatives of the same angles, rotation.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import symkde
from symkde import reference
from symkde.errors import UncoveredTargetError
from symkde.numeric.exact import _reduce_angle, exact_loss_grad
from tests.helpers import GRAD_ATOL, LOSS_RTOL, assert_close, log_softmax

REF_DPS = 30
TWO_PI = 2.0 * math.pi
ALL = ("laplace", "boxcar", "triangle")


def _exact(kernel, z, x, a, b, h, **kw):
    return exact_loss_grad(
        kernel, log_softmax(z), np.asarray(x, float), a, b, h, circular=True, **kw
    )


def _close(got, ref, what):
    (lg, gg), (lr, gr) = got, ref
    assert abs(lg - lr) <= LOSS_RTOL * max(1.0, abs(lr)), (what, lg, lr, lg - lr)
    err = np.abs(np.asarray(gg) - np.asarray(gr))
    assert err.max() <= GRAD_ATOL, (what, err.max(), int(err.argmax()))


# --- against the mpmath reference ----------------------------------------------------------------

_RNG = np.random.default_rng(20240605)


def _anywhere(n: int, r=_RNG) -> np.ndarray:
    """Angles with representatives outside [-pi, pi] too."""
    return r.uniform(-np.pi, np.pi, n) + TWO_PI * r.integers(-3, 4, n)


def _case(regime, z, x, a, b, h, kernels=ALL, marks=()):
    return pytest.param(
        np.asarray(z, float), np.asarray(x, float), a, b, h, kernels, id=regime, marks=marks
    )


def _regimes():
    r = _RNG
    yield _case(
        "arc-across-pi", r.normal(0, 1, 5), [*_anywhere(3), 2.9, 3.6 - 2 * TWO_PI], 2.5, 4.0, 0.9
    )
    yield _case(
        "arc-across-pi-negative-a",
        r.normal(0, 1, 5),
        [*_anywhere(4), -8.4 + 3 * TWO_PI],
        -9.0,
        -7.8,
        0.9,
    )
    yield _case("full-circle-h-above-pi", r.normal(0, 1, 4), _anywhere(4), -np.pi, np.pi, 4.0)
    yield _case(
        "full-circle-other-a", r.normal(0, 1, 4), _anywhere(4), 1.0, 1.0 + TWO_PI, 0.4, ("laplace",)
    )
    yield _case("long-arc-h-several-images", r.normal(0, 1, 3), _anywhere(3), 1.0, 7.0, 9.5)
    yield _case(
        "tiny-h", r.normal(0, 1, 4), 3.2 + r.uniform(0, 0.3, 4), 3.0, 3.5, 1e-3, ("laplace",)
    )
    yield _case(
        "tiny-h-across-pi-far-points",
        r.normal(0, 1, 4),
        [3.1, -3.1, 0.0, 1.5],
        3.0,
        3.3,
        1e-3,
        ("laplace",),
    )
    yield _case("huge-h", r.normal(0, 1, 4), _anywhere(4), 2.0, 5.0, 1e3, ("laplace",))
    yield _case(
        "huge-h-compact",
        r.normal(0, 1, 3),
        _anywhere(3),
        2.0,
        5.0,
        1e3,
        ("boxcar", "triangle"),
        marks=pytest.mark.slow,
    )
    yield _case(
        "a-far-from-0",
        r.normal(0, 1, 4),
        [*_anywhere(3), 1001.1 - 159 * TWO_PI],
        1000.25,
        1002.0,
        1.0,
    )
    yield _case(
        "masked-and-extreme-logits",
        [700.0, -np.inf, -700.0, 0.0],
        [0.1, 0.5, 3.0, -2.0],
        -3.0,
        2.9,
        2.0,
    )
    yield _case("points-on-the-ends", [0.3, -0.2, 1.0], [2.5, 4.0, 3.4 - TWO_PI], 2.5, 4.0, 0.8)


@pytest.mark.parametrize(("z", "x", "a", "b", "h", "kernels"), list(_regimes()))
def test_circle_matches_reference(z, x, a, b, h, kernels):
    for kernel in kernels:
        value, gradient = _exact(kernel, z, x, a, b, h)
        ref_value, ref_grad = reference.loss_and_grad(
            z.tolist(), x.tolist(), a, b, kernel=kernel, bandwidth=h, circular=True, dps=REF_DPS
        )
        assert_close(value, ref_value, rtol=LOSS_RTOL, ref_dps=REF_DPS, what=f"{kernel} loss")
        assert_close(gradient, ref_grad, atol=GRAD_ATOL, ref_dps=REF_DPS, what=f"{kernel} grad")
        assert np.all(gradient[np.isneginf(z)] == 0.0)


@pytest.mark.parametrize(("kernel", "h"), [("laplace", 0.5), ("boxcar", 3.5), ("triangle", 3.5)])
def test_full_circle_single_point(kernel, h):
    value, gradient = _exact(kernel, [0.3], [2.0 + 4 * TWO_PI], -np.pi, np.pi, h)
    ref = reference.loss(
        [0.3], [2.0], -np.pi, np.pi, kernel=kernel, bandwidth=h, circular=True, dps=REF_DPS
    )
    assert_close(value, ref, rtol=LOSS_RTOL, ref_dps=REF_DPS, what=f"{kernel} loss")
    assert abs(gradient[0]) <= 1e-15
    if kernel == "laplace":  # -(1/2pi) int log K_circ, K_circ = cosh((pi - r)/h)/(2h sinh(pi/h))
        with mpmath.workdps(REF_DPS):
            hh = mpmath.mpf(h)
            closed = -mpmath.quad(
                lambda r: mpmath.log(
                    mpmath.cosh((mpmath.pi - r) / hh) / (2 * hh) / mpmath.sinh(mpmath.pi / hh)
                ),
                [0, mpmath.pi, 2 * mpmath.pi],
            ) / (2 * mpmath.pi)
        assert_close(value, closed, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="closed form")


def test_huge_h_is_nearly_uniform():
    # 2 pi K_circ = 1 + O(h^-2) for laplace and triangle, 1 + O(pi/h) for boxcar (it counts
    # the images covering u: floor(h/pi) or one more)
    rng = np.random.default_rng(5)
    x, z = _anywhere(50, rng), rng.normal(0, 2, 50)
    for kernel, tol in (("laplace", 1e-9), ("triangle", 1e-9), ("boxcar", 1e-4)):
        value, gradient = _exact(kernel, z, x, 0.5, 2.0, 1e5)
        assert abs(value - math.log(TWO_PI)) < tol, kernel
        assert np.abs(gradient).max() < tol, kernel


# --- against quadrature (independent float64 code) ---------------------------------------------


@pytest.mark.parametrize("kernel", ALL)
@pytest.mark.parametrize("h", [0.2, 1.0, 4.0, 40.0])
@pytest.mark.parametrize(("a", "b"), [(2.0, 4.5), (-np.pi, np.pi), (-20.0, -20.0 + 6.0)])
def test_circle_matches_quadrature(kernel, h, a, b):
    rng = np.random.default_rng(abs(int(h * 10) + int(a)))
    n = 60
    x, z = _anywhere(n, rng), rng.normal(0, 2, n)
    z[:6] = -np.inf
    try:
        got = _exact(kernel, z, x, a, b, h)
    except UncoveredTargetError:
        with pytest.raises(UncoveredTargetError):
            symkde.loss_and_grad(
                z, x, a, b, kernel=kernel, bandwidth=h, circular=True, method="quadrature"
            )
        return
    ref = symkde.loss_and_grad(
        z, x, a, b, kernel=kernel, bandwidth=h, circular=True, method="quadrature"
    )
    _close(got, ref, (kernel, h, a, b))
    assert np.all(got[1][:6] == 0.0)


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ALL)
def test_circle_large_n_matches_quadrature(kernel):
    rng = np.random.default_rng(11)
    n = 400
    x, z = _anywhere(n, rng), rng.normal(0, 2, n)
    h = 0.05 if kernel == "laplace" else 0.3
    got = _exact(kernel, z, x, 2.0, 7.5, h)
    ref = symkde.loss_and_grad(
        z, x, 2.0, 7.5, kernel=kernel, bandwidth=h, circular=True, method="quadrature"
    )
    _close(got, ref, kernel)


# --- symmetries of the circle ---------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ALL)
@pytest.mark.parametrize("h", [0.05, 0.6, 5.0])
def test_periodicity_and_representatives(kernel, h):
    rng = np.random.default_rng(7)
    n = 200
    x, z = rng.uniform(-np.pi, np.pi, n), rng.normal(0, 1, n)
    a, b = 2.8, 4.1
    try:
        base = _exact(kernel, z, x, a, b, h)
    except UncoveredTargetError:
        assert kernel != "laplace"
        return
    for k in (-3, 1, 7, 100):  # shift every angle and the arc by 2 pi k
        _close(_exact(kernel, z, x + k * TWO_PI, a + k * TWO_PI, b + k * TWO_PI, h), base, k)
    other = x + TWO_PI * rng.integers(-5, 6, n)  # other representatives of the same angles
    _close(_exact(kernel, z, other, a, b, h), base, "representatives")
    # the same arc written across the cut the other way
    _close(_exact(kernel, z, x, a - TWO_PI, b - TWO_PI, h), base, "arc representative")


@pytest.mark.parametrize("kernel", ALL)
def test_rotation_equivariance(kernel):
    rng = np.random.default_rng(8)
    x, z = rng.uniform(-np.pi, np.pi, 100), rng.normal(0, 1, 100)
    base = _exact(kernel, z, x, -0.4, 1.9, 1.3)
    for theta in (0.7, -2.9, 3.14):
        _close(_exact(kernel, z, x + theta, -0.4 + theta, 1.9 + theta, 1.3), base, theta)


def test_full_circle_spellings_and_too_long_arc():
    rng = np.random.default_rng(9)
    x, z = rng.uniform(-np.pi, np.pi, 30), rng.normal(0, 1, 30)
    base = _exact("laplace", z, x, -np.pi, np.pi, 0.3)
    _close(_exact("laplace", z, x, 0.0, TWO_PI, 0.3), base, "[0, 2 pi]")
    long_b = TWO_PI + 4 * math.ulp(TWO_PI)
    _close(_exact("laplace", z, x, 0.0, long_b, 0.3), base, "4 ulps over")
    with pytest.raises(ValueError, match="exceeds 2 pi"):
        _exact("laplace", z, x, 0.0, TWO_PI + 5 * math.ulp(TWO_PI), 0.3)


def test_uncovered_arc_and_coverage_across_pi():
    lw = log_softmax(np.zeros(2))
    x = np.array([0.0, 0.5])
    assert exact_loss_grad("boxcar", lw, x, -np.pi, np.pi, 0.3, with_grad=False, circular=True) == (
        np.inf,
        None,
    )
    with pytest.raises(UncoveredTargetError) as info:
        exact_loss_grad("triangle", lw, x, -np.pi, np.pi, 0.3, circular=True)
    lo, hi = info.value.interval
    assert -np.pi <= lo < hi <= np.pi
    # covered only through the wrap: a point at -pi + 0.1 covers the arc [3.0, 3.3]
    z = [0.0, 1.0]
    x = np.array([-np.pi + 0.1, -np.pi + 0.05])
    value, gradient = exact_loss_grad("boxcar", log_softmax(z), x, 3.0, 3.3, 0.6, circular=True)
    ref_value, ref_grad = reference.loss_and_grad(
        z, x.tolist(), 3.0, 3.3, kernel="boxcar", bandwidth=0.6, circular=True, dps=REF_DPS
    )
    assert_close(value, ref_value, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(gradient, ref_grad, atol=GRAD_ATOL, ref_dps=REF_DPS, what="grad")


def test_reduce_angle_is_accurate_to_an_ulp_of_the_result():
    v = np.array([0.5 + 1000 * TWO_PI, -3.0 - 7 * TWO_PI, 1e6, -1e9 + 0.25, 3.1, 1e300])
    got = _reduce_angle(v)
    with mpmath.workdps(400):  # 1e300 too: beyond 2**30 turns they are taken off exactly
        for g, value in zip(got, v, strict=True):
            exact = mpmath.mpf(float(value))
            k = mpmath.nint(exact / (2 * mpmath.pi))
            true = exact - 2 * mpmath.pi * k
            assert abs(mpmath.mpf(float(g)) - true) <= 2 * mpmath.mpf(math.ulp(4.0)), (value, g)


@pytest.mark.parametrize("kernel", ["boxcar", "triangle"])
def test_wide_compact_kernels_cost_no_more_than_narrow_ones(kernel):
    # h >> pi: a constant floor plus one narrow box/tent per point, not h/pi images each;
    # the floor's turns must match an explicit image count at a moderate h
    rng = np.random.default_rng(12)
    n = 20_000
    x, z = rng.uniform(-np.pi, np.pi, n), rng.normal(0, 1, n)
    value, gradient = _exact(kernel, z, x, 0.0, 2.0, 1e12)
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    assert abs(value - math.log(TWO_PI)) < 1e-6
    ref = symkde.loss_and_grad(
        z[:50], x[:50], 0.0, 2.0, kernel=kernel, bandwidth=23.7, circular=True, method="quadrature"
    )
    _close(_exact(kernel, z[:50], x[:50], 0.0, 2.0, 23.7), ref, kernel)
