"""Fast Gaussian integrals, line and circle: the loss and gradient in ``O((n + m) log n)``.

Owns :func:`loss_and_grad_smooth_row`, which ``method="auto"`` calls for one row of a kernel
without a closed form (``symkde.numeric.api._compute``): Gaussian rows are done here (on the
circle as the line scheme on the images, :func:`wrapped_as_line`), Cauchy rows by
:mod:`symkde.numeric.smooth_cauchy` (line: box trees; circle: one level of pole expansions),
von Mises rows by :mod:`symkde.numeric.smooth_vonmises` (all reuse the panel driver
:func:`_integrate`), and rows outside a fast path's range by the adaptive quadrature.  Imports
NumPy, the generated margins (``_generated/smooth_bounds.py``, printed by
``symkde.symbolic.codegen_smooth``), the compiled loops (:mod:`symkde.numeric.smooth_loops`)
and the quadrature of :mod:`symkde.numeric.api`, which stays the fallback (inputs outside the
fast path's stated range) and the cross-check (``method="quadrature"``).

The scheme, and why:

* **Panels by the scale of p.**  ``log p`` of a Gaussian mixture is analytic; it changes on
  the scale ``h`` where points are near, and it switches between dominant terms over a width
  ``h^2 / |x_i - x_j|`` where points are sparse.  Edges go on a grid ``h`` apart wherever a
  point is within ``REACH + 1`` bandwidths, at ``a`` and ``b``, and at every *sharp*
  dominance switch (width below ``h / 2``: the breaks of the upper envelope of the
  parabolas ``log w_j - (t - x_j)^2/2h^2``) with a graded mesh around it; Gauss-Legendre
  panels of order 16 are then halved until whole and halves agree (the quadrature's rule).
  Dense points therefore cost ``(b - a)/h`` panels, not one per point.
* **Only the points that can matter.**  At a node, a term more than
  ``M = log n + 60 log 2`` below the largest is dropped: together the dropped terms are at
  most ``2**-60`` of ``p`` (theorem ``gaussian_window_truncation``).  Since every
  ``log w_j <= max log w``, all kept points lie in the window
  ``|t - x_j|^2 <= 2h^2 (max log w - term_d + M)`` around the node, found by
  ``searchsorted`` on the sorted points, where ``term_d`` is the log-term of the envelope's
  dominant point (any term is a lower bound on the largest, so rounding in the envelope only
  widens the window).
* **Dense windows by box expansions (the fast Gauss transform's Taylor form).**  A window
  holding many points is summed by boxes ``h/8`` wide:
  ``e^{-(t-x)^2/2h^2} = e^{-u^2/2} e^{uv} e^{-v^2/2}`` with ``u = (t - c)/h``,
  ``v = (x - c)/h``, ``|v| <= 1/16``, and ``e^{uv}`` by its Taylor polynomial of order
  ``TAYLOR_ORDER`` for ``|u| <= REACH + 1/16``, whose relative error is at most ``2**-60``
  (theorem ``gaussian_taylor_remainder``).  All terms of a box are positive multiples of its
  largest weight, so a box's sum is evaluated in linear space to a relative ``e^{2Y} p eps``
  (``Y = 15/16``: ~1e-14) and boxes are combined in log space.  Chosen over a far-field
  (Laurent) expansion because the Gaussian tail needs none: beyond the window nothing
  matters; and over Hermite expansions because the Taylor form keeps every box's moments
  positive-weighted and ties the error to one scalar bound.
* **The gradient by the transposed sums.**  ``dL/dz_j = S_j - sum_m W_m R_j(t_m)``: nodes
  summed point by point scatter ``W_m R_j`` over their window; the others are expanded in
  their own boxes and evaluated at boxes of points (roles exchanged), at the same cost.

Everything runs on positions measured from ``a`` (the caller moved them).  The fast path
needs ``|x - (a+b)/2| <= 1e6 h``, ``(b - a) <= 1e6 h`` and a log-weight spread below
``1e4``; outside it (points a million bandwidths away, logits 1e4 apart) the row goes to the
adaptive quadrature, which handles them at ``n x nodes`` cost.

>>> import numpy as np
>>> from symkde.numeric.validate import validate
>>> row = validate([0.0, 1.0, -2.0], [0.2, 0.5, 3.0], 0.0, 1.0, kernel="gaussian", bandwidth=0.3)
>>> value, gradient = loss_and_grad_smooth_row(row)
>>> round(value, 12), float(abs(gradient.sum())) < 1e-14  # mpmath: 0.255914658734303
(0.255914658734, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.numeric import smooth_loops
from symkde.numeric._generated.smooth_bounds import BOX_PER_H, DROP_MARGIN, REACH, TAYLOR_ORDER
from symkde.numeric.images import image_count
from symkde.numeric.mixture import _Mixture, _mixture
from symkde.numeric.quadrature import (
    _GL_ORDER,
    _QUAD_ABS_FLOOR,
    _QUAD_MAX_LEVELS,
    _QUAD_NOISE_FLOOR,
    _QUAD_STAGNATION,
    _QUAD_TOL,
    QuadratureError,
    _panel_nodes,
    _quadrature,
)
from symkde.numeric.validate import Problem

__all__ = [
    "FAST_LIMITS",
    "MAX_IMAGES",
    "boxes_near",
    "fast_path_applies",
    "loss_and_grad_smooth_row",
    "normalized",
    "wrapped_as_line",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: The fast path's range: positions and the target within 1e6 bandwidths (so ``t - x`` and
#: the envelope's intercepts ``x^2/2h^2 <= 5e11`` keep ~1e-4 absolute accuracy, which only
#: widens windows), log-weights within 1e4 of each other.
FAST_LIMITS = {"reach_bandwidths": 1e6, "log_weight_spread": 1e4}
_LOG_NORM = 0.5 * math.log(2.0 * math.pi)
#: A switch narrower than this many bandwidths gets its own edge and graded mesh.
_SHARP_SWITCH = 0.5


def fast_path_applies(mix: _Mixture, a: float, b: float) -> bool:
    """Whether the fast scheme handles this row (else the adaptive quadrature does)."""
    if mix.kernel != "gaussian" or mix.circular:
        return False
    centre = 0.5 * (a + b)
    reach = FAST_LIMITS["reach_bandwidths"] * mix.h
    return bool(
        np.abs(mix.x - centre).max() <= reach
        and b - a <= reach
        and mix.log_w_spread <= FAST_LIMITS["log_weight_spread"]
    )


class _Points:
    """The live points sorted, their boxes and box moments, and the upper envelope."""

    def __init__(self, mix: _Mixture, a: float, b: float, terms: int | None = None) -> None:
        self.h = h = mix.h
        self.order = np.argsort(mix.x, kind="stable")
        self.x = np.ascontiguousarray(mix.x[self.order])
        self.lw = np.ascontiguousarray(mix.log_w[self.order])
        # terms: how many log-terms the window may drop (more than x.size when the caller
        # left out terms that lie outside every window, as the circle's far images)
        count = self.x.size if terms is None else terms
        self.margin = math.log(count) + DROP_MARGIN + 1.0  # +1: rounding of the terms
        width = h / BOX_PER_H
        ids = np.floor(self.x / width)
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        self.first = starts.astype(np.int64)
        self.stop = np.append(starts[1:], self.x.size).astype(np.int64)
        self.box_of = np.repeat(np.arange(starts.size, dtype=np.int64), self.stop - self.first)
        self.centre = (ids[starts] + 0.5) * width
        self.moments = np.empty((starts.size, TAYLOR_ORDER))
        self.scale = np.empty(starts.size)
        smooth_loops.box_moments(
            self.x, self.lw, self.first, self.stop, self.centre, h, self.moments, self.scale
        )
        self.c0 = 0.5 * (a + b)
        hull, breaks = smooth_loops.envelope(self.x - self.c0, self.lw, 1.0 / (h * h))
        self.hull = hull
        self.breaks = breaks + self.c0
        gaps = self.x[hull[1:]] - self.x[hull[:-1]]
        self.switch_width = h * h / gaps

    def dominant(self, t: FloatArray) -> IntArray:
        """A point whose log-term at ``t`` is (up to rounding) the largest."""
        return np.ascontiguousarray(self.hull[np.searchsorted(self.breaks, t)])

    def near_data(self, lo: FloatArray, hi: FloatArray) -> NDArray[np.bool_]:
        """Whether a box of points lies within ``REACH + 1`` bandwidths of ``[lo, hi]``."""
        return boxes_near(self.centre, (REACH + 1) * self.h, lo, hi)


def boxes_near(
    centre: FloatArray, reach: float, lo: FloatArray, hi: FloatArray
) -> NDArray[np.bool_]:
    """Whether some box centre (sorted ``centre``) lies within ``reach`` of ``[lo, hi]``, per
    interval: the one test the Gaussian, von Mises and Cauchy node sums share."""
    left = np.searchsorted(centre, lo - reach, "left")
    right = np.searchsorted(centre, hi + reach, "right")
    return np.asarray(right > left)


class _Nodes:
    """Forward sums at a set of nodes: ``lse = log p(t)`` and what the gradient reuses."""

    def __init__(self, pts: _Points, t: FloatArray) -> None:
        m = t.size
        self.t = np.ascontiguousarray(t)
        self.mode = np.empty(m, np.int64)
        self.log_sum = np.empty(m)
        self.lo = np.empty(m, np.int64)
        self.hi = np.empty(m, np.int64)
        self.dom = np.empty(m, np.int64)
        smooth_loops.forward(
            self.t, pts.x, pts.lw, pts.dominant(self.t), pts.box_of, pts.first, pts.centre,
            pts.moments, pts.scale, pts.h, pts.margin, float(REACH),
            self.mode, self.log_sum, self.lo, self.hi, self.dom,
        )  # fmt: skip
        dist = self.t - pts.x[self.dom]
        term_d = pts.lw[self.dom] - 0.5 * (dist / pts.h) ** 2
        self.lse = term_d + self.log_sum - math.log(pts.h) - _LOG_NORM

    def take(self, keep: NDArray[np.bool_]) -> dict[str, np.ndarray]:
        return {k: getattr(self, k)[keep] for k in ("t", "mode", "log_sum", "lo", "hi", "dom")}


def _initial_edges(pts: Any, a: float, b: float) -> FloatArray:
    """``a``, ``b``, a grid ``h`` apart near the points, and graded meshes at sharp switches."""
    h = pts.h
    # grid points k g in (a, b) (g the widest panel allowed near points, at most h) within
    # REACH + 1 bandwidths of a box: marked by a difference array over the (b - a)/g cells
    # of the target (bounded by the fast paths' ranges)
    g = getattr(pts, "max_width", h)
    k_lo, k_hi = math.floor(a / g), math.ceil(b / g)
    cells = np.floor(pts.centre / g).astype(np.int64) - k_lo
    reach = math.ceil((REACH + 1) * h / g)
    cells = cells[(cells >= -reach) & (cells <= k_hi - k_lo + reach)]
    marks = np.zeros(k_hi - k_lo + 2, np.int64)
    np.add.at(marks, np.clip(cells - reach, 0, marks.size - 1), 1)
    np.add.at(marks, np.clip(cells + reach + 1, 0, marks.size - 1), -1)
    grid = (np.flatnonzero(np.cumsum(marks)[:-1] > 0) + k_lo) * g
    edges = [np.array([a, b]), grid[(grid > a) & (grid < b)]]
    sharp = (pts.switch_width < _SHARP_SWITCH * h) & (pts.breaks > a) & (pts.breaks < b)
    where, width = pts.breaks[sharp], pts.switch_width[sharp]
    step = width.copy()
    edges.append(where)
    while step.size and step.min() < b - a:
        edges.append(where - step)
        edges.append(where + step)
        step = step * 4.0
    pts_all = np.concatenate(edges)
    return np.unique(pts_all[(pts_all >= a) & (pts_all <= b)])


def _integrate(
    pts: Any, a: float, b: float, make_nodes: Callable[[Any, FloatArray], Any] | None = None
) -> tuple[float, dict[str, np.ndarray], FloatArray, FloatArray]:
    """Adaptive panels: ``(-loss, accepted nodes, their weights W_m, their log p)``.

    ``pts`` gives ``h``, the box centres, the sharp switches (``breaks``, ``switch_width``)
    and ``near_data``; ``make_nodes(pts, t)`` evaluates ``log p`` (``.lse``) at nodes and
    keeps what the gradient reuses (``.take``).  Default: the Gaussian's :class:`_Nodes`.
    """
    make = _Nodes if make_nodes is None else make_nodes
    edges = _initial_edges(pts, a, b)
    lo, hi = edges[:-1], edges[1:]
    per_panel = 3 * _GL_ORDER
    neg_loss_parts: list[float] = []
    kept: list[dict[str, np.ndarray]] = []
    kept_w: list[FloatArray] = []
    kept_lse: list[FloatArray] = []
    previous = np.full(lo.size, np.inf)
    for _level in range(_QUAD_MAX_LEVELS):
        t, wt = _panel_nodes(lo, hi)
        wt /= b - a
        share = (hi - lo) / (b - a)
        nodes = make(pts, t)
        weighted = (wt * nodes.lse).reshape(-1, 3, _GL_ORDER).sum(axis=2)
        whole, halves = weighted[:, 0], weighted[:, 1] + weighted[:, 2]
        scale = np.maximum(share, np.abs(halves))
        err = np.abs(whole - halves) / scale
        ok = (
            (err <= _QUAD_TOL)
            | ((err <= _QUAD_NOISE_FLOOR) & (err >= _QUAD_STAGNATION * previous))
            | (err * scale <= _QUAD_ABS_FLOOR)
        )
        # near the points the responsibilities change on the scale h: panels at most h wide
        # (grid panels k g - (k - 1) g may exceed g by an ulp: 1e-9 of slack)
        cap = getattr(pts, "max_width", pts.h) * (1.0 + 1e-9)
        ok &= (hi - lo <= cap) | ~pts.near_data(lo, hi)
        neg_loss_parts.extend(halves[ok].tolist())
        by_panel = np.repeat(ok, per_panel).reshape(-1, per_panel)
        by_panel[:, :_GL_ORDER] = False  # the whole panel's nodes: only the halves are kept
        node_ok = by_panel.ravel()
        kept.append(nodes.take(node_ok))
        kept_w.append(wt[node_ok])
        kept_lse.append(nodes.lse[node_ok])
        if ok.all():
            merged = {k: np.concatenate([part[k] for part in kept]) for k in kept[0]}
            return (
                math.fsum(neg_loss_parts),
                merged,
                np.concatenate(kept_w),
                np.concatenate(kept_lse),
            )
        lo, hi, error = lo[~ok], hi[~ok], err[~ok]
        mid = 0.5 * (lo + hi)
        if np.any(mid <= lo) or np.any(mid >= hi):
            break
        lo, hi = np.concatenate([lo, mid]), np.concatenate([mid, hi])
        previous = np.concatenate([error, error])
    raise QuadratureError(f"smooth quadrature did not converge on [{a}, {b}]")


def _mean_responsibilities(
    pts: _Points, nodes: dict[str, np.ndarray], w: FloatArray, lse: FloatArray
) -> FloatArray:
    """``sum_m W_m R_j(t_m)`` for every sorted point: the transposed sums."""
    out = np.zeros(pts.x.size)
    direct = nodes["mode"] == 0
    if direct.any():
        smooth_loops.transposed_direct(
            np.ascontiguousarray(nodes["t"][direct]),
            np.ascontiguousarray(w[direct]),
            np.ascontiguousarray(nodes["log_sum"][direct]),
            np.ascontiguousarray(nodes["lo"][direct]),
            np.ascontiguousarray(nodes["hi"][direct]),
            np.ascontiguousarray(nodes["dom"][direct]),
            pts.x,
            pts.lw,
            pts.h,
            out,
        )
    boxed = ~direct
    if boxed.any():
        t = nodes["t"][boxed]
        order = np.argsort(t, kind="stable")
        ell = np.log(w[boxed]) - lse[boxed] - math.log(pts.h) - _LOG_NORM
        smooth_loops.transposed_boxes(
            np.ascontiguousarray(t[order]),
            np.ascontiguousarray(ell[order]),
            pts.x,
            pts.lw,
            pts.first,
            pts.stop,
            pts.centre,
            pts.h,
            float(REACH),
            TAYLOR_ORDER,
            out,
        )
    return out


def normalized(mean_r: FloatArray) -> FloatArray:
    """The mean responsibilities scaled to sum to 1.

    ``sum_j mean_j = sum_m W_m sum_j R_j(t_m) = sum_m W_m = 1`` exactly (the rule integrates
    constants exactly; dropped terms are below ``2**-60``), so this only removes the rounding
    the sums share: a single point's gradient ``1 - mean`` is then within an ulp of 0, as
    the quadrature gives it.
    """
    total = math.fsum(mean_r.tolist())
    return mean_r / total if total > 0.0 else mean_r


def loss_and_grad_smooth_row(
    problem: Problem, with_grad: bool = True
) -> tuple[float, FloatArray | None]:
    """``(loss, dL/dz or None)`` of one validated row, positions measured from ``a``.

    Same convention as the quadrature row function of :mod:`symkde.numeric.api`: the
    gradient has length ``n`` with 0 at masked points.  Rows outside the fast path's range
    (:func:`fast_path_applies`) are handed to the adaptive quadrature.
    """
    if problem.kernel == "vonmises":
        from symkde.numeric.smooth_vonmises import loss_and_grad_vonmises_row

        return loss_and_grad_vonmises_row(problem, with_grad)
    if problem.kernel == "cauchy":
        from symkde.numeric.smooth_cauchy import loss_and_grad_cauchy_row

        return loss_and_grad_cauchy_row(problem, with_grad)
    mix = _mixture(problem)
    a, b = problem.a, problem.b
    owner, terms = None, None
    if mix.circular:
        wrapped = wrapped_as_line(mix, a, b)
        if wrapped is None:
            return _quadrature(mix, problem, with_grad)
        line, owner, terms = wrapped
    else:
        line = mix
    if not fast_path_applies(line, a, b):
        return _quadrature(mix, problem, with_grad)
    pts = _Points(line, a, b, terms)
    neg_loss, nodes, w, lse = _integrate(pts, a, b)
    if not with_grad:
        return -neg_loss, None
    mean_sorted = _mean_responsibilities(pts, nodes, w, lse)
    mean_r = np.empty_like(mean_sorted)
    mean_r[pts.order] = mean_sorted
    if owner is not None:  # a point's responsibility is the sum over its images
        mean_r = np.bincount(owner, weights=mean_r, minlength=mix.x.size).astype(np.float64)
    gradient = mix.weights_full.copy()
    gradient[mix.index] -= normalized(mean_r)
    return -neg_loss, gradient


#: The wrapped Gaussian goes to the line scheme up to this many images each side (``h`` up to
#: about 2.4); wider kernels are nearly flat on the circle and go to the quadrature.
MAX_IMAGES = 4


def wrapped_as_line(mix: _Mixture, a: float, b: float) -> tuple[_Mixture, IntArray, int] | None:
    """The wrapped Gaussian on the arc ``[a, b]`` as a line mixture of images.

    Returns the line mixture, each image's point, and how many images it stands for.  The
    (moved) angles lie within half a turn of the arc's centre, so every node ``t`` of the arc
    has each point's nearest image ``r`` (``|r| <= pi``) among ``x + 2 pi k``, ``|k| <= 1``;
    with ``K = image_count("gaussian", h)`` the copies ``|k| <= K + 1`` hold ``r + 2 pi k``
    for ``|k| <= K``, and the images left out are at most ``1e-17`` of the point's nearest one
    (theorem ``gaussian_image_truncation``), so of ``p``.  Of the copies, those farther from
    the arc than ``R = sqrt(pi^2 + 2 h^2 (M + 1))`` are in no node's window (the heaviest
    point's nearest image bounds the largest term below by ``max log w - pi^2/2h^2``) and are
    left out; the window's margin ``M`` counts them all (the third value).  ``None`` when more
    than :data:`MAX_IMAGES` images a side would be needed.
    """
    count = image_count("gaussian", mix.h) + 1
    if count > MAX_IMAGES:
        return None
    turns = np.arange(-count, count + 1, dtype=np.float64) * (2.0 * math.pi)
    copies = mix.x[None, :] + turns[:, None]
    copies[count] = mix.x  # k = 0: the angle itself, no rounding
    terms = copies.size
    margin = math.log(terms) + DROP_MARGIN + 1.0
    reach = math.sqrt(math.pi**2 + 2.0 * mix.h**2 * (margin + 1.0)) + mix.h
    keep = ((copies >= a - reach) & (copies <= b + reach)).ravel()
    owner = np.tile(np.arange(mix.x.size, dtype=np.int64), turns.size)[keep]
    line = _Mixture(
        mix.log_w[owner], copies.ravel()[keep], mix.index, mix.size, mix.kernel, mix.h, False
    )
    return line, owner, terms
