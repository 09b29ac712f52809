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
``log p`` at the ends (one-sided, inside the target); ``dL/dh`` from the scaling identity, as
for Laplace.  Where the supports leave part of ``[a, b]`` uncovered the row's loss is ``inf``
(no exception: that would need the host).  Imports the namespace helpers only.
"""

from __future__ import annotations

import math
from typing import Any

from symkde.array._ops import LOG2, logaddexp, unsort

__all__ = ["boxcar_line", "range_log_sum"]

Array = Any


def _levels(xp: Any, values: Array) -> list[Array]:
    """``[v, pairwise LSE of v, ...]`` down to one entry per row."""
    levels = [values]
    while levels[-1].shape[-1] > 1:
        top = levels[-1]
        if top.shape[-1] % 2:
            pad = xp.full_like(top[..., :1], -math.inf)
            top = xp.concat([top, pad], axis=-1)
        pairs = xp.reshape(top, (*top.shape[:-1], top.shape[-1] // 2, 2))
        levels.append(logaddexp(xp, pairs[..., 0], pairs[..., 1]))
    return levels


def range_log_sum(xp: Any, values: Array, first: Array, stop: Array) -> Array:
    """``log sum_{first <= i < stop} e^{values_i}`` per query (``-inf`` for an empty range).

    ``values`` is ``(B, m)``, ``first`` and ``stop`` integer ``(B, q)``.  Bottom-up segment
    tree: at each level a range end that is odd takes its node and moves inward.

    >>> import numpy as np
    >>> v = np.log(np.array([[1.0, 2.0, 4.0, 8.0, 16.0]]))
    >>> np.exp(range_log_sum(np, v, np.array([[0, 1, 2, 3]]), np.array([[5, 4, 2, 5]]))).round(9)
    array([[31., 14.,  0., 24.]])
    """
    acc = xp.full(first.shape, -math.inf, dtype=values.dtype, device=_device(values))
    lo, hi = first, stop
    for level in _levels(xp, values):
        last = level.shape[-1] - 1
        take = ((lo % 2) == 1) & (lo < hi)
        node = xp.take_along_axis(level, xp.minimum(lo, last), axis=-1)
        acc = xp.where(take, logaddexp(xp, acc, node), acc)
        lo = xp.where(take, lo + 1, lo)
        take = ((hi % 2) == 1) & (lo < hi)
        hi = xp.where(take, hi - 1, hi)
        node = xp.take_along_axis(level, xp.minimum(hi, last), axis=-1)
        acc = xp.where(take, logaddexp(xp, acc, node), acc)
        lo, hi = lo // 2, hi // 2
    return acc


def boxcar_line(
    xp: Any, z: Array, x: Array, a: Array, b: Array, h: Array
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` of the exact boxcar loss for each row."""
    rows, n = z.shape
    top = xp.max(z, axis=-1, keepdims=True)
    lw = z - (top + xp.log(xp.sum(xp.exp(z - top), axis=-1, keepdims=True)))
    order = xp.argsort(x, axis=-1, stable=False)
    xs = xp.take_along_axis(x, order, axis=-1)
    lws = xp.take_along_axis(lw, order, axis=-1)
    a1, b1, h1 = a[:, None], b[:, None], h[:, None]
    edges = xp.concat([xs - h1, xs + h1], axis=-1)  # starts, then ends
    merged = xp.argsort(edges, axis=-1, stable=True)  # a start before an equal end
    es = xp.take_along_axis(edges, merged, axis=-1)
    is_start = xp.astype(merged < n, xp.int64)
    lo_clip = xp.broadcast_to(a1, es.shape)
    cut = xp.minimum(xp.maximum(es, lo_clip), xp.broadcast_to(b1, es.shape))
    lo = xp.concat([a1, cut], axis=-1)  # segment s = [lo_s, hi_s], s = 0 .. 2n
    hi = xp.concat([cut, b1], axis=-1)
    length = hi - lo
    zero = xp.zeros((rows, 1), dtype=xp.int64, device=_device(z))
    stop = xp.concat([zero, xp.cumulative_sum(is_start, axis=-1)], axis=-1)
    count = xp.broadcast_to(xp.arange(2 * n + 1, dtype=xp.int64, device=_device(z)), stop.shape)
    first = count - stop  # ends among the first s edges
    log_mass = range_log_sum(xp, lws, first, stop)
    used = length > 0
    zeros = xp.zeros_like(length)
    width = b - a
    log_2h = LOG2 + xp.log(h)
    loss = log_2h - xp.sum(xp.where(used, length * log_mass, zeros), axis=-1) / width
    # int R_j / (b - a): segments strictly after the start of j, up to its end
    position = unsort(xp, xp.broadcast_to(count[:, :-1], merged.shape), merged)
    p_start, p_end = position[:, :n], position[:, n:]
    per_segment = xp.where(used, xp.log(xp.where(used, length, 1.0)) - log_mass, -math.inf)
    log_sum = range_log_sum(xp, per_segment, p_start + 1, p_end + 1)
    log_resp = lws + log_sum - xp.log(width)[:, None]
    dz_sorted = xp.exp(lws) - xp.exp(log_resp)
    # jumps of log p at the edges inside (a, b)
    inside = (es > a1) & (es < b1)
    before = xp.take_along_axis(log_mass, count[:, :-1], axis=-1)
    after = xp.take_along_axis(log_mass, count[:, 1:], axis=-1)
    jump = xp.where(inside, before - after, xp.zeros_like(es))  # at each merged edge
    jump_own = unsort(xp, jump, merged)
    dx_sorted = -(jump_own[:, :n] + jump_own[:, n:]) / width[:, None]
    dz = unsort(xp, dz_sorted, order)
    dx = unsort(xp, dx_sorted, order)
    # log p at a+ and b-: the first and last segments of positive length
    flag = xp.astype(used, xp.int8)
    at_a = xp.argmax(flag, axis=-1, keepdims=True)
    at_b = 2 * n - xp.argmax(xp.flip(flag, axis=-1), axis=-1, keepdims=True)
    log_pa = xp.take_along_axis(log_mass, at_a, axis=-1)[:, 0] - log_2h
    log_pb = xp.take_along_axis(log_mass, at_b, axis=-1)[:, 0] - log_2h
    da = (log_pa + loss) / width
    db = -(log_pb + loss) / width
    u = (xs - a1) / h1
    dh = (1.0 - width * db) / h - xp.sum(u * dx_sorted, axis=-1)
    return loss, dz, dx, dh, da, db


def _device(v: Array) -> Any:
    import array_api_compat

    return array_api_compat.device(v)
