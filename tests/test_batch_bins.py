"""The compiled Gaussian binned rows (``symkde.numeric.bins_compiled``, issue 15).

Checked against the NumPy blocked rows they replace for the Gaussian
(``symkde.numeric.bins_rows.binned_rows``, an independent evaluation of the same binned
sum), their exponential against NumPy's and mpmath's, their bits against the batch around a
row, points 1e4 bandwidths away, the rows they hand back, and their memory.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import symkde
from symkde.numeric.bins_compiled import _DROP, gaussian_binned_rows
from symkde.numeric.bins_rows import binned_rows
from symkde.numeric.fast_exp import exp_block

#: Two float64 evaluations of the same binned sum (one exp per term each, summed in other
#: orders, the compiled one dropping terms below e^-64 of a node's sum): the loss agrees to
#: 1e-13 * max(1, |L|) and each gradient entry to 1e-13 (a few hundred ulps of O(1) values;
#: the contract asks 1e-12 of each).
TOL = 1e-13


def _case(rng, rows, n, circular):
    z = rng.normal(0.0, 2.0, (rows, n))
    z[::3, 0] = -np.inf  # masked points
    x = rng.uniform(-1.0, 2.0, (rows, n))
    x[1, -1] = 60.0  # a far point: the node's logits come from the ratios
    a = rng.uniform(-0.5, 0.5, rows)
    b = a + rng.uniform(0.5, 1.5, rows)
    h = rng.uniform(0.05, 2.5, rows)
    if circular:
        x = x * 2.0
    return z, x, a, b, h


def _run(engine, z, x, a, b, h, circular, bins):
    loss, grad = np.empty(z.shape[0]), np.empty(z.shape)
    left = engine(z, x, a, b, h, "gaussian", circular, bins, True, loss, grad)
    return left, loss, grad


@pytest.mark.parametrize(("n", "bins"), [(40, 64), (3, 300), (700, 20)])
@pytest.mark.parametrize("circular", [False, True], ids=["line", "circle"])
def test_compiled_bins_match_the_blocked_numpy_rows(n, bins, circular):
    rng = np.random.default_rng(n + bins)
    z, x, a, b, h = _case(rng, 12, n, circular)
    left, loss, grad = _run(gaussian_binned_rows, z, x, a, b, h, circular, bins)
    ref_left, ref_loss, ref_grad = _run(binned_rows, z, x, a, b, h, circular, bins)
    assert not left.any() and not ref_left.any()
    assert np.all(np.abs(loss - ref_loss) <= TOL * np.maximum(1.0, np.abs(ref_loss)))
    assert np.max(np.abs(grad - ref_grad)) <= TOL


def test_a_wrong_node_is_seen_by_the_comparison():
    """The comparison above can fail: one node fewer moves the loss far beyond TOL."""
    rng = np.random.default_rng(1)
    z, x, a, b, h = _case(rng, 4, 10, False)
    _, loss, _ = _run(gaussian_binned_rows, z, x, a, b, h, False, 64)
    _, ref_loss, _ = _run(binned_rows, z, x, a, b, h, False, 63)
    assert np.max(np.abs(loss - ref_loss)) > 1e3 * TOL


@pytest.mark.parametrize("circular", [False, True], ids=["line", "circle"])
def test_a_row_keeps_its_bits_whatever_the_batch(circular):
    """Serial (fewer than 8 rows) and prange chunks give every row the same bits, and the
    single call is the B = 1 case."""
    rng = np.random.default_rng(7)
    z, x, a, b, h = _case(rng, 40, 25, circular)
    _, loss, grad = _run(gaussian_binned_rows, z, x, a, b, h, circular, 50)
    for r in (0, 1, 17, 39):
        one = _run(gaussian_binned_rows, *(v[r : r + 1] for v in (z, x, a, b, h)), circular, 50)
        assert one[1][0] == loss[r]
        np.testing.assert_array_equal(one[2][0], grad[r])
        single = symkde.loss_and_grad(
            z[r], x[r], a[r], b[r], kernel="gaussian", bandwidth=h[r], circular=circular,
            method="bins", bins=50,
        )  # fmt: skip
        assert single[0] == loss[r]
        np.testing.assert_array_equal(single[1], grad[r])


def test_points_1e4_bandwidths_away_stay_finite():
    """Every point 1e4 h from the target (one side, both sides; line and circle with a small
    h): finite losses and gradients, the NumPy rows' values."""
    h = 1e-3
    z = np.array([[0.0, 1.0, -2.0], [0.5, 0.0, 3.0]])
    x = np.array([[10.0 + 1.0, 10.0 + 1.5, 10.0 + 2.0], [-10.0, 11.0, 12.0]])
    a, b, hs = np.zeros(2), np.ones(2), np.full(2, h)
    for circular in (False, True):
        xs = x * 0.2 if circular else x  # on the circle: angles up to ~2.4 rad from the arc
        left, loss, grad = _run(gaussian_binned_rows, z, xs, a, b, hs, circular, 32)
        ref = _run(binned_rows, z, xs, a, b, hs, circular, 32)
        assert not left.any() and np.isfinite(loss).all() and np.isfinite(grad).all()
        assert np.all(np.abs(loss - ref[1]) <= TOL * np.abs(ref[1]))
        assert np.max(np.abs(grad - ref[2])) <= TOL


@pytest.mark.parametrize("drop", [_DROP, 700.0])
def test_the_exponential_is_within_an_ulp_and_drops_only_below_the_cut(drop):
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.uniform(-drop, 0.0, 20000), rng.uniform(-1e-3, 0.0, 1000)])
    x = np.concatenate([x, [0.0, -drop, -drop - 1e-9, -1e300, -np.inf, -math.log(2) / 2]])
    got = x.copy()
    exp_block(got, np.empty(x.size, dtype=np.int64), x.size, drop)
    kept = x >= -drop
    want = np.exp(x[kept])
    assert np.all(np.abs(got[kept] - want) <= np.spacing(want))
    assert np.all(got[~kept] == 0.0)
    mpmath.mp.dps = 30
    worst = max(
        abs(float((mpmath.exp(mpmath.mpf(float(v))) - mpmath.mpf(float(w))) / mpmath.exp(v)))
        for v, w in zip(x[:300], got[:300], strict=True)
    )
    assert worst <= 2.3e-16  # about 2 ulps of 1 relative: Horner's rounding, not truncation


def test_a_row_beyond_2_30_turns_is_handed_back_and_answered():
    z = np.zeros((2, 3))
    x = np.array([[0.0, 0.5, 1.0], [0.0, 0.5, 1.0]])
    x[1, 0] = 2.0**33 * math.tau
    left, _, _ = _run(gaussian_binned_rows, z, x, np.zeros(2), np.ones(2), np.ones(2), True, 16)
    assert left.tolist() == [False, True]
    values = symkde.loss(z, x, 0.0, 1.0, kernel="gaussian", method="bins", bins=16, circular=True)
    assert np.isfinite(values).all()


def test_the_compiled_bins_refuse_another_kernel():
    one = np.zeros((1, 2))
    with pytest.raises(ValueError, match="kernel"):
        gaussian_binned_rows(one, one, *(np.ones(1),) * 3, "laplace", False, 4, True,
                             np.empty(1), one.copy())  # fmt: skip
