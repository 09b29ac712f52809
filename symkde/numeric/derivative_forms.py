"""Exact Laplace position and bandwidth derivatives on the line, per segment, ``O(n log n)``.

Owns :func:`laplace_position_bandwidth`, the closed-form branch of ``method="exact"`` in
:mod:`symkde.numeric.derivatives`.  It reuses the segment machinery of
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

Imports NumPy and :mod:`symkde.numeric.exact` only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from symkde.numeric.exact import (
    State,
    _decay_left,
    _decay_right,
    _knots,
    _logaddexp,
    _prefix_scan,
    _suffix_scan,
    _two_sum,
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


def laplace_position_bandwidth(
    log_w: FloatArray, x: FloatArray, a: float, b: float, h: float
) -> tuple[FloatArray, float]:
    """``(1/(b-a)) int R_i (log K)'(t - x_i) dt`` per point and
    ``(1/(b-a)) int sum_j R_j (d/dh log K)(t - x_j) dt`` (so ``dL/dh`` is minus the latter).

    ``log_w``: finite log-weights; ``x``: positions (any order); the Laplace kernel on the line.
    """
    order = np.argsort(x)
    xs, lws = x[order], log_w[order]
    with np.errstate(all="ignore"):
        d_x, d_h = _sorted(lws, xs, a, b, h)
    out = np.empty_like(d_x)
    out[order] = d_x
    return out, d_h - 1.0 / h  # dL/dh = 1/h - d_h is minus this integral


def _sorted(
    lws: FloatArray, xs: FloatArray, a: float, b: float, h: float
) -> tuple[FloatArray, float]:
    n = xs.size
    inv_h = 1.0 / h
    no_moment = np.full(n, -np.inf)
    prefix, prefix_m, _ = _prefix_scan((lws, no_moment, xs), _distance_right(inv_h))
    suffix, suffix_m, _ = _suffix_scan((lws, no_moment, xs), _distance_left(inv_h))
    knots = _knots(xs, a, b)
    lo, hi = knots[:-1], knots[1:]
    n_left = np.searchsorted(xs, lo, side="right")
    first_right = np.searchsorted(xs, hi, side="left")
    has_left, has_right = n_left > 0, first_right < n
    il, ir = np.maximum(n_left - 1, 0), np.minimum(first_right, n - 1)
    x_left = np.where(has_left, xs[il], lo)
    x_right = np.where(has_right, xs[ir], hi)
    log_left = np.where(has_left, prefix[il], -np.inf)
    log_right = np.where(has_right, suffix[ir], -np.inf)
    lB = log_left - (lo - x_left) * inv_h
    lA = log_right - (x_right - hi) * inv_h
    d = (hi - lo) * inv_h
    total, err = _two_sum(x_left, x_right)
    total, err2 = _two_sum(total, -2.0 * lo)
    s_cross = 0.5 * (log_left - log_right + (total + (err + err2)) * inv_h)
    # ---- bandwidth: the chain rule through lB, lA and d (module docstring)
    log_int = laplace_segment_log_integral(lB, lA, d, s_cross)
    log_il, log_ir = laplace_segment_log_resp(log_left, log_right, d, s_cross)
    share_b = np.where(has_left, np.exp(log_il + log_left), 0.0)  # I_B
    share_a = np.where(has_right, np.exp(log_ir + log_right), 0.0)  # I_A
    mu_b = np.where(has_left, (lo - x_left) + np.exp(prefix_m[il] - prefix[il]), 0.0)
    mu_a = np.where(has_right, (x_right - hi) + np.exp(suffix_m[ir] - suffix[ir]), 0.0)
    log_f_end = _logaddexp(lB - d, lA)
    terms = log_int + (share_b * mu_b + share_a * mu_a) * inv_h - d * (log_f_end - share_a)
    d_h = float(np.sum(terms)) / (b - a)  # dL/dh = 1/h - d_h
    # ---- positions: the responsibility integral split at x_i (exact._laplace's two halves)
    log_h = np.log(h)
    from_right_segs = _suffix_scan((log_il + log_h, x_left), _decay_left(inv_h))[0]
    from_left_segs = _prefix_scan((log_ir + log_h, x_right), _decay_right(inv_h))[0]
    k_first = np.searchsorted(lo, xs, side="left")
    k_last = np.searchsorted(hi, xs, side="right") - 1
    kf, kl = np.minimum(k_first, lo.size - 1), np.maximum(k_last, 0)
    part_r = np.where(k_first < lo.size, from_right_segs[kf] - (x_left[kf] - xs) * inv_h, -np.inf)
    part_l = np.where(k_last >= 0, from_left_segs[kl] - (xs - x_right[kl]) * inv_h, -np.inf)
    d_x = (np.exp(lws + part_l) - np.exp(lws + part_r)) * inv_h / (b - a)
    return d_x, d_h
