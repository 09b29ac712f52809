"""Regression tests for the triangle kernel's exact position and bandwidth derivatives.

Issue: ``symkde.derivatives`` (triangle, method exact/auto) integrated ``R_j (log K)'`` by
adaptive quadrature, which crawled towards the log singularities of ``1/p`` where a dominant
support ends (logits +-700 did not finish in minutes) and multiplied ``0 * inf`` outside the
supports (a RuntimeWarning, an error under ``-W error``).  Now each segment between kinks is
integrated in closed form (:mod:`symkde.numeric.derivative_compact`; the direct form in
:mod:`symkde.numeric.derivative_triangle`).  Checked against the
mpmath reference at REF_DPS = 30 digits (error ~1e-25, far below the contract's 1e-12), and,
at logits +-700 where the reference's quadrature is too slow for a test, against the
translation and scaling identities (each side within the contract's tolerance of its terms).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import symkde
from symkde import reference
from tests.test_derivatives import REF_DPS, TOL, assert_derivatives_close

CASES = [
    # (z, x, h, circular): moderate spread, e^24 spread, nearly coincident points, a circle
    ([0.5, -1.0, 0.3], [0.3, 0.5, 0.7], 0.4, False),
    ([4.0, -4.0, 0.0, 1.0], [0.1, 0.45, 0.8, 0.6], 0.35, False),
    ([12.0, -12.0, 0.0], [0.3, 0.5, 0.7], 0.4, False),
    ([0.0, 1.0, -0.5], [0.4, 0.4 + 2.0**-40, 0.7], 0.45, False),
    ([0.2, -0.4, 1.0], [0.3, 2.0, 4.0], 2.5, True),
]


@pytest.mark.parametrize(("z", "x", "h", "circular"), CASES)
def test_triangle_exact_against_reference(z, x, h, circular):
    b = 2 * math.pi if circular else 1.0
    options = {"kernel": "triangle", "bandwidth": h, "circular": circular}
    got = symkde.derivatives(z, x, 0.0, b, **options)
    ref = reference.derivatives(z, x, 0.0, b, dps=REF_DPS, **options)
    assert_derivatives_close(got, ref, h=h, a=0.0, b=b, what=f"triangle z={z} x={x}")


@pytest.mark.parametrize("method", ["quadrature", "bins"])
def test_triangle_other_methods_no_warning(method):
    # pytest runs with warnings as errors: 0 * inf outside a support used to warn here
    z, x, h = CASES[0][:3]  # a node at a support's end: 0 * inf before the fix
    bins = 64 if method == "bins" else None
    options = {"kernel": "triangle", "bandwidth": h, "method": method, "bins": bins}
    got = symkde.derivatives(z, x, 0.0, 1.0, **options)
    options["method"] = "bins" if method == "bins" else "integral"  # the reference's names
    ref = reference.derivatives(z, x, 0.0, 1.0, dps=REF_DPS, **options)
    assert_derivatives_close(got, ref, h=h, a=0.0, b=1.0, what=f"triangle {method}")


def _identities(d, x, a, b, h):
    """``(translation, scaling - 1, size)``: both residuals are 0 for exact derivatives;
    ``size`` bounds the contract's error in them (each term to 1e-12 of max(|term|, scale))."""
    x = np.asarray(x, dtype=float)
    s_x, s_ab = 1.0 / h, (1.0 + abs(d.loss)) / (b - a)
    translation = math.fsum([*d.x.tolist(), d.a, d.b])
    scaling = math.fsum([*(x * d.x).tolist(), a * d.a, b * d.b, h * d.bandwidth]) - 1.0
    size = (
        np.abs(x) * np.maximum(np.abs(d.x), s_x)
        + np.maximum(np.abs(d.x), s_x)
        + h * max(abs(d.bandwidth), s_x)
    ).sum() + (1.0 + abs(a) + abs(b)) * max(abs(d.a), abs(d.b), s_ab)
    return translation, scaling, float(size)


@pytest.mark.parametrize(
    ("z", "x", "h"),
    [
        ([700.0, -700.0, 0.0], [0.3, 0.5, 0.7], 0.4),
        ([-700.0, 700.0, -700.0, 0.0], [0.1, 0.45, 0.8, 0.6], 0.35),
    ],
)
def test_triangle_extreme_logits_identities(z, x, h):
    # used to run for minutes in the adaptive quadrature; the closed form is instant
    d = symkde.derivatives(z, x, 0.0, 1.0, kernel="triangle", bandwidth=h)
    assert np.isfinite(d.x).all() and math.isfinite(d.bandwidth)
    translation, scaling, size = _identities(d, x, 0.0, 1.0, h)
    assert abs(translation) <= TOL * size, translation
    assert abs(scaling) <= TOL * size, scaling


def test_identities_reject_a_wrong_value():
    z, x, h = [700.0, -700.0, 0.0], [0.3, 0.5, 0.7], 0.4
    d = symkde.derivatives(z, x, 0.0, 1.0, kernel="triangle", bandwidth=h)
    wrong = d._replace(bandwidth=d.bandwidth * (1 + 1e-9))
    _, scaling, size = _identities(wrong, x, 0.0, 1.0, h)
    assert abs(scaling) > TOL * size


def test_triangle_exact_touching_supports_raise():
    with pytest.raises(symkde.UncoveredTargetError, match=r"0\.5"):
        symkde.derivatives([0.0, 0.0], [0.2, 0.8], 0.0, 1.0, kernel="triangle", bandwidth=0.3)
