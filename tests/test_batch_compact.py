"""The compiled boxcar/triangle rows and the blocked binned rows (issue 15).

Each engine is checked against the independent NumPy path it replaces (the log-space scans
of ``symkde.numeric.exact``; the old per-row ``_bins`` with ``math.fsum``), rows it hands back
are checked to be answered by the single call, and the blocked bins to keep every row's bits
whatever the batch around it and to stay within a block of memory.
"""

from __future__ import annotations

import itertools
import math
import tracemalloc

import numpy as np
import pytest

import symkde
from symkde.errors import UncoveredTargetError
from symkde.numeric import rows_compact
from symkde.numeric.angles import difference_turned
from symkde.numeric.bins_rows import binned_rows
from symkde.numeric.exact import exact_loss_grad
from symkde.numeric.rows_compact import compact_exact_rows

#: The two float64 paths agree to rounding: the loss to 1e-13 * max(1, |L|) and each gradient
#: entry to 1e-13 (a few hundred ulps of O(1) values; the contract asks 1e-12 of each).
TOL = 1e-13


def _close(got, want, what):
    (loss, grad), (ref_loss, ref_grad) = got, want
    assert abs(loss - ref_loss) <= TOL * max(1.0, abs(ref_loss)), (what, loss, ref_loss)
    assert np.max(np.abs(grad - ref_grad), initial=0.0) <= TOL, (what, grad, ref_grad)


def _log_softmax(z):
    with np.errstate(over="ignore"):
        shifted = z - z.max()
    return shifted - math.log(float(np.sum(np.exp(shifted))))


def _covered_batch(rng, circular, rows=24, n=20):
    """Rows whose supports cover the target (a jittered grid a little denser than 2h)."""
    z = rng.normal(0.0, 2.0, (rows, n))
    z[::5, 3] = -np.inf  # masked points
    if circular:
        grid = np.linspace(-math.pi, math.pi, n, endpoint=False)
        x = (
            grid
            + rng.uniform(-0.02, 0.02, (rows, n))
            + rng.choice([0.0, 2 * math.pi], rows)[:, None]
        )
        a = rng.uniform(-4.0, 4.0, rows)
        b = a + rng.uniform(0.1, 2 * math.pi, rows)
        h = np.full(rows, 0.3 + rng.uniform(0.0, 0.2))
        b[0] = a[0] + 2 * math.pi  # the full circle
    else:
        x = np.linspace(-1.0, 2.0, n) + rng.uniform(-0.01, 0.01, (rows, n))
        a = rng.uniform(-0.5, 0.8, rows)
        b = a + rng.uniform(0.05, 1.0, rows)
        h = rng.uniform(0.12, 0.6, rows)
    return z, x, a, b, h


@pytest.mark.parametrize("kernel", ["boxcar", "triangle"])
@pytest.mark.parametrize("circular", [False, True], ids=["line", "circle"])
def test_compact_rows_match_the_log_space_scans(kernel, circular):
    rng = np.random.default_rng(15)
    z, x, a, b, h = _covered_batch(rng, circular)
    loss, grad = np.empty(z.shape[0]), np.empty(z.shape)
    left = compact_exact_rows(kernel, z, x, a, b, h, circular, True, loss, grad)
    assert left.sum() <= 2, left  # the engine does the covered rows itself
    for r in np.flatnonzero(~left):
        if circular:
            moved, span = difference_turned(x[r], a[r], 0.5 * (b[r] - a[r])), b[r] - a[r]
        else:
            moved, span = x[r] - a[r], b[r] - a[r]
        want = exact_loss_grad(
            kernel, _log_softmax(z[r]), moved, 0.0, span, h[r], circular=circular, covered=True
        )
        _close((loss[r], grad[r]), want, (kernel, circular, r))
        with pytest.raises(AssertionError):  # the check sees a wrong gradient
            _close((loss[r], grad[r] + 1e-11 * (np.arange(z.shape[1]) == 0)), want, "wrong")
    values = np.empty(z.shape[0])
    compact_exact_rows(kernel, z, x, a, b, h, circular, False, values, np.empty((z.shape[0], 0)))
    np.testing.assert_array_equal(values[~left], loss[~left])


def test_rows_the_engine_hands_back_are_the_single_calls():
    """Spread beyond e^500, supports that only touch, an uncovered row, a wide wrapped kernel:
    handed back, and the batch still gives each row its single call's result."""
    n = 8
    z = np.zeros((5, n))
    x = np.tile(np.linspace(0.0, 1.4, n), (5, 1))  # spacing 0.2
    a, b, h = np.zeros(5), np.ones(5), np.full(5, 0.15)
    z[1, 2] = 600.0  # weights e^600 apart
    h[2] = 0.1  # supports [x - 0.1, x + 0.1] touch exactly (2h = spacing)
    x[3, 3:] += 0.5  # a gap: uncovered
    for kernel in ("boxcar", "triangle"):
        loss, grad = np.empty(5), np.empty((5, n))
        left = compact_exact_rows(kernel, z, x, a, b, h, False, True, loss, grad)
        assert left.tolist() == [False, True, True, True, False]
        values = symkde.loss(z, x, a, b, kernel=kernel, bandwidth=h)
        assert values[3] == math.inf and np.isfinite(values[[0, 1, 2, 4]]).all()
        for r in (0, 1, 2, 4):
            single = symkde.loss_and_grad(z[r], x[r], a[r], b[r], kernel=kernel, bandwidth=h[r])
            assert values[r] == single[0]
        with pytest.raises(UncoveredTargetError) as info:
            symkde.grad(z, x, a, b, kernel=kernel, bandwidth=h)
        assert info.value.row == (3,)
    wide = compact_exact_rows(
        "boxcar", z[:1], x[:1], a[:1], b[:1], np.array([3.5]), True, True, loss[:1], grad[:1]
    )
    assert wide.tolist() == [True]  # h > pi on the circle: the floor stays with exact._circle


@pytest.mark.parametrize("kernel", ["boxcar", "triangle"])
def test_dense_windows_stay_in_the_engine_and_match_the_log_space_scans(kernel):
    """85 points over each segment (256 points, h = 0.5 on [-1, 2]): handed back to the
    scans (4.5 ms a triangle row) while the only limit was 64 terms per point; now summed
    by the engine, row-parallel, and equal to the scans within TOL; and the check can fail."""
    rng = np.random.default_rng(151)
    rows, n = 4, 256
    z = rng.normal(0.0, 2.0, (rows, n))
    x = np.tile(np.linspace(-1.0, 2.0, n), (rows, 1))
    a, b, h = rng.uniform(-0.2, 0.2, rows), rng.uniform(0.8, 1.2, rows), np.full(rows, 0.5)
    loss, grad = np.empty(rows), np.empty((rows, n))
    left = compact_exact_rows(kernel, z, x, a, b, h, False, True, loss, grad)
    assert not left.any()
    for r in range(rows):
        want = exact_loss_grad(
            kernel, _log_softmax(z[r]), x[r] - a[r], 0.0, b[r] - a[r], h[r], covered=True
        )
        _close((loss[r], grad[r]), want, (kernel, r))
    with pytest.raises(AssertionError):
        _close((loss[-1] * (1 + 1e-12), grad[-1]), want, "wrong loss")  # want: the last row


def test_window_terms_counts_what_the_sums_add():
    """``_window_terms`` against a brute count of (point, segment) pairs with the segment in
    the point's clipped support, on 50 random rows."""
    rng = np.random.default_rng(7)
    for _ in range(50):
        m = int(rng.integers(1, 40))
        xs = np.sort(rng.uniform(-0.5, 1.5, m))
        h, span = float(rng.uniform(0.05, 0.8)), 1.0
        xm, xp = xs - h, xs + h
        inner = np.unique(np.concatenate([xm, xs, xp]))
        knots = np.concatenate([[0.0], inner[(inner > 0.0) & (inner < span)], [span]])
        brute = sum(
            int(lo >= max(xm[i], 0.0) and hi <= min(xp[i], span))
            for i in range(m)
            for lo, hi in itertools.pairwise(knots)
        )
        counted = rows_compact._window_terms(xm, xp, knots, knots.size - 1, span)
        assert counted == brute, (counted, brute)


def test_rows_over_the_sums_budget_are_handed_back_and_still_exact():
    """A boxcar row of 4096 points with h = 0.5 (about 3.7M terms, over ``_BOXCAR_TERMS``):
    counted before any sum, handed back, and the single call (the log-space scans) answers."""
    n = 4096
    z = np.random.default_rng(3).normal(0.0, 1.0, (1, n))
    x = np.linspace(-1.0, 2.0, n)[None, :]
    args = (np.zeros(1), np.ones(1), np.full(1, 0.5), False, True)
    left = compact_exact_rows("boxcar", z, x, *args[:3], *args[3:], np.empty(1), np.empty((1, n)))
    assert left.tolist() == [True]
    value, gradient = symkde.loss_and_grad(z[0], x[0], 0.0, 1.0, kernel="boxcar", bandwidth=0.5)
    want = exact_loss_grad("boxcar", _log_softmax(z[0]), x[0], 0.0, 1.0, 0.5, covered=True)
    _close((value, gradient), want, "handed back")


def _bins_case(rng, rows, n, circular):
    z = rng.normal(0.0, 2.0, (rows, n))
    z[::3, 0] = -np.inf
    x = rng.uniform(-1.0, 2.0, (rows, n))
    x[1, -1] = 60.0  # a far point: careful logits for the stable-ratio kernels
    a = rng.uniform(-0.5, 0.5, rows)
    b = a + rng.uniform(0.5, 1.5, rows)
    h = rng.uniform(0.3, 2.5, rows)
    if circular:
        x = x * 2.0
    return z, x, a, b, h


@pytest.mark.parametrize(("n", "bins"), [(40, 64), (3000, 30), (3, 900)])
@pytest.mark.parametrize("circular", [False, True], ids=["line", "circle"])
def test_binned_rows_keep_their_bits_whatever_the_batch(n, bins, circular):
    """Node blocks depend on n and M only: a row alone and inside a batch give the same bits
    (shapes that block by rows, by nodes, and neither)."""
    rng = np.random.default_rng(n + bins)
    rows = 6
    z, x, a, b, h = _bins_case(rng, rows, n, circular)
    for kernel in ("gaussian", "laplace", "triangle"):
        loss, grad = np.empty(rows), np.empty((rows, n))
        left = binned_rows(z, x, a, b, h, kernel, circular, bins, True, loss, grad)
        for r in range(rows):
            one, one_grad = np.empty(1), np.empty((1, n))
            sl = slice(r, r + 1)
            one_left = binned_rows(
                z[sl], x[sl], a[sl], b[sl], h[sl], kernel, circular, bins, True, one, one_grad
            )
            assert one_left[0] == left[r]
            if not left[r]:
                assert one[0] == loss[r], (kernel, r)
                np.testing.assert_array_equal(one_grad[0], grad[r])


@pytest.mark.parametrize("kernel", ["gaussian", "laplace", "cauchy", "boxcar", "triangle"])
@pytest.mark.parametrize("circular", [False, True], ids=["line", "circle"])
def test_binned_rows_match_the_per_row_bins(kernel, circular):
    """Against the per-row ``_bins`` (its own blocks, ``math.fsum``) on the same problem."""
    from dataclasses import replace

    from symkde.numeric import api
    from symkde.numeric.bins import _bins
    from symkde.numeric.mixture import _mixture
    from symkde.numeric.validate import validate

    rng = np.random.default_rng(3)
    rows, n, bins = 5, 12, 33
    z, x, a, b, h = _bins_case(rng, rows, n, circular)
    if kernel in ("boxcar", "triangle"):
        h = h + 1.5  # supports reach every bin
    loss, grad = np.empty(rows), np.empty((rows, n))
    left = binned_rows(z, x, a, b, h, kernel, circular, bins, True, loss, grad)
    assert not left.any()
    for r in range(rows):
        problem = validate(
            z[r], x[r], a[r], b[r], kernel=kernel, bandwidth=h[r], circular=circular,
            method="bins", bins=bins,
        )  # fmt: skip
        moved = problem
        if circular:
            span = b[r] - a[r]
            moved = replace(problem, a=0.0, b=span, x=difference_turned(x[r], a[r], 0.5 * span))
        else:
            moved = api._shifted(problem)
        want = _bins(_mixture(moved), moved, True)
        _close((loss[r], grad[r]), want, (kernel, circular, r))


def test_binned_rows_use_a_block_of_memory():
    """B = 1024, n = 64, M = 256: the whole (B, M, n) array would be 128 MiB; the peak of
    what binned_rows allocates stays under 8 MiB (blocks of 512 KiB and their temporaries)."""
    rng = np.random.default_rng(5)
    rows, n, bins = 1024, 64, 256
    z = rng.normal(size=(rows, n))
    x = np.broadcast_to(np.linspace(-1.0, 2.0, n), (rows, n))
    a = rng.uniform(-0.2, 0.9, rows)
    b, h = a + 0.2, np.full(rows, 0.06)
    loss, grad = np.empty(rows), np.empty((rows, n))
    tracemalloc.start()
    try:
        binned_rows(z, x, a, b, h, "gaussian", False, bins, True, loss, grad)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, peak
    assert rows * bins * n * 8 > 16 * peak  # the check could tell a full array apart
