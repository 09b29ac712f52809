"""Batched searches and subtraction-free range sums in log space, on any array namespace.

:func:`searchsorted` counts, per row, the sorted entries below (or up to) each query: the
framework's batched search where it has one (PyTorch), else one stable sort of the row's
entries and queries together and a cumulative count (the standard's ``searchsorted`` is 1-D
only).  :func:`range_log_sum` and :func:`range_moment_sum` answer ``O(q)`` range queries
from a bottom-up segment tree of pairwise ``logaddexp`` levels (at most two nodes per level
per query), so a mass ``e^-1400`` next to a mass 1 keeps its digits: nothing is subtracted.
:func:`range_moment_sum` carries, per node, the log of the node's first (or last) anchor
moment, so ``log sum e^{m_i} |anchor_i - ref|`` is formed from positive terms only (the
array form of the compiled engine's moment scans).  Imports the namespace helpers only.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat

from symkde.array._ops import logaddexp, unsort

__all__ = ["range_log_sum", "range_moment_sum", "searchsorted"]

Array = Any


def searchsorted(xp: Any, ordered: Array, queries: Array, *, side: str) -> Array:
    """Per row: ``#(ordered < q)`` (``side="left"``) or ``#(ordered <= q)`` (``"right"``).

    ``ordered`` is ``(B, n)`` ascending along the last axis, ``queries`` ``(B, q)``.

    >>> import numpy as np
    >>> s = np.array([[0.0, 1.0, 1.0, 3.0]])
    >>> searchsorted(np, s, np.array([[1.0, 2.0, -1.0]]), side="left").tolist()
    [[1, 3, 0]]
    >>> searchsorted(np, s, np.array([[1.0, 3.0, 9.0]]), side="right").tolist()
    [[3, 4, 4]]
    """
    if array_api_compat.is_torch_array(ordered):
        import torch

        return torch.searchsorted(ordered.contiguous(), queries.contiguous(), right=side == "right")
    n, q = ordered.shape[-1], queries.shape[-1]
    # a stable sort keeps the first-listed of equal values first: entries before queries
    # counts entries <= q, queries before entries counts entries < q
    first_entries = side == "right"
    both = xp.concat([ordered, queries] if first_entries else [queries, ordered], axis=-1)
    order = xp.argsort(both, axis=-1, stable=True)
    is_entry = (order < n) if first_entries else (order >= q)
    counts = xp.cumulative_sum(xp.astype(is_entry, xp.int64), axis=-1)  # inclusive
    at = unsort(xp, counts, order)
    return at[..., n:] if first_entries else at[..., :q]


def _levels(xp: Any, values: Array) -> list[Array]:
    """``[v, pairwise LSE of v, ...]`` down to one entry per row."""
    levels = [values]
    while levels[-1].shape[-1] > 1:
        top = levels[-1]
        if top.shape[-1] % 2:
            top = xp.concat([top, xp.full_like(top[..., :1], -math.inf)], axis=-1)
        pairs = xp.reshape(top, (*top.shape[:-1], top.shape[-1] // 2, 2))
        levels.append(logaddexp(xp, pairs[..., 0], pairs[..., 1]))
    return levels


def _query(xp: Any, levels: list[Any], first: Array, stop: Array, take_node: Any) -> None:
    """Walk the levels bottom-up; ``take_node(level_index, node_index, mask)`` per node."""
    lo, hi = first, stop
    for depth, level in enumerate(levels):
        last = level[0].shape[-1] - 1
        take = ((lo % 2) == 1) & (lo < hi)
        take_node(depth, xp.minimum(lo, last), take)
        lo = xp.where(take, lo + 1, lo)
        take = ((hi % 2) == 1) & (lo < hi)
        hi = xp.where(take, hi - 1, hi)
        take_node(depth, xp.minimum(hi, last), take)
        lo, hi = lo // 2, hi // 2


def range_log_sum(xp: Any, values: Array, first: Array, stop: Array) -> Array:
    """``log sum_{first <= i < stop} e^{values_i}`` per query (``-inf`` for an empty range).

    ``values`` is ``(B, m)``, ``first`` and ``stop`` integer ``(B, q)``.  Bottom-up segment
    tree: at each level a range end that is odd takes its node and moves inward.

    >>> import numpy as np
    >>> v = np.log(np.array([[1.0, 2.0, 4.0, 8.0, 16.0]]))
    >>> np.exp(range_log_sum(np, v, np.array([[0, 1, 2, 3]]), np.array([[5, 4, 2, 5]]))).round(9)
    array([[31., 14.,  0., 24.]])
    """
    levels = [(level,) for level in _levels(xp, values)]
    acc = [xp.full(first.shape, -math.inf, dtype=values.dtype, device=_device(values))]

    def take_node(depth: int, index: Array, take: Array) -> None:
        node = xp.take_along_axis(levels[depth][0], index, axis=-1)
        acc[0] = xp.where(take, logaddexp(xp, acc[0], node), acc[0])

    _query(xp, levels, first, stop, take_node)
    return acc[0]


def _shifted(xp: Any, mass: Array, gap: Array) -> Array:
    """``mass + log gap``, ``-inf`` where ``gap <= 0`` (rounding may make a true 0 negative;
    also when ``mass`` is ``+inf``)."""
    positive = gap > 0
    log_gap = xp.log(xp.where(positive, gap, xp.ones_like(gap)))
    return xp.where(positive, mass + log_gap, xp.full_like(mass, -math.inf))


def range_moment_sum(
    xp: Any,
    log_mass: Array,
    anchors: Array,
    first: Array,
    stop: Array,
    ref: Array,
    *,
    above: bool,
) -> tuple[Array, Array]:
    """``(log sum e^{m_i}, log sum e^{m_i} |anchor_i - ref|)`` over ``first <= i < stop``.

    ``anchors`` ascend along the last axis; with ``above`` every anchor in a range is
    ``>= ref`` (else ``<= ref``).  Each tree node keeps its mass, its anchor (the first
    entry's when ``above``, the last entry's otherwise) and the log moment about that anchor;
    two nodes combine by moving the moment to the new anchor with a positive term
    ``mass * (anchor gap)``, and a query adds ``node mass * |node anchor - ref|``.

    >>> import numpy as np
    >>> m, x = np.log(np.array([[1.0, 2.0, 4.0]])), np.array([[1.0, 2.0, 5.0]])
    >>> one = lambda v: np.array([[v]])
    >>> with np.errstate(all="ignore"):  # -inf - -inf inside, masked (as in the engine)
    ...     out = range_moment_sum(np, m, x, one(0), one(3), one(0.5), above=True)
    >>> [round(float(np.exp(v[0, 0])), 12) for v in out]  # 1 + 2 + 4, 1*0.5 + 2*1.5 + 4*4.5
    [7.0, 21.5]
    """
    none = xp.full_like(log_mass, -math.inf)
    levels = [(log_mass, none, anchors)]
    while levels[-1][0].shape[-1] > 1:
        mass, moment, anchor = levels[-1]
        if mass.shape[-1] % 2:
            pad = xp.full_like(mass[..., :1], -math.inf)
            mass = xp.concat([mass, pad], axis=-1)
            moment = xp.concat([moment, pad], axis=-1)
            anchor = xp.concat([anchor, anchor[..., -1:]], axis=-1)
        shape = (*mass.shape[:-1], mass.shape[-1] // 2, 2)
        m2, s2, a2 = (xp.reshape(v, shape) for v in (mass, moment, anchor))
        gap = a2[..., 1] - a2[..., 0]
        if above:  # anchor: the left node's; the right node's mass moves by the gap
            moved = _shifted(xp, m2[..., 1], gap)
            new_anchor = a2[..., 0]
        else:
            moved = _shifted(xp, m2[..., 0], gap)
            new_anchor = a2[..., 1]
        total = logaddexp(xp, logaddexp(xp, s2[..., 0], s2[..., 1]), moved)
        levels.append((logaddexp(xp, m2[..., 0], m2[..., 1]), total, new_anchor))
    acc_mass = xp.full(first.shape, -math.inf, dtype=log_mass.dtype, device=_device(log_mass))
    acc = [acc_mass, acc_mass]

    def take_node(depth: int, index: Array, take: Array) -> None:
        mass, moment, anchor = (xp.take_along_axis(v, index, axis=-1) for v in levels[depth])
        gap = anchor - ref if above else ref - anchor
        part = logaddexp(xp, moment, _shifted(xp, mass, gap))
        acc[0] = xp.where(take, logaddexp(xp, acc[0], mass), acc[0])
        acc[1] = xp.where(take, logaddexp(xp, acc[1], part), acc[1])

    _query(xp, levels, first, stop, take_node)
    return acc[0], acc[1]


def _device(v: Array) -> Any:
    return array_api_compat.device(v)
