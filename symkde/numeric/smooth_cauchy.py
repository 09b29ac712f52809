"""Fast Cauchy integrals: loss and gradient by complex pole expansions, line and circle.

Owns :func:`loss_and_grad_cauchy_row` (called for Cauchy rows by
:func:`symkde.numeric.smooth.loss_and_grad_smooth_row`), what the line and the circle share
(:class:`PoleSums`, :func:`pole_row`) and the line's one-level loops; imports NumPy, numba, the
generated margins, the box trees of :mod:`symkde.numeric.smooth_cauchy_tree` and the panel
driver of :mod:`symkde.numeric.smooth` (the adaptive quadrature stays the fallback).  The
circle's poles are in :mod:`symkde.numeric.smooth_cauchy_circle`.

The Cauchy kernel is the imaginary part of a pole: with ``zeta = t + ih``,
``h / ((t - x)^2 + h^2) = Im 1/(x - zeta)``.  Its tail is heavy (every point matters at
every node, no window can drop it), so the far points are carried by expansions; the pole's
distance ``h`` from the real line makes the ratio ``<= 1/4`` at the finest boxes (``h/2``
wide), near or far:

* on the line, both the forward sums (``p`` at the nodes) and the transposed ones (the
  gradient's ``sum_m W_m R_j(t_m)``, nodes as sources, points as targets) go through box
  trees: moments up the source tree, multipole-to-local for admissible pairs, local
  polynomials down the target tree (theorem ``cauchy_tree_translations``), cost
  ``~(n + nodes) log`` for any ``h``.  The one-level scheme below is kept for rows beyond
  the trees' span and as the tests' cross-check (``TREE = False``);
* one level: points in boxes ``h/2`` wide, centre ``c``;
  ``sum_j w_j / (x_j - zeta) = -sum_k M_k / (zeta - c)^{k+1}``, ``M_k = sum_j w_j (x_j - c)^k``;
  after ``CAUCHY_ORDER`` terms the error relative to the box's ``Im`` part is at most
  ``2**-60`` while all distances stay within ``CAUCHY_SPAN`` bandwidths (theorem
  ``cauchy_multipole_remainder``, printed margins in ``_generated/smooth_bounds.py``); the
  transposed sums expand the same pole about each box of points.  Cost
  ``(nodes x boxes + n) x CAUCHY_ORDER``.

``Im`` parts are carried by the powers of ``1/(zeta - c)`` (products of one sign), never
taken from a sum dominated by its real part, so far boxes keep the accuracy of near ones.
When there are fewer points than ``boxes x CAUCHY_ORDER`` (and no tree) the sums are taken
point by point.  Weights are scaled by the largest; a point whose weight is below
``e^{-(log n + 60 log 2)} / (1 + span^2)`` of the largest contributes at most ``2**-60`` of
``p`` anywhere on the target and is left out of the sums (its own gradient entry is still
computed).  Rows beyond ``DIRECT_SPAN`` bandwidths go to the adaptive quadrature.

>>> import numpy as np
>>> from symkde.numeric.validate import validate
>>> row = validate([0.0, 1.0], [0.2, 0.9], 0.0, 1.0, kernel="cauchy", bandwidth=0.3)
>>> value, gradient = loss_and_grad_cauchy_row(row)
>>> round(value, 12)  # mpmath: 0.70457509737338958...
0.704575097373
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from symkde.numeric import smooth
from symkde.numeric._generated.smooth_bounds import (
    CAUCHY_BOX_PER_H,
    CAUCHY_ORDER,
    CAUCHY_SPAN,
    DROP_MARGIN,
    REACH,
)
from symkde.numeric.mixture import _Mixture, _mixture
from symkde.numeric.quadrature import _quadrature
from symkde.numeric.smooth_cauchy_tree import Tree, pole_sums, top_level
from symkde.numeric.validate import Problem

__all__ = ["PoleSums", "cauchy_fast_path_applies", "loss_and_grad_cauchy_row", "pole_row"]

FloatArray = NDArray[np.float64]


def _jit(signature: str) -> Any:
    return numba.njit(signature, cache=True, nogil=True, error_model="numpy")


@_jit("void(f8[::1], f8[::1], i8[::1], i8[::1], f8[::1], f8[:, ::1])")
def _moments(x, w, first, stop, centre, moments):  # type: ignore[no-untyped-def]
    """``moments[B, k] = sum_{j in B} w_j (x_j - c_B)^k``."""
    order = moments.shape[1]
    for box in range(first.shape[0]):
        for k in range(order):
            moments[box, k] = 0.0
        for j in range(first[box], stop[box]):
            d = x[j] - centre[box]
            term = w[j]
            for k in range(order):
                moments[box, k] += term
                term *= d


@_jit("void(f8[::1], f8, f8[::1], f8[:, ::1], f8[::1])")
def _forward_boxes(t, h, centre, moments, out):  # type: ignore[no-untyped-def]
    """``out[m] = -Im sum_B sum_k M_k (zeta_m - c_B)^{-(k+1)} = sum_j w_j h/((t-x_j)^2+h^2)``.

    ``Im q^{k+1}`` is carried by the powers themselves (``q = 1/(zeta - c)``): in
    ``Im(P q) = Re P Im q + Im P Re q`` both products have the same sign, so each imaginary
    part is exact to a few ulps of itself, however far the box (a Horner sum's ``Im`` would
    lose ``eps x distance / h`` to the real part)."""
    order = moments.shape[1]
    for m in range(t.shape[0]):
        total = 0.0
        for box in range(centre.shape[0]):
            q = 1.0 / complex(t[m] - centre[box], h)
            power = q
            for k in range(order):
                total -= moments[box, k] * power.imag
                power *= q
        out[m] = total


@_jit("void(f8[::1], f8, f8[::1], f8[::1], f8[::1])")
def _forward_direct(t, h, x, w, out):  # type: ignore[no-untyped-def]
    """``out[m] = sum_j w_j h / ((t_m - x_j)^2 + h^2)``, point by point."""
    for m in range(t.shape[0]):
        total = 0.0
        for j in range(x.shape[0]):
            d = t[m] - x[j]
            total += w[j] * h / (d * d + h * h)
        out[m] = total


@_jit("void(f8[::1], f8[::1], f8, f8[::1], f8[::1], i8[::1], i8[::1], f8[::1], i8, f8[::1])")
def _transposed_boxes(t, c, h, x, w, first, stop, centre, order, out):  # type: ignore[no-untyped-def]
    """``out[j] = w_j sum_m c_m h / ((t_m - x_j)^2 + h^2)`` by local expansions at each box.

    ``Im 1/(x - zeta_m) = sum_k y^k Im q_m^{k+1}`` (``y = c - x`` real), so only the real
    coefficients ``sum_m c_m Im q_m^{k+1}`` are kept, each a sum of same-signed products
    (see :func:`_forward_boxes`)."""
    coeff = np.empty(order)
    for box in range(first.shape[0]):
        for k in range(order):
            coeff[k] = 0.0
        for m in range(t.shape[0]):
            q = 1.0 / complex(centre[box] - t[m], -h)
            power = q
            for k in range(order):
                coeff[k] += c[m] * power.imag
                power *= q
        for j in range(first[box], stop[box]):
            y = centre[box] - x[j]
            acc = coeff[order - 1]
            for k in range(order - 2, -1, -1):
                acc = acc * y + coeff[k]
            out[j] = w[j] * acc


@_jit("void(f8[::1], f8[::1], f8, f8[::1], f8[::1], f8[::1])")
def _transposed_direct(t, c, h, x, w, out):  # type: ignore[no-untyped-def]
    for j in range(x.shape[0]):
        total = 0.0
        for m in range(t.shape[0]):
            d = t[m] - x[j]
            total += c[m] * h / (d * d + h * h)
        out[j] = w[j] * total


def _span(mix: _Mixture, a: float, b: float) -> float:
    """The largest ``|t - x_j| / h + 1`` over the target and the live points."""
    return float(max(np.abs(mix.x - a).max(), np.abs(mix.x - b).max()) / mix.h + 1.0)


#: Beyond this many bandwidths the row goes to the quadrature (``c_m = W_m / p`` and the
#: point-by-point sums stay far from overflow below it).
DIRECT_SPAN = 1e6


def cauchy_fast_path_applies(mix: _Mixture, a: float, b: float) -> bool:
    """Cauchy on the line, every distance within ``DIRECT_SPAN`` bandwidths."""
    return mix.kernel == "cauchy" and not mix.circular and _span(mix, a, b) <= DIRECT_SPAN


class PoleSums(ABC):
    """What the line and the circle share: sorted points, weights scaled by the largest, the
    boxes, and the panel driver's hooks (``near_data``, no sharp switches).

    Subclasses set ``log_norm`` (``log p = lw_max + log(sum) - log_norm``) and give the two
    sums: :meth:`forward` (``sum_j w_j k(t_m - x_j)`` at nodes, ``k`` the kernel up to
    ``1/log_norm``) and :meth:`transposed` (``w_j sum_m c_m k(t_m - x_j)`` at the points).
    """

    log_norm: float

    def __init__(self, mix: _Mixture, cut: float, width: float) -> None:
        """``cut``: log-weights this far below the largest are left out of the sums (their
        total is below ``2**-60`` of ``p``, the subclass's argument); ``width``: the boxes'."""
        self.h = mix.h
        self.order = np.argsort(mix.x, kind="stable")
        self.x = np.ascontiguousarray(mix.x[self.order])
        lw = mix.log_w[self.order]
        self.lw_max = float(lw.max())
        self.w_all = np.exp(lw - self.lw_max)
        self.w = np.where(lw - self.lw_max < -cut, 0.0, self.w_all)
        ids = np.floor(self.x / width)
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        self.first = starts.astype(np.int64)
        self.stop = np.append(starts[1:], self.x.size).astype(np.int64)
        self.box_centre = np.ascontiguousarray((ids[starts] + 0.5) * width)
        self.centre = self.box_centre  # where the driver looks for points (near_data)
        # no sharp switches: heavy tails overlap everywhere
        self.breaks = np.empty(0)
        self.switch_width = np.empty(0)

    def near_data(self, lo: FloatArray, hi: FloatArray) -> NDArray[np.bool_]:
        return smooth.boxes_near(self.centre, (REACH + 1) * self.h, lo, hi)

    @abstractmethod
    def forward(self, t: FloatArray, out: FloatArray) -> None:
        """Write into ``out`` the pole sums at ``t`` (the subclass: points or their boxes)."""

    @abstractmethod
    def transposed(self, t: FloatArray, c: FloatArray, out: FloatArray) -> None:
        """Write into ``out`` the transposed sums with coefficients ``c`` at the points."""


class _Nodes:
    """``lse = log p(t)`` at nodes; ``scaled`` = the forward sum (weights over the largest)."""

    def __init__(self, pts: PoleSums, t: FloatArray) -> None:
        self.t = np.ascontiguousarray(t)
        self.scaled = np.empty(t.size)
        pts.forward(self.t, self.scaled)
        self.lse = pts.lw_max + np.log(self.scaled) - pts.log_norm

    def take(self, keep: NDArray[np.bool_]) -> dict[str, np.ndarray]:
        return {"t": self.t[keep], "scaled": self.scaled[keep]}


def pole_row(
    pts: PoleSums, mix: _Mixture, a: float, b: float, with_grad: bool
) -> tuple[float, FloatArray | None]:
    """The panels, then ``dL/dz`` from the transposed sums (line and circle alike)."""
    neg_loss, nodes, weight, _ = smooth._integrate(pts, a, b, _Nodes)
    if not with_grad:
        return -neg_loss, None
    # R_j(t) = w_j k(t - x_j) / scaled(t), weights relative to the largest
    c = np.ascontiguousarray(weight / nodes["scaled"])
    mean_sorted = np.empty(pts.x.size)
    pts.transposed(np.ascontiguousarray(nodes["t"]), c, mean_sorted)
    mean_r = np.empty_like(mean_sorted)
    mean_r[pts.order] = mean_sorted
    gradient = mix.weights_full.copy()
    gradient[mix.index] -= smooth.normalized(mean_r)
    return -neg_loss, gradient


class _Points(PoleSums):
    """The line: boxes ``h / 2`` wide, and their tree (or their moments, or nothing)."""

    def __init__(self, mix: _Mixture, a: float, b: float) -> None:
        span = _span(mix, a, b)
        # weights this far below the largest are below 2**-60 of p everywhere on [a, b]
        cut = math.log(mix.x.size) + DROP_MARGIN + math.log1p(span**2)
        assert cut < 700.0  # DIRECT_SPAN: kept weights are above e^-700, no underflow
        super().__init__(mix, cut, mix.h / CAUCHY_BOX_PER_H)
        self.log_norm = math.log(math.pi)
        boxes = self.first.size
        # a tree pair's |D| is at most 4/3 of the largest distance (its radii are |D| / 4)
        self.tree: Tree | None = None
        if TREE and span <= 0.75 * CAUCHY_SPAN:
            width = 0.5 * self.h
            self.top = top_level(min(self.x[0], a), max(self.x[-1], b), width)
            self.tree = Tree(self.x, width, self.top)
        # otherwise: one level of boxes where the bound holds and they are cheaper
        self.expand = span <= CAUCHY_SPAN and self.x.size > boxes * CAUCHY_ORDER
        self.moments = np.empty((boxes, CAUCHY_ORDER))
        if self.expand and self.tree is None:
            _moments(self.x, self.w, self.first, self.stop, self.box_centre, self.moments)

    def forward(self, t: FloatArray, out: FloatArray) -> None:
        if self.tree is not None:
            by_t = np.argsort(t, kind="stable")
            out[by_t] = pole_sums(
                self.x, self.w, np.ascontiguousarray(t[by_t]), self.h, CAUCHY_ORDER, self.top,
                src_tree=self.tree,
            )  # fmt: skip
        elif self.expand:
            _forward_boxes(t, self.h, self.box_centre, self.moments, out)
        else:
            _forward_direct(t, self.h, self.x, self.w, out)

    def transposed(self, t: FloatArray, c: FloatArray, out: FloatArray) -> None:
        if self.tree is not None:
            by_t = np.argsort(t, kind="stable")
            sums = pole_sums(
                np.ascontiguousarray(t[by_t]), np.ascontiguousarray(c[by_t]), self.x, self.h,
                CAUCHY_ORDER, self.top, tgt_tree=self.tree,
            )  # fmt: skip
            np.multiply(self.w_all, sums, out=out)
        elif self.expand:
            _transposed_boxes(
                t, c, self.h, self.x, self.w_all, self.first, self.stop, self.box_centre,
                CAUCHY_ORDER, out,
            )  # fmt: skip
        else:
            _transposed_direct(t, c, self.h, self.x, self.w_all, out)


#: Sum by box trees (:mod:`symkde.numeric.smooth_cauchy_tree`) where the span allows; tests
#: switch it off to compare with the one-level boxes and the point-by-point sums.
TREE = True


def loss_and_grad_cauchy_row(
    problem: Problem, with_grad: bool = True
) -> tuple[float, FloatArray | None]:
    """``(loss, dL/dz or None)`` of one validated Cauchy row, positions measured from ``a``."""
    mix = _mixture(problem)
    a, b = problem.a, problem.b
    if problem.circular:
        from symkde.numeric.smooth_cauchy_circle import CirclePoles

        return pole_row(CirclePoles(mix), mix, a, b, with_grad)
    if not cauchy_fast_path_applies(mix, a, b):
        return _quadrature(mix, problem, with_grad)
    return pole_row(_Points(mix, a, b), mix, a, b, with_grad)
