"""The compiled row engine for the compact kernels: exact boxcar and triangle rows in parallel.

Owns :func:`compact_exact_rows`, the boxcar/triangle twin of
:func:`symkde.numeric.rows.laplace_exact_rows`: the single exact call with ``n <=
ROW_ENGINE_MAX_N`` is its ``B = 1`` case and the batch front runs it on every row at once,
so row ``r`` of a batch is bit for bit the single call on row ``r``.  Imports NumPy, numba,
:mod:`symkde.numeric.angles` and the compiled helpers of :mod:`symkde.numeric.rows` (the
positions measured from ``a``, the stable row sort) and :mod:`symkde.numeric.compiled` (the
lock its parallel loop holds); nothing above the numeric layer.

Per row (one ``numba.prange`` iteration of a fixed chunk of rows; rows share no state, so
the thread count cannot change a bit): the log-softmax of ``z`` (masked ``-inf`` logits
dropped), the positions measured from ``a`` (the circle: each angle's representative in
``[0, 2 pi)`` and its images ``u + 2 pi k`` within ``h`` of the arc, as
``symkde.numeric.exact._circle`` with a narrow kernel), a stable sort of the items, the
knots (``x -+ h``, and ``x`` for the triangle) merged in one pass, then per segment the
closed forms of ``symkde.numeric.exact._boxcar`` / ``_triangle`` (theorems of
:mod:`symkde.theorems.closed_forms`): the boxcar's density is the constant ``mass / 2h``,
its log integral ``len * log mass``; the triangle's ``h^2 p`` is linear with end values
``P0``, ``P1`` (sums of non-negative terms ``w (t - (x - h))`` and ``w (x + h - t)``), its
log integral ``log_linear_mean`` and its responsibilities ``reciprocal_linear_integrals``
(the same formulas and power series, ported statement by statement).  The window sums are
direct sums of positive terms over the points whose support covers a segment (no
subtraction, so no cancellation), in linear space scaled by the largest weight.

Guards (the row is *handed back*, ``status = 1``, and the single call's log-space scans of
``symkde.numeric.exact`` answer it, exactly as for a single call): weights spread beyond
``e^500`` (linear space would underflow; the log-space scans keep them), supports that
touch within rounding of the shift by ``a`` (coverage is then decided exactly on the
caller's positions by ``symkde.numeric.api._uncovered``), any uncovered segment (the
caller reports ``inf`` or :class:`~symkde.errors.UncoveredTargetError`), a wide wrapped
kernel on the circle (boxcar ``h > pi``, triangle ``h > 2 pi``: their constant floor stays
with the NumPy path), direct sums of more than ``_MAX_WINDOW`` terms per point and more
than ``_BOXCAR_TERMS`` / ``_TRIANGLE_TERMS`` in all (counted before summing: they grow as
``n^2`` for wide kernels, and beyond those counts the scans are faster).

Threads: ``NUMBA_NUM_THREADS`` (default: the cores available), as for the Laplace engine.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from symkde.numeric import compiled as _compiled_loops
from symkde.numeric.angles import TWO_PI
from symkde.numeric.rows import _log_softmax, _positions, _stable_order

__all__ = ["COMPACT_KERNELS", "compact_exact_rows"]

FloatArray = NDArray[np.float64]

#: Kernel codes of the engine.
COMPACT_KERNELS = {"boxcar": 0, "triangle": 1}
_BOXCAR = 0
#: Weights more than ``e^500`` below the largest: handed back (linear space).
_LOG_FLOOR = 500.0
#: Rows whose direct window sums take more than ``_MAX_WINDOW`` terms per point and more
#: than ``_BOXCAR_TERMS`` / ``_TRIANGLE_TERMS`` in all are handed back (counted before the
#: sums by :func:`_window_terms`, so a handed-back row wastes no sums).  Measured on one
#: thread (loss and gradient): 0.75 ns a boxcar term, 1.5 ns a triangle term; the log-space
#: scans that answer a handed-back row take 1.4-2.1 ms (boxcar) and 6.4-10 ms (triangle) at
#: n = 1024-4096.  At these counts (about 1.6 ms and 9.4 ms of sums) the compiled row is
#: about as fast as the scans on one thread, and it runs row-parallel.  Before, 64 terms per
#: point was the only limit: a triangle row of 256 points with h = 0.5 on [-1, 2] (85 points
#: over each segment) took the scans, 4.5 ms, where its sums take 0.044 ms.
_MAX_WINDOW = 64
_BOXCAR_TERMS = 1 << 21
_TRIANGLE_TERMS = 6 << 20
#: Supports that touch within this many ulps of ``span + 2h`` are handed back (the shift by
#: ``a`` rounds each position by half an ulp; ``exact._drop_artefacts`` allows 8).
_TOUCH_ULPS = 16.0
#: ``exact._SERIES_D`` and ``exact._SERIES_TERMS``: the power series in ``q = 1 - e^{-D}``.
_SERIES_D = 0.25
_SERIES_TERMS = 26
#: Rows per chunk (one workspace each): fixed, so nothing depends on the thread count.
_CHUNK = 16
#: Fewer rows than this run on the calling thread.
_PARALLEL_MIN_ROWS = 8

_compiled: Any = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
_compiled_parallel: Any = numba.njit(
    parallel=True, cache=True, nogil=True, error_model="numpy", fastmath={"contract"}
)


@_compiled
def _q_series(q, rising_coefficients):  # type: ignore[no-untyped-def]
    """``sum_{k < 26} c_k q^k`` by Horner, ``c_k = 1/((k+1)(k+2))`` or ``1/(k+2)``
    (``exact._q_series``)."""
    k = _SERIES_TERMS - 1
    total = 1.0 / ((k + 1) * (k + 2)) if rising_coefficients else 1.0 / (k + 2)
    for k in range(_SERIES_TERMS - 2, -1, -1):
        total = total * q + (1.0 / ((k + 1) * (k + 2)) if rising_coefficients else 1.0 / (k + 2))
    return total


@_compiled
def _log_linear_mean(l0, l1):  # type: ignore[no-untyped-def]
    """``exact.log_linear_mean`` for one segment (theorem ``triangle_log_segment``)."""
    top = max(l0, l1)
    gap = abs(l1 - l0)
    if gap == 0.0:
        ratio = 1.0
    elif math.isinf(gap):
        ratio = 0.0
    else:
        ratio = gap / math.expm1(gap)
    return top - 1.0 + ratio


@_compiled
def _reciprocal_linear(l0, l1):  # type: ignore[no-untyped-def]
    """``exact.reciprocal_linear_integrals`` for one segment, as plain values (not logs):
    ``int_0^1 ds/P``, ``int_0^1 s ds/P``, ``int_0^1 (1-s) ds/P`` (theorem
    ``triangle_resp_integrals``)."""
    top = max(l0, l1)
    gap = abs(l1 - l0)
    q = -math.expm1(-gap)
    if math.isinf(gap):
        f1, f2 = 1.0, math.inf
    elif gap < _SERIES_D:
        f1, f2 = _q_series(q, True), _q_series(q, False)
    else:
        f1, f2 = (q - (1.0 - q) * gap) / (q * q), (gap - q) / (q * q)
    scale = math.exp(-top)
    psi = 1.0 if gap == 0.0 else gap / q
    if l1 >= l0:
        return psi * scale, f1 * scale, f2 * scale
    return psi * scale, f2 * scale, f1 * scale


@_compiled
def _workspace(n, circular):  # type: ignore[no-untyped-def]
    """Scratch for rows of ``n`` points (every entry written before it is read)."""
    items = 4 * n + 4 if circular else n + 1
    segments = 3 * items + 2
    return (
        np.empty((3, n)),
        np.empty((9, items)),
        np.empty((2, items), dtype=np.int64),
        np.empty((6, segments)),
    )


@_compiled
def _window_terms(xm, xp, knots, size, span):  # type: ignore[no-untyped-def]
    """How many terms the direct window sums add: per point, the segments between
    ``knots[:size + 1]`` that its support ``[xm, xp]`` (clipped to ``[0, span]``) covers.
    One pass: both clipped ends increase with the point (``xm``, ``xp`` are sorted).

    >>> knots = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    >>> int(_window_terms(np.array([-0.5, 0.25]), np.array([0.5, 1.25]), knots, 4, 1.0))
    5
    """
    terms = 0
    first = 0  # the first knot above the clipped left end
    last = 0  # the first knot at or above the clipped right end
    for i in range(xm.shape[0]):
        lo, hi = max(xm[i], 0.0), min(xp[i], span)
        if not hi > lo:
            continue
        while first <= size and knots[first] <= lo:
            first += 1
        while last <= size and knots[last] < hi:
            last += 1
        terms += last - first + 1
    return terms


@_compiled
def _merge_knots(xm, xs, xp, triangle, span, knots):  # type: ignore[no-untyped-def]
    """``0``, the distinct values of ``xm``, ``xp`` (and ``xs`` for the triangle) strictly
    inside ``(0, span)`` in increasing order, ``span`` (``exact._knots``); returns the count.
    The three inputs are sorted, so one merge pass does it."""
    m = xs.shape[0]
    i = j = k = 0
    count = 1
    knots[0] = 0.0
    last = 0.0
    while True:
        v = math.inf
        which = -1
        if i < m and xm[i] < v:
            v, which = xm[i], 0
        if triangle and j < m and xs[j] < v:
            v, which = xs[j], 1
        if k < m and xp[k] < v:
            v, which = xp[k], 2
        if which < 0 or v >= span:
            break
        if which == 0:
            i += 1
        elif which == 1:
            j += 1
        else:
            k += 1
        if v > last:
            knots[count] = v
            count += 1
            last = v
    knots[count] = span
    return count + 1


@_compiled
def _row(z, x_row, a, b, h, circular, kind, with_grad, gradient, ws):  # type: ignore[no-untyped-def]
    """One row; returns ``(status, loss)``, status 1 where the row is handed back."""
    rw, iw_f, iw_i, sw = ws
    n = z.shape[0]
    triangle = kind != _BOXCAR
    if circular and h > (TWO_PI if triangle else math.pi):
        return 1, 0.0  # a wide wrapped kernel: its constant floor stays with exact._circle
    pos, log_w = rw[0], rw[1]
    ok, span = _positions(x_row, a, b, circular, pos)
    if not ok:
        return 1, 0.0
    _log_softmax(z, log_w)
    # the items: (position, log-weight, owner) of every point or image that reaches [0, span]
    item_x, item_lw = iw_f[0], iw_f[1]
    item_owner = iw_i[0]
    count = 0
    k_lo = math.floor((-h - TWO_PI) / TWO_PI) if circular else 0
    k_hi = math.ceil((span + h) / TWO_PI) if circular else 0
    for j in range(n):
        if log_w[j] == -math.inf:
            continue
        for k in range(k_lo, k_hi + 1):
            v = pos[j] + k * TWO_PI if circular else pos[j]
            if -h <= v <= span + h:
                item_x[count], item_lw[count], item_owner[count] = v, log_w[j], j
                count += 1
    biggest = -math.inf
    for i in range(count):
        biggest = max(biggest, item_lw[i])
    order = _stable_order(item_x[:count], iw_i[1])
    xs, xm, xp, es = iw_f[2, :count], iw_f[3, :count], iw_f[4, :count], iw_f[5, :count]
    for i in range(count):
        o = order[i]
        if item_lw[o] < biggest - _LOG_FLOOR:
            return 1, 0.0
        xs[i] = item_x[o]
        xm[i] = xs[i] - h
        xp[i] = xs[i] + h
        es[i] = math.exp(item_lw[o] - biggest)
    # coverage, decided with a margin for the shift's rounding (else handed back)
    tol = _TOUCH_ULPS * (np.spacing(span + 2.0 * h + (TWO_PI if circular else 0.0)))
    if count == 0 or xm[0] > -tol or xp[count - 1] < span + tol:
        return 1, 0.0
    for i in range(count - 1):
        if xp[i] < span and xm[i + 1] > 0.0 and xm[i + 1] - xp[i] > -tol:
            return 1, 0.0
    knots = sw[0]
    size = _merge_knots(xm, xs, xp, triangle, span, knots)
    segments = size - 1
    length, first_value, second_value = sw[1, :segments], sw[2, :segments], sw[3, :segments]
    # per segment: boxcar: mass S (relative to e^biggest); triangle: P0, P1 at its ends
    limit = max(_MAX_WINDOW * count, _TRIANGLE_TERMS if triangle else _BOXCAR_TERMS)
    if _window_terms(xm, xp, knots, segments, span) > limit:
        return 1, 0.0
    budget = limit + count + 1024  # the sums' own count: a guard the count above keeps
    p_first = p_stop = p_rise0 = p_rise1 = p_fall0 = p_fall1 = 0
    integral, comp = 0.0, 0.0
    for s in range(segments):
        lo, hi = knots[s], knots[s + 1]
        length[s] = hi - lo
        if not triangle:
            while p_first < count and xp[p_first] < hi:
                p_first += 1
            while p_stop < count and xm[p_stop] <= lo:
                p_stop += 1
            budget -= max(p_stop - p_first, 0)
            mass = 0.0
            for i in range(p_first, p_stop):
                mass += es[i]
            if not mass > 0.0:
                return 1, 0.0
            first_value[s] = mass
            term = length[s] * (math.log(mass) + biggest)
        else:
            while p_rise0 < count and xs[p_rise0] < hi:
                p_rise0 += 1
            while p_rise1 < count and xm[p_rise1] <= lo:
                p_rise1 += 1
            while p_fall0 < count and xp[p_fall0] < hi:
                p_fall0 += 1
            while p_fall1 < count and xs[p_fall1] <= lo:
                p_fall1 += 1
            budget -= max(p_rise1 - p_rise0, 0) + max(p_fall1 - p_fall0, 0)
            at_lo, at_hi = 0.0, 0.0
            for i in range(p_rise0, p_rise1):
                at_lo += es[i] * (lo - xm[i])
                at_hi += es[i] * (hi - xm[i])
            for i in range(p_fall0, p_fall1):
                at_lo += es[i] * (xp[i] - lo)
                at_hi += es[i] * (xp[i] - hi)
            if not max(at_lo, at_hi) > 0.0:
                return 1, 0.0
            first_value[s] = math.log(at_lo)
            second_value[s] = math.log(at_hi)
            term = length[s] * (_log_linear_mean(first_value[s], second_value[s]) + biggest)
        if budget < 0:
            return 1, 0.0
        t = integral + term  # Neumaier's compensated sum
        if abs(integral) >= abs(term):
            comp += (integral - t) + term
        else:
            comp += (term - t) + integral
        integral = t
    log_norm = math.log(2.0 * h) if not triangle else 2.0 * math.log(h)
    value = log_norm - (integral + comp) / span
    if not with_grad:
        return 0, value
    resp = iw_f[6, :count]
    if not triangle:
        weight = sw[4, :segments]  # len / S
        for s in range(segments):
            weight[s] = length[s] / first_value[s]
        lo_seg = hi_seg = 0
        for i in range(count):  # segments inside [xm_i, xp_i]: lo >= xm_i, hi <= xp_i
            while lo_seg < segments and knots[lo_seg] < xm[i]:
                lo_seg += 1
            while hi_seg < segments and knots[hi_seg + 1] <= xp[i]:
                hi_seg += 1
            acc = 0.0
            for s in range(lo_seg, hi_seg):
                acc += weight[s]
            resp[i] = es[i] * acc
    else:
        j0, jlo, jhi = sw[4, :segments], sw[5, :segments], sw[2, :segments]
        for s in range(segments):
            r0, rs, r1 = _reciprocal_linear(first_value[s], second_value[s])
            square = length[s] * length[s]
            j0[s], jlo[s], jhi[s] = length[s] * r0, square * rs, square * r1
        up_lo = up_hi = down_lo = down_hi = 0
        for i in range(count):
            # rising: segments in [xm_i, xs_i]; falling: segments in [xs_i, xp_i]
            while up_lo < segments and knots[up_lo] < xm[i]:
                up_lo += 1
            while up_hi < segments and knots[up_hi + 1] <= xs[i]:
                up_hi += 1
            while down_lo < segments and knots[down_lo] < xs[i]:
                down_lo += 1
            while down_hi < segments and knots[down_hi + 1] <= xp[i]:
                down_hi += 1
            acc = 0.0
            for s in range(up_lo, up_hi):
                shift = knots[s] - xm[i]
                acc += jlo[s] + shift * j0[s] if shift > 0.0 else jlo[s]
            for s in range(down_lo, down_hi):
                shift = xp[i] - knots[s + 1]
                acc += jhi[s] + shift * j0[s] if shift > 0.0 else jhi[s]
            resp[i] = es[i] * acc
    # dL/dz_j = w_j - (1/span) sum over j's images of int R
    share = rw[2]
    for j in range(n):
        share[j] = 0.0
    scale = 1.0 / span  # es and the window sums are both relative to e^biggest
    for i in range(count):
        share[item_owner[order[i]]] += resp[i]
    for j in range(n):
        gradient[j] = math.exp(log_w[j]) - share[j] * scale if log_w[j] > -math.inf else 0.0
    return 0, value


@_compiled_parallel
def _rows(z, x, a, b, h, circular, kind, with_grad, loss, gradient, status):  # type: ignore[no-untyped-def]
    """Every row by :func:`_row`, chunks of rows spread over numba's threads."""
    count = z.shape[0]
    for c in numba.prange((count + _CHUNK - 1) // _CHUNK):
        ws = _workspace(z.shape[1], circular)
        for r in range(c * _CHUNK, min(count, (c + 1) * _CHUNK)):
            status[r], loss[r] = _row(
                z[r], x[r], a[r], b[r], h[r], circular, kind, with_grad, gradient[r], ws
            )


@_compiled
def _rows_serial(z, x, a, b, h, circular, kind, with_grad, loss, gradient, status):  # type: ignore[no-untyped-def]
    """:func:`_rows` on the calling thread (a few rows do not repay waking the pool)."""
    ws = _workspace(z.shape[1], circular)
    for r in range(z.shape[0]):
        status[r], loss[r] = _row(
            z[r], x[r], a[r], b[r], h[r], circular, kind, with_grad, gradient[r], ws
        )


def compact_exact_rows(
    kernel: str,
    z: FloatArray,
    x: FloatArray,
    a: FloatArray,
    b: FloatArray,
    h: FloatArray,
    circular: bool,
    with_grad: bool,
    loss: FloatArray,
    gradient: FloatArray,
) -> NDArray[np.bool_]:
    """Fill ``loss`` (``(B,)``) and, with ``with_grad``, ``gradient`` (``(B, n)``) for exact
    ``kernel`` (boxcar or triangle) rows ``z``, ``x`` (``(B, n)``, validated) on ``[a, b]``
    with bandwidths ``h``; return the mask of rows handed back (their entries unspecified).

    >>> z = np.zeros((1, 3)); x = np.array([[0.2, 0.5, 0.8]])
    >>> loss = np.empty(1); grad = np.empty((1, 3))
    >>> one = np.ones(1)
    >>> compact_exact_rows("boxcar", z, x, 0 * one, one, 0.5 * one, False, True, loss, grad)
    array([False])
    """
    status = np.empty(z.shape[0], dtype=np.int64)
    args = (
        z,
        x,
        np.ascontiguousarray(a, dtype=np.float64),
        np.ascontiguousarray(b, dtype=np.float64),
        np.ascontiguousarray(h, dtype=np.float64),
        circular,
        COMPACT_KERNELS[kernel],
        with_grad,
        loss,
        gradient,
        status,
    )
    if z.shape[0] >= _PARALLEL_MIN_ROWS:
        with _compiled_loops.PARALLEL_LOCK:  # workqueue layer: one parallel loop at a time
            _rows(*args)
    else:
        _rows_serial(*args)
    return np.asarray(status != 0)
