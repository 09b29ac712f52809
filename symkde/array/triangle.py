"""The exact triangle loss and all its derivatives, at the array level, batched.

``h^2 p`` is linear between consecutive knots (``x_j - h``, ``x_j``, ``x_j + h`` clipped to
``[a, b]``, plus ``a`` and ``b``: ``3 n + 1`` segments per row) and continuous, so the loss
needs it only at the knots: ``l(t) = log h^2 p(t)`` is a range sum over the points left of
``t`` of ``w_j ((x_j + h) - t)`` plus one over the points right of it of
``w_j (t - (x_j - h))``, each a subtraction-free moment query
(:func:`symkde.array._ranges.range_moment_sum`), plus an optional constant floor (the full
turns of a wide tent on the circle, :mod:`symkde.array.circle_compact`).  Per segment the
log integral is theorem ``triangle_log_segment`` (``max - 1 + D / expm1(D)``,
:func:`log_linear_mean`) and the reciprocal integrals ``J0 = int 1/(h^2 p)``,
``J_lo = int (t - lo)/(h^2 p)``, ``J_hi = int (hi - t)/(h^2 p)`` are theorem
``triangle_resp_integrals`` (:func:`reciprocal_linear_integrals`, the power series in
``q = 1 - e^{-D}`` below ``D = 1/4``; the forms of :mod:`symkde.numeric.exact`, written once
more in the namespace).

Per point: ``int R_j = w_j [sum_rising (J_lo + (lo - (x_j - h)) J0) + sum_falling (J_hi +
((x_j + h) - hi) J0)]`` (range and moment queries over the segments), ``dL/dx_j = (w_j /
(b - a)) (sum_rising J0 - sum_falling J0)`` (the tent is continuous: no jump terms),
``dL/dh = 2/h - (1/(b - a)) (2 j' J0_total + sum_j w_j sum_{supp j} J0)`` (``j' = 0`` on the
line; the narrow tent's half-width moves with ``h``, the floor ``2 pi j'^2 + 4 j' h''`` with
slope ``2 j'``), ``dL/da``, ``dL/db`` from ``log p`` at the ends.  A row whose supports leave
part of ``[a, b]`` uncovered has loss ``inf``.  Imports the namespace helpers only.
"""

from __future__ import annotations

import math
from typing import Any

from symkde.array._ops import logaddexp, unsort
from symkde.array._ranges import range_log_sum, range_moment_sum, searchsorted

__all__ = ["log_linear_mean", "reciprocal_linear_integrals", "triangle_items", "triangle_line"]

Array = Any
#: Below this gap ``D`` the reciprocal integrals use their power series in ``q = 1 - e^{-D}``
#: (the closed forms cancel like ``2 / D``); 26 terms reach ``q**26 < 1e-17`` at ``D = 0.25``.
SERIES_D = 0.25
SERIES_TERMS = 26


def log_linear_mean(xp: Any, l0: Array, l1: Array) -> Array:
    """``int_0^1 log((1 - s) e^{l0} + s e^{l1}) ds = max - 1 + D / expm1(D)``, ``D = |l1 - l0|``.

    Theorem ``triangle_log_segment``; ``-inf`` where both ends are ``-inf``.
    """
    top = xp.maximum(l0, l1)
    finite = top > -math.inf
    gap = xp.where(finite, xp.abs(l1 - l0), xp.zeros_like(top))
    safe = xp.where((gap == 0) | xp.isinf(gap), xp.ones_like(gap), gap)
    ratio = xp.where(gap == 0, 1.0, xp.where(xp.isinf(gap), 0.0, safe / xp.expm1(safe)))
    return xp.where(finite, top - 1.0 + ratio, top)


def _q_series(xp: Any, q: Array, coeff: Any) -> Array:
    total = xp.full_like(q, coeff(SERIES_TERMS - 1))
    for k in range(SERIES_TERMS - 2, -1, -1):
        total = total * q + coeff(k)
    return total


def reciprocal_linear_integrals(xp: Any, l0: Array, l1: Array) -> tuple[Array, Array, Array]:
    """Logs of ``int_0^1 ds/P``, ``int_0^1 s ds/P``, ``int_0^1 (1 - s) ds/P``.

    ``P(s) = (1 - s) e^{l0} + s e^{l1}``, at least one end finite (theorem
    ``triangle_resp_integrals``): ``int 1/P = e^{-max} D/q``; from the small end
    ``f1 = (q - (1 - q) D)/q^2 = sum q^k/((k+1)(k+2))``, from the large end
    ``f2 = (D - q)/q^2 = sum q^k/(k+2)``.
    """
    top = xp.maximum(l0, l1)
    gap = xp.abs(l1 - l0)
    q = -xp.expm1(-gap)
    small = gap < SERIES_D
    qs = xp.where(small, q, xp.zeros_like(q))
    big_q = xp.where(small, xp.ones_like(q), q)  # the closed forms, away from q = 0
    big_gap = xp.where(small, xp.ones_like(gap), gap)
    f1 = xp.where(
        small,
        _q_series(xp, qs, lambda k: 1.0 / ((k + 1) * (k + 2))),
        (big_q - (1.0 - big_q) * big_gap) / (big_q * big_q),
    )
    f2 = xp.where(
        small, _q_series(xp, qs, lambda k: 1.0 / (k + 2)), (big_gap - big_q) / (big_q * big_q)
    )
    infinite = xp.isinf(gap)
    f2 = xp.where(infinite, math.inf, f2)
    f1 = xp.where(infinite, 1.0, f1)
    positive = xp.where(gap == 0, xp.ones_like(gap), gap)
    log_psi = xp.where(gap == 0, 0.0, xp.log(positive) - xp.log(xp.where(gap == 0, 1.0, q)))
    rising = l1 >= l0
    log_js = xp.log(xp.where(rising, f1, f2)) - top
    log_j1ms = xp.log(xp.where(rising, f2, f1)) - top
    return log_psi - top, log_js, log_j1ms


def triangle_items(
    xp: Any, lw: Array, x: Array, a: Array, b: Array, support: Array, log_floor: Array
) -> dict[str, Array]:
    """The line problem of tents of half-width ``support`` on ``[a, b]``, per row.

    ``h^2 p = e^{log_floor} + sum_j w_j (support - |t - x_j|)_+`` (``lw`` the log-weights
    ``(B, N)``, ``-inf`` masks; ``log_floor`` ``(B,)``, ``-inf`` for none).  Returns, in the
    items' order, ``log_int`` (``log int_a^b w_j-free tent_j / (h^2 p)``), ``log_rise``,
    ``log_fall`` (``log int 1/(h^2 p)`` over the rising / falling half of each support), and
    per row ``mean_log`` (``(1/(b-a)) int log h^2 p``), ``log_j0`` (``log int 1/(h^2 p)``),
    ``l_a``, ``l_b`` (``log h^2 p`` at the ends).
    """
    neg_inf = -math.inf
    order = xp.argsort(x, axis=-1, stable=False)
    xs = xp.take_along_axis(x, order, axis=-1)
    lws = xp.take_along_axis(lw, order, axis=-1)
    a1, b1, s1 = a[:, None], b[:, None], support[:, None]
    down, up = xs - s1, xs + s1  # feet, ascending like xs

    def clip(v: Array) -> Array:
        lo = xp.broadcast_to(a1, v.shape)
        return xp.minimum(xp.maximum(v, lo), xp.broadcast_to(b1, v.shape))

    knots = xp.sort(xp.concat([a1, clip(down), clip(xs), clip(up), b1], axis=-1), axis=-1)
    # log h^2 p at each knot t: points x_j <= t < x_j + h give w_j ((x_j + h) - t),
    # points x_j - h < t < x_j give w_j (t - (x_j - h))
    past = searchsorted(xp, xs, knots, side="right")
    _, left = range_moment_sum(
        xp, lws, up, searchsorted(xp, up, knots, side="right"), past, knots, above=True
    )
    _, right = range_moment_sum(
        xp, lws, down, past, searchsorted(xp, down, knots, side="left"), knots, above=False
    )
    floor = xp.broadcast_to(log_floor[:, None], knots.shape)
    level = logaddexp(xp, logaddexp(xp, left, right), floor)
    lo, hi = knots[:, :-1], knots[:, 1:]
    l0, l1 = level[:, :-1], level[:, 1:]
    length = hi - lo
    live = (length > 0) & (xp.maximum(l0, l1) > neg_inf)
    zeros = xp.zeros_like(length)
    means = log_linear_mean(xp, l0, l1)
    width = b - a
    mean_log = xp.sum(xp.where(length > 0, length * means, zeros), axis=-1) / width
    # per segment: J0, J_lo, J_hi (logs; -inf where empty or uncovered)
    safe0 = xp.where(live, l0, zeros)
    safe1 = xp.where(live, l1, zeros)
    log_j0, log_js, log_j1ms = reciprocal_linear_integrals(xp, safe0, safe1)
    log_len = xp.log(xp.where(live, length, xp.ones_like(length)))
    none = xp.full_like(length, neg_inf)
    j0 = xp.where(live, log_j0 + log_len, none)
    j_lo = xp.where(live, log_js + 2.0 * log_len, none)
    j_hi = xp.where(live, log_j1ms + 2.0 * log_len, none)
    # rising half of point j: segments in [x_j - h, x_j]; falling: [x_j, x_j + h]
    r_first = searchsorted(xp, lo, clip(down), side="left")
    r_stop = searchsorted(xp, hi, clip(xs), side="right")
    f_first = searchsorted(xp, lo, clip(xs), side="left")
    f_stop = searchsorted(xp, hi, clip(up), side="right")
    rise0, rise_moment = range_moment_sum(xp, j0, lo, r_first, r_stop, down, above=True)
    fall0, fall_moment = range_moment_sum(xp, j0, hi, f_first, f_stop, up, above=False)
    rise = logaddexp(xp, range_log_sum(xp, j_lo, r_first, r_stop), rise_moment)
    fall = logaddexp(xp, range_log_sum(xp, j_hi, f_first, f_stop), fall_moment)
    top = xp.max(j0, axis=-1, keepdims=True)
    top = xp.where(xp.isinf(top), xp.zeros_like(top), top)
    total_j0 = top[:, 0] + xp.log(xp.sum(xp.exp(j0 - top), axis=-1))
    return {
        "log_int": unsort(xp, logaddexp(xp, rise, fall), order),
        "log_rise": unsort(xp, rise0, order),
        "log_fall": unsort(xp, fall0, order),
        "mean_log": mean_log,
        "log_j0": total_j0,
        "l_a": level[:, 0],
        "l_b": level[:, -1],
    }


def triangle_line(
    xp: Any, z: Array, x: Array, a: Array, b: Array, h: Array
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` of the exact triangle loss for each row."""
    top = xp.max(z, axis=-1, keepdims=True)
    lw = z - (top + xp.log(xp.sum(xp.exp(z - top), axis=-1, keepdims=True)))
    items = triangle_items(xp, lw, x, a, b, h, xp.full_like(a, -math.inf))
    log_norm = 2.0 * xp.log(h)
    loss, resp, dx, dh, da, db = finish_triangle(xp, lw, items, b - a, h, log_norm, 0.0 * h)
    return loss, xp.exp(lw) - resp, dx, dh, da, db


def finish_triangle(
    xp: Any,
    lw: Array,
    items: dict[str, Array],
    width: Array,
    h: Array,
    log_norm: Array,
    floor_slope: Array,
    floor_items: Array | None = None,
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """The loss and its derivatives from :func:`triangle_items` (``floor_slope``: ``dF/dh``).

    ``floor_items`` (``(B, N)`` bool) marks the items that carry each point's share of the
    floor (``w_i F J0_total``); ``dz``, ``dx`` are per item (the circle sums the images).
    """
    loss = log_norm - items["mean_log"]
    masked = lw == -math.inf
    log_w = xp.log(width)[:, None]
    log_int = items["log_int"]
    if floor_items is not None:
        floor = items["log_floor"][:, None] + items["log_j0"][:, None]
        log_int = xp.where(floor_items, logaddexp(xp, log_int, floor), log_int)
    zero = xp.zeros_like(lw)
    log_resp = xp.where(masked, -math.inf, lw + log_int - log_w)
    resp_mean = xp.exp(log_resp)  # (1/(b-a)) int R_j
    rise = xp.where(masked, zero, xp.exp(xp.where(masked, zero, lw + items["log_rise"] - log_w)))
    fall = xp.where(masked, zero, xp.exp(xp.where(masked, zero, lw + items["log_fall"] - log_w)))
    dx = rise - fall
    turning = floor_slope > 0  # 0 * inf would be NaN (J0 overflows float32 far away)
    safe_j0 = xp.where(turning, items["log_j0"], xp.zeros_like(width))
    slope = xp.where(turning, floor_slope * xp.exp(safe_j0) / width, xp.zeros_like(width))
    dh = 2.0 / h - slope - xp.sum(rise + fall, axis=-1)
    log_pa = items["l_a"] - log_norm
    log_pb = items["l_b"] - log_norm
    da = (log_pa + loss) / width
    db = -(log_pb + loss) / width
    return loss, resp_mean, dx, dh, da, db
