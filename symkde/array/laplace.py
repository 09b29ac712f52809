"""The exact Laplace loss on the line and all its derivatives, at the array level, batched.

Rows are independent problems (``z``, ``x`` of shape ``(B, n)``; ``a``, ``b``, ``h`` of shape
``(B,)``).  Per row: one sort of the points, two log-cumulative-sum-exp scans for the running
sums and two for the responsibility integrals, and elementwise closed forms on the ``n + 1``
segments between the points clipped to ``[a, b]`` (a point outside the target gives an empty
segment at the nearer end, so every row has the same number of segments).  Nothing leaves the
device and nothing depends on the data's values in Python.

Coordinates are in bandwidths from ``a``: ``u_j = (x_j - a) / h``, target ``[0, D]``.  On the
segment ``[lo, hi]`` (``d = hi - lo``, ``s`` measured from ``lo``) theorem
``laplace_segment_density`` gives ``2 h p = e^{lB - s} + e^{lA - d + s}`` with
``lB = LSE_{x_j <= lo}(lw_j + u_j) - lo`` and ``lA = LSE_{x_j >= hi}(lw_j - u_j) + hi``; its log
integral is the broken line ``max(lB - s, lA - d + s)`` plus the dilogarithm correction
(theorem ``laplace_log_correction``), written here with the tail
``G(v) = -Li2(-e^{-2v})/2`` printed by :mod:`symkde.symbolic.codegen_array` (theorems
``dilog_tail_integral``, ``dilog_series_remainder``): ``pi^2/12 - G(s*) - G(d - s*)`` when the
crossing ``s* = (lB - lA + d)/2`` is inside, else ``G(near) - G(far)``.  The responsibility
integrals are theorem ``laplace_resp_integral`` (the same forms as
:func:`symkde.numeric.segment_forms.laplace_segment_log_resp`, written once more in the namespace).

Derivatives: ``dL/dz`` and ``dL/dx`` from the two one-sided responsibility integrals of each
point, ``dL/da``, ``dL/db`` from ``log p`` at the ends, and ``dL/dh`` from the scaling identity
``sum_j (x_j - a) dL/dx_j + (b - a) dL/db + h dL/dh = 1`` (``L`` shifts by ``log lambda``
when every length is multiplied by ``lambda``).  Imports the namespace helpers and the
generated tail only.
"""

from __future__ import annotations

import math
from typing import Any

from symkde.array._generated.dilog import PI2_12, dilog_tail
from symkde.array._ops import (
    LOG2,
    decayed_log_scan,
    log_expm1,
    log_softplus,
    logaddexp,
    reverse_decayed_log_scan,
    softplus,
    unsort,
)

__all__ = ["dilog_tail_of", "laplace_line"]

Array = Any


def dilog_tail_of(xp: Any, v: Array) -> Array:
    """``G(v) = int_v^oo log(1 + e^{-2t}) dt`` for ``v >= 0`` (``G(oo) = 0``)."""
    return dilog_tail(xp.log1p(xp.exp(-2.0 * v)))


def _log_softmax(xp: Any, z: Array) -> Array:
    top = xp.max(z, axis=-1, keepdims=True)
    return z - (top + xp.log(xp.sum(xp.exp(z - top), axis=-1, keepdims=True)))


def _log_diff(xp: Any, log_em1: Array, y: Array) -> Array:
    """``log`` of a softplus difference (theorem ``softplus_difference``)."""
    return log_softplus(xp, log_em1 - softplus(xp, -y))


def laplace_line(
    xp: Any, z: Array, x: Array, a: Array, b: Array, h: Array
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` of the exact Laplace loss for each row.

    Args:
        xp: the array namespace of the inputs.
        z, x: ``(B, n)`` logits (``-inf`` masks) and finite positions.
        a, b, h: ``(B,)`` targets (``a < b``) and bandwidths (``h > 0``).
    """
    neg_inf = -math.inf
    lw = _log_softmax(xp, z)
    order = xp.argsort(x, axis=-1, stable=False)  # ties in any order: sums are symmetric
    xs = xp.take_along_axis(x, order, axis=-1)
    lws = xp.take_along_axis(lw, order, axis=-1)
    a1, b1, h1 = a[:, None], b[:, None], h[:, None]
    length = (b - a) / h  # D, the target in bandwidths
    clipped = xp.minimum(
        xp.maximum(xs, xp.broadcast_to(a1, xs.shape)), xp.broadcast_to(b1, xs.shape)
    )
    off = (xs - clipped) / h1  # > 0 right of b, < 0 left of a, 0 inside (exactly)
    lo = xp.concat([a1, clipped], axis=-1)  # segment k = [lo_k, hi_k], k = 0 .. n
    hi = xp.concat([clipped, b1], axis=-1)
    d = (hi - lo) / h1
    none = xp.full_like(a1, neg_inf)
    # running sums, each anchored at a point (exact distances): lB over the points left of
    # segment k (j < k), lA over those right of it (j >= k)
    lB = xp.concat([none, decayed_log_scan(xp, lws, xs, h1) + off], axis=-1)
    lA = xp.concat([reverse_decayed_log_scan(xp, lws, xs, h1) - off, none], axis=-1)
    cross = 0.5 * (lB - lA + d)
    sc = xp.minimum(xp.maximum(cross, xp.zeros_like(d)), d)
    rest = d - sc
    left = xp.where(sc > 0, sc * (lB - 0.5 * sc), xp.zeros_like(d))
    right = xp.where(rest > 0, rest * (lA - 0.5 * rest), xp.zeros_like(d))
    g_lo = dilog_tail_of(xp, xp.abs(cross))
    g_hi = dilog_tail_of(xp, xp.abs(d - cross))
    inside = (cross > 0) & (cross < d)
    outside = xp.where(cross <= 0, g_lo - g_hi, g_hi - g_lo)
    correction = xp.where(inside, PI2_12 - g_lo - g_hi, outside)
    log_2h = LOG2 + xp.log(h)
    loss = log_2h - xp.sum(left + right + correction, axis=-1) / length
    # responsibility integrals per segment (in units of h / f, anchored at lo_k and hi_k),
    # then per point: the segments right of point j (k > j) and left of it (k <= j)
    log_em1 = log_expm1(xp, 2.0 * d)
    log_jl = xp.where(lB == neg_inf, lB, -LOG2 - lB + _log_diff(xp, log_em1, 2.0 * (cross - d)))
    log_jr = xp.where(lA == neg_inf, lA, -LOG2 - lA + _log_diff(xp, log_em1, -2.0 * cross))
    from_right = reverse_decayed_log_scan(xp, log_jl, lo, h1)[:, 1:] + off
    from_left = decayed_log_scan(xp, log_jr, hi, h1)[:, :-1] - off
    log_d = xp.log(length)[:, None]
    log_il = lws + from_right - log_d  # (1/(b-a)) int_{t > x_j} R_j
    log_ir = lws + from_left - log_d  # (1/(b-a)) int_{t < x_j} R_j
    dz_sorted = xp.exp(lws) - xp.exp(logaddexp(xp, log_il, log_ir))
    dx_sorted = (xp.exp(log_ir) - xp.exp(log_il)) / h1
    u = (xs - a1) / h1
    dz = unsort(xp, dz_sorted, order)
    dx = unsort(xp, dx_sorted, order)
    # ends: log p(a), log p(b) directly
    log_pa = _logsumexp_rows(xp, lw - xp.abs(x - a1) / h1) - log_2h
    log_pb = _logsumexp_rows(xp, lw - xp.abs(x - b1) / h1) - log_2h
    width = b - a
    da = (log_pa + loss) / width
    db = -(log_pb + loss) / width
    dh = (1.0 - width * db) / h - xp.sum(u * dx_sorted, axis=-1)
    return loss, dz, dx, dh, da, db


def _logsumexp_rows(xp: Any, v: Array) -> Array:
    top = xp.max(v, axis=-1, keepdims=True)
    return top[:, 0] + xp.log(xp.sum(xp.exp(v - top), axis=-1))
