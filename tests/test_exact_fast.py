"""The compiled fast path of the exact Laplace loss (numeric.compiled, exact_laplace._laplace_fast).

It must (1) agree with the log-space scans it short-cuts, in every regime where it runs, and
with the mpmath reference; (2) decline (return None) exactly where its linear-space sums
could lose accuracy, so that the log-space path takes over; (3) integrate short segments
with the SymPy series, whose printed polynomials are checked here against mpmath quadrature
and shown to be rejected when a coefficient is perturbed.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

from symkde import reference
from symkde.numeric import compiled as _fast
from symkde.numeric import exact, exact_laplace
from symkde.numeric._generated import laplace_forms
from tests.helpers import GRAD_ATOL, LOSS_RTOL, assert_close, log_softmax

REF_DPS = 30


def _log_space(lw, x, a, b, h):
    """The log-space scans (exact._items), which the fast path short-cuts."""
    value, log_resp = exact._items("laplace", lw, x, a, b, h, True)
    return value, np.exp(lw) - np.exp(log_resp - np.log(b - a))


def _fast_path(lw, x, a, b, h):
    result = exact_laplace._laplace_fast(lw, x, a, b, h, True)
    assert result is not None, "the fast path declined a regime it should take"
    return result


_RNG = np.random.default_rng(20261126)


def _configs():
    r = _RNG
    yield "dense-inside", r.normal(0, 1, 3000), r.uniform(0, 1, 3000), 0.0, 1.0, 0.05
    yield "both-sides", r.normal(0, 1, 3000), r.uniform(-1, 2, 3000), 0.0, 1.0, 0.05
    sparse = np.r_[r.uniform(0, 1, 38), [-0.01, 1.02]]  # outside points within 8 bandwidths
    yield "sparse-long-segments", r.normal(0, 1, 40), sparse, 0.0, 1.0, 0.004
    yield "mixed-lengths", r.normal(0, 2, 500), r.normal(0.5, 0.3, 500), 0.0, 1.0, 0.01
    yield (
        "ties-and-ends",
        [0.1, 0.2, 0.3, -1.0, 2.0, 0.5],
        [0.4, 0.4, 0.4, 0.0, 1.0, 1.0],
        0,
        1,
        0.3,
    )
    yield "single-inside", [0.0, 3.0, -2.0], [0.5, -0.5, 1.5], 0.0, 1.0, 0.2
    yield (
        "none-inside",
        r.normal(0, 1, 7),
        np.r_[r.uniform(-3, 0, 4), r.uniform(1, 4, 3)],
        0,
        1,
        0.5,
    )
    yield "all-left", r.normal(0, 1, 5), r.uniform(-3, -1, 5), 0.0, 1.0, 0.7
    yield "one-point", [0.0], [0.25], 0.0, 1.0, 1.3
    yield "tiny-h", r.normal(0, 1, 50), r.uniform(0, 1, 50), 0.0, 1.0, 1e-6
    yield "huge-h", r.normal(0, 1, 50), r.uniform(-1e3, 1e3, 50), 0.0, 1.0, 1e6
    yield "far-from-zero", r.normal(0, 1, 200), 1e8 + r.uniform(0, 1, 200), 1e8, 1e8 + 1, 0.05
    yield "logits-240", r.uniform(-240, 240, 100), r.uniform(0, 1, 100), 0.0, 1.0, 0.1
    yield "clusters-400bw", r.normal(0, 1, 60), np.r_[np.zeros(30), np.full(30, 4.0)], -1, 5, 0.01


@pytest.mark.parametrize(("name", "z", "x", "a", "b", "h"), list(_configs()))
def test_fast_path_agrees_with_log_space_scans(name, z, x, a, b, h):
    lw = log_softmax(z)
    x = np.asarray(x, dtype=np.float64)
    value, gradient = _fast_path(lw, x, float(a), float(b), h)
    ref_value, ref_grad = _log_space(lw, x, float(a), float(b), h)
    # both are float64 paths with errors of a few ulps: 64 eps on the loss, 1e-15 absolute on
    # the gradient (whose entries are at most 1)
    assert abs(value - ref_value) <= 64 * np.finfo(float).eps * max(1.0, abs(ref_value)), name
    assert np.max(np.abs(gradient - ref_grad)) <= 1e-15, name
    assert abs(gradient.sum()) <= 1e-13


@pytest.mark.parametrize(
    ("z", "x", "a", "b", "h"),
    [
        ([0.3, -1.0, 2.0, 0.0], [0.1, 0.45, 0.5, 0.9], 0.0, 1.0, 0.05),
        ([0.0, 1.0, -2.0], [-0.5, 0.2, 1.7], 0.0, 1.0, 0.3),
        ([1.0, 0.0, 0.5, -0.5], [0.2, 0.2, 0.7, 1.0], 0.0, 1.0, 2.0),
        # sides that matter 10 and 60 bandwidths beyond the ends (the fast path's limit is
        # 64): judged against mpmath, not the scans, which are the less accurate here (the
        # inside point's gradient 3.2e-15 off, the fast path's 2.2e-16)
        ([3.0, 0.0, 58.0], [-1.0, 0.5, 7.0], 0.0, 1.0, 0.1),
    ],
)
def test_fast_path_matches_mpmath_reference(z, x, a, b, h):
    lw = log_softmax(np.array(z))
    value, gradient = _fast_path(lw, np.array(x), a, b, h)
    ref_value, ref_grad = reference.loss_and_grad(
        z, x, a, b, kernel="laplace", bandwidth=h, dps=REF_DPS
    )
    assert_close(value, ref_value, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="fast loss")
    assert_close(gradient, ref_grad, atol=GRAD_ATOL, ref_dps=REF_DPS, what="fast grad")


def test_dense_million_points_agree_with_log_space():
    """5e4 points per bandwidth: where a per-step recurrence with a biased exp drifted."""
    rng = np.random.default_rng(7)
    n = 1_000_000
    x = rng.uniform(0.0, 1.0, n)
    lw = log_softmax(rng.normal(size=n))
    value, gradient = _fast_path(lw, x, 0.0, 1.0, 0.05)
    order = np.argsort(x)
    ref_value, log_resp = exact_laplace._laplace(lw[order], x[order], 0.0, 1.0, 0.05, True)
    ref_grad = np.empty(n)
    ref_grad[order] = np.exp(lw[order]) - np.exp(log_resp)
    assert abs(value - ref_value) <= 1e-14 * max(1.0, abs(ref_value))
    assert np.max(np.abs(gradient - ref_grad)) <= 1e-17


@pytest.mark.parametrize(
    ("why", "z", "x", "a", "b", "h"),
    [
        ("weights spread past e^500", [600.0, 0.0], [0.2, 0.7], 0.0, 1.0, 0.1),
        ("outside mass below e^-500 of the inside", [0.0, 0.0], [0.5, -60.0], 0.0, 1.0, 0.1),
        ("inside weight below e^-500 of an outside mass", [-600.0, 0.0], [0.5, 1.0], 0, 1, 0.1),
        ("target longer than 1e15 bandwidths", [0.0, 0.0], [0.5, 0.7], 0.0, 1.0, 1e-16),
        (
            "a side that matters 100 bandwidths beyond its end",
            [103.0, 0.0],
            [-10.0, 0.5],
            0,
            1,
            0.1,
        ),
    ],
)
def test_fast_path_declines_unsafe_regimes(why, z, x, a, b, h):
    lw = log_softmax(np.array(z))
    x = np.array(x, dtype=np.float64)
    assert exact_laplace._laplace_fast(lw, x, float(a), float(b), h, True) is None, why
    # ... and the public function still answers, through the log-space scans
    value, gradient = exact.exact_loss_grad("laplace", lw, x, a, b, h)
    ref_value, ref_grad = _log_space(lw, x, float(a), float(b), h)
    assert value == ref_value
    np.testing.assert_array_equal(gradient, ref_grad)


def test_fast_path_runs_in_the_benchmark_regime_and_masks_points():
    rng = np.random.default_rng(3)
    z = rng.normal(size=1000)
    z[::7] = -np.inf
    x = rng.uniform(-1.0, 2.0, 1000)
    value, gradient = exact.exact_loss_grad("laplace", log_softmax(z), x, 0.0, 1.0, 0.05)
    live = np.isfinite(z)
    assert np.all(gradient[~live] == 0.0)
    ref_value, ref_grad = _fast_path(log_softmax(z[live]), x[live], 0.0, 1.0, 0.05)
    assert value == ref_value
    np.testing.assert_array_equal(gradient[live], ref_grad)


# --- the short-segment series --------------------------------------------------------------


def _mp_log_series(d: float, shape: float) -> mpmath.mpf:
    """(1/d) int_{-d/2}^{d/2} log(cosh v + T sinh v) dv by quadrature at 40 digits."""
    with mpmath.workdps(40):
        t = mpmath.mpf(shape)
        half = mpmath.mpf(d) / 2
        return mpmath.quad(
            lambda v: mpmath.log(mpmath.cosh(v) + t * mpmath.sinh(v)), [-half, half]
        ) / (2 * half)


def _mp_resp_series(d: float, q: float) -> mpmath.mpf:
    with mpmath.workdps(40):
        qq = mpmath.mpf(q)
        half = mpmath.mpf(d) / 2
        return mpmath.quad(lambda v: 1 / (qq + (1 - qq) * mpmath.exp(2 * v)), [-half, half]) / (
            2 * half
        )


_SERIES_POINTS = [(d, s) for d in (1e-4, 0.01, 0.05, 0.1) for s in (-1.0, -0.6, 0.0, 0.3, 0.999)]


@pytest.mark.parametrize(("d", "shape"), _SERIES_POINTS)
def test_printed_series_match_quadrature(d, shape):
    got_log = laplace_forms.laplace_short_log(d * d, shape)
    assert abs(got_log - float(_mp_log_series(d, shape))) <= 2e-18
    q = (1.0 - shape) / 2.0  # any q in [0, 1]
    got_resp = laplace_forms.laplace_short_resp(d * d, q)
    ref = _mp_resp_series(d, q)
    assert abs(got_resp - float(ref)) <= 4 * np.finfo(float).eps * float(ref)


def test_series_check_rejects_a_perturbed_coefficient():
    # the d^4 coefficient of the log series at T = 0 is -1/960; perturb it by 1%
    def perturbed(d2, shape):
        return laplace_forms.laplace_short_log(d2, shape) - 0.01 * d2 * d2 / 960

    d, shape = 0.1, 0.0
    err = abs(perturbed(d * d, shape) - float(_mp_log_series(d, shape)))
    assert err > 2e-18  # the tolerance of test_printed_series_match_quadrature catches it
    assert _fast.SHORT_SEGMENT == laplace_forms.SHORT_SEGMENT == 0.1


def test_compiled_short_integrals_match_python_series():
    """The compiled loops inline the generated functions: same values as calling them."""
    rng = np.random.default_rng(11)
    dist = rng.uniform(0.0, 0.1, 64)
    left, right = rng.uniform(1e-3, 2.0, 64), rng.uniform(1e-3, 2.0, 64)
    total = left + right
    out = np.empty(64)
    _fast.short_log_integrals(dist, left, right, np.log(total), out)
    expect = dist * (
        np.log(total) - dist / 2 + laplace_forms.laplace_short_log(dist**2, (right - left) / total)
    )
    np.testing.assert_allclose(out, expect, rtol=4e-16, atol=1e-300)
    _fast.short_resp_integrals(dist, left, right, out)
    expect = dist / total * laplace_forms.laplace_short_resp(dist**2, left / total)
    np.testing.assert_allclose(out, expect, rtol=4e-16)


# --- the sorting permutation -------------------------------------------------------------


def _assert_sorts(values: np.ndarray) -> None:
    values = np.ascontiguousarray(values, dtype=np.float64)
    order = exact_laplace._sorting_permutation(values)
    assert np.array_equal(np.sort(order), np.arange(values.size)), "not a permutation"
    assert np.all(np.diff(values[order]) >= 0), "does not sort"


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 1000, 200_000])
def test_sorting_permutation_sorts_ties_near_ties_and_signs(n):
    rng = np.random.default_rng(n)
    _assert_sorts(rng.uniform(-1.0, 1.0, n))
    _assert_sorts(np.full(n, 0.5))  # exact ties
    _assert_sorts(1.0 + rng.integers(0, 3, n) * 2.0**-52)  # neighbours an ulp apart
    _assert_sorts(rng.normal(size=n) * 1e-310)  # subnormal
    _assert_sorts(np.where(rng.random(n) < 0.5, 0.0, -0.0))  # signed zeros


def test_sorting_permutation_crowded_values_fall_back_to_argsort():
    rng = np.random.default_rng(5)
    crowded = 1.0 + np.arange(100_000) * 2.0**-52  # every key agrees above its index bits
    rng.shuffle(crowded)
    _assert_sorts(crowded)
    _assert_sorts(np.array([-1e308, 1e308, -5e-324, 5e-324, 0.0, -0.0, 3.0, -3.0]))


def test_sort_check_rejects_a_wrong_permutation():
    """prepare, the last line of defence, notices an order that does not sort."""
    x = np.array([0.3, 0.1, 0.2])
    pairs = np.stack([x, np.zeros(3)], axis=1)
    work = np.empty((4, 5))
    args = (0.0, 1.0, 0.5, work[0, :3], work[1, :4], work[2], work[3])
    assert _fast.prepare(pairs, np.array([1, 2, 0]), *args)
    assert not _fast.prepare(pairs, np.array([0, 1, 2]), *args)
