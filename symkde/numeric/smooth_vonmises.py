"""Fast von Mises integrals on the circle: windows and box expansions, as for the Gaussian.

Owns :func:`loss_and_grad_vonmises_row` (called for von Mises rows by
:func:`symkde.numeric.smooth.loss_and_grad_smooth_row`) and its compiled loops; imports
NumPy, numba, SciPy's ``i0e``, the generated margins and the panel driver of
:mod:`symkde.numeric.smooth` (the adaptive quadrature stays the fallback).

Angles are unrolled: each point appears as ``x - 2 pi``, ``x``, ``x + 2 pi`` in one sorted
array (``owner`` maps a copy to its point), so a window ``|t - x| <= r`` is one slice; a
window of half-width ``pi`` or more is the half-open ``[t - pi, t + pi)``, which holds every
point once.  The log-term is ``log w_j - 2 kappa sin^2((t - x_j)/2)``; a term more than
``M = log n + 60 log 2`` below a lower bound ``T`` of the largest is dropped
(``2 kappa sin^2(r/2) = max log w - T + M`` gives the window; theorem
``gaussian_window_truncation``, whose argument uses only ``log w_j <= max log w``).

Dense windows are summed by boxes ``h/8`` wide (``kappa = 1/h^2``): with ``alpha = t - c``,
``beta = x - c``,
``kappa (cos(alpha - beta) - 1) = kappa (cos alpha - 1) + cos alpha * kappa (cos beta - 1)
+ (kappa sin alpha) sin beta``; the second exponent is at most ``1/512`` in size and the
third at most ``Y = 15/16`` within ``REACH`` bandwidths, so two Taylor polynomials
(``VONMISES_COS_ORDER`` and ``TAYLOR_ORDER`` terms) give each box's sum to ``2**-59``
relative (theorem ``vonmises_box_expansion``).  The gradient's transposed sums use the same
expansion about boxes of points.

The fast path needs the arc densely covered (every ``t`` in ``[a, b]`` within ``h`` of a
point) and log-weights within 32 of each other: then every dominance switch is at least
``~h/9`` wide and panels ``h/2`` wide near the points resolve it (sparse points can switch
over ``h^2 / distance``; those rows go to the adaptive quadrature, which places the
switches exactly).

>>> import numpy as np
>>> from symkde.numeric.validate import validate
>>> x = np.linspace(-0.2, 1.2, 40)
>>> row = validate(np.zeros(40), x, 0.0, 1.0, kernel="vonmises", bandwidth=0.1, circular=True)
>>> value, gradient = loss_and_grad_vonmises_row(row)
>>> round(value, 12)  # mpmath: 0.36282104118212194
0.362821041182
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.special import i0e

from symkde.numeric import smooth
from symkde.numeric._generated.smooth_bounds import (
    BOX_PER_H,
    DROP_MARGIN,
    REACH,
    TAYLOR_ORDER,
    VONMISES_COS_ORDER,
)
from symkde.numeric.mixture import _Mixture, _mixture
from symkde.numeric.quadrature import _quadrature
from symkde.numeric.validate import Problem

__all__ = ["loss_and_grad_vonmises_row", "vonmises_fast_path_applies"]

FloatArray = NDArray[np.float64]
TWO_PI = 2.0 * math.pi
#: Log-weights within this of each other (see the module docstring: switch widths).
_SPREAD = 32.0


def _jit(signature: str) -> Any:
    return numba.njit(signature, cache=True, nogil=True, error_model="numpy")


@_jit("void(f8[::1], f8[::1], i8[::1], i8[::1], f8[::1], f8, f8[:, :, ::1], f8[::1])")
def _moments(x, lw, first, stop, centre, kappa, moments, scale):  # type: ignore[no-untyped-def]
    """``moments[B, l, k] = sum_j e^{lw_j - scale_B} e_j^l / l! s_j^k / k!`` with
    ``e = kappa (cos beta - 1)``, ``s = sin beta``, ``beta = x - c_B``."""
    n_l, n_k = moments.shape[1], moments.shape[2]
    for box in range(first.shape[0]):
        lam = -math.inf
        for j in range(first[box], stop[box]):
            lam = max(lam, lw[j])
        scale[box] = lam
        moments[box, :, :] = 0.0
        for j in range(first[box], stop[box]):
            beta = x[j] - centre[box]
            half = math.sin(0.5 * beta)
            e = -2.0 * kappa * half * half
            s = math.sin(beta)
            outer = math.exp(lw[j] - lam)
            for li in range(n_l):
                term = outer
                for k in range(n_k):
                    moments[box, li, k] += term
                    term *= s / (k + 1)
                outer *= e / (li + 1)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _series(moments, box, cos_a, kappa_sin_a):  # type: ignore[no-untyped-def]
    n_l, n_k = moments.shape[1], moments.shape[2]
    outer = 0.0
    for li in range(n_l - 1, -1, -1):
        inner = moments[box, li, n_k - 1]
        for k in range(n_k - 2, -1, -1):
            inner = inner * kappa_sin_a + moments[box, li, k]
        outer = outer * cos_a + inner
    return outer


#: Below this dominant log-kernel ``2 kappa sin^2((t - x_d)/2)`` each term is formed as
#: ``log w_j - 2 kappa sin^2((t - x_j)/2) + (that)``: one sine a term, every part at most
#: ``~margin + 32`` in size, so rounding is a few 1e-14 absolute, as in the ratio form.  Above
#: it (points far from every node) the cancellation-free ratio form is used.
_CHEAP_TERMS = 32.0


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _ratio(tm, xj, xd, kappa):  # type: ignore[no-untyped-def]
    """``log K(t - x_j) - log K(t - x_d)`` without cancellation (generated ratio form)."""
    return -2.0 * kappa * math.sin(0.5 * (xj - xd)) * math.sin(0.5 * (xj + xd) - tm)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _window_sum(tm, x, lw, d, lo, hi, kappa):  # type: ignore[no-untyped-def]
    """``sum_j e^{term_j - term_d}`` over the window ``[lo, hi)``."""
    xd = x[d]
    half_d = math.sin(0.5 * (tm - xd))
    kernel_d = 2.0 * kappa * half_d * half_d
    total = 0.0
    if kernel_d <= _CHEAP_TERMS:
        base = kernel_d - lw[d]
        for j in range(lo, hi):
            half = math.sin(0.5 * (tm - x[j]))
            total += math.exp(lw[j] + base - 2.0 * kappa * half * half)
    else:
        for j in range(lo, hi):
            total += math.exp(lw[j] - lw[d] + _ratio(tm, x[j], xd, kappa))
    return total


#: A term summed point by point (a sine and an exponential) costs about as much as this many
#: series terms of a box (multiply-adds): measured, it only decides which of two exact
#: sums a node uses.
_POINT_COST = 8.0


@_jit(
    "void(f8[::1], f8[::1], f8[::1], i8[::1], i8[::1], f8[::1], f8[:, :, ::1], f8[::1], f8, f8,"
    " f8, b1, i8[::1], f8[::1], i8[::1], i8[::1], i8[::1], f8[::1])"
)
def _forward(  # type: ignore[no-untyped-def]
    t, x, lw, heavy, box_of, centre, moments, scale, kappa, h, margin, boxes_allowed,
    mode, log_sum, lo_out, hi_out, dom_out, term_out,
):  # fmt: skip
    """Per node: a lower bound ``T`` on the largest term (neighbours and the heaviest point),
    the window, and ``log sum_j e^{term_j - T}`` by boxes (``mode 1``) or points (``0``)."""
    n_l, n_k = moments.shape[1], moments.shape[2]
    lw_max = -math.inf
    for j in range(lw.shape[0]):
        lw_max = max(lw_max, lw[j])
    n = x.shape[0]
    for m in range(t.shape[0]):
        tm = t[m]
        i = np.searchsorted(x, tm)
        d = -1
        best = -math.inf
        for c in (i - 1, i, heavy[0], heavy[1], heavy[2]):
            if 0 <= c < n and abs(tm - x[c]) <= math.pi:
                half = math.sin(0.5 * (tm - x[c]))
                term = lw[c] - 2.0 * kappa * half * half
                if term > best:
                    best = term
                    d = c
        term_out[m] = best
        dom_out[m] = d
        q = (lw_max - best + margin) / (2.0 * kappa)
        if q >= 1.0:
            lo = np.searchsorted(x, tm - math.pi, "left")
            hi = np.searchsorted(x, tm + math.pi, "left")
            r = math.pi
        else:
            r = 2.0 * math.asin(math.sqrt(q))
            lo = np.searchsorted(x, tm - r, "left")
            hi = np.searchsorted(x, tm + r, "right")
        lo_out[m] = lo
        hi_out[m] = hi
        boxes = box_of[hi - 1] - box_of[lo] + 1
        if boxes_allowed and r <= REACH * h and boxes * n_l * n_k < _POINT_COST * (hi - lo):
            mode[m] = 1
            top = -math.inf
            for box in range(box_of[lo], box_of[hi - 1] + 1):
                half = math.sin(0.5 * (tm - centre[box]))
                top = max(top, scale[box] - 2.0 * kappa * half * half)
            total = 0.0
            for box in range(box_of[lo], box_of[hi - 1] + 1):
                alpha = tm - centre[box]
                half = math.sin(0.5 * alpha)
                weight = math.exp(scale[box] - 2.0 * kappa * half * half - top)
                total += weight * _series(moments, box, math.cos(alpha), kappa * math.sin(alpha))
            log_sum[m] = top + math.log(total) - best
        else:
            mode[m] = 0
            log_sum[m] = math.log(_window_sum(tm, x, lw, d, lo, hi, kappa))


@_jit(
    "void(f8[::1], f8[::1], f8[::1], i8[::1], i8[::1], i8[::1], f8[::1], f8[::1], i8[::1], f8,"
    " f8[::1])"
)
def _transposed_direct(t, weight, log_sum, lo, hi, dom, x, lw, owner, kappa, out):  # type: ignore[no-untyped-def]
    for m in range(t.shape[0]):
        tm = t[m]
        d = dom[m]
        xd = x[d]
        half_d = math.sin(0.5 * (tm - xd))
        kernel_d = 2.0 * kappa * half_d * half_d
        if kernel_d <= _CHEAP_TERMS:  # as in _window_sum
            base = kernel_d - lw[d] - log_sum[m]
            for j in range(lo[m], hi[m]):
                half = math.sin(0.5 * (tm - x[j]))
                out[owner[j]] += weight[m] * math.exp(lw[j] + base - 2.0 * kappa * half * half)
        else:
            base = log_sum[m] + lw[d]
            for j in range(lo[m], hi[m]):
                out[owner[j]] += weight[m] * math.exp(lw[j] - base + _ratio(tm, x[j], xd, kappa))


@_jit(
    "void(f8[::1], f8[::1], f8[::1], f8[::1], i8[::1], i8[::1], i8[::1], f8[::1], f8, f8, i8, i8,"
    " f8[::1])"
)
def _transposed_boxes(  # type: ignore[no-untyped-def]
    t, ell, x, lw, owner, first, stop, centre, kappa, h, n_l, n_k, out
):
    """``out[owner j] += e^{lw_j} sum_m e^{ell_m + kappa (cos(t_m - x_j) - 1)}`` over the nodes
    within ``REACH + 1/16`` bandwidths of each box, by the expansion about its centre."""
    coeff = np.empty((n_l, n_k))
    reach = (REACH + 0.0625) * h
    for box in range(first.shape[0]):
        c = centre[box]
        m_lo = np.searchsorted(t, c - reach, "left")
        m_hi = np.searchsorted(t, c + reach, "right")
        if m_hi <= m_lo:
            continue
        top = -math.inf
        for m in range(m_lo, m_hi):
            half = math.sin(0.5 * (t[m] - c))
            top = max(top, ell[m] - 2.0 * kappa * half * half)
        coeff[:, :] = 0.0
        for m in range(m_lo, m_hi):
            alpha = t[m] - c
            half = math.sin(0.5 * alpha)
            cos_a = math.cos(alpha)
            ks = kappa * math.sin(alpha)
            outer = math.exp(ell[m] - 2.0 * kappa * half * half - top)
            for li in range(n_l):
                term = outer
                for k in range(n_k):
                    coeff[li, k] += term
                    term *= ks
                outer *= cos_a
        for j in range(first[box], stop[box]):
            beta = x[j] - c
            half = math.sin(0.5 * beta)
            e = -2.0 * kappa * half * half
            s = math.sin(beta)
            total = 0.0
            e_pow = 1.0
            for li in range(n_l):
                inner = 0.0
                s_pow = 1.0
                for k in range(n_k):
                    inner += coeff[li, k] * s_pow
                    s_pow *= s / (k + 1)
                total += inner * e_pow
                e_pow *= e / (li + 1)
            if total > 0.0:
                out[owner[j]] += math.exp(lw[j] + top + math.log(total))


def vonmises_fast_path_applies(mix: _Mixture, a: float, b: float) -> bool:
    """Every ``t`` in ``[a, b]`` within ``h`` of a point, log-weights within 32."""
    if mix.kernel != "vonmises" or mix.log_w_spread > _SPREAD:
        return False
    copies = np.sort(np.concatenate((mix.x - TWO_PI, mix.x, mix.x + TWO_PI)))
    near = copies[(copies >= a - mix.h) & (copies <= b + mix.h)]
    if near.size == 0:
        return False
    gaps_ok = near.size < 2 or float(np.diff(near).max()) <= 2.0 * mix.h
    return bool(gaps_ok and near[0] <= a + mix.h and near[-1] >= b - mix.h)


class _Points:
    """The unrolled sorted copies that can matter on the arc, their boxes and moments."""

    def __init__(self, mix: _Mixture, a: float, b: float) -> None:
        self.h = h = mix.h
        self.kappa = 1.0 / (h * h)
        n = mix.x.size
        # one sort of the n angles; their copies -2 pi, 0, +2 pi in one sorted array (sorted
        # as concatenated when the angles span at most a turn, as the moved ones do), kept
        # within half a turn (plus h) of the arc: no node's window reaches farther
        by_angle = np.argsort(mix.x, kind="stable")
        sorted_x = mix.x[by_angle]
        x3 = np.concatenate((sorted_x - TWO_PI, sorted_x, sorted_x + TWO_PI))
        owner3 = np.concatenate((by_angle, by_angle, by_angle))
        if np.any(x3[1:] < x3[:-1]):
            order = np.argsort(x3, kind="stable")
            x3, owner3 = x3[order], owner3[order]
        lo, hi = np.searchsorted(x3, [a - math.pi - h, b + math.pi + h])
        self.x = np.ascontiguousarray(x3[lo:hi])
        self.owner = np.ascontiguousarray(owner3[lo:hi].astype(np.int64))
        self.lw = np.ascontiguousarray(mix.log_w[self.owner])
        heavy = np.flatnonzero(self.owner == int(np.argmax(mix.log_w))).astype(np.int64)
        self.heavy = np.resize(heavy, 3)  # every copy of the heaviest point here, repeated
        self.margin = math.log(n) + DROP_MARGIN + 1.0
        self.log_norm = math.log(TWO_PI * float(i0e(self.kappa)))
        width = h / BOX_PER_H
        ids = np.floor(self.x / width)
        starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        self.first = starts.astype(np.int64)
        self.stop = np.append(starts[1:], self.x.size).astype(np.int64)
        self.box_of = np.repeat(np.arange(starts.size, dtype=np.int64), self.stop - self.first)
        self.centre = (ids[starts] + 0.5) * width
        # a node's window and a box's reach stay within half a turn: one copy per pair
        self.boxes_allowed = (REACH + 1) * h < math.pi
        self.moments = np.zeros((starts.size, VONMISES_COS_ORDER, TAYLOR_ORDER))
        self.scale = np.zeros(starts.size)
        if self.boxes_allowed:
            # only boxes within REACH + 1/16 bandwidths of the arc are ever expanded
            reach = (REACH + 0.0625) * h
            b_lo, b_hi = np.searchsorted(self.centre, [a - reach, b + reach])
            _moments(
                self.x, self.lw, self.first[b_lo:b_hi], self.stop[b_lo:b_hi],
                self.centre[b_lo:b_hi], self.kappa, self.moments[b_lo:b_hi],
                self.scale[b_lo:b_hi],
            )  # fmt: skip
        self.breaks = np.empty(0)
        self.switch_width = np.empty(0)
        self.max_width = 0.5 * h

    def near_data(self, lo: FloatArray, hi: FloatArray) -> NDArray[np.bool_]:
        return smooth.boxes_near(self.centre, (REACH + 1) * self.h, lo, hi)


class _Nodes:
    def __init__(self, pts: _Points, t: FloatArray) -> None:
        m = t.size
        self.t = np.ascontiguousarray(t)
        self.mode = np.empty(m, np.int64)
        self.log_sum = np.empty(m)
        self.lo = np.empty(m, np.int64)
        self.hi = np.empty(m, np.int64)
        self.dom = np.empty(m, np.int64)
        term = np.empty(m)
        _forward(
            self.t, pts.x, pts.lw, pts.heavy, pts.box_of, pts.centre, pts.moments, pts.scale,
            pts.kappa, pts.h, pts.margin, pts.boxes_allowed,
            self.mode, self.log_sum, self.lo, self.hi, self.dom, term,
        )  # fmt: skip
        self.lse = term + self.log_sum - pts.log_norm

    def take(self, keep: NDArray[np.bool_]) -> dict[str, np.ndarray]:
        return {k: getattr(self, k)[keep] for k in ("t", "mode", "log_sum", "lo", "hi", "dom")}


def loss_and_grad_vonmises_row(
    problem: Problem, with_grad: bool = True
) -> tuple[float, FloatArray | None]:
    """``(loss, dL/dz or None)`` of one validated von Mises row, angles measured from ``a``."""
    mix = _mixture(problem)
    a, b = problem.a, problem.b
    if not vonmises_fast_path_applies(mix, a, b):
        return _quadrature(mix, problem, with_grad)
    pts = _Points(mix, a, b)
    neg_loss, nodes, weight, lse = smooth._integrate(pts, a, b, _Nodes)
    if not with_grad:
        return -neg_loss, None
    mean_r = np.zeros(mix.x.size)
    direct = nodes["mode"] == 0
    if direct.any():
        _transposed_direct(
            *(np.ascontiguousarray(nodes[k][direct]) for k in ("t",)),
            np.ascontiguousarray(weight[direct]),
            *(np.ascontiguousarray(nodes[k][direct]) for k in ("log_sum", "lo", "hi", "dom")),
            pts.x, pts.lw, pts.owner, pts.kappa, mean_r,
        )  # fmt: skip
    boxed = ~direct
    if boxed.any():
        t = nodes["t"][boxed]
        order = np.argsort(t, kind="stable")
        ell = np.log(weight[boxed]) - lse[boxed] - pts.log_norm
        _transposed_boxes(
            np.ascontiguousarray(t[order]), np.ascontiguousarray(ell[order]), pts.x, pts.lw,
            pts.owner, pts.first, pts.stop, pts.centre, pts.kappa, pts.h,
            VONMISES_COS_ORDER, TAYLOR_ORDER, mean_r,
        )  # fmt: skip
    gradient = mix.weights_full.copy()
    gradient[mix.index] -= smooth.normalized(mean_r)
    return -neg_loss, gradient
