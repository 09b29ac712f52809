"""Coverage of the target by compact kernels is decided in the input coordinates.

API.md takes inputs as exact binary values: supports ``[x_j - h, x_j + h]`` that touch exactly
cover the target, and a gap of any positive width leaves it uncovered (``loss = inf``).  The
closed forms compute in coordinates shifted by ``a``, where ``x - a +- h`` rounds: before this
was decided in the input coordinates, two touching supports could be an ulp apart there (the
closed form said ``inf``; found by ``test_fuzz``'s exploring profile and a sweep, 1482 of 17892
touching configurations), and a gap narrower than an ulp of ``x - a`` could vanish (finite
loss on an uncovered target).  ``numeric.coverage._if_uncovered`` now decides for the closed
forms and the quadrature alike.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import symkde
from symkde import reference
from symkde.errors import UncoveredTargetError
from symkde.numeric.exact import exact_loss_grad
from tests.helpers import GRAD_ATOL, LOSS_RTOL, assert_close
from tests.test_fuzz import uncovered_piece

#: The reference's precision for these checks (digits); the tolerances are API.md's 1e-12.
DPS = 30
COMPACT = ("boxcar", "triangle")
METHODS = ("auto", "exact", "quadrature")

#: Supports that touch exactly (x1 + h == x2 - h in exact arithmetic of the floats), with the
#: target's end at a float that makes ``x - a`` round: the shifted closed form saw a gap.
TOUCHING = [
    (
        [0.0, 0.5],
        [-0.87248869054183, 0.12751130945817002],
        -1.1572705233788565,
        0.26684268952475787,
        0.5,
    ),
    ([0.0, 0.5], [-1.9767016, 0.023298400000000052], -2.451712174499798, -0.13432397154208942, 1.0),
]


def touch_exactly(x1: float, x2: float, h: float) -> bool:
    return Fraction(x1) + Fraction(h) == Fraction(x2) - Fraction(h)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kernel", COMPACT)
@pytest.mark.parametrize("case", range(len(TOUCHING)))
def test_supports_that_touch_cover_the_target(case, kernel, method):
    z, x, a, b, h = TOUCHING[case]
    assert touch_exactly(x[0], x[1], h)
    loss, grad = symkde.loss_and_grad(z, x, a, b, kernel=kernel, bandwidth=h, method=method)
    ref_loss, ref_grad = reference.loss_and_grad(z, x, a, b, kernel=kernel, bandwidth=h, dps=DPS)
    assert_close(loss, ref_loss, rtol=LOSS_RTOL, ref_dps=DPS, what="loss")
    assert_close(grad, ref_grad, atol=GRAD_ATOL, ref_dps=DPS, what="gradient")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kernel", COMPACT)
def test_a_gap_narrower_than_an_ulp_of_x_minus_a_is_still_a_gap(kernel, method):
    # the support [0, 2] misses [-1e-16, 0): x - a = 1 + 1e-16 rounds to 1
    args = ([0.0], [1.0], -1e-16, 1.0)
    options = dict(kernel=kernel, bandwidth=1.0, method=method)
    assert symkde.loss(*args, **options) == math.inf
    with pytest.raises(UncoveredTargetError) as caught:
        symkde.grad(*args, **options)
    assert caught.value.interval == (-1e-16, 0.0)


def test_the_covered_flag_drops_only_rounding_artefacts():
    z, x, a, b, h = TOUCHING[0]
    log_w = np.log(np.exp(z) / np.exp(z).sum())
    x = np.asarray(x)
    # without the caller's word, the shifted coordinates' artefact counts as a gap
    assert exact_loss_grad("boxcar", log_w, x, a, b, h, with_grad=False)[0] == math.inf
    assert math.isfinite(exact_loss_grad("boxcar", log_w, x, a, b, h, covered=True)[0])
    # a real gap (the second support moved right by 1e-9) is not an artefact: refused loudly
    apart = x + np.array([0.0, 1e-9])
    for kernel in COMPACT:
        with pytest.raises(RuntimeError, match="wider than rounding"):
            exact_loss_grad(kernel, log_w, apart, a, b, h, covered=True)


def touching_problems(seed: int, count: int, circular: bool):
    """Random problems whose two supports touch exactly inside the target."""
    rng = np.random.default_rng(seed)
    found = 0
    while found < count:
        h = float(rng.choice([0.1, 0.25, 0.3, 0.5, 0.7, 1.0]))
        x1 = float(np.round(rng.uniform(-2, 2), int(rng.integers(1, 17))))
        x2 = x1 + 2 * h
        if not touch_exactly(x1, x2, h):
            continue
        a = float(rng.uniform(x1 - h, x1 + h))
        b = float(rng.uniform(x2 - h, x2 + h))
        if circular:
            b = min(b, a + 6.0)
        if rng.random() < 0.5:
            a = float(np.nextafter(a, -np.inf))
        found += 1
        yield [0.0, float(rng.normal())], [x1, x2], a, b, h


@pytest.mark.parametrize("circular", [False, True])
@pytest.mark.parametrize("kernel", COMPACT)
def test_closed_form_and_quadrature_agree_on_touching_supports(kernel, circular):
    for z, x, a, b, h in touching_problems(7, 60, circular):
        options = dict(kernel=kernel, bandwidth=h, circular=circular)
        truth = uncovered_piece(Fraction(h), Fraction(a), Fraction(b), [Fraction(v) for v in x])
        exact = symkde.loss_and_grad(z, x, a, b, method="exact", **options)
        quad = symkde.loss_and_grad(z, x, a, b, method="quadrature", **options)
        where = f"{options} z={z} x={x} a={a!r} b={b!r}"
        if not circular:  # on the line the supports cover [a, b] exactly
            assert truth is None, where
        assert abs(exact[0] - quad[0]) <= 2 * LOSS_RTOL * max(1.0, abs(exact[0])), where
        assert np.all(np.abs(exact[1] - quad[1]) <= 2 * GRAD_ATOL), where


# --------------------------------------------------------------------------- zeros of p far from 0


@pytest.mark.parametrize(
    "a", [0.0, 1.6, 100.5, -1e6 + 0.5, 2.0**40], ids=["at 0", "1.6", "100.5", "-1e6", "2^40"]
)
def test_triangle_quadrature_with_p_zero_at_a_far_from_0(a):
    # the support [a, a + 1] of a point at a + 1/2 starts at a: log p ~ log(t - a).  Quadrature
    # nodes next to a round onto it when |a| is large (the s**10 node mapping used before
    # raised QuadratureError from a = 100.5 on)
    args = ([0.0], [a + 0.5], a, a + 0.3)
    got = symkde.loss_and_grad(*args, kernel="triangle", bandwidth=0.5, method="quadrature")
    ref_loss, ref_grad = reference.loss_and_grad(*args, kernel="triangle", bandwidth=0.5, dps=DPS)
    assert_close(got[0], ref_loss, rtol=LOSS_RTOL, ref_dps=DPS, what="loss")
    assert_close(got[1], ref_grad, atol=GRAD_ATOL, ref_dps=DPS, what="gradient")


def test_zero_end_panels_are_the_theorem_s_closed_form():
    """numeric.quadrature._zero_end_panels term by term against triangle_zero_end_panel's right
    side."""
    import sympy as sp

    from symkde.numeric import mixture as numeric_mixture
    from symkde.numeric import quadrature as numeric_quadrature
    from symkde.numeric.validate import validate
    from symkde.theorems.closed_forms import THEOREMS, L_panel, P_far

    (theorem,) = [t for t in THEOREMS if t.name == "triangle_zero_end_panel"]
    log_integral = sp.lambdify((P_far, L_panel), theorem.statement.args[0].rhs, "mpmath")
    # two points at 1 (supports [0.5, 1.5]) and one at 2 ([1.5, 2.5]): p = 0 at 1.5 only;
    # on the target [1.2, 1.8] the panel [1.2, 1.5] has its zero at hi
    z, x, a, b, h = [0.3, -0.2, 0.1], [1.0, 1.0, 2.0], 1.2, 1.8, 0.5
    mix = numeric_mixture._mixture(
        validate(z, x, a, b, kernel="triangle", bandwidth=h, circular=False)
    )
    lo, hi = np.array([1.2]), np.array([1.5])
    kind = np.array([numeric_quadrature._ZERO_AT_HI], dtype=np.int8)
    part, part_r = numeric_quadrature._zero_end_panels(mix, lo, hi, kind, a, b)
    w = np.exp(z) / np.exp(z).sum()
    kernels = np.maximum(h - np.abs(1.2 - np.array(x)), 0.0) / h**2  # at the far end, 1.2
    p_far = float(w @ kernels)
    expected = float(log_integral(p_far, 0.3)) / (b - a)
    assert abs(part - expected) <= 1e-15
    # R_j = w_j K_j / p at the far end: the two points at 1 share it, the one at 2 gets 0
    np.testing.assert_allclose(part_r, 0.3 * w * kernels / p_far / (b - a), rtol=1e-14)
    assert part_r[2] == 0.0
    # and the closed form is not a tautology: without its "- 1" it would be off by L/(b - a)
    assert abs(part - 0.3 * np.log(p_far) / (b - a)) > 0.4
