"""Associative scans in log space: the running sums of the exact method.

Owns :func:`_prefix_scan` and :func:`_suffix_scan` (log-depth trees of whole-array combines,
restartable by block), their combine steps (:func:`_decay_right`, :func:`_decay_left`: Laplace
sums referenced at the exact distance between groups; :func:`_lse_combine`; the first moments
:func:`_moment_right`, :func:`_moment_left`), the subtraction-free window sums of
:func:`_window_reduce` (van Herk / Gil-Werman) and the segment knots (:func:`_knots`).
Imports NumPy and :mod:`symkde.numeric.segment_forms` only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from symkde.numeric.segment_forms import _logaddexp

FloatArray = NDArray[np.float64]


State = tuple[FloatArray, ...]


Combine = Callable[[State, State], State]


def _prefix_scan(state: State, combine: Combine, block: NDArray[np.int64] | None = None) -> State:
    """Inclusive prefix scan ``out_k = item_0 (+) ... (+) item_k`` by recursive pairing.

    ``2n`` combine evaluations in ``log2 n`` vectorized rounds.  With ``block``, the scan
    restarts wherever the (non-decreasing) block id changes.
    """
    n = state[0].shape[0]
    if n <= 1:
        return state
    m = n // 2
    left = tuple(s[0 : 2 * m : 2] for s in state)
    right = tuple(s[1 : 2 * m : 2] for s in state)
    pairs = combine(left, right)
    pair_block = None
    if block is not None:
        same = block[0 : 2 * m : 2] == block[1 : 2 * m : 2]
        pairs = tuple(np.where(same, p, r) for p, r in zip(pairs, right, strict=True))
        pair_block = block[1 : 2 * m : 2]
    pair_prefix = _prefix_scan(pairs, combine, pair_block)
    out = tuple(np.empty_like(s) for s in state)
    for o, s, pp in zip(out, state, pair_prefix, strict=True):
        o[1 : 2 * m : 2] = pp
        o[0] = s[0]
    k = (n - 1) // 2  # even indices 2, 4, ... below n
    if k:
        prev = tuple(pp[:k] for pp in pair_prefix)
        cur = tuple(s[2:n:2] for s in state)
        joined = combine(prev, cur)
        if block is not None:
            same = block[1 : 2 * k : 2] == block[2:n:2]
            joined = tuple(np.where(same, j, c) for j, c in zip(joined, cur, strict=True))
        for o, j in zip(out, joined, strict=True):
            o[2:n:2] = j
    return out


def _suffix_scan(state: State, combine: Combine, block: NDArray[np.int64] | None = None) -> State:
    """Inclusive suffix scan ``out_k = item_k (+) ... (+) item_{n-1}`` (same combine order)."""
    flipped = tuple(s[::-1] for s in state)
    rev_block = None if block is None else -block[::-1]
    scanned = _prefix_scan(flipped, lambda later, earlier: combine(earlier, later), rev_block)
    return tuple(s[::-1] for s in scanned)


def _decay_right(inv_h: float) -> Combine:
    """Laplace sums referenced at the right end: ``(v, q)``, ``v = log sum w e^{-(q - x)/h}``."""

    def combine(left: State, right: State) -> State:
        (vl, ql), (vr, qr) = left, right
        return _logaddexp(vl - (qr - ql) * inv_h, vr), qr

    return combine


def _decay_left(inv_h: float) -> Combine:
    """Laplace sums referenced at the left end: ``v = log sum w e^{-(x - q)/h}``."""

    def combine(left: State, right: State) -> State:
        (vl, ql), (vr, qr) = left, right
        return _logaddexp(vl, vr - (qr - ql) * inv_h), ql

    return combine


def _lse_combine(left: State, right: State) -> State:
    return (_logaddexp(left[0], right[0]),)


def _moment_right(left: State, right: State) -> State:
    """``(log S, log M, q)``: ``S = sum v``, ``M = sum (m + v (q - pos)) >= 0``, q the right end."""
    (sl, ml, ql), (sr, mr, qr) = left, right
    return _logaddexp(sl, sr), _logaddexp(_logaddexp(ml, mr), sl + np.log(qr - ql)), qr


def _moment_left(left: State, right: State) -> State:
    """``(log S, log M, q)`` with ``M = sum (m + v (pos - q)) >= 0``, q the left end."""
    (sl, ml, ql), (sr, mr, qr) = left, right
    return _logaddexp(sl, sr), _logaddexp(_logaddexp(ml, mr), sr + np.log(qr - ql)), ql


def _window_reduce(
    state: State,
    pos: FloatArray,
    lo_index: NDArray[np.intp],
    hi_index: NDArray[np.intp],
    centre: FloatArray,
    width: float,
    combine: Combine,
) -> tuple[State, NDArray[np.bool_]]:
    """Reduce items ``[lo_index, hi_index)`` for every query, without subtraction.

    Items are sorted by ``pos``; each query's items lie within ``centre +- width/2`` (up to
    rounding).  Van Herk / Gil-Werman: cut the line into blocks of length ``width``; a window
    then is a block suffix followed by the next block's prefix.  Two block grids offset by
    ``width/2`` are kept and each query uses the one with a cut nearest its centre (within
    ``width/4``), so rounding at the window ends can never push items past a block.
    Returns the reduced state and a mask of empty windows.
    """
    origin = min(float(pos[0]) if pos.size else 0.0, float(centre.min()) if centre.size else 0.0)
    t = (centre - origin) / width
    cut0 = np.rint(t)
    cut1 = np.rint(t - 0.5)
    use1 = np.abs(t - 0.5 - cut1) < np.abs(t - cut0)
    empty = hi_index <= lo_index
    out = tuple(np.full(centre.shape, -np.inf) for _ in state)
    item_t = (pos - origin) / width
    for grid, cut in ((0.0, cut0), (0.5, cut1)):
        queries = np.flatnonzero((use1 if grid else ~use1) & ~empty)
        if not queries.size:
            continue
        block = np.floor(item_t - grid).astype(np.int64)
        suffix = _suffix_scan(state, combine, block)
        prefix = _prefix_scan(state, combine, block)
        lo, hi, kb = lo_index[queries], hi_index[queries], cut[queries].astype(np.int64)
        split = np.clip(np.searchsorted(block, kb, side="left"), lo, hi)
        has_a, has_b = split > lo, hi > split
        ia, ib = np.minimum(lo, pos.size - 1), np.maximum(hi - 1, 0)
        if np.any(has_a & (block[ia] != kb - 1)) or np.any(has_b & (block[ib] != kb)):
            raise RuntimeError("internal: a window is wider than its block (please report)")
        part_a = tuple(s[ia] for s in suffix)
        part_b = tuple(s[ib] for s in prefix)
        joined = combine(part_a, part_b)
        for o, ja, jb, jj in zip(out, part_a, part_b, joined, strict=True):
            o[queries] = np.where(has_a & has_b, jj, np.where(has_a, ja, jb))
    return out, empty


def _knots(inside: FloatArray, a: float, b: float) -> FloatArray:
    """``a``, the distinct breakpoints strictly inside ``(a, b)``, ``b``."""
    inside = np.sort(inside[(inside > a) & (inside < b)])
    if inside.size:
        inside = inside[np.concatenate(([True], inside[1:] != inside[:-1]))]
    return np.concatenate(([a], inside, [b]))
