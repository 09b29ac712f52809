"""The wrapped Gaussian by the line scheme on images (symkde.numeric.smooth.wrapped_as_line).

Accuracy is the contract's (API.md): loss within 1e-12 * max(1, |L|), gradient entries within
1e-12, against mpmath at REF_DPS = 30 digits (the reference sums the images itself) on a small
circle grid (inside, across the seam, the whole circle, logits +-700, masks, bandwidths 1e-3 to
1.5), and against the adaptive quadrature where n is too large for mpmath.  The image count is
checked against the SymPy bound of theorem ``gaussian_image_truncation``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import symkde
from symkde import reference
from symkde.numeric import smooth
from symkde.numeric.images import image_count
from symkde.symbolic import codegen_smooth
from symkde.theorems._core import holds_true
from tests.helpers import GRAD_ATOL, LOSS_RTOL, assert_close

REF_DPS = 30
TWO_PI = 2.0 * math.pi


def circle_cases():
    rng = np.random.default_rng(20261206)
    for h in (0.05, 1.0):
        for n in (1, 3, 12):
            z = rng.normal(0, 2, n)
            yield f"inside-{h}-{n}", z, rng.uniform(-1.0, 2.0, n), 0.0, 1.0, h
            seam = rng.choice([-0.05, 0.05, TWO_PI - 0.05], n)
            yield f"seam-{h}-{n}", z, seam, -0.2, 0.3, h
        z = rng.choice([-700.0, 0.0, 700.0], 6) + rng.normal(0, 1, 6)
        z[[2, 4]] = -np.inf
        yield f"whole-circle-700-masked-{h}", z, rng.uniform(-9.0, 9.0, 6), 2.0, 2.0 + TWO_PI, h
    # a narrow kernel with points thousands of bandwidths away on the circle, and a wide one
    yield "narrow-far", rng.normal(0, 1, 4), np.array([0.5, 3.5, -2.6, 3.0]), 0.0, 1.0, 1e-3
    yield "wide", rng.normal(0, 1, 5), rng.uniform(-4, 4, 5), 2.8, 3.6, 1.5


@pytest.mark.parametrize(("name", "z", "x", "a", "b", "h"), list(circle_cases()))
def test_wrapped_gaussian_auto_matches_reference(name, z, x, a, b, h, monkeypatch):
    kw = dict(kernel="gaussian", bandwidth=h, circular=True)

    def no_quadrature(*args, **kwargs):
        raise AssertionError("the row fell back to the quadrature")

    monkeypatch.setattr(smooth, "_quadrature", no_quadrature)
    got_l, got_g = symkde.loss_and_grad(z, x, a, b, **kw)
    monkeypatch.undo()
    ref_l, ref_g = reference.loss_and_grad(z, x, a, b, dps=REF_DPS, **kw)
    assert_close(got_l, ref_l, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got_g, ref_g, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")


@pytest.mark.parametrize(
    ("n", "a", "b", "h"), [(1500, 0.0, 1.0, 0.05), (600, 1.0, 1.0 + TWO_PI, 0.3)]
)
def test_wrapped_gaussian_rows_match_the_quadrature(n, a, b, h):
    rng = np.random.default_rng(n)
    z, x = rng.normal(0, 1, n), rng.uniform(-4.0, 4.0, n)
    kw = dict(kernel="gaussian", bandwidth=h, circular=True)
    got_l, got_g = symkde.loss_and_grad(z, x, a, b, **kw)
    ref_l, ref_g = symkde.loss_and_grad(z, x, a, b, method="quadrature", **kw)
    # the quadrature is held to 1e-14 per panel: 1e-13 leaves room for both roundings
    assert abs(got_l - ref_l) <= 1e-13 * max(1.0, abs(ref_l))
    assert np.abs(got_g - ref_g).max() <= 1e-13


def test_missing_images_are_caught(monkeypatch):
    """Only the angles themselves (no images): the whole circle's loss is visibly wrong."""
    rng = np.random.default_rng(3)
    z, x = rng.normal(0, 1, 50), rng.uniform(-3.0, 3.0, 50)
    kw = dict(kernel="gaussian", bandwidth=0.3, circular=True)
    ref = symkde.loss(z, x, 0.0, TWO_PI, **kw)
    monkeypatch.setattr(smooth, "image_count", lambda kernel, h: -1)
    assert abs(symkde.loss(z, x, 0.0, TWO_PI, **kw) - ref) > 1e-6


@pytest.mark.parametrize("h", [0.05, 0.3, 1.0, 1.2, 1.5, 2.0])
def test_image_count_is_the_smallest_meeting_the_proved_bound(h):
    count = image_count("gaussian", h)
    exact_h = sp.Rational(h).limit_denominator(1000)
    assert count == codegen_smooth.gaussian_image_count(exact_h)
    bound = codegen_smooth.gaussian_image_tail_bound
    meets = sp.Le(bound(count, exact_h), codegen_smooth.IMAGE_TAIL)
    assert holds_true("K meets the bound", meets).holds
    if count > 1:
        smaller = sp.Le(bound(count - 1, exact_h), codegen_smooth.IMAGE_TAIL)
        assert not holds_true("K - 1 is rejected", smaller).holds


def test_wide_kernels_fall_back_to_the_quadrature(monkeypatch):
    calls = []
    monkeypatch.setattr(smooth, "_quadrature", lambda *args: calls.append(1) or (0.0, None))
    rng = np.random.default_rng(5)
    symkde.loss(rng.normal(0, 1, 5), rng.uniform(-3, 3, 5), 0.0, 1.0, kernel="gaussian",
                bandwidth=4.0, circular=True)  # fmt: skip
    assert calls == [1]
