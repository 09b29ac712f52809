"""The numeric API's behaviour: structure of the gradient, masks, coverage, far field, bins."""

from __future__ import annotations

import math

import numpy as np
import pytest

import symkde
from symkde.errors import UncoveredTargetError
from symkde.numeric import bins as numeric_bins
from symkde.numeric import bins_rows as numeric_bins_rows
from symkde.numeric import mixture as numeric_mixture
from symkde.numeric import quadrature as numeric_quadrature

SMOOTH = ("laplace", "gaussian", "cauchy")
ALL_LINE = ("laplace", "gaussian", "boxcar", "triangle", "cauchy")
METHODS = (("quadrature", None), ("bins", 64), ("auto", None))


def methods_for(kernel):
    out = [("quadrature", None), ("bins", 64)]
    if kernel in ("laplace", "boxcar", "triangle"):
        out.append(("exact", None))
    return out


CASES = [(k, m, bins) for k in ALL_LINE for m, bins in methods_for(k)]


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def random_problem(rng, n=7, h=0.8):
    z = rng.normal(0, 2, n)
    x = rng.uniform(-1, 2, n)
    return z, x, 0.0, 1.0, {"bandwidth": h}


@pytest.mark.parametrize(("kernel", "method", "bins"), CASES)
def test_gradient_sums_to_zero_and_is_bounded(kernel, method, bins, rng):
    z, x, a, b, opts = random_problem(rng, h=3.0)
    _, g = symkde.loss_and_grad(z, x, a, b, kernel=kernel, method=method, bins=bins, **opts)
    s = np.exp(z - z.max())
    s /= s.sum()
    assert abs(g.sum()) < 1e-13  # theorem logit_shift: sum_i dL/dz_i = 0; float64 rounding
    assert np.all(g <= s + 1e-15) and np.all(g >= s - 1 - 1e-15)  # theorem bounds


@pytest.mark.parametrize(("kernel", "method", "bins"), CASES)
def test_gradient_matches_finite_differences_of_loss(kernel, method, bins, rng):
    z, x, a, b, opts = random_problem(rng, h=3.0)
    kw = dict(kernel=kernel, method=method, bins=bins, **opts)
    g = symkde.grad(z, x, a, b, **kw)
    step = 1e-5
    fd = np.array(
        [
            (symkde.loss(z + step * e, x, a, b, **kw) - symkde.loss(z - step * e, x, a, b, **kw))
            / (2 * step)
            for e in np.eye(z.size)
        ]
    )
    # central difference: truncation O(step^2) ~ 1e-10, rounding O(eps / step) ~ 1e-11
    np.testing.assert_allclose(g, fd, atol=1e-8)


@pytest.mark.parametrize(("kernel", "method", "bins"), CASES)
def test_masked_point_equals_removed_point(kernel, method, bins, rng):
    z, x, a, b, opts = random_problem(rng, h=3.0)
    kw = dict(kernel=kernel, method=method, bins=bins, **opts)
    z_masked = z.copy()
    z_masked[2] = -np.inf
    loss_m, g_m = symkde.loss_and_grad(z_masked, x, a, b, **kw)
    loss_r, g_r = symkde.loss_and_grad(np.delete(z, 2), np.delete(x, 2), a, b, **kw)
    assert g_m[2] == 0.0
    assert loss_m == pytest.approx(loss_r, rel=1e-14, abs=1e-14)
    np.testing.assert_allclose(np.delete(g_m, 2), g_r, atol=1e-15)


@pytest.mark.parametrize(("kernel", "method", "bins"), CASES)
def test_permuting_points_permutes_gradient(kernel, method, bins, rng):
    z, x, a, b, opts = random_problem(rng, h=3.0)
    kw = dict(kernel=kernel, method=method, bins=bins, **opts)
    perm = rng.permutation(z.size)
    loss0, g0 = symkde.loss_and_grad(z, x, a, b, **kw)
    loss1, g1 = symkde.loss_and_grad(z[perm], x[perm], a, b, **kw)
    assert loss1 == pytest.approx(loss0, rel=1e-14)
    np.testing.assert_allclose(g1, g0[perm], atol=1e-15)


@pytest.mark.parametrize("kernel", ["boxcar", "triangle"])
@pytest.mark.parametrize(("method", "bins"), [("quadrature", None), ("bins", 50), ("exact", None)])
def test_uncovered_target(kernel, method, bins):
    # supports [-0.6, 0.4] and [0.9, 1.9]: (0.4, 0.9) of [0, 1] is uncovered
    z, x = [0.0, 0.0], [-0.1, 1.4]
    kw = dict(kernel=kernel, bandwidth=0.5, method=method, bins=bins)
    assert symkde.loss(z, x, 0.0, 1.0, **kw) == math.inf
    with pytest.raises(UncoveredTargetError) as info:
        symkde.grad(z, x, 0.0, 1.0, **kw)
    lo, hi = info.value.interval
    assert 0.4 <= lo <= hi <= 0.9
    assert "0.4" in str(info.value) or method == "bins"


def naive_linear_space_grad(z, x, a, b, h, bins):
    """What users write: softmax, then kernel values in linear space (for the two-sided test)."""
    t = a + (np.arange(bins) + 0.5) * (b - a) / bins
    s = np.exp(z - z.max())
    s /= s.sum()
    k = np.exp(-np.abs(t[:, None] - x[None, :]) / h) / (2 * h)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = s * k / (k @ s)[:, None]
    return s - r.mean(axis=0)


def test_far_field_naive_fails_where_log_space_holds():
    # Laplace, all points > 800 bandwidths right of [0, 1]: naive kernels underflow to 0 and
    # the gradient is NaN; theorem laplace_interval says the gradient equals that of the same
    # configuration moved next to the target.
    z = np.array([0.3, -0.2, 1.0])
    offsets = np.array([0.0, 0.7, 2.0])
    near = symkde.grad(z, 1.5 + offsets, 0.0, 1.0, method="bins", bins=32)
    far_x = 1.5 + 800.0 + offsets
    naive = naive_linear_space_grad(z, far_x, 0.0, 1.0, 1.0, 32)
    assert np.isnan(naive).all()
    for method, bins in (("bins", 32), ("quadrature", None), ("exact", None)):
        got = symkde.grad(z, far_x, 0.0, 1.0, method=method, bins=bins)
        ref = near if method == "bins" else symkde.grad(z, 1.5 + offsets, 0.0, 1.0, method=method)
        np.testing.assert_allclose(got, ref, atol=4e-15)


@pytest.mark.parametrize("kernel", ["gaussian", "cauchy"])
def test_bins_converge_at_second_order_for_smooth_kernels(kernel):
    z, x = np.array([0.0, 0.5, -1.0]), np.array([0.1, 0.8, 1.7])
    kw = dict(kernel=kernel, bandwidth=0.4)
    exact_l, exact_g = symkde.loss_and_grad(z, x, 0.0, 1.0, method="quadrature", **kw)
    errors = []
    for m in (16, 32, 64, 128):
        lm, gm = symkde.loss_and_grad(z, x, 0.0, 1.0, method="bins", bins=m, **kw)
        errors.append(abs(lm - exact_l) + np.abs(gm - exact_g).max())
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all(np.abs(ratios - 4.0) < 0.2), ratios  # midpoint rule: error ~ C / M^2


def test_quadrature_raises_instead_of_returning_unconverged(monkeypatch):
    # one level and no graded mesh: the whole-vs-halves estimate must refuse the panel
    monkeypatch.setattr(numeric_quadrature, "_QUAD_MAX_LEVELS", 1)
    monkeypatch.setattr(numeric_quadrature, "_breakpoints", lambda mix, a, b: np.array([a, b]))
    with pytest.raises(numeric_quadrature.QuadratureError, match="did not converge"):
        symkde.loss(
            [0.0, 0.0], [0.2, 0.9], 0.0, 1.0, kernel="cauchy", bandwidth=1e-3, method="quadrature"
        )


def test_memory_blocks_bound_the_dense_array(monkeypatch):
    # no block of the (rows x nodes x points) array exceeds the block budget: the binned
    # rows (symkde.numeric.bins_rows) and the quadrature's blocks (mixture._blocks) alike
    seen = []
    original_logits = numeric_bins_rows._logits

    def spy_logits(*args, **kwargs):
        block = original_logits(*args, **kwargs)
        seen.append(block.size)
        return block

    monkeypatch.setattr(numeric_bins_rows, "_logits", spy_logits)
    symkde.loss_and_grad(
        np.zeros(5000), np.linspace(0, 1, 5000), 0.0, 1.0, method="bins", bins=4096
    )
    assert seen and max(seen) <= numeric_bins_rows._BLOCK_ELEMENTS
    seen.clear()
    original = numeric_mixture._blocks

    def spy(mix, t, rows_multiple=1):
        for rows, parts in original(mix, t, rows_multiple):
            seen.append(parts[1].size)
            yield rows, parts

    monkeypatch.setattr(numeric_bins, "_blocks", spy)  # the per-row bins (uncovered rows)
    with pytest.raises(UncoveredTargetError):
        symkde.loss_and_grad(
            np.zeros(5000), np.linspace(0, 0.5, 5000), 0.0, 1.0, kernel="boxcar",
            bandwidth=0.01, method="bins", bins=4096,
        )  # fmt: skip
    assert seen and max(seen) <= numeric_mixture._BLOCK_ELEMENTS


@pytest.mark.parametrize(
    ("x", "h"),
    [([0.0, 1.0], 0.5), ([0.5], 0.5), ([0.0, 1.0, 0.3], 0.5), ([-0.25, 0.75], 0.75)],
    ids=["supports-touch-inside", "supports-end-at-a-and-b", "touch-plus-cover", "edges"],
)
def test_quadrature_integrates_log_zeros_of_compact_kernels(x, h):
    # p vanishes at isolated points (triangle supports ending together): log p has an
    # integrable log singularity there; numeric.quadrature._zero_end_panels integrates the panels
    # next to it in closed form (theorem triangle_zero_end_panel)
    z = np.zeros(len(x))
    exact = symkde.loss_and_grad(z, x, 0.0, 1.0, kernel="triangle", bandwidth=h, method="exact")
    quad = symkde.loss_and_grad(z, x, 0.0, 1.0, kernel="triangle", bandwidth=h, method="quadrature")
    assert quad[0] == pytest.approx(exact[0], rel=1e-14, abs=1e-14)
    np.testing.assert_allclose(quad[1], exact[1], atol=1e-14)


def test_point_a_subnormal_distance_from_the_edge_does_not_stall_quadrature():
    # found by the fuzz tests: a panel [0, 2.2e-311] cannot be subdivided in float64
    args = ([0.0, 1.0], [2.225073858507e-311, 0.5], 0.0, 1.0)
    quad = symkde.loss_and_grad(*args, method="quadrature")
    exact = symkde.loss_and_grad(*args, method="exact")
    assert quad[0] == pytest.approx(exact[0], rel=1e-14)
    np.testing.assert_allclose(quad[1], exact[1], atol=1e-15)
