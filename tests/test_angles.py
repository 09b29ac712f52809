"""Far from 0: angles on the circle, targets on the line (API.md: |x|, |a|, |b| up to 1e50).

Turning an angle by ``k fl(2 pi)`` is off by ``k * 2.4e-16``: the circle quadrature was off by
2e-12 at ``a = 1e4`` and by 0.3 at ``a = 1e16`` (found by the fuzz test once it drew circle
calls), and the closed forms' reduction fell back to it beyond ``2**60`` turns.
:mod:`symkde.numeric.angles` takes turns off to an ulp of the result; the tolerances below are
API.md's 1e-12 against the mpmath reference at 30 digits.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import symkde
from symkde import reference
from symkde.errors import UncoveredTargetError
from symkde.numeric.angles import minus_turns, turns_to
from tests.helpers import GRAD_ATOL, LOSS_RTOL, assert_close

DPS = 30
FAR = [0.5, 7.25, 1e4, -3.5e9, 1e16 + 2.0, -7e18, 1e19, 1e40, -1e50, 1e300]


def true_turns(value: float, centre: float = 0.0) -> tuple[mpmath.mpf, mpmath.mpf]:
    with mpmath.workdps(400):
        exact = mpmath.mpf(value)
        k = mpmath.nint((exact - centre) / (2 * mpmath.pi))
        return exact - 2 * mpmath.pi * k, k


@pytest.mark.parametrize("centre", [0.0, 2.5, -3.0])
def test_turns_to_is_accurate_to_an_ulp_of_the_result(centre):
    got, turns = turns_to(np.array(FAR), centre)
    for value, g, k in zip(FAR, got.tolist(), turns.tolist(), strict=True):
        true, true_k = true_turns(value, centre)
        assert k == float(true_k), value
        assert abs(mpmath.mpf(g) - true) <= 2 * mpmath.mpf(math.ulp(abs(g) + 1.0)), value
        if k == 0.0:
            assert g == value  # no turn: the angle itself, bit for bit


def test_minus_turns_takes_off_any_number_of_turns():
    # turn counts that a float holds exactly (below 2**53): a valid arc has |a| < 6e16
    for value in [v for v in FAR if abs(v) < 5e16]:
        true, k = true_turns(value)
        (got,) = minus_turns(np.array([value]), float(k)).tolist()
        assert abs(mpmath.mpf(got) - true) <= 2 * mpmath.mpf(math.ulp(4.0)), value
    # and a perturbed turn count is caught: one turn off is 2 pi off
    true, k = true_turns(1e16 + 2.0)
    (off,) = minus_turns(np.array([1e16 + 2.0]), float(k) + 1).tolist()
    assert abs(off - (float(true) - 2 * math.pi)) < 1e-12


@pytest.mark.parametrize("method", ["exact", "quadrature"])
@pytest.mark.parametrize("a", [1e4, -3.5e9, 1e16], ids=["1e4", "-3.5e9", "1e16"])
def test_circle_loss_far_from_0_matches_the_reference(a, method):
    # points near the target, and one 1e30 radians away (a few turns from anywhere)
    z = [0.2, -0.4, 0.9]
    x = [a + 0.3, a - 1.0, 1e30]
    b = a + 2.0  # an arc needs ulp(a) <= 2 pi, so |a| < 6e16 on the circle
    options = dict(kernel="laplace", bandwidth=0.7, circular=True)
    loss, grad = symkde.loss_and_grad(z, x, a, b, method=method, **options)
    ref_loss, ref_grad = reference.loss_and_grad(z, x, a, b, dps=DPS, **options)
    assert_close(loss, ref_loss, rtol=LOSS_RTOL, ref_dps=DPS, what="loss")
    assert_close(grad, ref_grad, atol=GRAD_ATOL, ref_dps=DPS, what="gradient")


@pytest.mark.parametrize("kernel", ["gaussian", "vonmises", "triangle"])
def test_circle_binned_loss_far_from_0_matches_the_reference(kernel):
    a, b = 1e16, 1e16 + 2.0
    z, x = [0.1, -0.3], [1e16 + 0.5, -2.5e12]
    options = dict(kernel=kernel, bandwidth=2.5, circular=True)
    got = symkde.loss(z, x, a, b, method="bins", bins=16, **options)
    ref = reference.loss(z, x, a, b, method="bins", bins=16, dps=DPS, **options)
    assert_close(got, ref, rtol=LOSS_RTOL, ref_dps=DPS, what="binned loss")


@pytest.mark.parametrize("method", ["exact", "quadrature"])
def test_an_uncovered_gap_is_reported_in_the_caller_s_angles(method):
    # a box of half-width 0.5 at a + 0.5 covers [a, a + 1] of the target [a, a + 2]
    a = 1e4
    with pytest.raises(UncoveredTargetError) as caught:
        symkde.grad(
            [0.0],
            [a + 0.5],
            a,
            a + 2.0,
            kernel="boxcar",
            bandwidth=0.5,
            circular=True,
            method=method,
        )
    lo, hi = caught.value.interval
    assert a <= lo <= hi <= a + 2.0
    assert abs(lo - (a + 1.0)) < 1e-11 and hi == a + 2.0


# --------------------------------------------------------------------------- wide bandwidths

WIDE = ([0.0, 0.5, -0.3], [0.0, 2.0, -2.9], 0.0, 1.0)


@pytest.mark.parametrize("h", [50.0, 123.4])
@pytest.mark.parametrize("kernel", ["boxcar", "triangle", "gaussian", "laplace", "vonmises"])
def test_circle_quadrature_with_a_bandwidth_of_many_turns_matches_the_reference(kernel, h):
    # the kinks x +- h are placed from h reduced by whole turns (exactly h when h <= pi)
    options = dict(kernel=kernel, bandwidth=h, circular=True)
    loss, grad = symkde.loss_and_grad(*WIDE, method="quadrature", **options)
    ref_loss, ref_grad = reference.loss_and_grad(*WIDE, dps=DPS, **options)
    assert_close(loss, ref_loss, rtol=LOSS_RTOL, ref_dps=DPS, what="loss")
    assert_close(grad, ref_grad, atol=GRAD_ATOL, ref_dps=DPS, what="gradient")


@pytest.mark.parametrize("h", [1e7, 1e16])
def test_circle_quadrature_at_huge_bandwidths_answers_or_names_the_bandwidth(h):
    # the mesh once enumerated every image within h of the arc: 3e15 of them at h = 1e16
    # (MemoryError, found by the fuzz test)
    for kernel in ("laplace", "vonmises", "cauchy"):  # wrapped closed forms: no image sums
        options = dict(kernel=kernel, bandwidth=h, circular=True)
        loss, grad = symkde.loss_and_grad(*WIDE, method="quadrature", **options)
        assert abs(loss - math.log(2 * math.pi)) < 1e-6 and np.all(np.abs(grad) < 1e-6)
    exact = symkde.loss_and_grad(*WIDE, kernel="laplace", bandwidth=h, circular=True)
    assert abs(exact[0] - loss) <= 2 * LOSS_RTOL * max(1.0, abs(loss))  # the contract, twice
    for kernel in ("gaussian", "boxcar", "triangle"):  # image sums: refused, never a crash
        with pytest.raises(ValueError, match=r"^bandwidth: .* 2\*\*20 images"):
            symkde.loss(*WIDE, kernel=kernel, bandwidth=h, circular=True, method="quadrature")
    for kernel in ("boxcar", "triangle"):  # their closed forms take any bandwidth
        loss = symkde.loss(*WIDE, kernel=kernel, bandwidth=h, circular=True)
        assert abs(loss - math.log(2 * math.pi)) < 1e-6


# --------------------------------------------------------------------------- the line far from 0


@pytest.mark.parametrize("method", ["quadrature", "bins"])
@pytest.mark.parametrize("kernel", ["gaussian", "cauchy", "laplace", "boxcar", "triangle"])
@pytest.mark.parametrize("offset", [2.0**20, 1e12, -3e13], ids=["2^20", "1e12", "-3e13"])
def test_line_far_from_0_matches_the_reference(offset, kernel, method):
    # nodes and kinks in absolute coordinates were off by an ulp of the offset: the boxcar
    # quadrature by 1.6e-10 at 2^20, the binned Gaussian by 1.7e-11 (found by the fuzz test
    # moving a whole call); they are now measured from a
    args = ([0.0, 0.3, -0.2], [offset + 0.1234567, offset + 0.77, offset - 0.4321], offset)
    b = offset + 1.0
    options = dict(kernel=kernel, bandwidth=0.37)
    bins = dict(bins=7) if method == "bins" else {}
    loss, grad = symkde.loss_and_grad(*args, b, method=method, **options, **bins)
    ref_method = "bins" if method == "bins" else "integral"
    ref_loss, ref_grad = reference.loss_and_grad(
        *args, b, method=ref_method, dps=DPS, **options, **bins
    )
    assert_close(loss, ref_loss, rtol=LOSS_RTOL, ref_dps=DPS, what="loss")
    assert_close(grad, ref_grad, atol=GRAD_ATOL, ref_dps=DPS, what="gradient")


@pytest.mark.parametrize("base", [100.0, 33 * math.pi, 1e4 + 0.3], ids=["100", "33pi", "1e4"])
@pytest.mark.parametrize("kernel", ["boxcar", "triangle", "gaussian"])
def test_circle_tiny_arc_far_from_0_keeps_its_distances(kernel, base):
    # h = 2**-33 on an arc of 3.5 h: at 33 pi (half a turn past 16 turns) the target and the
    # points were turned by different numbers of turns, each an ulp of pi off (1e-6 of h):
    # the gradient was 1e-6 off.  Distances to a are now taken exactly before any turn.
    h = 2.0**-33
    z, x, a, b = [0.0, 0.3, -0.2], [base, base + 2 * h, base + 0.7 * h], base - h / 2, base + 3 * h
    options = dict(kernel=kernel, bandwidth=h, circular=True)
    ref_loss, ref_grad = reference.loss_and_grad(z, x, a, b, dps=DPS, **options)
    for method in ("quadrature",) if kernel == "gaussian" else ("exact", "quadrature"):
        loss, grad = symkde.loss_and_grad(z, x, a, b, method=method, **options)
        assert_close(loss, ref_loss, rtol=LOSS_RTOL, ref_dps=DPS, what=f"{method} loss")
        assert_close(grad, ref_grad, atol=GRAD_ATOL, ref_dps=DPS, what=f"{method} gradient")
