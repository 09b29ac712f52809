"""The fast Gaussian integrals (symkde.numeric.smooth): accuracy, fallback, margins, generator.

Accuracy is the contract's (API.md): loss within 1e-12 * max(1, |L|), gradient entries within
1e-12, against mpmath at REF_DPS = 30 digits on the shared argument grid, and against the
adaptive quadrature (itself held to 1e-14 per panel) where n is too large for mpmath.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

import symkde
from symkde import reference, theorems
from symkde.numeric import (
    smooth,
    smooth_cauchy,
    smooth_cauchy_circle,
    smooth_cauchy_tree,
    smooth_loops,
    smooth_vonmises,
)
from symkde.numeric._generated.log_kernels import LOG_KERNELS
from symkde.numeric.mixture import _mixture
from symkde.numeric.quadrature import _quadrature
from symkde.numeric.validate import validate
from symkde.symbolic import codegen_smooth
from symkde.theorems import truncation
from symkde.theorems._core import holds_true, rewritten
from tests.helpers import GRAD_ATOL, LOSS_RTOL, argument_grid, assert_close

REF_DPS = 30

GRID = [
    pytest.param(case, kernel, id=f"{case.id}-{kernel}")
    for case in argument_grid(quick=True)
    for kernel in ("gaussian", "cauchy")
    if kernel in case.kernels
]


@pytest.mark.parametrize(("case", "kernel"), GRID)
def test_auto_matches_reference(case, kernel):
    kw = dict(kernel=kernel, bandwidth=case.bandwidth)
    got_loss, got_grad = symkde.loss_and_grad(case.z, case.x, case.a, case.b, **kw)
    # one evaluation at 30 digits: tests/test_accuracy.py checks on this same grid that the
    # reference at 30 and 45 digits agree far below 1e-12 (its self-check, not repeated here)
    ref_loss, ref_grad = reference.loss_and_grad(case.z, case.x, case.a, case.b, dps=REF_DPS, **kw)
    assert_close(got_loss, ref_loss, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got_grad, ref_grad, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")


def moved_row(z, x, a, b, h):
    row = validate(z, x, a, b, kernel="gaussian", bandwidth=h)
    return replace(row, a=0.0, b=row.b - row.a, x=row.x - row.a)


def dense_cases():
    rng = np.random.default_rng(20261206)
    yield "dense-boxes", rng.normal(0, 1, 4000), rng.uniform(-1, 2, 4000), 0.2
    yield "dense-narrow", rng.normal(0, 1, 600), rng.uniform(-1, 2, 600), 0.004
    z = rng.choice([-700.0, 0.0, 700.0], 400) + rng.normal(0, 1, 400)
    yield "logits-700", z, rng.uniform(-1, 2, 400), 0.05
    x = np.concatenate([rng.uniform(0, 1, 300), [1.0 + 3000 * 0.05, -3000 * 0.05]])
    z = np.concatenate([rng.normal(0, 1, 300) - 40.0, [0.0, 0.5]])
    yield "dense-light-far-heavy", z, x, 0.05
    z = rng.normal(0, 1, 500)
    z[rng.choice(500, 250, replace=False)] = -np.inf
    yield "masked", z, rng.uniform(-1, 2, 500), 0.02
    yield "sparse", rng.normal(0, 2, 200), rng.uniform(-1, 2, 200), 1e-3


@pytest.mark.parametrize(("name", "z", "x", "h"), list(dense_cases()), ids=lambda v: str(v)[:24])
def test_fast_rows_match_the_quadrature(name, z, x, h):
    row = moved_row(z, x, 0.0, 1.0, h)
    assert smooth.fast_path_applies(_mixture(row), row.a, row.b)
    got_l, got_g = smooth.loss_and_grad_smooth_row(row)
    ref_l, ref_g = _quadrature(_mixture(row), row, True)
    if name == "dense-boxes":  # the box expansions are what is checked here
        pts = smooth._Points(_mixture(row), row.a, row.b)
        assert (smooth._integrate(pts, row.a, row.b)[1]["mode"] == 1).mean() > 0.9
    assert abs(got_l - ref_l) <= 1e-13 * max(1.0, abs(ref_l)), (name, got_l, ref_l)
    assert np.abs(got_g - ref_g).max() <= 1e-13, name


def test_the_cross_check_rejects_a_truncated_expansion(monkeypatch):
    """Taylor order 4 instead of the proved one: the dense row is off by far more than 1e-12."""
    rng = np.random.default_rng(5)
    row = moved_row(rng.normal(0, 1, 4000), rng.uniform(-1, 2, 4000), 0.0, 1.0, 0.2)
    ref_l, _ = smooth.loss_and_grad_smooth_row(row, with_grad=False)
    monkeypatch.setattr(smooth, "TAYLOR_ORDER", 4)
    got_l, _ = smooth.loss_and_grad_smooth_row(row, with_grad=False)
    assert abs(got_l - ref_l) > 1e-10


def test_the_cross_check_rejects_a_narrow_window(monkeypatch):
    """A margin of 4 instead of log n + 60 log 2 drops terms that matter."""
    rng = np.random.default_rng(3)
    row = moved_row(np.zeros(50), rng.uniform(-1, 2, 50), 0.0, 1.0, 0.05)
    ref_l, ref_g = _quadrature(_mixture(row), row, True)
    monkeypatch.setattr(smooth, "DROP_MARGIN", 4.0 - math.log(50) - 1.0)
    got_l, got_g = smooth.loss_and_grad_smooth_row(row)
    assert abs(got_l - ref_l) > 1e-10 or np.abs(got_g - ref_g).max() > 1e-10


def test_rows_outside_the_range_fall_back_to_the_quadrature():
    z, x = [0.0, -2e4, 1.0], [0.3, 0.5, 0.9]  # log-weights 2e4 apart
    row = moved_row(z, x, 0.0, 1.0, 0.1)
    assert not smooth.fast_path_applies(_mixture(row), row.a, row.b)
    got_l, got_g = symkde.loss_and_grad(z, x, 0.0, 1.0, kernel="gaussian", bandwidth=0.1)
    ref_l, ref_g = reference.loss_and_grad(
        z, x, 0.0, 1.0, kernel="gaussian", bandwidth=0.1, dps=REF_DPS
    )
    assert_close(got_l, ref_l, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got_g, ref_g, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")


def test_nodes_do_not_grow_with_n():
    """Dense points: panels follow h, not the points (10x the points, the same nodes)."""
    counts = []
    for n in (2000, 20000):
        rng = np.random.default_rng(n)
        row = moved_row(rng.normal(0, 1, n), rng.uniform(-1, 2, n), 0.0, 1.0, 0.05)
        pts = smooth._Points(_mixture(row), row.a, row.b)
        _, nodes, _, _ = smooth._integrate(pts, row.a, row.b)
        counts.append(nodes["t"].size)
    assert (nodes["mode"] == 1).mean() > 0.9  # dense windows are summed by boxes
    assert counts[1] <= 1.25 * counts[0]


def test_point_by_point_sums_match_the_generated_log_kernel():
    """The compiled ratio form against log K from the generated kernels, term by term."""
    rng = np.random.default_rng(7)
    x = np.sort(rng.uniform(-1, 2, 40))
    lw = rng.normal(0, 1, 40)
    lw -= np.log(np.exp(lw).sum())
    t = np.linspace(0.0, 1.0, 7)
    h = 0.3
    row = moved_row(lw, x, 0.0, 1.0, h)
    pts = smooth._Points(_mixture(row), 0.0, 1.0)
    nodes = smooth._Nodes(pts, t)
    assert (nodes.mode == 0).all()  # 40 points: cheaper point by point
    naive = np.log(np.exp(lw[None, :] + LOG_KERNELS["gaussian"](t[:, None] - x[None, :], h)).sum(1))
    assert np.abs(nodes.lse - naive).max() < 1e-14
    assert smooth_loops.forward.signatures  # compiled


def test_generated_bounds_match_a_fresh_generation(tmp_path):
    (fresh,) = codegen_smooth.generate(tmp_path)
    if fresh.read_text() != codegen_smooth.GENERATED.read_text():
        pytest.fail(
            "smooth_bounds.py is stale; run `python -m symkde.symbolic.codegen_smooth --update`\n"
            + codegen_smooth.diff_against_committed()
        )


def test_check_command_fails_on_stale_bounds(tmp_path, monkeypatch):
    stale = tmp_path / "smooth_bounds.py"
    stale.write_text(
        codegen_smooth.GENERATED.read_text().replace("TAYLOR_ORDER = ", "TAYLOR_ORDER = 1")
    )
    monkeypatch.setattr(codegen_smooth, "GENERATED", stale)
    assert codegen_smooth.main(["--check"]) == 1


def test_taylor_order_is_the_smallest_that_meets_the_bound():
    order = codegen_smooth.taylor_order()
    target = 2.0**-codegen_smooth.DROP_LOG2
    y = codegen_smooth.taylor_argument()
    assert float(codegen_smooth.taylor_relative_bound(order, y)) <= target
    assert float(codegen_smooth.taylor_relative_bound(order - 1, y)) > target


@pytest.mark.parametrize(
    "name",
    [
        "gaussian_window_truncation",
        "gaussian_taylor_remainder",
        "cauchy_multipole_remainder",
        "cauchy_tree_translations",
        "gaussian_image_truncation",
    ],
)
def test_truncation_theorems_hold(name):
    proof = theorems.get(name).prove()
    assert proof.holds, [s.description for s in proof.steps if not s.holds]


def test_truncation_checks_reject_wrong_bounds():
    """One order less, or half the margin, and the same SymPy checks fail."""
    y = codegen_smooth.taylor_argument()
    target = sp.Rational(1, 2**codegen_smooth.DROP_LOG2)
    low = codegen_smooth.taylor_relative_bound(truncation.order - 1, y)
    assert not holds_true("one order less", sp.Le(low, target)).holds
    half = sp.Le(truncation.log_term, truncation.top - 2 * truncation.margin)
    assert not holds_true("window too narrow for twice the margin", half).holds
    rho, span = codegen_smooth.cauchy_ratio(), codegen_smooth.CAUCHY_SPAN
    short = codegen_smooth.cauchy_relative_bound(truncation.cauchy_order - 1, rho, span)
    assert not holds_true("one Cauchy term less", sp.Le(short, target)).holds
    r = truncation.radius
    loose = sp.Le((r + r) / (4 * r), codegen_smooth.cauchy_ratio(), evaluate=False)
    assert not holds_true("tree pairs admitted at 4R <= |D|", loose).holds
    m2l = truncation.m2l_claim
    wrong = m2l.rhs.subs(truncation.sig, -truncation.sig)
    at = {truncation.ups: sp.Rational(1, 7), truncation.sig: sp.Rational(1, 5), truncation.far: 3}
    right = rewritten("regrouped", m2l.lhs.subs(at), m2l.rhs.subs(at), truncation._unrolled)
    assert right.holds  # the same check at a point: the true identity passes, the wrong fails
    dropped = rewritten("a moment's sign dropped", m2l.lhs.subs(at), wrong.subs(at),
                        truncation._unrolled)  # fmt: skip
    assert not dropped.holds


def cauchy_row(n, h, seed, lo=-1.0, hi=2.0):
    rng = np.random.default_rng(seed)
    row = validate(rng.normal(0, 1, n), rng.uniform(lo, hi, n), 0.0, 1.0, kernel="cauchy",
                   bandwidth=h)  # fmt: skip
    return row


@pytest.mark.parametrize(
    ("n", "h", "lo", "hi", "expand"),
    [(800, 0.5, -1.0, 2.0, True), (300, 0.05, -1.0, 2.0, False), (200, 0.002, 3.0, 4.0, False)],
)
def test_cauchy_rows_match_the_quadrature(n, h, lo, hi, expand):
    row = cauchy_row(n, h, n, lo, hi)
    assert smooth_cauchy._Points(_mixture(row), 0.0, 1.0).expand == expand
    got_l, got_g = smooth_cauchy.loss_and_grad_cauchy_row(row)
    ref_l, ref_g = _quadrature(_mixture(row), row, True)
    assert abs(got_l - ref_l) <= 1e-13 * max(1.0, abs(ref_l))
    assert np.abs(got_g - ref_g).max() <= 1e-13


def test_cauchy_far_boxes_match_point_by_point_sums(monkeypatch):
    """Boxes 3000 bandwidths away (tree, then one level of boxes) against point-by-point sums:
    Im parts from the powers keep the contract's accuracy."""
    rng = np.random.default_rng(17)
    x = np.concatenate((rng.uniform(0.3, 0.7, 3000), 30.0 + rng.uniform(0, 0.002, 100)))
    z = rng.normal(0, 1, x.size)
    z[-100:] += 9.0  # the far cluster carries most of the weight
    row = validate(z, x, 0.0, 1.0, kernel="cauchy", bandwidth=0.01)
    assert smooth_cauchy._Points(_mixture(row), 0.0, 1.0).expand
    got_l, got_g = smooth_cauchy.loss_and_grad_cauchy_row(row)
    monkeypatch.setattr(smooth_cauchy, "TREE", False)
    one_l, one_g = smooth_cauchy.loss_and_grad_cauchy_row(row)
    original = smooth_cauchy._Points.__init__

    def point_sums(self, mix, a, b):
        original(self, mix, a, b)
        self.expand = False
        self.tree = None

    monkeypatch.setattr(smooth_cauchy._Points, "__init__", point_sums)
    ref_l, ref_g = smooth_cauchy.loss_and_grad_cauchy_row(row)
    for value, gradient in ((got_l, got_g), (one_l, one_g)):
        assert abs(value - ref_l) <= 1e-13 * max(1.0, abs(ref_l))
        assert np.abs(gradient - ref_g).max() <= 1e-13


@pytest.mark.parametrize(
    ("n_src", "n_tgt", "h", "lo", "hi"),
    [(3000, 400, 0.01, -1.0, 2.0), (2000, 300, 0.002, -40.0, -5.0), (50, 2000, 0.05, 0.2, 0.4)],
)
def test_cauchy_tree_matches_point_by_point_sums(n_src, n_tgt, h, lo, hi):
    """Box-tree sums against exact sums of the rounded terms (math.fsum).

    The terms themselves carry ``eps |x| / h`` of relative rounding in ``t - x``
    (8e-15 at |x| = 40, h = 0.002): the sums must agree to that, 1e-12 with room."""
    rng = np.random.default_rng(n_src)
    src = np.sort(np.concatenate((rng.uniform(lo, hi, n_src), [0.5, 0.5 + 1e-9])))
    tgt = np.sort(rng.uniform(0.0, 1.0, n_tgt))
    c = rng.uniform(0.0, 1.0, src.size)
    width = 0.5 * h
    top = smooth_cauchy_tree.top_level(min(src[0], 0.0), max(src[-1], 1.0), width)
    got = smooth_cauchy_tree.pole_sums(src, c, tgt, h, smooth_cauchy.CAUCHY_ORDER, top)
    terms = c[None, :] * h / ((tgt[:, None] - src[None, :]) ** 2 + h * h)
    ref = np.array([math.fsum(row) for row in terms])
    assert np.abs(got / ref - 1.0).max() <= 1e-12
    short = smooth_cauchy_tree.pole_sums(src, c, tgt, h, 3, top)
    assert np.abs(short / ref - 1.0).max() > 1e-9  # the comparison sees a short expansion


def test_cauchy_tree_rows_match_one_level_boxes(monkeypatch):
    row = cauchy_row(3000, 0.01, 3)
    assert smooth_cauchy._Points(_mixture(row), 0.0, 1.0).tree is not None
    got_l, got_g = smooth_cauchy.loss_and_grad_cauchy_row(row)
    monkeypatch.setattr(smooth_cauchy, "TREE", False)
    ref_l, ref_g = smooth_cauchy.loss_and_grad_cauchy_row(row)
    assert abs(got_l - ref_l) <= 1e-13 * max(1.0, abs(ref_l))
    assert np.abs(got_g - ref_g).max() <= 1e-13


def test_cauchy_cross_check_rejects_a_short_expansion(monkeypatch):
    row = cauchy_row(800, 0.5, 800)
    ref_l, _ = smooth_cauchy.loss_and_grad_cauchy_row(row, with_grad=False)
    monkeypatch.setattr(smooth_cauchy, "CAUCHY_ORDER", 4)
    got_l, _ = smooth_cauchy.loss_and_grad_cauchy_row(row, with_grad=False)
    assert abs(got_l - ref_l) > 1e-10


def test_vonmises_bound_rejects_a_lower_order():
    both = codegen_smooth.taylor_relative_bound(truncation.order, codegen_smooth.taylor_argument())
    arg = codegen_smooth.vonmises_cos_argument()
    one = codegen_smooth.taylor_relative_bound(truncation.vm_order - 1, arg)
    claim = sp.Le((1 + one) * (1 + both) - 1, sp.Rational(1, 2 ** (codegen_smooth.DROP_LOG2 - 1)))
    assert not holds_true("one cosine term less", claim).holds


def vonmises_cases():
    rng = np.random.default_rng(11)
    yield "dense-arc", rng.normal(0, 1, 12), np.linspace(-0.15, 0.75, 12), 0.0, 0.6, 0.1
    x = np.linspace(2.6, 3.8, 10) + rng.uniform(-0.02, 0.02, 10)
    yield "arc-across-pi", rng.normal(0, 1, 10), x, 2.8, 3.6, 0.1
    z = rng.normal(0, 1, 8)
    z[[1, 4]] = -np.inf
    yield "full-circle-masked", z, np.linspace(-3.0, 3.0, 8), 0.0, 2 * np.pi, 1.0
    yield "sparse-falls-back", rng.normal(0, 1, 3), np.array([0.1, 1.4, 4.0]), 0.0, 1.0, 0.05


@pytest.mark.parametrize(("name", "z", "x", "a", "b", "h"), list(vonmises_cases()), ids=str)
def test_vonmises_auto_matches_reference(name, z, x, a, b, h):
    kw = dict(kernel="vonmises", bandwidth=h, circular=True)
    row = validate(z, x, a, b, **kw)
    mid = (b - a) / 2  # angles from a, turned to within pi of the arc's middle
    moved = replace(row, a=0.0, b=b - a, x=np.mod(row.x - a - mid + np.pi, 2 * np.pi) - np.pi + mid)
    applies = smooth_vonmises.vonmises_fast_path_applies(_mixture(moved), 0.0, b - a)
    assert applies == (name != "sparse-falls-back")
    got_l, got_g = symkde.loss_and_grad(z, x, a, b, **kw)
    ref_l, ref_g = reference.loss_and_grad(z, x, a, b, dps=REF_DPS, **kw)
    assert_close(got_l, ref_l, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got_g, ref_g, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")


def vonmises_dense_row():
    rng = np.random.default_rng(12)
    n = 30000  # windows of ~30000 points against ~180 boxes x 120 moments: boxes win
    return validate(rng.normal(0, 1, n), rng.uniform(-0.5, 1.5, n), 0.0, 1.0, kernel="vonmises",
                    bandwidth=0.1, circular=True)  # fmt: skip


def test_vonmises_boxes_match_point_by_point_sums(monkeypatch):
    row = vonmises_dense_row()
    pts = smooth_vonmises._Points(_mixture(row), 0.0, 1.0)
    nodes = smooth._integrate(pts, 0.0, 1.0, smooth_vonmises._Nodes)[1]
    assert (nodes["mode"] == 1).mean() > 0.9
    got_l, got_g = smooth_vonmises.loss_and_grad_vonmises_row(row)
    original = smooth_vonmises._Points.__init__

    def no_boxes(self, mix, a, b):
        original(self, mix, a, b)
        self.boxes_allowed = False

    monkeypatch.setattr(smooth_vonmises._Points, "__init__", no_boxes)
    ref_l, ref_g = smooth_vonmises.loss_and_grad_vonmises_row(row)
    assert abs(got_l - ref_l) <= 1e-13 * max(1.0, abs(ref_l))
    assert np.abs(got_g - ref_g).max() <= 1e-13


def test_vonmises_cross_check_rejects_a_short_expansion(monkeypatch):
    row = vonmises_dense_row()
    ref_l, _ = smooth_vonmises.loss_and_grad_vonmises_row(row, with_grad=False)
    monkeypatch.setattr(smooth_vonmises, "VONMISES_COS_ORDER", 1)
    got_l, _ = smooth_vonmises.loss_and_grad_vonmises_row(row, with_grad=False)
    assert abs(got_l - ref_l) > 1e-10


@pytest.mark.parametrize(
    ("z", "x", "a", "b", "h"),
    [
        ([0.3, -1.0, 2.0, 0.0], [2.7, 3.3, -2.9, 1.0], 2.8, 3.6, 0.1),
        ([0.0, -np.inf, 1.0, -0.5, 700.0], [-3.0, -1.0, 0.5, 2.0, 3.1], 0.0, 2 * np.pi, 0.05),
    ],
    ids=["arc-across-pi", "full-circle-masked-700"],
)
def test_cauchy_circle_auto_matches_reference(z, x, a, b, h):
    kw = dict(kernel="cauchy", bandwidth=h, circular=True)
    got_l, got_g = symkde.loss_and_grad(z, x, a, b, **kw)
    ref_l, ref_g = reference.loss_and_grad(z, x, a, b, dps=REF_DPS, **kw)
    assert_close(got_l, ref_l, rtol=LOSS_RTOL, ref_dps=REF_DPS, what="loss")
    assert_close(got_g, ref_g, atol=GRAD_ATOL, ref_dps=REF_DPS, what="gradient")


def cauchy_circle_row():
    rng = np.random.default_rng(13)
    return validate(rng.normal(0, 1, 6000), rng.uniform(-1, 2, 6000), 0.0, 1.0, kernel="cauchy",
                    bandwidth=0.2, circular=True)  # fmt: skip


def test_cauchy_circle_boxes_match_point_by_point_sums(monkeypatch):
    row = cauchy_circle_row()
    assert smooth_cauchy_circle.CirclePoles(_mixture(row)).expand
    got_l, got_g = smooth_cauchy_circle.loss_and_grad_cauchy_circle_row(row)
    original = smooth_cauchy_circle.CirclePoles.__init__

    def point_sums(self, mix):
        original(self, mix)
        self.expand = False

    monkeypatch.setattr(smooth_cauchy_circle.CirclePoles, "__init__", point_sums)
    ref_l, ref_g = smooth_cauchy_circle.loss_and_grad_cauchy_circle_row(row)
    assert abs(got_l - ref_l) <= 1e-13 * max(1.0, abs(ref_l))
    assert np.abs(got_g - ref_g).max() <= 1e-13


def test_cauchy_circle_cross_check_rejects_a_short_expansion(monkeypatch):
    row = cauchy_circle_row()
    ref_l, _ = smooth_cauchy_circle.loss_and_grad_cauchy_circle_row(row, with_grad=False)
    monkeypatch.setattr(smooth_cauchy_circle, "CIRCLE_CAUCHY_ORDER", 4)
    got_l, _ = smooth_cauchy_circle.loss_and_grad_cauchy_circle_row(row, with_grad=False)
    assert abs(got_l - ref_l) > 1e-10
