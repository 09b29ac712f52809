"""The compiled row engine: exact Laplace loss and gradient of many rows in one parallel loop.

Owns :func:`laplace_exact_rows`, which :func:`symkde.numeric.api._compute` calls for one row
(a single call with ``n <= ROW_ENGINE_MAX_N``) and the batch front
(:mod:`symkde.numeric.batch`) for all rows at once: a single call is the ``B = 1`` case of the
same code, so row ``r`` of a batch is bit for bit the single call on row ``r``.  Imports NumPy,
numba, :mod:`symkde.numeric.angles` (the circle's positions),
:mod:`symkde.numeric.compiled` (the fast path's loops) and the generated forms; nothing
above the numeric layer.

Per row, in one ``numba.prange`` iteration (rows never share state, so the thread count
cannot change a bit): the log-softmax of ``z`` (masked ``-inf`` logits dropped, a compensated
sum), the items (line: the points measured from ``a``; circle: each point's representative
``u`` in ``[0, 2 pi)`` from ``a`` and its images ``u -+ 2 pi`` of weight ``w / (1 - e^{-2
pi/h})``, theorem ``wrapped_laplace_image_sum``, as in ``symkde.numeric.exact._circle``), a
stable sort of the items inside the target, then the fast path of
``symkde.numeric.exact._laplace_fast`` statement by statement: the same compiled loops of
:mod:`symkde.numeric.compiled` (sides, partition, anchored blocks, decayed sums, midpoint
series of short segments) and the same dilogarithm forms for long segments (printed from
SymPy, ``symkde/numeric/_generated/laplace_forms.py``, here compiled with :func:`spence`,
Cephes' algorithm that SciPy runs).  The fast path's guards are kept: a row whose weights
spread beyond ``e^500``, whose target is longer than ``1e15`` bandwidths, or with a side that
matters far beyond an end is *handed back* (``status = 1``) and its caller takes the
log-space scans, exactly as a single call does.

Threads: ``numba.prange`` uses numba's thread pool, ``NUMBA_NUM_THREADS`` threads (default:
the cores available); set it before the first call.  Results do not depend on it.
"""

from __future__ import annotations

import math
import types
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from symkde.numeric import compiled as _loops
from symkde.numeric._generated import laplace_forms as _forms
from symkde.numeric.angles import TWO_PI, TWO_PI_LO, difference_turned, turns_to

__all__ = ["ROW_ENGINE_MAX_N", "laplace_exact_rows", "row_positions", "spence"]

FloatArray = NDArray[np.float64]

#: Rows of at most this many points use the engine; a single call with more points keeps
#: ``symkde.numeric.exact._laplace_fast``, whose NumPy SIMD exponentials and integer-key sort
#: are faster at large ``n`` (a batch hands such rows to the single call).
ROW_ENGINE_MAX_N = 4096
#: The fast path's guards, as in ``symkde.numeric.exact`` (see ``_laplace_fast``).
_LOG_FLOOR = 500.0
_MAX_SPAN = 1e15
_FAR = 8.0
_NEGLIGIBLE = -40.0
_LOG2 = math.log(2.0)
_SHORT = _loops.SHORT_SEGMENT
#: Below this many items a row is sorted by insertion (stable); above, by merge sort.
_INSERTION = 32


#: Cephes' rational approximation of ``spence`` on ``(0.5, 1.5)`` (Moshier, Cephes 2.8), the
#: one SciPy's ``scipy.special.spence`` evaluates: the same coefficients and steps, so the
#: compiled forms agree with SciPy's to an ulp or two (``tests/test_batch.py`` checks it).
_SPENCE_P = (
    4.65128586073990045278e-5,
    7.31589045238094711071e-3,
    1.33847639578309018650e-1,
    8.79691311754530315341e-1,
    2.71149851196553469920e0,
    4.25697156008121755724e0,
    3.29771340985225106936e0,
    1.00000000000000000126e0,
)
_SPENCE_Q = (
    6.90990488912553276999e-4,
    2.54043763932544379113e-2,
    2.82974860602568089943e-1,
    1.41172597751831069617e0,
    3.63800533345137075418e0,
    5.03278880143316990390e0,
    3.54771340985225096217e0,
    9.99999999999999998740e-1,
)


@numba.njit(cache=True, error_model="numpy")
def spence(x):  # type: ignore[no-untyped-def]
    """``spence(x) = -int_1^x log(t)/(t - 1) dt = Li2(1 - x)`` for ``x >= 0`` (NaN below).

    >>> round(float(spence(2.0)), 15)  # Li2(-1) = -pi^2/12
    -0.822467033424113
    """
    if x < 0.0:
        return math.nan
    if x == 1.0:
        return 0.0
    if x == 0.0:
        return math.pi * math.pi / 6.0
    flag = 0
    if x > 2.0:
        x = 1.0 / x
        flag |= 2
    if x > 1.5:
        w = (1.0 / x) - 1.0
        flag |= 2
    elif x < 0.5:
        w = -x
        flag |= 1
    else:
        w = x - 1.0
    num = _SPENCE_P[0]
    den = _SPENCE_Q[0]
    for k in range(1, 8):
        num = num * w + _SPENCE_P[k]
        den = den * w + _SPENCE_Q[k]
    y = -w * num / den
    if flag & 1:
        y = (math.pi * math.pi) / 6.0 - math.log(x) * math.log(1.0 - x) - y
    if flag & 2:
        z = math.log(x)
        y = -0.5 * z * z - y
    return y


def _compiled_form(func: Any) -> Any:
    """A generated form compiled by numba, its ``scipy.special.spence`` the Cython one."""
    special = types.ModuleType("scipy.special")
    special.spence = spence  # type: ignore[attr-defined]
    scipy_ns = types.ModuleType("scipy")
    scipy_ns.special = special  # type: ignore[attr-defined]
    rebound = types.FunctionType(func.__code__, {"numpy": np, "scipy": scipy_ns}, func.__name__)
    return numba.njit(inline="always", error_model="numpy")(rebound)


_half_dilog_form = _compiled_form(_forms.laplace_half_dilog)
_half_li2_form = _compiled_form(_forms.laplace_half_li2)
_half_dilog_series = _compiled_form(_forms.laplace_half_dilog_series)

#: ``contract``: a multiply-add may become one FMA, as in :mod:`symkde.numeric.compiled`.
_compiled: Any = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
_compiled_parallel: Any = numba.njit(
    parallel=True, cache=True, nogil=True, error_model="numpy", fastmath={"contract"}
)


@_compiled
def _half_dilog(w):  # type: ignore[no-untyped-def]
    """``H(w)`` for ``w >= 0`` (``symkde.numeric.exact._half_dilog``)."""
    return _half_dilog_series(w) if w < 0.1 else _half_dilog_form(w)


@_compiled
def _softplus(v):  # type: ignore[no-untyped-def]
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


@_compiled
def _log_softplus(v):  # type: ignore[no-untyped-def]
    return v - 0.5 * math.exp(v) if v < -30.0 else math.log(_softplus(v))


@_compiled
def _log_expm1(v):  # type: ignore[no-untyped-def]
    return math.log(math.expm1(v)) if v < 1.0 else v + math.log1p(-math.exp(-v))


@_compiled
def _segment_log_integral(lB, lA, d, s_cross):  # type: ignore[no-untyped-def]
    """``symkde.numeric.exact.laplace_segment_log_integral`` for one long segment
    (``d > SHORT_SEGMENT``, where ``_log_correction`` takes the dilogarithm branches)."""
    sc = min(max(s_cross, 0.0), d)
    left = sc * (lB - 0.5 * sc) if sc > 0.0 else 0.0
    right_len = d - sc
    right = right_len * (lA - 0.5 * right_len) if right_len > 0.0 else 0.0
    corr = 0.0
    if math.isfinite(s_cross):
        if 0.0 < s_cross < d:
            corr = _half_dilog(s_cross) + _half_dilog(d - s_cross)
        else:
            near = -s_cross if s_cross <= 0.0 else s_cross - d
            corr = _half_li2_form(near + d) - _half_li2_form(near)
    return left + right + corr


@_compiled
def _segment_log_resp(lB, lA, d, s_cross):  # type: ignore[no-untyped-def]
    """``symkde.numeric.exact.laplace_segment_log_resp`` for one segment."""
    log_em1 = _log_expm1(2.0 * d)
    log_left = -math.inf
    if lB != -math.inf:
        log_left = -_LOG2 - lB + _log_softplus(log_em1 - _softplus(-2.0 * (s_cross - d)))
    log_right = -math.inf
    if lA != -math.inf:
        log_right = -_LOG2 - lA + _log_softplus(log_em1 - _softplus(2.0 * s_cross))
    return log_left, log_right


@_compiled
def _stable_order(values):  # type: ignore[no-untyped-def]
    """The permutation sorting ``values``, ties in index order (insertion or merge sort)."""
    m = values.shape[0]
    if m > _INSERTION:
        return np.argsort(values, kind="mergesort").astype(np.int64)
    order = np.empty(m, dtype=np.int64)
    for i in range(m):
        v = values[i]
        j = i
        while j > 0 and values[order[j - 1]] > v:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i
    return order


@_compiled
def _fast_items(x, lw, span, h, with_grad, resp):  # type: ignore[no-untyped-def]
    """``symkde.numeric.exact._laplace_fast`` on items ``(x, lw)`` (finite) over ``[0, span]``.

    Returns ``(status, value)``: status 0 with ``resp[i] = (1/span) int R_i`` filled when
    ``with_grad``; status 1 where ``_laplace_fast`` returns None (the caller's log-space scans
    answer).  Same statements, same compiled loops; see its docstring for the guards.
    """
    a, b = 0.0, span
    if span / h > _MAX_SPAN:
        return 1, 0.0
    n = x.shape[0]
    m, n_left, near_left, near_right = _loops.count_sides(x, a, b)
    pairs = np.empty((n, 2))
    index = np.empty(n, dtype=np.int64)
    _loops.partition(x, lw, a, b, h, m, n_left, near_left, near_right, index, pairs)
    inside = np.empty(m)
    for k in range(m):
        inside[k] = pairs[k, 0]
    order = _stable_order(inside)
    masses = np.full(2, -math.inf)
    peaks = np.full(2, -math.inf)
    bounds = ((m, m + n_left), (m + n_left, n))
    reaches = ((a - near_left) / h, (near_right - b) / h)
    for side in range(2):
        start, stop = bounds[side]
        if stop > start:
            peak = -math.inf
            for k in range(start, stop):
                peak = max(peak, pairs[k, 0])
            total = 0.0
            for k in range(start, stop):
                pairs[k, 0] = math.exp(pairs[k, 0] - peak)
                total += pairs[k, 0]
            masses[side] = peak + math.log(total) - reaches[side]
            peaks[side] = peak - reaches[side]
    size = m + 2
    u = np.empty(size)
    v = np.empty(size)
    grow = np.empty(size)
    shrink = np.empty(size)
    gap = np.empty(size)
    dist = np.empty(size)
    left_sum = np.empty(size)
    right_sum = np.empty(size)
    w = np.empty(m)
    if not _loops.prepare(pairs, order, a, b, h, w, dist, grow, gap):
        return 2, 0.0
    top = max(masses[0], masses[1])
    for k in range(m):
        top = max(top, w[k])
    if not math.isfinite(top):
        return 1, 0.0
    floor = top - _LOG_FLOOR
    for k in range(m):
        if w[k] < floor:
            return 1, 0.0
    for side in range(2):
        mass = masses[side]
        if floor > mass > -math.inf:
            return 1, 0.0
        if reaches[side] > _FAR and mass - top > _NEGLIGIBLE:
            return 1, 0.0
    for k in range(m):
        w[k] = math.exp(w[k] - top)
        u[k + 1] = w[k]
        v[k + 1] = w[k]
    u[0], u[m + 1] = math.exp(masses[0] - top), 0.0
    v[0], v[m + 1] = 0.0, math.exp(masses[1] - top)
    for k in range(size):
        shrink[k] = math.exp(-grow[k])
        grow[k] = math.exp(grow[k])
    _loops.decayed_sums(grow, shrink, gap, u, v, left_sum, right_sum)
    segments = m + 1
    left = left_sum[:segments].copy()
    right = right_sum[1:].copy()
    d = dist[:segments].copy()
    log_total = np.empty(segments)
    for k in range(segments):
        log_total[k] = math.log(left[k] + right[k])
    seg_log = np.empty(segments)
    _loops.short_log_integrals(d, left, right, log_total, seg_log)
    total, compensation = 0.0, 0.0
    for k in range(segments):
        if d[k] > _SHORT:
            lB, lA = math.log(left[k]), math.log(right[k])
            seg_log[k] = _segment_log_integral(lB, lA, d[k], 0.5 * (lB - lA + d[k]))
        term = seg_log[k]  # Neumaier's compensated sum
        t = total + term
        if abs(total) >= abs(term):
            compensation += (total - t) + term
        else:
            compensation += (term - t) + total
        total = t
    value = math.log(2.0 * h) - top - h * (total + compensation) / span
    if not with_grad:
        return 0, value
    resp_minus = np.zeros(size)
    resp_plus = np.zeros(size)
    out = np.empty(segments)
    _loops.short_resp_integrals(d, left, right, out)
    resp_minus[:segments] = out
    _loops.short_resp_integrals(d, right, left, out)
    resp_plus[1:] = out
    for k in range(segments):
        if d[k] > _SHORT:
            lB, lA = math.log(left[k]), math.log(right[k])
            log_minus, log_plus = _segment_log_resp(lB, lA, d[k], 0.5 * (lB - lA + d[k]))
            resp_minus[k], resp_plus[k + 1] = math.exp(log_minus), math.exp(log_plus)
    _loops.decayed_sums(grow, shrink, gap, resp_plus, resp_minus, left_sum, right_sum)
    scale = h / span
    for k in range(m):
        resp[index[order[k]]] = scale * w[k] * (left_sum[k + 1] + right_sum[k + 1])
    outers = (right_sum[0], left_sum[m + 1])
    for side in range(2):
        start, stop = bounds[side]
        if stop > start:
            factor = math.exp(peaks[side] - top + math.log(scale * outers[side]))
            for k in range(start, stop):
                resp[index[k]] = pairs[k, 0] * factor
    return 0, value


@_compiled
def _row(z, pos, span, h, circular, with_grad, gradient):  # type: ignore[no-untyped-def]
    """One row: log-softmax, items, :func:`_fast_items`, the gradient ``W - int R / span``."""
    n = z.shape[0]
    top = -math.inf
    for j in range(n):
        top = max(top, z[j])
    total, compensation = 0.0, 0.0
    for j in range(n):
        term = math.exp(z[j] - top)
        t = total + term
        compensation += (total - t) + term if total >= term else (term - t) + total
        total = t
    log_sum = math.log(total + compensation)
    log_w = np.empty(n)
    live = 0
    for j in range(n):
        log_w[j] = (z[j] - top) - log_sum
        live += log_w[j] > -math.inf
    images = 3 if circular else 1
    items = images * live
    x = np.empty(items)
    lw = np.empty(items)
    owner = np.empty(live, dtype=np.int64)
    log_geo = -math.log(-math.expm1(-TWO_PI / h)) if circular else 0.0
    k = 0
    for j in range(n):
        if log_w[j] > -math.inf:
            owner[k] = j
            if circular:
                x[3 * k], lw[3 * k] = pos[j] - TWO_PI, log_w[j] + log_geo
                x[3 * k + 1], lw[3 * k + 1] = pos[j], log_w[j]
                x[3 * k + 2], lw[3 * k + 2] = pos[j] + TWO_PI, log_w[j] + log_geo
            else:
                x[k], lw[k] = pos[j], log_w[j]
            k += 1
    resp = np.zeros(items)
    status, value = _fast_items(x, lw, span, h, with_grad, resp)
    if status != 0 or not with_grad:
        return status, value
    gradient[:] = 0.0
    for k in range(live):
        j = owner[k]
        share = 0.0
        for i in range(images):
            share += resp[images * k + i]
        gradient[j] = math.exp(log_w[j]) - share
    return 0, value


@_compiled_parallel
def _rows(z, pos, span, h, circular, with_grad, loss, gradient, status):  # type: ignore[no-untyped-def]
    for r in numba.prange(z.shape[0]):
        status[r], loss[r] = _row(z[r], pos[r], span[r], h[r], circular, with_grad, gradient[r])


def row_positions(
    x: FloatArray, a: FloatArray, b: FloatArray, circular: bool
) -> tuple[FloatArray, FloatArray]:
    """``(positions, span)``: the rows' points measured from ``a`` and the targets' lengths.

    Line: ``x - a`` and ``b - a`` (``symkde.numeric.api._shifted``).  Circle: ``x - a`` turned
    to within ``pi`` of the arc's middle (:func:`~symkde.numeric.angles.difference_turned`),
    then the representative in ``[0, 2 pi)`` of ``symkde.numeric.exact._circle``, and an arc
    within 4 ulps of ``2 pi`` is the full circle.  Element by element, so one row gives the
    same bits alone or in a batch.
    """
    span = b - a
    if not circular:
        return x - a[:, None], span
    half = 0.5 * span
    moved = np.empty_like(x)
    for r in range(x.shape[0]):  # difference_turned takes one origin (rare exact turns)
        moved[r] = difference_turned(x[r], float(a[r]), float(half[r]))
    u = turns_to(moved)[0] - 0.0
    u = np.where(u < 0.0, (u + TWO_PI_LO) + TWO_PI, u)
    u = np.where(u >= TWO_PI, (u - TWO_PI) - TWO_PI_LO, u)
    u = np.minimum(np.maximum(u, 0.0), np.nextafter(TWO_PI, 0.0))
    slack = 4 * np.spacing(TWO_PI)
    return u, np.where(span >= TWO_PI - slack, TWO_PI, span)


def laplace_exact_rows(
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
    """Fill ``loss`` (``(B,)``) and, with ``with_grad``, ``gradient`` (``(B, n)``) for the exact
    Laplace rows ``z``, ``x`` (``(B, n)``, validated) on ``[a, b]`` with bandwidths ``h``;
    return the mask of rows handed back (their entries are unspecified)."""
    positions, span = row_positions(x, a, b, circular)
    status = np.empty(z.shape[0], dtype=np.int64)
    _rows(
        np.ascontiguousarray(z),
        np.ascontiguousarray(positions),
        np.ascontiguousarray(span),
        np.ascontiguousarray(h, dtype=np.float64),
        circular,
        with_grad,
        loss,
        gradient,
        status,
    )
    if np.any(status == 2):
        raise RuntimeError("internal: the row sort does not sort (please report)")
    return np.asarray(status != 0)
