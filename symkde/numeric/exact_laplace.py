"""The exact Laplace loss on the line: log-space scans, and the compiled fast path first.

Owns :func:`_laplace` (segments between ``a``, the points inside and ``b``; each side's sum
referenced at its nearest point, so far clusters cost no rounding of order ``eps * distance /
h``) and :func:`_laplace_fast` (only the points inside ``(a, b)`` sorted, linear-space passes in
the compiled loops of :mod:`symkde.numeric.compiled`, run only where they provably cannot
overflow or lose a mass; else it hands back, ``None``), with its guards (``_FAST_*``) and
per-thread scratch arrays.  Imports NumPy, :mod:`symkde.numeric.angles`,
:mod:`symkde.numeric.scans`, :mod:`symkde.numeric.segment_forms` and (lazily, compiled on first
use) :mod:`symkde.numeric.compiled`.
"""

from __future__ import annotations

import math
import threading
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from symkde.numeric.angles import two_sum as _two_sum
from symkde.numeric.scans import _decay_left, _decay_right, _knots, _prefix_scan, _suffix_scan
from symkde.numeric.segment_forms import (
    _logaddexp,
    _quiet,
    laplace_segment_log_integral,
    laplace_segment_log_resp,
)

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# Returns (loss, log int R_i per sorted point), like the compact kernels (exact_compact.py).


class _Segments(NamedTuple):
    """The segments ``[lo, hi]`` between ``a``, the points inside and ``b``, and their ends."""

    lo: FloatArray
    hi: FloatArray
    il: NDArray[np.intp]  # the nearest point at or left of lo (where has_left)
    ir: NDArray[np.intp]  # the nearest point at or right of hi (where has_right)
    has_left: NDArray[np.bool_]
    has_right: NDArray[np.bool_]
    x_left: FloatArray
    x_right: FloatArray
    log_left: FloatArray  # log of the left side's sum, referenced at x_left
    log_right: FloatArray  # log of the right side's sum, referenced at x_right
    lB: FloatArray  # log-density terms at the segment's ends (as laplace_segment_log_integral)
    lA: FloatArray
    d: FloatArray  # the segment's length in bandwidths
    s_cross: FloatArray  # s* = (lB - lA + d)/2, without the rounding of a far side's distance


def _segments(
    xs: FloatArray, prefix: FloatArray, suffix: FloatArray, a: float, b: float, inv_h: float
) -> _Segments:
    """Each segment's two sides from the scans ``prefix`` (``log sum_{j<=k} w_j e^{-(x_k -
    x_j)/h}``) and ``suffix``: each side referenced at its nearest point, ``s*`` formed with
    TwoSum from ``(x_left + x_right - 2 lo)/h`` (shared by the loss and
    :mod:`symkde.numeric.derivative_forms`)."""
    n = xs.size
    knots = _knots(xs, a, b)
    lo, hi = knots[:-1], knots[1:]
    n_left = np.searchsorted(xs, lo, side="right")  # points <= lo
    first_right = np.searchsorted(xs, hi, side="left")  # first point >= hi
    has_left, has_right = n_left > 0, first_right < n
    il, ir = np.maximum(n_left - 1, 0), np.minimum(first_right, n - 1)
    x_left = np.where(has_left, xs[il], lo)
    x_right = np.where(has_right, xs[ir], hi)
    log_left = np.where(has_left, prefix[il], -np.inf)  # referenced at x_left
    log_right = np.where(has_right, suffix[ir], -np.inf)  # referenced at x_right
    lB = log_left - (lo - x_left) * inv_h
    lA = log_right - (x_right - hi) * inv_h
    d = (hi - lo) * inv_h
    # s* = (lB - lA + d)/2 = (log_left - log_right + (x_left + x_right - 2 lo)/h) / 2
    total, err = _two_sum(x_left, x_right)
    total, err2 = _two_sum(total, -2.0 * lo)
    s_cross = 0.5 * (log_left - log_right + (total + (err + err2)) * inv_h)
    return _Segments(
        lo, hi, il, ir, has_left, has_right, x_left, x_right, log_left, log_right, lB, lA, d,
        s_cross,
    )  # fmt: skip


def _laplace(
    lws: FloatArray, xs: FloatArray, a: float, b: float, h: float, with_grad: bool
) -> tuple[float, FloatArray | None]:
    """Segments between ``a``, the points inside, and ``b``.

    Each side's sum is referenced at its nearest point (``x_L <= lo``, ``x_R >= hi``), so a
    cluster ``10**4`` bandwidths away enters only through ``(x_L + x_R - 2 lo) / h``, formed
    with TwoSum: the crossing ``s*`` and every point's share of its side carry no rounding
    of order ``eps * distance / h``.
    """
    inv_h = 1.0 / h
    prefix = _prefix_scan((lws, xs), _decay_right(inv_h))[0]  # log sum_{j<=k} w_j e^{-(x_k-x_j)/h}
    suffix = _suffix_scan((lws, xs), _decay_left(inv_h))[0]  # log sum_{j>=k} w_j e^{-(x_j-x_k)/h}
    (lo, hi, _, _, _, _, x_left, x_right, log_left, log_right, lB, lA, d, s_cross) = _segments(
        xs, prefix, suffix, a, b, inv_h
    )
    # int_a^b log p = h * sum_k int_0^{d_k} log(2h p) ds - (b - a) log(2h)
    log_int = h * laplace_segment_log_integral(lB, lA, d, s_cross)
    value = float(np.log(2.0 * h) - np.sum(log_int) / (b - a))
    if not with_grad:
        return value, None
    log_il, log_ir = laplace_segment_log_resp(log_left, log_right, d, s_cross)
    log_h = np.log(h)
    # A point i left of segment k sees w_i e^{-(x_left_k - x_i)/h} * h e^{log_il_k}:
    # a suffix over segments referenced at x_left, a prefix referenced at x_right.
    from_right_segs = _suffix_scan((log_il + log_h, x_left), _decay_left(inv_h))[0]
    from_left_segs = _prefix_scan((log_ir + log_h, x_right), _decay_right(inv_h))[0]
    k_first = np.searchsorted(lo, xs, side="left")  # first segment with lo >= x_i
    k_last = np.searchsorted(hi, xs, side="right") - 1  # last segment with hi <= x_i
    kf, kl = np.minimum(k_first, lo.size - 1), np.maximum(k_last, 0)
    part_r = np.where(k_first < lo.size, from_right_segs[kf] - (x_left[kf] - xs) * inv_h, -np.inf)
    part_l = np.where(k_last >= 0, from_left_segs[kl] - (xs - x_right[kl]) * inv_h, -np.inf)
    return value, lws + _logaddexp(part_r, part_l)


#: The fast path's limits (see :func:`_laplace_fast`): scaled log-masses at least
#: ``-_FAST_LOG_FLOOR`` and a target at most ``_FAST_MAX_SPAN`` bandwidths long.
_FAST_LOG_FLOOR = 500.0


_FAST_MAX_SPAN = 1e15


#: ... and every side that matters (log-mass above ``top - 40``, a share above 4e-18) within
#: 64 bandwidths of its end: its decay ``|a - x|/h`` is rounded by about ``eps |a - x|/h``
#: absolutely, which moves ``log p`` (so ``L``, and each responsibility relatively) by at
#: most ~64 eps = 1.4e-14, against the contract's 1e-12.  Measured against mpmath (30
#: digits) on rows with sides 8 to 64 bandwidths out (h = 0.01 to 0.003 on a grid of
#: spacing 0.32): loss within 2.8e-16, dL/dz 4.7e-16, h dL/dh 1.6e-14 (contract: 1e-12).  The guard
#: was 8 bandwidths (~4 eps), which sent such rows, common when a learnt bandwidth shrinks
#: below the grid's spacing, to the log-space scans: ~0.5 ms a row, serial in a batch.
#: The compiled rows (``rows``, ``derivative_rows``) use the same value.
_FAST_FAR = 64.0


_FAST_NEGLIGIBLE = -40.0


_NO_INDEX = np.zeros(0, dtype=np.int64)  # scatter_gradient: the points are not partitioned


_SCRATCH = threading.local()


#: Scratch arrays larger than this many elements (1 GiB of float64) are not kept.
_SCRATCH_KEEP = 1 << 27


def _scratch(name: str, size: int, dtype: type = np.float64) -> NDArray[Any]:
    """A scratch array of ``size`` elements, kept per thread and reused by later calls.

    Fresh memory costs a page fault and zeroing per page: at n = 1e6 the fast path's 88 MB
    of scratch took ~10 ms of a ~45 ms call when every call allocated it anew (and a third
    of the run time at n = 1e5 when every step had its own array).  Training calls the loss
    again and again with the same n, so the buffers are kept for the thread's next call, up
    to ``_SCRATCH_KEEP`` elements each; they hold no results (every entry is written before
    it is read) and the returned gradient is always a fresh array.
    """
    buffers = _SCRATCH.__dict__.setdefault("buffers", {})
    buffer = buffers.get(name)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size, dtype=dtype)
        if size <= _SCRATCH_KEEP:
            buffers[name] = buffer
    return buffer[:size]


def _sorting_permutation(values: FloatArray) -> NDArray[np.int64]:
    """The permutation that sorts ``values`` (contiguous float64), up to near-ties.

    Sorts 64-bit integer keys that carry each value's order in their high bits and its index
    in the low ``ceil(log2 n)`` bits (:func:`symkde.numeric.compiled.sort_keys`): NumPy sorts
    integers
    about 3x faster than ``np.argsort`` sorts floats.  Keys that agree above the index bits
    (values within ``n 2^-52`` relative of each other) are then re-sorted by value
    (:func:`symkde.numeric.compiled.order_from_keys`), or, when there are many, ``np.argsort`` sorts
    instead; ``prepare`` checks the result once more.
    """
    n = values.size
    if n < 2:
        return np.arange(n, dtype=np.int64)
    from symkde.numeric import compiled as _fast  # compiled on first use (numba)

    bits = (n - 1).bit_length()
    keys = _scratch("keys", n, np.int64)
    _fast.sort_keys(values, bits, keys)
    keys.sort()
    order = np.empty(n, dtype=np.int64)
    if not _fast.order_from_keys(keys, values, bits, order):
        return np.argsort(values)
    return order


@_quiet
def _laplace_fast(
    lw: FloatArray, x: FloatArray, a: float, b: float, h: float, with_grad: bool
) -> tuple[float, FloatArray | None] | None:
    """``(L, dL/dz)`` for Laplace on the line by the compiled loops of
    :mod:`symkde.numeric.compiled`.

    ``lw`` must be finite (the caller drops masked points).  Only the points strictly inside
    ``(a, b)`` are sorted; the points at or beyond an end enter as one decayed log-mass per
    side (a log-sum-exp), and each one's responsibility is that side's sum decayed to it, in
    log space.  The sums run in linear space on weights scaled by ``e^{-c}``, ``c`` the
    largest of the inside log-weights and the two outside log-masses.  Returns None (the
    caller then takes the log-space scans) unless that is safe:

    every inside ``log w - c`` and each outside ``log M - c`` (when there are such points) is
    at least ``-500``, and ``(b - a)/h <= 1e15``.  Then every segment's ``B`` and ``A`` is
    0 exactly (no points on that side) or at least ``e^{-500}`` (each includes its nearest
    point undecayed) and at most ``n``; all that underflow can lose is below ``n 2^-1074``,
    a relative ``1e-100`` of the smallest mass; and each responsibility integral is at most
    ``d/B <= 1e15 e^{500}`` (``int_0^d e^{-s}/(B e^{-s} + ..) ds <= d/B``), so the block
    sums of :func:`symkde.numeric.compiled.decayed_sums` (terms scaled by at most ``e^16``, at most
    ``2^31`` of them) stay below ``1e245``: nothing overflows.

    Rounding: each term's decay is two exponentials of exact offsets (no product of per-step
    decays), so its relative error is a few ulps; the sums add positive terms; segments up
    to 0.1 bandwidths use the midpoint series of theorem ``laplace_short_segment``
    (truncation below 2e-20 d), longer ones the dilogarithm forms.
    """
    from symkde.numeric import (
        compiled as _fast,  # compiled on first use (numba): importing symkde stays light
    )

    span = b - a
    if span / h > _FAST_MAX_SPAN:
        return None
    n = x.size
    m, n_left, near_left, near_right = _fast.count_sides(x, a, b)
    pairs = _scratch("pairs", 2 * n).reshape(n, 2)
    if m == n:  # every point inside: no partition needed
        index, inside = _NO_INDEX, x
        pairs[:, 0], pairs[:, 1] = x, lw
    else:
        index = _scratch("index", n, np.int64)
        _fast.partition(x, lw, a, b, h, m, n_left, near_left, near_right, index, pairs)
        inside = _scratch("inside", m)
        inside[:] = pairs[:m, 0]  # contiguous for the sort
    values, logs = pairs[:, 0], pairs[:, 1]
    inside = np.ascontiguousarray(inside)
    order = _sorting_permutation(inside)
    # The points at or beyond an end: log-weights decayed to the side's nearest point (t),
    # one log-sum-exp per side, then the decay from that point to the end; ``values`` there
    # becomes e^{t - peak}, reused for the gradient.
    sides = []
    for part, reach in (
        (slice(m, m + n_left), (a - near_left) / h),
        (slice(m + n_left, n), (near_right - b) / h),
    ):
        decayed = values[part]
        peak = float(decayed.max()) if decayed.size else -np.inf
        np.subtract(decayed, peak, out=decayed)
        np.exp(decayed, out=decayed)
        mass = peak + math.log(float(decayed.sum())) - reach if decayed.size else -np.inf
        sides.append((part, peak - reach, mass, reach))
    mass_left, mass_right = sides[0][2], sides[1][2]
    # One workspace, rows reused once spent, kept for the next call (see _scratch).
    work = _scratch("work", 9 * (m + 2)).reshape(9, m + 2)
    u, v, grow, shrink, gap, dist, left_sum, right_sum, log_int = work
    w = u[1 : m + 1]  # the log-weights, then (in place) the scaled weights
    if not _fast.prepare(pairs, order, a, b, h, w, dist, grow, gap):
        raise RuntimeError("internal: the sorting permutation does not sort (please report)")
    top = max(float(w.max()) if m else -np.inf, mass_left, mass_right)
    if not math.isfinite(top):  # no points at all
        return None
    floor = top - _FAST_LOG_FLOOR
    if m and float(w.min()) < floor:
        return None
    for _, _, mass, reach in sides:
        if floor > mass > -np.inf:
            return None
        # A side far beyond its end that still matters: its decay |a - x|/h is rounded to
        # ~eps |a - x|/h, and the log-space scans (TwoSum crossings) are more accurate there.
        if reach > _FAST_FAR and mass - top > _FAST_NEGLIGIBLE:
            return None
    # u: the masses placed at [a, xs..., b] for the left sums, v for the right sums.
    np.subtract(w, top, out=w)
    np.exp(w, out=w)
    u[0], u[m + 1] = math.exp(mass_left - top), 0.0
    v[1 : m + 1] = w
    v[0], v[m + 1] = 0.0, math.exp(mass_right - top)
    np.negative(grow, out=shrink)
    np.exp(shrink, out=shrink)
    np.exp(grow, out=grow)  # the offsets, then e^{offset}
    _fast.decayed_sums(grow, shrink, gap, u, v, left_sum, right_sum)
    # Segment k = [coords[k], coords[k + 1]]: B_k at its left end, A_k at its right end.
    left, right, dist = left_sum[:-1], right_sum[1:], dist[:-1]
    log_total = v[:-1]  # v is spent
    np.add(left, right, out=log_total)
    np.log(log_total, out=log_total)
    seg_log = log_int[:-1]
    _fast.short_log_integrals(dist, left, right, log_total, seg_log)
    long = np.flatnonzero(dist > _fast.SHORT_SEGMENT)
    if long.size:  # the dilogarithm forms, on the (few) long segments
        lB, lA, d_long = np.log(left[long]), np.log(right[long]), dist[long]
        s_cross = 0.5 * (lB - lA + d_long)
        seg_log[long] = laplace_segment_log_integral(lB, lA, d_long, s_cross)
    value = float(np.log(2.0 * h) - top - h * np.sum(seg_log) / span)
    if not with_grad:
        return value, None
    # J-_k = int e^{-s}/(..) placed at segment k's left end, J+_k at its right end.
    resp_minus, resp_plus = v, log_int  # both spent
    resp_minus[-1] = resp_plus[0] = 0.0
    _fast.short_resp_integrals(dist, left, right, resp_minus[:-1])
    _fast.short_resp_integrals(dist, right, left, resp_plus[1:])
    if long.size:
        log_minus, log_plus = laplace_segment_log_resp(lB, lA, d_long, s_cross)
        resp_minus[long], resp_plus[long + 1] = np.exp(log_minus), np.exp(log_plus)
    # Point k (coordinate k + 1) sees segment j >= k + 1 through e^{-(coords[j] - x_k)/h} J-_j
    # and segment j <= k through e^{-(x_k - coords[j + 1])/h} J+_j: a right sum of J- and a
    # left sum of J+.  dL/dz_k = W_k - (h/(b-a)) w_k (P + Q), with W = e^c w the real weight.
    from_left, from_right = left_sum, right_sum  # B and A are spent
    _fast.decayed_sums(grow, shrink, gap, resp_plus, resp_minus, from_left, from_right)
    gradient = np.empty_like(x)
    scale = h / span
    _fast.scatter_gradient(index, order, w, from_left, from_right, math.exp(top), scale, gradient)
    # A point beyond an end: W - (h/(b-a)) e^{t - c} (that side's sum of J decayed to the
    # end), t its decayed log-weight: e^{t - c} = e^{t - peak} e^{peak - c}.
    for (part, peak, _, _), outer in zip(sides, (from_right[0], from_left[-1]), strict=True):
        if part.stop > part.start:
            own = logs[part]
            np.exp(own, out=own)
            factor = math.exp(peak - top + math.log(scale * outer))
            _fast.scatter_outside(index[part], own, values[part], factor, gradient)
    return value, gradient
