"""Compiled loops of the fast Gaussian integrals (:mod:`symkde.numeric.smooth`).

Owns the per-node and per-box loops: the upper envelope of the log-terms, the forward sums
``log p(t)`` at the quadrature nodes and the transposed sums ``sum_m W_m R_j(t_m)`` for the
gradient.  Imports NumPy and numba only (compiled once per machine, ``cache=True``).

All positions are float64 in the caller's (moved) coordinates and ``h`` is the bandwidth.
Each node ``t`` is summed either *point by point* over its window of sorted points (every
term relative to the dominant one, through the cancellation-free ratio
``-(x_j - x_d)(x_j + x_d - 2t) / 2h^2``, the generated ``log_kernel_ratio_gaussian``), or
*box by box*: points in boxes ``h / BOX_PER_H`` wide with centre ``c`` carry the moments
``A_k = sum_j e^{lw_j - lam - v_j^2/2} v_j^k / k!`` (``v = (x - c)/h``, ``lam`` the box's
largest log-weight), and ``sum_j w_j e^{-(t - x_j)^2/2h^2} = e^{lam - u^2/2} sum_k A_k u^k``
up to the Taylor remainder of ``e^{uv}`` (``u = (t - c)/h``; theorem
``gaussian_taylor_remainder``).  The transposed sums use the same expansion with the roles of
points and nodes exchanged (moments of the nodes, evaluated at boxes of points).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np

__all__ = ["box_moments", "envelope", "forward", "transposed_boxes", "transposed_direct"]


def _jit(signature: str) -> Any:
    return numba.njit(signature, cache=True, nogil=True, error_model="numpy")


@_jit("Tuple((i8[::1], f8[::1]))(f8[::1], f8[::1], f8)")
def envelope(xc, lw, inv_h2):  # type: ignore[no-untyped-def]
    """Upper envelope of the lines ``lw_j - xc_j^2/2h^2 + t xc_j/h^2`` (``xc`` sorted).

    Up to the common ``-t^2/2h^2`` these are the log-terms; returns the indices of the lines
    on top, left to right, and the ``t`` (in ``xc``'s coordinates) where each hands over.
    """
    n = xc.shape[0]
    hull = np.empty(n, np.int64)
    top = 0
    for j in range(n):
        s_j = xc[j] * inv_h2
        c_j = lw[j] - 0.5 * xc[j] * xc[j] * inv_h2
        if top > 0 and xc[hull[top - 1]] == xc[j]:
            last = hull[top - 1]
            if lw[last] - 0.5 * xc[last] * xc[last] * inv_h2 >= c_j:
                continue
            top -= 1
        while top >= 2:
            i1 = hull[top - 2]
            i2 = hull[top - 1]
            s1 = xc[i1] * inv_h2
            c1 = lw[i1] - 0.5 * xc[i1] * xc[i1] * inv_h2
            s2 = xc[i2] * inv_h2
            c2 = lw[i2] - 0.5 * xc[i2] * xc[i2] * inv_h2
            if (c1 - c_j) * (s2 - s1) <= (c1 - c2) * (s_j - s1):
                top -= 1
            else:
                break
        hull[top] = j
        top += 1
    breaks = np.empty(max(top - 1, 0))
    for q in range(top - 1):
        i1 = hull[q]
        i2 = hull[q + 1]
        c1 = lw[i1] - 0.5 * xc[i1] * xc[i1] * inv_h2
        c2 = lw[i2] - 0.5 * xc[i2] * xc[i2] * inv_h2
        breaks[q] = (c1 - c2) / ((xc[i2] - xc[i1]) * inv_h2)
    return hull[:top].copy(), breaks


@_jit("void(f8[::1], f8[::1], i8[::1], i8[::1], f8[::1], f8, f8[:, ::1], f8[::1])")
def box_moments(x, lw, first, stop, centre, h, moments, scale):  # type: ignore[no-untyped-def]
    """``moments[B, k] = sum_{j in B} e^{lw_j - scale_B - v_j^2/2} v_j^k / k!``, ``v = (x-c)/h``.

    ``scale_B`` is the box's largest log-weight."""
    order = moments.shape[1]
    for box in range(first.shape[0]):
        lam = -math.inf
        for j in range(first[box], stop[box]):
            lam = max(lam, lw[j])
        scale[box] = lam
        for k in range(order):
            moments[box, k] = 0.0
        for j in range(first[box], stop[box]):
            v = (x[j] - centre[box]) / h
            term = math.exp(lw[j] - lam - 0.5 * v * v)
            for k in range(order):
                moments[box, k] += term
                term *= v / (k + 1)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _horner(moments, box, u):  # type: ignore[no-untyped-def]
    order = moments.shape[1]
    acc = moments[box, order - 1]
    for k in range(order - 2, -1, -1):
        acc = acc * u + moments[box, k]
    return acc


@_jit(
    "void(f8[::1], f8[::1], f8[::1], i8[::1], i8[::1], i8[::1], f8[::1], f8[:, ::1], f8[::1],"
    " f8, f8, f8, i8[::1], f8[::1], i8[::1], i8[::1], i8[::1])"
)
def forward(  # type: ignore[no-untyped-def]
    t, x, lw, dom, box_of, box_first, centre, moments, scale, h, margin, reach,
    mode, log_sum, lo_out, hi_out, dom_out,
):  # fmt: skip
    """``log_sum[m] = log sum_j e^{log-term_j(t_m) - log-term_d(t_m)}`` for every node.

    ``dom[m]`` is a point whose term is a lower bound on the largest (from the envelope);
    the window ``|t - x_j| <= r``, ``r^2 = 2h^2 (max lw - term_d + margin)``, holds every
    term within ``margin`` of the largest (theorem ``gaussian_window_truncation``).  A node
    whose window is at most ``reach`` bandwidths and holds more points than the box
    expansion costs is summed by boxes (``mode = 1``), others point by point (``mode = 0``).
    """
    order = moments.shape[1]
    lw_max = -math.inf
    for j in range(lw.shape[0]):
        lw_max = max(lw_max, lw[j])
    inv_2h2 = 0.5 / (h * h)
    for m in range(t.shape[0]):
        tm = t[m]
        d = dom[m]
        dist = tm - x[d]
        term_d = lw[d] - dist * dist * inv_2h2
        r = h * math.sqrt(2.0 * (lw_max - term_d + margin))
        lo = np.searchsorted(x, tm - r, "left")
        hi = np.searchsorted(x, tm + r, "right")
        lo = min(lo, d)
        hi = max(hi, d + 1)
        lo_out[m] = lo
        hi_out[m] = hi
        dom_out[m] = d
        boxes = box_of[hi - 1] - box_of[lo] + 1
        if r <= reach * h and boxes * order < hi - lo:
            mode[m] = 1
            lo_box = box_of[lo]
            hi_box = box_of[hi - 1] + 1
            # two passes: the largest box term, then the scaled sum
            top = -math.inf
            for box in range(lo_box, hi_box):
                u = (tm - centre[box]) / h
                top = max(top, scale[box] - 0.5 * u * u)
            total = 0.0
            for box in range(lo_box, hi_box):
                u = (tm - centre[box]) / h
                total += math.exp(scale[box] - 0.5 * u * u - top) * _horner(moments, box, u)
            log_sum[m] = top + math.log(total) - term_d
        else:
            mode[m] = 0
            total = 0.0
            xd = x[d]
            for j in range(lo, hi):
                ratio = -(x[j] - xd) * (x[j] + xd - 2.0 * tm) * inv_2h2
                total += math.exp(lw[j] - lw[d] + ratio)
            log_sum[m] = math.log(total)


@_jit("void(f8[::1], f8[::1], f8[::1], i8[::1], i8[::1], i8[::1], f8[::1], f8[::1], f8, f8[::1])")
def transposed_direct(t, weight, log_sum, lo, hi, dom, x, lw, h, out):  # type: ignore[no-untyped-def]
    """``out[j] += weight[m] R_j(t_m)`` over each node's window (nodes summed point by point)."""
    inv_2h2 = 0.5 / (h * h)
    for m in range(t.shape[0]):
        tm = t[m]
        d = dom[m]
        xd = x[d]
        base = log_sum[m] + lw[d]
        for j in range(lo[m], hi[m]):
            ratio = -(x[j] - xd) * (x[j] + xd - 2.0 * tm) * inv_2h2
            out[j] += weight[m] * math.exp(lw[j] - base + ratio)


@_jit("void(f8[::1], f8[::1], f8[::1], f8[::1], i8[::1], i8[::1], f8[::1], f8, f8, i8, f8[::1])")
def transposed_boxes(  # type: ignore[no-untyped-def]
    t, ell, x, lw, first, stop, centre, h, reach, order, out
):
    """``out[j] += e^{lw_j} sum_m e^{ell_m - (t_m - x_j)^2/2h^2}`` for the nodes ``t`` (sorted)
    within ``reach`` bandwidths of each box of points, by the expansion of each box.

    ``ell_m = log W_m - log p(t_m) - log(h sqrt(2 pi))``, so that the summand is
    ``W_m R_j(t_m)``.
    """
    coeff = np.empty(order)
    for box in range(first.shape[0]):
        c = centre[box]
        m_lo = np.searchsorted(t, c - (reach + 0.0625) * h, "left")
        m_hi = np.searchsorted(t, c + (reach + 0.0625) * h, "right")
        if m_hi <= m_lo:
            continue
        top = -math.inf
        for m in range(m_lo, m_hi):
            w = (t[m] - c) / h
            top = max(top, ell[m] - 0.5 * w * w)
        for k in range(order):
            coeff[k] = 0.0
        for m in range(m_lo, m_hi):
            w = (t[m] - c) / h
            term = math.exp(ell[m] - 0.5 * w * w - top)
            for k in range(order):
                coeff[k] += term
                term *= w / (k + 1)
        for j in range(first[box], stop[box]):
            v = (x[j] - c) / h
            acc = coeff[order - 1]
            for k in range(order - 2, -1, -1):
                acc = acc * v + coeff[k]
            if acc > 0.0:
                out[j] += math.exp(lw[j] + top - 0.5 * v * v + math.log(acc))
