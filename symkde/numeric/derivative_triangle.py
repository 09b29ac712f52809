"""Direct forms of the compact kernels' derivatives: per-segment integrals of ``1/p``, summed.

Owns :func:`triangle_position_bandwidth` and :func:`boxcar_jumps_direct`, the ``O(n * segments)``
forms that :mod:`symkde.numeric.derivative_compact` computes in ``O(n log n)`` by window sums;
the tests keep these as the independent check of the fast path (every point summed at every
edge, no windows, no sorting of the points).  With ``K_h(u) = (h - |u|)_+ / h^2`` the
integrands of the contract's formulas lose their ``1/(h - |u|)`` singularities::

    R_j (d/du log K)(t - x_j) = -sign(t - x_j) S_j / (h^2 p(t))      inside x_j's support
    sum_j R_j (d/dh log K)(t - x_j) = C(t) / (h^2 p(t)) - 2/h,      C = sum of active S_j

and ``p`` is linear between consecutive kinks ``x_j``, ``x_j +- h`` (and ``a``, ``b``), so
each segment's ``int 1/p = L (log p1 - log p0) / (p1 - p0)``, evaluated in log space
(``L e^{-m} d / (1 - e^{-d})``, ``m`` the larger log end, ``d`` the gap).  Nothing is
adaptive: logits ``+-700`` (a point dominating by ``e^1400``) cost the same as equal ones.
``p`` at a kink is evaluated at the kink's exact position ``x_k + s h`` (``h - |u_j|`` formed
as ``(1 -+ s) h -+ (x_k - x_j)`` with the difference's rounding error carried, Sterbenz-exact
near cancellation), not at its rounded float: where a dominant support ends the density is
the tiny remainder of the others, and ``int 1/p`` depends on its logarithm.  Cost
``O(n * segments)`` (``O(n^2)``) in blocks of bounded memory.  Imports NumPy,
:mod:`symkde.errors`, the generated log kernels and ``segment_forms.log_reciprocal_factor``
(the segment's ``int 1/P`` of theorem ``triangle_resp_integrals``).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric._generated.log_kernels import LOG_KERNELS
from symkde.numeric.segment_forms import log_reciprocal_factor

__all__ = ["boxcar_jumps_direct", "triangle_position_bandwidth"]

FloatArray = NDArray[np.float64]

_BLOCK = 256


def _edge_log_density(
    log_w: FloatArray,
    x: FloatArray,
    h: float,
    t: FloatArray,
    owner: NDArray[np.intp],
    shift: FloatArray,
) -> FloatArray:
    """``log p`` at each edge: at a kink (``owner >= 0``) at ``x[owner] + shift * h`` exactly,
    at ``a``/``b`` (``owner < 0``) at ``t`` itself."""
    out = np.empty(t.size)
    for start in range(0, t.size, _BLOCK):
        rows = slice(start, start + _BLOCK)
        own, s, te = owner[rows], shift[rows, None], t[rows, None]
        kink = own >= 0
        xk = np.where(kink, x[np.maximum(own, 0)], 0.0)[:, None]
        xj = x[None, :]
        d = xk - xj  # TwoSum: d + err == xk - x_j exactly
        bv = d - xk
        err = (xk - (d - bv)) + (-xj - bv)
        up = d + s * h >= 0.0  # u_j = t - x_j >= 0
        gap_kink = np.where(up, ((1.0 - s) * h - d) - err, ((1.0 + s) * h + d) + err)
        gap_end = h - np.abs(te - x[None, :])
        gap = np.where(kink[:, None], gap_kink, gap_end)
        with np.errstate(divide="ignore"):
            logits = log_w[None, :] + np.log(np.where(gap > 0.0, gap, 0.0))
        top = logits.max(axis=1)
        safe = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            lse = safe + np.log(np.exp(logits - safe[:, None]).sum(axis=1))
        out[rows] = np.where(np.isfinite(top), lse, -np.inf)
    return out - 2.0 * math.log(h)


def triangle_position_bandwidth(
    log_w: FloatArray, x: FloatArray, a: float, b: float, h: float
) -> tuple[FloatArray, float]:
    """``((1/(b-a)) int R_j (log K)'  per point, (1/(b-a)) int sum_j R_j d/dh log K)``.

    ``log_w``: normalised log-weights of the (unmasked) points at ``x``; ``[a, b]`` covered.
    Raises :class:`symkde.UncoveredTargetError` where ``p`` vanishes at a point of ``[a, b]``.
    """
    k = x.size
    shifts = np.repeat(np.array([-1.0, 0.0, 1.0]), k)
    owners = np.tile(np.arange(k), 3)
    base, offset = np.tile(x, 3), shifts * h
    kinks = base + offset
    bv = kinks - base  # TwoSum: kinks + kinks_lo == x_k + s h exactly
    kinks_lo = (base - (kinks - bv)) + (offset - bv)
    inside = (kinks > a) & (kinks < b)
    t = np.concatenate(([a], kinks[inside], [b]))
    t_lo = np.concatenate(([0.0], kinks_lo[inside], [0.0]))
    owner = np.concatenate(([-1], owners[inside], [-1]))
    shift = np.concatenate(([0.0], shifts[inside], [0.0]))
    order = np.lexsort((t_lo, t))
    t, t_lo, owner, shift = t[order], t_lo[order], owner[order], shift[order]
    # one evaluation per distinct edge (exact position); a kink within an ulp of another
    # bounds a segment whose length is known only from the exact positions
    first = np.concatenate(([True], (t[1:] > t[:-1]) | (t_lo[1:] > t_lo[:-1])))
    t, t_lo, owner, shift = t[first], t_lo[first], owner[first], shift[first]
    lp = _edge_log_density(log_w, x, h, t, owner, shift)
    if not np.isfinite(lp).all():
        zero = float(t[np.flatnonzero(~np.isfinite(lp))[0]])
        raise UncoveredTargetError((zero, zero))
    length = np.diff(t) + np.diff(t_lo)  # Sterbenz-exact where edges are close
    top = np.maximum(lp[:-1], lp[1:])
    gap = np.abs(lp[1:] - lp[:-1])
    log_v = np.log(length) - top + log_reciprocal_factor(gap)  # log int_segment 1/p
    mid = 0.5 * (t[:-1] + t[1:])
    log_scale = -2.0 * math.log(h)
    d_x = np.zeros(k)
    total = 0.0
    for start in range(0, mid.size, _BLOCK):
        rows = slice(start, start + _BLOCK)
        u = mid[rows, None] - x[None, :]
        active = np.abs(u) < h
        expo = np.where(active, log_w[None, :] + log_v[rows, None] + log_scale, -np.inf)
        part = np.exp(expo)  # int_segment S_j / (h^2 p) <= int 1/(h - |u|): never overflows
        d_x += (np.where(u < 0.0, 1.0, -1.0) * part).sum(axis=0)
        total += float(part.sum())
    return d_x / (b - a), total / (b - a) - 2.0 / h


def boxcar_jumps_direct(
    log_w: FloatArray, x: FloatArray, a: float, b: float, h: float
) -> tuple[FloatArray, float]:
    """Jump terms of the boxcar, ``(d/dx_j, d/dh)`` of ``int log p`` from the moving edges,
    each edge's other supports summed directly (``O(n * edges)``, in blocks); see
    :func:`symkde.numeric.derivative_compact.boxcar_jumps`.  Which supports are closed at an
    edge is decided on the rounded ``fl(x_j +- h) - x_i``, so a point tied with ``x_j`` may
    fall either side (both one-sided values are admissible there; the fast form decides on
    the exact positions and keeps it)."""
    log_half = -math.log(2.0 * h)
    d_x = np.zeros(x.size)
    d_h = 0.0
    for sign in (1.0, -1.0):
        edge = x + sign * h
        inside = np.flatnonzero((edge > a) & (edge < b))
        if inside.size == 0:
            continue
        jumps = np.empty(inside.size)
        for start in range(0, inside.size, _BLOCK):
            rows = inside[start : start + _BLOCK]
            logits = log_w + LOG_KERNELS["boxcar"](np.subtract.outer(edge[rows], x), h)
            logits[np.arange(rows.size), rows] = -np.inf
            top = logits.max(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_q = top + np.log(np.exp(logits - top[:, None]).sum(axis=1))
            # log(1 + e^v), v up to ~1400 at logits +-700 (log1p(exp(v)) overflowed to inf)
            jumps[start : start + rows.size] = np.logaddexp(0.0, log_w[rows] + log_half - log_q)
        d_x[inside] += sign * jumps
        d_h += float(np.sum(jumps))
    return d_x, d_h
