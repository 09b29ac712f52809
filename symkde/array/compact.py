"""The exact boxcar loss on the line and all its derivatives, at the array level, batched.

``p`` is constant between consecutive support edges ``x_j +- h``: sorting the ``2 n`` edges of
a row (clipped to ``[a, b]``) gives ``2 n + 1`` segments, and the points covering segment
``s`` are the sorted points ``[l_s, r_s)``, ``r_s`` the starts and ``l_s`` the ends among the
first ``s`` edges (starts and ends pass in the points' order).  Their mass, and each point's
``int R_j = w_j sum_{s in supp j} len_s / W_s``, are range sums in log space, taken without
any subtraction from a tree of pairwise ``logaddexp`` levels (:func:`range_log_sum`: at most
two nodes per level), so a mass ``e^-1400`` next to a mass 1 keeps its digits.

Derivatives: ``dL/dz`` from the range sums; ``dL/dx_j`` from the jumps of ``log p`` at the
point's two edges inside ``(a, b)`` (the distributional derivative of the indicator:
``-(1/(b-a)) [log p(E-) - log p(E+) + log p(S-) - log p(S+)]``); ``dL/da``, ``dL/db`` from
``log p`` at the ends (one-sided, inside the target); ``dL/dh`` from the edges moving with
the half-width (:func:`finish_boxcar`).  Where the supports leave part of ``[a, b]``
uncovered the row's loss is ``inf`` (no exception: that would need the host).  Imports the
namespace helpers and the range sums of :mod:`symkde.array._ranges`.
"""

from __future__ import annotations

import math
from typing import Any

from symkde.array._ops import LOG2, logaddexp, unsort
from symkde.array._ranges import range_log_sum

__all__ = ["boxcar_items", "boxcar_line", "range_log_sum"]

Array = Any


def boxcar_items(
    xp: Any, lw: Array, x: Array, a: Array, b: Array, support: Array, log_floor: Array
) -> dict[str, Array]:
    """The line problem of boxes of half-width ``support`` on ``[a, b]``, per row.

    ``mass = e^{log_floor} + sum_j w_j 1[|t - x_j| <= support]`` (``lw`` ``(B, N)``,
    ``-inf`` masks; ``log_floor`` ``(B,)``, ``-inf`` for none).  Returns, in the items'
    order, ``log_sum`` (``log sum_{segments in supp j} len / mass``) and the jumps of
    ``log mass`` at each item's start and end inside ``(a, b)`` (before minus after), and per
    row ``mean_log`` (``(1/(b-a)) int log mass``, ``-inf`` where uncovered),
    ``log_total`` (``log int 1/mass``), ``log_ma``, ``log_mb`` (``log mass`` at ``a+``,
    ``b-``).
    """
    rows, n = lw.shape
    order = xp.argsort(x, axis=-1, stable=False)
    xs = xp.take_along_axis(x, order, axis=-1)
    lws = xp.take_along_axis(lw, order, axis=-1)
    a1, b1, h1 = a[:, None], b[:, None], support[:, None]
    edges = xp.concat([xs - h1, xs + h1], axis=-1)  # starts, then ends
    merged = xp.argsort(edges, axis=-1, stable=True)  # a start before an equal end
    es = xp.take_along_axis(edges, merged, axis=-1)
    is_start = xp.astype(merged < n, xp.int64)
    lo_clip = xp.broadcast_to(a1, es.shape)
    cut = xp.minimum(xp.maximum(es, lo_clip), xp.broadcast_to(b1, es.shape))
    lo = xp.concat([a1, cut], axis=-1)  # segment s = [lo_s, hi_s], s = 0 .. 2n
    hi = xp.concat([cut, b1], axis=-1)
    length = hi - lo
    zero = xp.zeros((rows, 1), dtype=xp.int64, device=_device(lw))
    stop = xp.concat([zero, xp.cumulative_sum(is_start, axis=-1)], axis=-1)
    count = xp.broadcast_to(xp.arange(2 * n + 1, dtype=xp.int64, device=_device(lw)), stop.shape)
    first = count - stop  # ends among the first s edges
    log_mass = range_log_sum(xp, lws, first, stop)
    log_mass = logaddexp(xp, log_mass, xp.broadcast_to(log_floor[:, None], log_mass.shape))
    used = length > 0
    zeros = xp.zeros_like(length)
    mean_log = xp.sum(xp.where(used, length * log_mass, zeros), axis=-1) / (b - a)
    # sum over the segments strictly after the start of j, up to its end
    position = unsort(xp, xp.broadcast_to(count[:, :-1], merged.shape), merged)
    p_start, p_end = position[:, :n], position[:, n:]
    per_segment = xp.where(used, xp.log(xp.where(used, length, 1.0)) - log_mass, -math.inf)
    log_sum = range_log_sum(xp, per_segment, p_start + 1, p_end + 1)
    top = xp.max(per_segment, axis=-1, keepdims=True)
    top = xp.where(xp.isinf(top), xp.zeros_like(top), top)
    log_total = top[:, 0] + xp.log(xp.sum(xp.exp(per_segment - top), axis=-1))
    # jumps of log mass at the edges inside (a, b)
    inside = (es > a1) & (es < b1)
    before = xp.take_along_axis(log_mass, count[:, :-1], axis=-1)
    after = xp.take_along_axis(log_mass, count[:, 1:], axis=-1)
    jump = xp.where(inside, before - after, xp.zeros_like(es))  # at each merged edge
    jump_own = unsort(xp, jump, merged)
    # log mass at a+ and b-: the first and last segments of positive length
    flag = xp.astype(used, xp.int8)
    at_a = xp.argmax(flag, axis=-1, keepdims=True)
    at_b = 2 * n - xp.argmax(xp.flip(flag, axis=-1), axis=-1, keepdims=True)
    return {
        "log_sum": unsort(xp, log_sum, order),
        "jump_start": unsort(xp, jump_own[:, :n], order),
        "jump_end": unsort(xp, jump_own[:, n:], order),
        "mean_log": mean_log,
        "log_total": log_total,
        "log_ma": xp.take_along_axis(log_mass, at_a, axis=-1)[:, 0],
        "log_mb": xp.take_along_axis(log_mass, at_b, axis=-1)[:, 0],
    }


def finish_boxcar(
    xp: Any,
    lw: Array,
    items: dict[str, Array],
    width: Array,
    h: Array,
    log_norm: Array,
    log_floor: Array,
    floor_items: Array | None = None,
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, mean R, dx, dh, da, db)`` per item from :func:`boxcar_items`.

    ``dL/dx_j = -(1/(b-a)) (jump at its start + jump at its end)``; ``dL/dh = 1/h -
    (1/(b-a)) sum_j (jump at its end - jump at its start)`` (the box's half-width moves with
    ``h``; the floor's turn count is locally constant).  ``floor_items`` marks the items
    that carry each point's share of the floor (``w_i floor int 1/mass``).
    """
    loss = log_norm - items["mean_log"]
    log_sum = items["log_sum"]
    if floor_items is not None:
        floor = (log_floor + items["log_total"])[:, None]
        log_sum = xp.where(floor_items, logaddexp(xp, log_sum, floor), log_sum)
    resp_mean = xp.exp(lw + log_sum - xp.log(width)[:, None])
    start, end = items["jump_start"], items["jump_end"]
    dx = -(start + end) / width[:, None]
    dh = 1.0 / h - xp.sum(end - start, axis=-1) / width
    da = (items["log_ma"] - log_norm + loss) / width
    db = -(items["log_mb"] - log_norm + loss) / width
    return loss, resp_mean, dx, dh, da, db


def boxcar_line(
    xp: Any, z: Array, x: Array, a: Array, b: Array, h: Array
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` of the exact boxcar loss for each row."""
    top = xp.max(z, axis=-1, keepdims=True)
    lw = z - (top + xp.log(xp.sum(xp.exp(z - top), axis=-1, keepdims=True)))
    none = xp.full_like(a, -math.inf)
    items = boxcar_items(xp, lw, x, a, b, h, none)
    log_norm = LOG2 + xp.log(h)
    loss, resp_mean, dx, dh, da, db = finish_boxcar(xp, lw, items, b - a, h, log_norm, none)
    return loss, xp.exp(lw) - resp_mean, dx, dh, da, db


def _device(v: Array) -> Any:
    import array_api_compat

    return array_api_compat.device(v)
