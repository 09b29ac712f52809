"""Exact Laplace position and bandwidth derivatives on the line, per segment, ``O(n log n)``.

Owns :func:`laplace_position_bandwidth`, the log-space closed-form branch of
``method="exact"`` in :mod:`symkde.numeric.derivatives`: rows that the compiled path
(:mod:`symkde.numeric.derivative_rows`) hands back (weights spread beyond ``e^500``, a side
that matters far beyond an end) take it.  It reuses the segment machinery of
:mod:`symkde.numeric.exact` (sorted points, log-space prefix/suffix scans referenced at the
nearest point, the per-segment closed forms of theorems ``laplace_log_segment`` and
``laplace_resp_integral``) without changing it.  On a segment ``[lo, hi]`` between knots
(``s = (t - lo)/h``, ``d = (hi - lo)/h``) ``2h p = e^{lB - s} + e^{lA - d + s}``, and:

* position: ``(log K)'(t - x_i) = -sign(t - x_i)/h``, so
  ``dL/dx_i = (int_{t < x_i} R_i - int_{t > x_i} R_i) / (h (b - a))``: the two halves of the
  responsibility integral the gradient already sums (``part_l``, ``part_r``), subtracted;
* bandwidth: ``L = log 2h - (h/(b-a)) sum_k F(lB_k, lA_k, d_k)`` with
  ``F = int_0^d log(e^{lB-s} + e^{lA-d+s}) ds``, so by the chain rule
  ``dL/dh = 1/h - (1/(b-a)) sum_k [F + (I_B mu_B + I_A mu_A)/h - d (log f(d) - I_A)]``
  where ``dF/dlB = I_B = int e^{lB-s}/f``, ``dF/dlA = I_A``, ``dF/dd = log f(d) - I_A``,
  ``dlB/dh = mu_B/h^2`` (``mu_B``: the ``e^{-dist/h}``-weighted mean distance of the points
  left of the segment to ``lo``; ``mu_A`` likewise on the right) and ``dd/dh = -d/h``.  The
  weighted distances come from one more pair of scans of nonnegative terms (no
  cancellation), so points ``10^4`` bandwidths away cost nothing in accuracy.

Imports NumPy, the scans and segment forms of the loss and its segments
(:func:`symkde.numeric.exact_laplace._segments`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from symkde.numeric.exact_laplace import _segments
from symkde.numeric.scans import (
    State,
    _decay_left,
    _decay_right,
    _prefix_scan,
    _suffix_scan,
)
from symkde.numeric.segment_forms import (
    _logaddexp,
    laplace_segment_log_integral,
    laplace_segment_log_resp,
)

__all__ = ["laplace_position_bandwidth"]

FloatArray = NDArray[np.float64]


def _distance_right(inv_h: float):  # type: ignore[no-untyped-def]
    """``(v, m, q)``: ``v = log sum w e^{-(q-x)/h}``, ``m = log sum w e^{-(q-x)/h} (q - x)``."""

    def combine(left: State, right: State) -> State:
        (vl, ml, ql), (vr, mr, qr) = left, right
        gap = qr - ql
        moved = _logaddexp(ml, vl + np.log(gap)) - gap * inv_h
        return _logaddexp(vl - gap * inv_h, vr), _logaddexp(moved, mr), qr

    return combine


def _distance_left(inv_h: float):  # type: ignore[no-untyped-def]
    """``(v, m, q)``: ``v = log sum w e^{-(x-q)/h}``, ``m = log sum w e^{-(x-q)/h} (x - q)``."""

    def combine(left: State, right: State) -> State:
        (vl, ml, ql), (vr, mr, qr) = left, right
        gap = qr - ql
        moved = _logaddexp(mr, vr + np.log(gap)) - gap * inv_h
        return _logaddexp(vl, vr - gap * inv_h), _logaddexp(ml, moved), ql

    return combine


def _outside(lw: FloatArray, dist: FloatArray, inv_h: float) -> tuple[float, float]:
    """``(log sum w e^{-dist/h}, log sum w e^{-dist/h} dist)`` of the points beyond one end."""
    decayed = lw - dist * inv_h
    top = float(decayed.max())
    mass = top + float(np.log(np.sum(np.exp(decayed - top))))
    with np.errstate(divide="ignore"):
        moment = decayed + np.log(dist)
    peak = float(moment.max())
    if peak == -np.inf:
        return mass, -np.inf
    return mass, peak + float(np.log(np.sum(np.exp(moment - peak))))


def laplace_position_bandwidth(
    log_w: FloatArray, x: FloatArray, a: float, b: float, h: float, loss: float | None = None
) -> tuple[FloatArray, float]:
    """``(1/(b-a)) int R_i (log K)'(t - x_i) dt`` per point and
    ``(1/(b-a)) int sum_j R_j (d/dh log K)(t - x_j) dt`` (so ``dL/dh`` is minus the latter).

    ``log_w``: finite log-weights; ``x``: positions (any order); the Laplace kernel on the line.
    The points beyond ``a`` (``x <= a``) enter the scans as one item at the nearest of them,
    carrying their decayed mass and distance moment, likewise beyond ``b``: every segment sees
    them only through those two sums.  Each such point's own responsibility integral is its decayed
    weight times the item's (all its segments lie on one side of it).  With ``loss`` (``L``,
    computed already), ``sum_k F_k = (b - a)(log 2h - L)/h`` is taken from it instead of
    evaluating every segment's ``F`` again.
    """
    inv_h = 1.0 / h
    left, right = x <= a, x >= b
    inside = ~(left | right)
    lw_items, x_items = [log_w[inside]], [x[inside]]
    moment_items = [np.full(int(inside.sum()), -np.inf)]
    nearest = {}
    for side, group in ((-1, left), (1, right)):
        if group.any():
            # referenced at the group's point nearest the target (as in exact_laplace._laplace):
            # its distance to the target enters once, through the segments' TwoSum crossing
            near = float(x[group].max() if side < 0 else x[group].min())
            nearest[side] = near
            mass, moment = _outside(log_w[group], np.abs(x[group] - near), inv_h)
            lw_items.append(np.array([mass]))
            x_items.append(np.array([near]))
            moment_items.append(np.array([moment]))
    lws, xs, ms = (np.concatenate(v) for v in (lw_items, x_items, moment_items))
    order = np.argsort(xs, kind="stable")
    with np.errstate(all="ignore"):
        d_sorted, d_h, part_l, part_r = _sorted(lws[order], xs[order], ms[order], a, b, h, loss)
    d_items = np.empty_like(d_sorted)
    d_items[order] = d_sorted
    out = np.zeros(x.size)
    out[inside] = d_items[: int(inside.sum())]
    scale = inv_h / (b - a)
    if left.any():  # the left item sorts first, the right item last
        log_share = log_w[left] - (nearest[-1] - x[left]) * inv_h + part_r[0]
        out[left] = -np.exp(log_share) * scale
    if right.any():
        log_share = log_w[right] - (x[right] - nearest[1]) * inv_h + part_l[-1]
        out[right] = np.exp(log_share) * scale
    return out, d_h - inv_h  # dL/dh = 1/h - d_h is minus this integral


def _sorted(
    lws: FloatArray,
    xs: FloatArray,
    moments: FloatArray,
    a: float,
    b: float,
    h: float,
    loss: float | None,
) -> tuple[FloatArray, float, FloatArray, FloatArray]:
    """Sorted items (log-weight, position, log distance moment already carried): ``d_x`` per
    item, ``d_h`` (``dL/dh = 1/h - d_h``) and each item's two half responsibility integrals
    ``log int_{t < x} R / w``, ``log int_{t > x} R / w``."""
    inv_h = 1.0 / h
    prefix, prefix_m, _ = _prefix_scan((lws, moments, xs), _distance_right(inv_h))
    suffix, suffix_m, _ = _suffix_scan((lws, moments, xs), _distance_left(inv_h))
    (
        lo,
        hi,
        il,
        ir,
        has_left,
        has_right,
        x_left,
        x_right,
        log_left,
        log_right,
        lB,
        lA,
        d,
        s_cross,
    ) = _segments(xs, prefix, suffix, a, b, inv_h)
    # ---- bandwidth: the chain rule through lB, lA and d (module docstring)
    log_il, log_ir = laplace_segment_log_resp(log_left, log_right, d, s_cross)
    share_b = np.where(has_left, np.exp(log_il + log_left), 0.0)  # I_B
    share_a = np.where(has_right, np.exp(log_ir + log_right), 0.0)  # I_A
    mu_b = np.where(has_left, (lo - x_left) + np.exp(prefix_m[il] - prefix[il]), 0.0)
    mu_a = np.where(has_right, (x_right - hi) + np.exp(suffix_m[ir] - suffix[ir]), 0.0)
    log_f_end = _logaddexp(lB - d, lA)
    terms = (share_b * mu_b + share_a * mu_a) * inv_h - d * (log_f_end - share_a)
    if loss is None:
        terms = terms + laplace_segment_log_integral(lB, lA, d, s_cross)
        d_h = float(np.sum(terms)) / (b - a)  # dL/dh = 1/h - d_h
    else:  # L = log 2h - (h/(b-a)) sum_k F_k
        d_h = (np.log(2.0 * h) - loss) * inv_h + float(np.sum(terms)) / (b - a)
    # ---- positions: the responsibility integral split at x_i (exact_laplace._laplace's two halves)
    log_h = np.log(h)
    from_right_segs = _suffix_scan((log_il + log_h, x_left), _decay_left(inv_h))[0]
    from_left_segs = _prefix_scan((log_ir + log_h, x_right), _decay_right(inv_h))[0]
    k_first = np.searchsorted(lo, xs, side="left")
    k_last = np.searchsorted(hi, xs, side="right") - 1
    kf, kl = np.minimum(k_first, lo.size - 1), np.maximum(k_last, 0)
    part_r = np.where(k_first < lo.size, from_right_segs[kf] - (x_left[kf] - xs) * inv_h, -np.inf)
    part_l = np.where(k_last >= 0, from_left_segs[kl] - (xs - x_right[kl]) * inv_h, -np.inf)
    d_x = (np.exp(lws + part_l) - np.exp(lws + part_r)) * inv_h / (b - a)
    return d_x, d_h, part_l, part_r
