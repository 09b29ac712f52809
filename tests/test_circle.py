"""The circle: periodicity, rotations, arcs across +-pi, full circle, wide kernels, accuracy.

Accuracy is judged against the mpmath reference at 30 digits (self-checked at 45) with the
API.md bounds: loss within 1e-12 * max(1, |L|), every gradient entry within 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import symkde
from symkde import reference
from tests.helpers import GRAD_ATOL, LOSS_RTOL, assert_close

KERNELS = ("laplace", "gaussian", "boxcar", "triangle", "cauchy", "vonmises")
TWO_PI = 2 * math.pi
REF_DPS = 30


def base_problem(kernel):
    z = np.array([0.4, -1.1, 2.0, 0.0])
    x = np.array([2.9, -2.8, 0.3, 1.7])  # angles on both sides of +-pi
    h = 2.5 if kernel in ("boxcar", "triangle") else 0.6  # compact supports cover the arc
    return z, x, h


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(("method", "bins"), [("quadrature", None), ("bins", 23)])
@pytest.mark.parametrize(
    ("a", "b"),
    [(2.5, 3.9), (-0.7, 1.2), (-math.pi, math.pi), (1.0, 1.0 + TWO_PI)],
    ids=["across-pi", "inside", "full-circle", "full-circle-shifted"],
)
def test_circle_matches_reference(kernel, method, bins, a, b):
    z, x, h = base_problem(kernel)
    kw = dict(kernel=kernel, bandwidth=h, circular=True)
    got = symkde.loss_and_grad(z, x, a, b, method=method, bins=bins, **kw)
    ref_method = "bins" if method == "bins" else "integral"
    ref_l, ref_g, ref_err = reference.loss_grad_error(
        z, x, a, b, method=ref_method, bins=bins, dps=REF_DPS, **kw
    )
    assert ref_err < 1e-25
    assert_close(got[0], ref_l, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got[1], ref_g, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("k", [-3, 1, 40])
def test_periodicity(kernel, k):
    """Shifting every angle and the arc by 2 pi k changes nothing (to 1e-12)."""
    z, x, h = base_problem(kernel)
    kw = dict(kernel=kernel, bandwidth=h, circular=True)
    base = symkde.loss_and_grad(z, x, 2.5, 3.9, **kw)
    shift = TWO_PI * k
    moved_points = symkde.loss_and_grad(z, x + shift, 2.5, 3.9, **kw)
    moved_arc = symkde.loss_and_grad(z, x, 2.5 + shift, 3.9 + shift, **kw)
    for other in (moved_points, moved_arc):
        assert other[0] == pytest.approx(base[0], rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(other[1], base[1], atol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_rotation_equivariance(kernel):
    """Rotating the points and the arc together changes nothing."""
    z, x, h = base_problem(kernel)
    kw = dict(kernel=kernel, bandwidth=h, circular=True)
    base = symkde.loss_and_grad(z, x, -0.7, 1.2, **kw)
    for angle in (0.37, 2.0, -1.5):
        rotated = symkde.loss_and_grad(z, x + angle, -0.7 + angle, 1.2 + angle, **kw)
        assert rotated[0] == pytest.approx(base[0], rel=1e-12, abs=1e-12)
        np.testing.assert_allclose(rotated[1], base[1], atol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_arc_across_pi_equals_other_representative(kernel):
    z, x, h = base_problem(kernel)
    kw = dict(kernel=kernel, bandwidth=h, circular=True)
    across = symkde.loss_and_grad(z, x, 2.8, 3.6, **kw)  # crosses +pi
    other = symkde.loss_and_grad(z, x, 2.8 - TWO_PI, 3.6 - TWO_PI, **kw)  # crosses -pi
    assert across[0] == pytest.approx(other[0], rel=1e-12)
    np.testing.assert_allclose(across[1], other[1], atol=1e-12)


@pytest.mark.parametrize("kernel", ("laplace", "gaussian", "cauchy", "vonmises"))
def test_full_circle_single_point_is_the_kernel_entropy(kernel):
    # one point: gradient exactly 0; the loss does not depend on where the point is
    losses = [
        symkde.loss_and_grad([0.0], [x0], -math.pi, math.pi, kernel=kernel, circular=True)
        for x0 in (0.0, 1.0, -3.0, 10.0)
    ]
    for value, gradient in losses:
        assert abs(gradient[0]) <= 4e-16  # S - mean R = 1 - (sum of weights), up to rounding
        assert value == pytest.approx(losses[0][0], rel=1e-12)


@pytest.mark.parametrize("kernel", ("laplace", "gaussian", "cauchy", "vonmises"))
def test_wide_kernel_is_nearly_uniform(kernel):
    # h >> 2 pi: the density is close to 1/(2 pi) everywhere, the gradient close to 0
    z, x, _ = base_problem(kernel)
    value, gradient = symkde.loss_and_grad(
        z, x, -math.pi, math.pi, kernel=kernel, bandwidth=50.0, circular=True
    )
    assert value == pytest.approx(math.log(TWO_PI), rel=1e-3)
    assert np.abs(gradient).max() < 1e-2
    # against the reference at h = 10 (the mpmath image sum at h = 50 takes ~15 s)
    kw = dict(kernel=kernel, bandwidth=10.0, circular=True)
    got = symkde.loss_and_grad(z, x, -math.pi, math.pi, **kw)
    ref_l, ref_g = reference.loss_and_grad(z, x, -math.pi, math.pi, dps=REF_DPS, **kw)
    assert_close(got[0], ref_l, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got[1], ref_g, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")


@pytest.mark.parametrize("kernel", ("laplace", "gaussian", "vonmises"))
def test_narrow_kernel_far_on_the_circle(kernel):
    # h = 0.01: points 150-300 bandwidths from the arc, logits +-700
    z = np.array([700.0, -700.0, 3.0])
    x = np.array([-1.0, 2.5, 3.0])
    kw = dict(kernel=kernel, bandwidth=0.01, circular=True)
    got = symkde.loss_and_grad(z, x, 0.2, 0.9, method="quadrature", **kw)
    ref_l, ref_g = reference.loss_and_grad(z, x, 0.2, 0.9, dps=REF_DPS, **kw)
    assert_close(got[0], ref_l, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got[1], ref_g, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")
