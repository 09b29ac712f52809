"""Wrapped kernels: the stable log forms equal log of the closed forms, which equal image sums."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from symkde.numeric import images as numeric_images
from symkde.numeric import mixture as numeric_mixture
from symkde.numeric._generated import log_kernels as generated
from symkde.symbolic.kernels import KERNELS, h, u, wrapped_density, wrapped_log_density

r = sp.Symbol("r", nonnegative=True)  # u mod 2 pi, in [0, 2 pi)


@pytest.mark.parametrize("name", ["laplace", "cauchy", "vonmises"])
def test_stable_log_form_is_log_of_closed_form(name):
    stable = wrapped_log_density(name).subs(sp.Mod(u, 2 * sp.pi), r)
    closed = wrapped_density(name).subs(sp.Mod(u, 2 * sp.pi), r)
    gap = sp.exp(stable.rewrite("naive").rewrite(sp.exp)) - closed
    assert sp.simplify(gap.rewrite(sp.exp)) == 0


def test_stable_log_form_refutes_a_wrong_closed_form():
    # the check above must be able to fail: a Laplace closed form with sinh(2 pi / h) is wrong
    stable = wrapped_log_density("laplace").subs(sp.Mod(u, 2 * sp.pi), r)
    wrong = sp.cosh((sp.pi - r) / h) / (2 * h * sp.sinh(2 * sp.pi / h))
    gap = sp.exp(stable.rewrite("naive").rewrite(sp.exp)) - wrong
    assert sp.simplify(gap.rewrite(sp.exp)) != 0


def image_sum(name, uv, hv, terms=4000):
    k_expr = sp.lambdify((u, h), KERNELS[name].density, modules="mpmath")
    with mpmath.workdps(40):
        uv, hv = mpmath.mpf(uv), mpmath.mpf(hv)
        return mpmath.nsum(lambda k: k_expr(uv + 2 * mpmath.pi * k, hv), [-mpmath.inf, mpmath.inf])


@pytest.mark.parametrize("name", ["laplace", "cauchy"])
@pytest.mark.parametrize(
    ("uv", "hv"), [(0.3, 0.5), (-2.9, 1.0), (3.1, 4.0), (0.0, 0.2), (6.0, 2.0)]
)
def test_closed_form_equals_image_sum_at_40_digits(name, uv, hv):
    closed = sp.lambdify((u, h), wrapped_density(name), modules="mpmath")
    with mpmath.workdps(40):
        ref = image_sum(name, uv, hv)
        assert abs(closed(mpmath.mpf(uv), mpmath.mpf(hv)) - ref) < mpmath.mpf(10) ** -30 * ref


@pytest.mark.parametrize(
    "name", ["laplace", "gaussian", "boxcar", "triangle", "cauchy", "vonmises"]
)
@pytest.mark.parametrize("hv", [0.05, 0.7, 2.0, 9.0])
def test_numeric_wrapped_kernel_matches_image_sum(name, hv):
    mix = numeric_mixture._Mixture(
        np.zeros(1), np.zeros(1), np.zeros(1, dtype=np.intp), np.ones(1), name, hv, True
    )
    t = np.array([-3.0, -1.2, 0.0, 0.4, 2.5, 3.14, 7.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        got = numeric_mixture._log_kernel_values(mix, t)[:, 0]
    for tv, g in zip(t, got, strict=True):
        if name == "vonmises":
            with mpmath.workdps(40):
                density = sp.lambdify((u, h), KERNELS[name].density, "mpmath")
                ref = mpmath.log(density(mpmath.mpf(tv), mpmath.mpf(hv)))
        else:
            ref = (
                mpmath.log(image_sum(name, tv, hv)) if image_sum(name, tv, hv) > 0 else -mpmath.inf
            )
        if ref == -mpmath.inf:
            assert g == -np.inf
        else:
            # 8 eps relative to max(1, |log K|): rounding of u, mod 2 pi and a few flops
            assert abs(g - float(ref)) <= 8 * np.spacing(max(1.0, abs(float(ref)))), (tv, g, ref)


def test_vonmises_log_kernel_is_finite_at_huge_kappa():
    # kappa = 1e8: I0(kappa) overflows float64, its scaled log does not
    values = generated.log_kernel_circ_vonmises(np.array([0.0, 1e-4, np.pi]), 1e-4)
    assert np.isfinite(values).all()
    with mpmath.workdps(40):
        kappa = mpmath.mpf(10) ** 8
        exact = -mpmath.log(2 * mpmath.pi * mpmath.besseli(0, kappa) * mpmath.exp(-kappa))
    assert values[0] == pytest.approx(float(exact), rel=1e-14)


def dropped_tail(name, hv, count):
    """max over r in [-pi, pi] of the image-sum tail beyond |k| > count, relative to the sum."""
    density = sp.lambdify((u, h), KERNELS[name].density, modules="mpmath")
    worst = mpmath.mpf(0)
    with mpmath.workdps(40):
        hm = mpmath.mpf(hv)
        for r in (mpmath.pi, -mpmath.pi, mpmath.mpf(3), mpmath.mpf(0)):
            terms = {
                k: density(r + 2 * mpmath.pi * k, hm) for k in range(-count - 400, count + 401)
            }
            total = mpmath.fsum(terms.values())
            tail = mpmath.fsum(v for k, v in terms.items() if abs(k) > count)
            worst = max(worst, tail / total)
    return worst


@pytest.mark.parametrize("name", ["gaussian", "laplace"])
@pytest.mark.parametrize("hv", [0.3, 1.0, 3.0, 10.0])
def test_image_count_drops_less_than_its_bound_and_no_more_than_needed(name, hv):
    count = numeric_images.image_count(name, hv)
    assert dropped_tail(name, hv, count) < 1e-17  # the bound it promises
    # and it is not wasteful: the geometric bound overshoots by at most 4 images
    # (laplace, h = 10: 65 where 62 suffice, each image 0.53x the previous)
    assert count <= 5 or dropped_tail(name, hv, count - 5) > 1e-17
