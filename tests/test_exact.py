"""symkde.numeric.exact: closed-form loss and gradient on the line (laplace, boxcar, triangle).

Three layers: (1) each per-segment numeric function against the SymPy antiderivative of
``symkde.theorems.closed_forms`` lambdified with mpmath at 50 digits; (2) the whole loss
and gradient against ``symkde.reference`` (mpmath, self-checked) over the regimes;
(3) large n against a dense O(n * segments) float64 evaluation that shares no scan code.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from symkde import reference
from symkde.errors import UncoveredTargetError
from symkde.numeric.exact import exact_loss_grad
from symkde.numeric.segment_forms import (
    _log_correction,
    laplace_segment_log_integral,
    laplace_segment_log_resp,
    log_linear_mean,
    reciprocal_linear_integrals,
)
from symkde.theorems.closed_forms import antiderivatives
from tests.helpers import EPS, GRAD_ATOL, LOSS_RTOL, assert_close, log_softmax

REF_DPS = 30  # reference self-checked at 30 and 45 digits: error < 1e-25, far below 1e-12
TERM_DPS = 50


# --- (1) per-segment closed forms, term by term -------------------------------------------------


def _mp_function(name: str):
    """The SymPy antiderivative as an mpmath function; arguments are converted to mpf first
    (exact for floats), so no intermediate is rounded to float64."""
    expr, symbols = antiderivatives()[name]
    compiled = sp.lambdify(symbols, expr, "mpmath")
    return lambda *args: compiled(*(mpmath.mpf(v) for v in args))


def _grid_laplace(extra_ds=()):
    logs = (-1e4, -700.0, -30.0, -1.0, 0.0)
    ds = (1e-12, 1e-3, 0.3, 3.0, 50.0, 1e3, *extra_ds)
    return [(b, a, d) for b in logs for a in logs for d in ds]


def _check_terms(got, ref, scale, bound_eps: float, what: str) -> None:
    """``|got - ref| <= bound_eps * eps * scale`` entry-wise; lists every failure."""
    got = np.asarray(got, dtype=np.float64)
    err = np.array(
        [abs(mpmath.mpf(float(g)) - r) for g, r in zip(got, ref, strict=True)], dtype=float
    )
    bound = bound_eps * EPS * np.asarray(scale, dtype=float)
    bad = ~(err <= bound)
    assert not bad.any(), (
        f"{what}: {int(bad.sum())}/{bad.size} off (reference {TERM_DPS} digits); worst "
        f"{(err / bound).max() * bound_eps:.1f} eps of scale; first: "
        + "; ".join(
            f"#{i} got {got[i]!r} ref {mpmath.nstr(ref[i], 17)}" for i in np.flatnonzero(bad)[:5]
        )
    )


def _laplace_log_reference(grid):
    anti = _mp_function("laplace_log")
    with mpmath.workdps(TERM_DPS):
        return [anti(d, b, a, d) - anti(0, b, a, d) for b, a, d in grid]


def test_laplace_log_segment_matches_dilog_antiderivative():
    # 0.03 and 0.1: the Gauss-Legendre branch (d <= 0.1), both sides of its switch
    grid = [*_grid_laplace((0.03, 0.1, 0.10000001)), (-1.0, -1.02, 0.1), (0.0, -0.05, 0.07)]
    lB, lA, d = (np.array(c) for c in zip(*grid, strict=True))
    # bound: 16 eps of the integral's natural size d * max(1, |lB|, |lA|, d), which is what the
    # loss (a length-weighted mean of these) is measured against.
    scale = d * np.maximum.reduce([np.ones_like(d), abs(lB), abs(lA), d])
    _check_terms(
        laplace_segment_log_integral(lB, lA, d),
        _laplace_log_reference(grid),
        scale,
        16,
        "log segment",
    )


def test_laplace_resp_integrals_match_softplus_antiderivatives():
    grid = _grid_laplace()
    lB, lA, d = (np.array(c) for c in zip(*grid, strict=True))
    got_l, got_r = laplace_segment_log_resp(lB, lA, d)
    left, right = _mp_function("laplace_resp_left"), _mp_function("laplace_resp_right")
    with mpmath.workdps(TERM_DPS):
        ref_l = [mpmath.log(left(d_, b, a, d_) - left(0, b, a, d_)) for b, a, d_ in grid]
        ref_r = [mpmath.log(right(d_, b, a, d_) - right(0, b, a, d_)) for b, a, d_ in grid]
    # logs of the integrals: 8 eps relative to max(1, |log|) (a relative error of the integral)
    for got, ref, what in ((got_l, ref_l, "left"), (got_r, ref_r, "right")):
        scale = np.maximum(1.0, np.abs([float(r) for r in ref]))
        _check_terms(got, ref, scale, 8, f"log int e^(-+s)/f ({what})")


def _grid_linear():
    ends = (-700.0, -5.0, 0.0, 3.0)
    gaps = (0.0, 1e-12, 1e-6, 0.1, 0.25, 0.26, 1.0, 30.0, 800.0)
    return [(l0, l0 + g) for l0 in ends for g in gaps] + [
        (l0 + g, l0) for l0 in ends for g in gaps if g
    ]


def _linear_dps(l0: float, l1: float) -> int:
    return TERM_DPS + int(abs(l1 - l0) / 2.3) + 10 + (12 if 0 < abs(l1 - l0) < 1e-3 else 0)


def test_log_linear_mean_matches_u_log_u_antiderivative():
    grid = _grid_linear()
    l0, l1 = (np.array(c) for c in zip(*grid, strict=True))
    anti = _mp_function("linear_log")
    ref = []
    for a, b in grid:
        # P1 - P0 cancels e^{|l1 - l0|}: add those digits so 50 survive
        with mpmath.workdps(_linear_dps(a, b)):
            ref.append(mpmath.mpf(a) if a == b else anti(1, a, b) - anti(0, a, b))
    scale = np.maximum(1.0, np.maximum(abs(l0), abs(l1)))  # 4 eps of the log scale
    _check_terms(log_linear_mean(l0, l1), ref, scale, 4, "mean log of a linear density")


def test_reciprocal_linear_integrals_match_antiderivatives():
    grid = [(a, b) for a, b in _grid_linear() if a != b]
    l0, l1 = (np.array(c) for c in zip(*grid, strict=True))
    recip, s_recip = _mp_function("linear_recip"), _mp_function("linear_s_recip")
    ref: list[list[mpmath.mpf]] = [[], [], []]
    for a, b in grid:
        with mpmath.workdps(_linear_dps(a, b)):
            j0 = recip(1, a, b) - recip(0, a, b)
            js = s_recip(1, a, b) - s_recip(0, a, b)
            for slot, value in zip(ref, (j0, js, j0 - js), strict=True):
                slot.append(mpmath.log(value))
    got = reciprocal_linear_integrals(l0, l1)
    # logs of positive integrals: 32 eps of max(1, |log|) (the closed forms cancel like 4/D
    # at D = 0.25, just above the series switch)
    for g, r, what in zip(got, ref, ("1/P", "s/P", "(1-s)/P"), strict=True):
        scale = np.maximum(1.0, np.abs([float(v) for v in r]))
        _check_terms(g, r, scale, 32, f"log int {what}")


def test_comparison_rejects_perturbed_value_and_wrong_closed_form():
    grid = _grid_laplace()
    lB, lA, d = (np.array(c) for c in zip(*grid, strict=True))
    ref = _laplace_log_reference(grid)
    scale = d * np.maximum.reduce([np.ones_like(d), abs(lB), abs(lA), d])
    good = laplace_segment_log_integral(lB, lA, d)
    with pytest.raises(AssertionError, match="log segment"):
        _check_terms(good * (1 + 64 * EPS), ref, scale, 16, "log segment")
    # a classic slip: the broken line max(lB - s, lA - d + s) without the dilogarithm term
    broken_line_only = good - _log_correction(0.5 * (lB - lA + d), d)
    with pytest.raises(AssertionError, match="log segment"):
        _check_terms(broken_line_only, ref, scale, 16, "log segment")
    # and the whole-problem helper rejects a loss off by 1e-11 relative
    lw = log_softmax(np.array([0.0, 1.0]))
    value, _ = exact_loss_grad("laplace", lw, np.array([0.2, 0.7]), 0.0, 1.0, 0.3)
    true = reference.loss([0.0, 1.0], [0.2, 0.7], 0.0, 1.0, bandwidth=0.3, dps=REF_DPS)
    with pytest.raises(AssertionError):
        assert_close(value * (1 + 1e-11), true, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")


# --- (2) whole problem against the mpmath reference ----------------------------------------

_RNG = np.random.default_rng(20240604)


def _case(regime, z, x, a, b, h, kernels=("laplace", "boxcar", "triangle")):
    return pytest.param(np.asarray(z, float), np.asarray(x, float), a, b, h, kernels, id=regime)


def _regimes():
    r = _RNG
    yield _case("inside", r.normal(0, 1, 6), r.uniform(0, 1, 6), 0.0, 1.0, 0.7)
    yield _case(
        "inside-small-h", r.normal(0, 1, 6), r.uniform(0, 1, 6), 0.0, 1.0, 0.05, ("laplace",)
    )
    yield _case("on-a-and-b", [0.3, -0.2, 1.0], [0.0, 1.0, 0.0], 0.0, 1.0, 0.8)
    yield _case("coincident", [0.0, 0.5, -1.0, 2.0], [0.4, 0.4, 0.4, 0.9], 0.0, 1.0, 0.6)
    yield _case("single-point", [0.0], [0.25], 0.0, 1.0, 1.3)
    yield _case("all-left", r.normal(0, 1, 4), r.uniform(-3, -1, 4), 0.0, 1.0, 2.5)
    yield _case(
        "all-right-far",
        r.normal(0, 1, 4),
        1.0 + 3e3 * 0.7 + r.uniform(0, 2, 4),
        0.0,
        1.0,
        0.7,
        ("laplace",),
    )
    for far in (1e3, 1e4):
        for h in (1e-3, 1.0, 50.0):
            sides = np.array([-1.0, 1.0, -1.0, 1.0])
            x = np.where(sides > 0, 1.5 + far * h, -0.5 - far * h) + r.uniform(0, 3 * h, 4) * sides
            yield _case(
                f"far-both-{far:g}bw-h{h:g}", r.normal(0, 3, 4), x, -0.5, 1.5, h, ("laplace",)
            )
    yield _case("logits-700", [700.0, -700.0, 0.0, 699.0], [0.1, 0.5, 0.9, 0.6], 0.0, 1.0, 0.9)
    yield _case("masked", [0.0, -np.inf, 1.0, -np.inf], [0.2, 0.5, 0.8, 5.0], 0.0, 1.0, 0.9)
    # A underflows: the only right point is 1400 bandwidths past b with weight e^-700 relative
    yield _case(
        "A-underflow", [0.0, -700.0], [-0.1, 1.0 + 1400 * 0.01], 0.0, 1.0, 0.01, ("laplace",)
    )
    yield _case("B-underflow-logit", [-700.0, 700.0], [0.05, 0.95], 0.0, 1.0, 1.0)
    yield _case("tiny-h", r.normal(0, 1, 5), r.uniform(0, 1, 5), 0.0, 1.0, 1e-6, ("laplace",))
    yield _case("huge-h", r.normal(0, 1, 5), r.uniform(-1e3, 1e3, 5), 0.0, 1.0, 1e6)


@pytest.mark.parametrize(("z", "x", "a", "b", "h", "kernels"), list(_regimes()))
def test_exact_matches_reference(z, x, a, b, h, kernels):
    for kernel in kernels:
        value, gradient = exact_loss_grad(kernel, log_softmax(z), x, a, b, h)
        ref_value, ref_grad = reference.loss_and_grad(
            z.tolist(), x.tolist(), a, b, kernel=kernel, bandwidth=h, dps=REF_DPS
        )
        assert_close(value, ref_value, rtol=LOSS_RTOL, ref_dps=REF_DPS, what=f"{kernel} loss")
        assert_close(gradient, ref_grad, atol=GRAD_ATOL, ref_dps=REF_DPS, what=f"{kernel} grad")
        assert np.all(gradient[np.isneginf(z)] == 0.0)


@pytest.mark.parametrize("kernel", ["boxcar", "triangle"])
def test_uncovered_target(kernel):
    lw = log_softmax(np.zeros(2))
    x = np.array([0.0, 3.0])
    assert exact_loss_grad(kernel, lw, x, 0.0, 3.0, 1.0, with_grad=False) == (np.inf, None)
    with pytest.raises(UncoveredTargetError) as info:
        exact_loss_grad(kernel, lw, x, 0.0, 3.0, 1.0)
    assert info.value.interval == (1.0, 2.0)
    assert (
        reference.loss([0.0, 0.0], x.tolist(), 0.0, 3.0, kernel=kernel, dps=REF_DPS) == mpmath.inf
    )


# --- (3) large n against a dense evaluation ------------------------------------------------------


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def _dense(kernel: str, lw: np.ndarray, x: np.ndarray, a: float, b: float, h: float):
    """O(n * segments) float64: the segment coefficients by direct log-sum-exp over all points,
    the closed forms (checked above) per segment, and every int R_i by a direct sum."""
    shift = a
    x, b0 = x - shift, b - shift
    offsets = {"laplace": (0.0,), "boxcar": (-h, h), "triangle": (-h, 0.0, h)}[kernel]
    knots = np.unique(np.concatenate([[0.0, b0], *[x + o for o in offsets]]))
    knots = knots[(knots >= 0.0) & (knots <= b0)]
    lo, hi = knots[:-1], knots[1:]
    n = x.size
    resp = np.full(n, -np.inf)
    total = 0.0
    for start in range(0, lo.size, 256):
        sl = slice(start, start + 256)
        l_, h_ = lo[sl, None], hi[sl, None]
        if kernel == "laplace":
            left = x[None, :] <= l_
            dist_l = np.where(left, (l_ - x) / h, np.inf)
            dist_r = np.where(~left, (x - h_) / h, np.inf)
            lB = np.logaddexp.reduce(lw - dist_l, axis=1)
            lA = np.logaddexp.reduce(lw - dist_r, axis=1)
            d = (hi[sl] - lo[sl]) / h
            total += h * np.sum(laplace_segment_log_integral(lB, lA, d))
            il, ir = laplace_segment_log_resp(lB, lA, d)
            contrib = np.where(left, lw - dist_l + il[:, None], lw - dist_r + ir[:, None]) + np.log(
                h
            )
        else:
            mid = 0.5 * (l_ + h_)
            u = mid - x[None, :]
            cover = np.abs(u) < h
            length = (hi[sl] - lo[sl])[:, None]
            if kernel == "boxcar":
                mass = np.logaddexp.reduce(np.where(cover, lw, -np.inf), axis=1)[:, None]
                total += np.sum(length * (mass - np.log(2 * h)))
                contrib = np.where(cover, lw + np.log(length) - mass, -np.inf)
            else:

                def log_p(t, cover=cover):
                    k = np.where(
                        cover, np.log(np.maximum(h - np.abs(t - x[None, :]), 0.0)), -np.inf
                    )
                    return np.logaddexp.reduce(lw + k, axis=1) - 2 * np.log(h)

                p0, p1 = log_p(l_), log_p(h_)
                total += np.sum(length[:, 0] * log_linear_mean(p0, p1))
                _, js, j1 = reciprocal_linear_integrals(p0, p1)
                # w_i K_i / p is linear/linear: K_i = (K_i(lo) (1-s) + K_i(hi) s)
                k_lo = np.where(
                    cover, np.log(np.maximum(h - np.abs(l_ - x), 0.0)) - 2 * np.log(h), -np.inf
                )
                k_hi = np.where(
                    cover, np.log(np.maximum(h - np.abs(h_ - x), 0.0)) - 2 * np.log(h), -np.inf
                )
                contrib = lw + np.log(length) + np.logaddexp(k_lo + j1[:, None], k_hi + js[:, None])
        resp = np.logaddexp(resp, np.logaddexp.reduce(contrib, axis=0))
    value = np.log(2 * h) - total / b0 if kernel == "laplace" else -total / b0
    return value, np.exp(lw) - np.exp(resp - np.log(b0))


@pytest.mark.parametrize("kernel", ["laplace", "boxcar", "triangle"])
@pytest.mark.parametrize("n", [2000, pytest.param(10_000, marks=pytest.mark.slow)])
def test_large_n_matches_dense(kernel, n):
    rng = np.random.default_rng(n)
    a, b = 0.0, 1.0
    x = np.concatenate([rng.uniform(a, b, n // 4), rng.uniform(-5, 6, n - n // 4)])
    x[:5] = [a, b, 0.5, 0.5, 0.5]  # on the ends and coincident
    z = rng.normal(0, 2, n)
    z[rng.choice(n, n // 10, replace=False)] = -np.inf
    z[5:10] = [700, -700, 650, -650, 0]
    lw = log_softmax(z)
    h = 0.02 if kernel == "laplace" else 40.0 / n
    value, gradient = exact_loss_grad(kernel, lw, x, a, b, h)
    live = np.isfinite(lw)
    ref_value, ref_grad = _dense(kernel, lw[live], x[live], a, b, h)
    # the dense path is float64 too: its own error is a few eps per segment, so compare at
    # the API tolerance (1e-12) rather than in eps
    assert abs(value - ref_value) <= LOSS_RTOL * max(1.0, abs(ref_value)), (value, ref_value)
    err = np.abs(gradient[live] - ref_grad)
    assert err.max() <= GRAD_ATOL, (err.max(), int(err.argmax()))
    assert np.all(gradient[~live] == 0.0)
