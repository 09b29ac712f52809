"""The compiled row engine: exact Laplace loss and gradient of many rows in one parallel loop.

Owns :func:`laplace_exact_rows`, which :func:`symkde.numeric.api._compute` calls for one row
(a single call with ``n <= ROW_ENGINE_MAX_N``) and the batch front
(:mod:`symkde.numeric.batch`) for all rows at once: a single call is the ``B = 1`` case of the
same code, so row ``r`` of a batch is bit for bit the single call on row ``r``.  Imports NumPy,
numba, :mod:`symkde.numeric.angles` (the circle's positions),
:mod:`symkde.numeric.compiled` (the fast path's loops), :mod:`symkde.numeric.fast_exp` and
the generated forms; nothing above the numeric layer.

Per row, in one ``numba.prange`` iteration (rows never share state, so the thread count
cannot change a bit): the log-softmax of ``z`` (masked ``-inf`` logits dropped, a compensated
sum), the items (line: the points measured from ``a``; circle: each point's representative
``u`` in ``[0, 2 pi)`` from ``a`` and its images ``u -+ 2 pi`` of weight ``w / (1 - e^{-2
pi/h})``, theorem ``wrapped_laplace_image_sum``, as in ``symkde.numeric.exact._circle``), a
stable sort of the items inside the target, then the fast path of
``symkde.numeric.exact_laplace._laplace_fast`` statement by statement: the same compiled loops of
:mod:`symkde.numeric.compiled` (sides, partition, anchored blocks, decayed sums, midpoint
series of short segments) and the same dilogarithm forms for long segments (printed from
SymPy, ``symkde/numeric/_generated/laplace_forms.py``, here compiled with :func:`spence`,
Cephes' algorithm that SciPy runs).  The fast path's guards are kept: a row whose weights
spread beyond ``e^500``, whose target is longer than ``1e15`` bandwidths, or with a side that
matters far beyond an end is *handed back* (``status = 1``) and its caller takes the
log-space scans, exactly as a single call does.

Where the row differs from ``_laplace_fast`` (fewer libm calls, each within an ulp or below
half an ulp of a sum, measured in ``benchmarks/RESULTS.md``): the softmax's and the side
masses' exponentials are evaluated in vectorised blocks (:mod:`symkde.numeric.fast_exp`,
within an ulp of libm's); the gradient's weights are the
softmax pass's ``e^{z - max z}`` times ``1 / sum`` (no second ``exp``); ``e^{-o}`` of a
block offset ``o`` in ``[0, 2]`` is ``1 / e^{o}``; the logarithms of a long segment's end
sums are taken once for the loss and the gradient; and a side's terms below ``e^-64`` of its
largest are not exponentiated (:func:`_side_mass_pruned`: on the circle most image items lie
tens of bandwidths beyond an end).

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
from symkde.numeric.angles import TWO_PI, TWO_PI_LO
from symkde.numeric.fast_exp import exp_block

__all__ = ["ROW_ENGINE_MAX_N", "laplace_exact_rows", "spence"]

FloatArray = NDArray[np.float64]

#: Rows of at most this many points use the engine; a single call with more points keeps
#: ``symkde.numeric.exact_laplace._laplace_fast``, whose NumPy SIMD exponentials and integer-key
#: sort are faster at large ``n`` (a batch hands such rows to the single call).
ROW_ENGINE_MAX_N = 4096
#: The fast path's guards, as in ``symkde.numeric.exact`` (see ``_laplace_fast``).
_LOG_FLOOR = 500.0
_MAX_SPAN = 1e15
_FAR = 64.0  # exact_laplace._FAST_FAR (its comment bounds the rounding this allows)
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

    >>> round(float(spence(2.0)), 13)  # Li2(-1) = -pi^2/12 = -0.82246703342411321...
    -0.8224670334241
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
def _neumaier(total, compensation, term):  # type: ignore[no-untyped-def]
    """One step of Neumaier's compensated sum: ``(total + term, compensation)`` updated."""
    t = total + term
    if abs(total) >= abs(term):
        compensation += (total - t) + term
    else:
        compensation += (term - t) + total
    return t, compensation


@_compiled
def _log_softmax(z, log_w):  # type: ignore[no-untyped-def]
    """``log_w[j] = z[j] - log sum_k e^{z_k}`` (the sum compensated, scaled by ``max z``)."""
    n = z.shape[0]
    top = -math.inf
    for j in range(n):
        top = max(top, z[j])
    total, compensation = 0.0, 0.0
    for j in range(n):
        total, compensation = _neumaier(total, compensation, math.exp(z[j] - top))
    log_sum = math.log(total + compensation)
    for j in range(n):
        log_w[j] = (z[j] - top) - log_sum


@_compiled
def _half_dilog(w):  # type: ignore[no-untyped-def]
    """``H(w)`` for ``w >= 0`` (``symkde.numeric.segment_forms._half_dilog``)."""
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
    """``symkde.numeric.segment_forms.laplace_segment_log_integral`` for one long segment
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
    """``symkde.numeric.segment_forms.laplace_segment_log_resp`` for one segment."""
    log_em1 = _log_expm1(2.0 * d)
    log_left = -math.inf
    if lB != -math.inf:
        log_left = -_LOG2 - lB + _log_softplus(log_em1 - _softplus(-2.0 * (s_cross - d)))
    log_right = -math.inf
    if lA != -math.inf:
        log_right = -_LOG2 - lA + _log_softplus(log_em1 - _softplus(2.0 * s_cross))
    return log_left, log_right


@_compiled
def _stable_order(values, order):  # type: ignore[no-untyped-def]
    """The permutation sorting ``values``, ties in index order (insertion or merge sort)."""
    m = values.shape[0]
    if m > _INSERTION:
        return np.argsort(values, kind="mergesort").astype(np.int64)
    for i in range(m):
        v = values[i]
        j = i
        while j > 0 and values[order[j - 1]] > v:
            order[j] = order[j - 1]
            j -= 1
        order[j] = i
    return order[:m]


#: Rows of the float workspace (see :func:`_workspace`).
_FLOAT_ROWS = 27


@_compiled
def _workspace(n, circular):  # type: ignore[no-untyped-def]
    """Scratch for rows of ``n`` points: every entry is written before it is read, so rows
    that share it (one chunk of :func:`_rows`) cannot see each other."""
    cap = (3 * n if circular else n) + 2
    return np.empty((_FLOAT_ROWS, cap)), np.empty((3, cap), dtype=np.int64), np.empty((cap, 2))


@_compiled
def _fast_items(x, lw, span, h, with_grad, resp, fw, iw, pair_ws):  # type: ignore[no-untyped-def]
    """``exact_laplace._laplace_fast`` on items ``(x, lw)`` (finite) over ``[0, span]``.

    Returns ``(status, value)``: status 0 with ``resp[i] = (1/span) int R_i`` filled when
    ``with_grad``; status 1 where ``_laplace_fast`` returns None (the caller's log-space scans
    answer).  Same statements, same compiled loops; see its docstring for the guards.
    ``fw``, ``iw``, ``pair_ws``: the workspace of :func:`_workspace`.
    """
    a, b = 0.0, span
    if span / h > _MAX_SPAN:
        return 1, 0.0
    n = x.shape[0]
    m, n_left, near_left, near_right = _loops.count_sides(x, a, b)
    pairs = pair_ws[:n]
    index = iw[0, :n]
    _loops.partition(x, lw, a, b, h, m, n_left, near_left, near_right, index, pairs)
    inside = fw[0, :m]
    for k in range(m):
        inside[k] = pairs[k, 0]
    order = _stable_order(inside, iw[1])
    reach_left, reach_right = (a - near_left) / h, (near_right - b) / h
    side, bits = fw[26], iw[2]
    mass_left, peak_left = _side_mass_pruned(pairs, m, m + n_left, reach_left, side, bits)
    mass_right, peak_right = _side_mass_pruned(pairs, m + n_left, n, reach_right, side, bits)
    size = m + 2
    u, v, grow, shrink = fw[1, :size], fw[2, :size], fw[3, :size], fw[4, :size]
    gap, dist, left_sum, right_sum = fw[5, :size], fw[6, :size], fw[7, :size], fw[8, :size]
    w = fw[9, :m]
    if not _loops.prepare(pairs, order, a, b, h, w, dist, grow, gap):
        return 2, 0.0
    top = max(mass_left, mass_right)
    for k in range(m):
        top = max(top, w[k])
    if not math.isfinite(top):
        return 1, 0.0
    floor = top - _LOG_FLOOR
    for k in range(m):
        if w[k] < floor:
            return 1, 0.0
    for mass, reach in ((mass_left, reach_left), (mass_right, reach_right)):
        if floor > mass > -math.inf:
            return 1, 0.0
        if reach > _FAR and mass - top > _NEGLIGIBLE:
            return 1, 0.0
    for k in range(m):
        w[k] = math.exp(w[k] - top)
        u[k + 1] = w[k]
        v[k + 1] = w[k]
    u[0], u[m + 1] = math.exp(mass_left - top), 0.0
    v[0], v[m + 1] = 0.0, math.exp(mass_right - top)
    for k in range(size):
        # offsets lie in [0, BLOCK]: e^{-o} = 1 / e^{o} within an ulp, one exp fewer
        grow[k] = math.exp(grow[k])
        shrink[k] = 1.0 / grow[k]
    _loops.decayed_sums(grow, shrink, gap, u, v, left_sum, right_sum)
    segments = m + 1
    left, right, d = fw[10, :segments], fw[11, :segments], fw[12, :segments]
    log_total, seg_log = fw[13, :segments], fw[14, :segments]
    for k in range(segments):
        left[k] = left_sum[k]
        right[k] = right_sum[k + 1]
        d[k] = dist[k]
        log_total[k] = math.log(left[k] + right[k])
    _loops.short_log_integrals(d, left, right, log_total, seg_log)
    total, compensation = 0.0, 0.0
    log_left, log_right = fw[24, :segments], fw[25, :segments]  # long segments' logs, reused
    for k in range(segments):
        if d[k] > _SHORT:
            lB, lA = math.log(left[k]), math.log(right[k])
            log_left[k], log_right[k] = lB, lA
            seg_log[k] = _segment_log_integral(lB, lA, d[k], 0.5 * (lB - lA + d[k]))
        total, compensation = _neumaier(total, compensation, seg_log[k])
    value = math.log(2.0 * h) - top - h * (total + compensation) / span
    if not with_grad:
        return 0, value
    resp_minus, resp_plus, out = fw[15, :size], fw[16, :size], fw[17, :segments]
    _loops.short_resp_integrals(d, left, right, out)
    for k in range(segments):
        resp_minus[k] = out[k]
    resp_minus[segments] = 0.0
    _loops.short_resp_integrals(d, right, left, out)
    resp_plus[0] = 0.0
    for k in range(segments):
        resp_plus[k + 1] = out[k]
    for k in range(segments):
        if d[k] > _SHORT:
            lB, lA = log_left[k], log_right[k]
            log_minus, log_plus = _segment_log_resp(lB, lA, d[k], 0.5 * (lB - lA + d[k]))
            resp_minus[k], resp_plus[k + 1] = math.exp(log_minus), math.exp(log_plus)
    _loops.decayed_sums(grow, shrink, gap, resp_plus, resp_minus, left_sum, right_sum)
    scale = h / span
    for k in range(m):
        resp[index[order[k]]] = scale * w[k] * (left_sum[k + 1] + right_sum[k + 1])
    for start, stop, peak, outer in (
        (m, m + n_left, peak_left, right_sum[0]),
        (m + n_left, n, peak_right, left_sum[m + 1]),
    ):
        if stop > start:
            factor = math.exp(peak - top + math.log(scale * outer))
            for k in range(start, stop):
                resp[index[k]] = pairs[k, 0] * factor
    return 0, value


@_compiled
def _side_mass(pairs, start, stop, reach):  # type: ignore[no-untyped-def]
    """``(log mass decayed to the end, peak - reach)`` of the points ``start:stop`` beyond an
    end; their column 0 becomes ``e^{t - peak}`` (``_laplace_fast``'s sides)."""
    if stop <= start:
        return -math.inf, -math.inf
    peak = -math.inf
    for k in range(start, stop):
        peak = max(peak, pairs[k, 0])
    total = 0.0
    for k in range(start, stop):
        pairs[k, 0] = math.exp(pairs[k, 0] - peak)
        total += pairs[k, 0]
    return peak + math.log(total) - reach, peak - reach


#: :func:`_side_mass_pruned` leaves out terms below ``e^-_SIDE_DROP`` of a side's largest.
_SIDE_DROP = 64.0
#: The softmax's ``e^{z - max z}`` by :func:`~symkde.numeric.fast_exp.exp_block` down to
#: ``e^-700`` (its range of normal numbers), by libm's ``exp`` below.
_SOFTMAX_FLOOR = 700.0


@_compiled
def _side_mass_pruned(pairs, start, stop, reach, buf, bits):  # type: ignore[no-untyped-def]
    """:func:`_side_mass` without the ``exp`` of terms below ``e^-64`` of the side's largest
    (which is in the sum): 0 stands for them, so the side's mass moves by less than
    ``n e^-64 < n 1.7e-28`` relatively (below half an ulp) and their responsibilities by
    less than ``1.7e-28`` absolutely.  The others in one vectorised block
    (:func:`symkde.numeric.fast_exp.exp_block`, within an ulp of libm's); ``buf`` and ``bits``
    are scratch of ``stop - start`` entries."""
    if stop <= start:
        return -math.inf, -math.inf
    peak = -math.inf
    for k in range(start, stop):
        peak = max(peak, pairs[k, 0])
    for k in range(start, stop):
        buf[k - start] = pairs[k, 0] - peak
    exp_block(buf, bits, stop - start, _SIDE_DROP)
    total = 0.0
    for k in range(start, stop):
        pairs[k, 0] = buf[k - start]
        total += pairs[k, 0]
    return peak + math.log(total) - reach, peak - reach


@_compiled
def _row(z, x_row, a, b, h, circular, with_grad, gradient, fw, iw, pair_ws):  # type: ignore[no-untyped-def]
    """One row: positions, log-softmax, items, :func:`_fast_items`, the gradient
    ``W - int R / span``."""
    n = z.shape[0]
    pos = fw[22, :n]
    ok, span = _positions(x_row, a, b, circular, pos)
    if not ok:
        return 1, 0.0
    top = -math.inf
    for j in range(n):
        top = max(top, z[j])
    total, compensation = 0.0, 0.0
    scaled = fw[23, :n]  # e^{z - max z}: the weights' numerators, kept for the gradient
    for j in range(n):
        scaled[j] = z[j] - top
    exp_block(scaled, iw[2, :n], n, _SOFTMAX_FLOOR)
    for j in range(n):
        if z[j] - top < -_SOFTMAX_FLOOR:  # where 2**k would be subnormal: libm's exp
            scaled[j] = math.exp(z[j] - top)
    for j in range(n):
        total, compensation = _neumaier(total, compensation, scaled[j])
    log_sum = math.log(total + compensation)
    norm = 1.0 / (total + compensation)
    log_w = fw[18, :n]
    live = 0
    for j in range(n):
        log_w[j] = (z[j] - top) - log_sum
        live += log_w[j] > -math.inf
    images = 3 if circular else 1
    items = images * live
    x, lw, resp = fw[19, :items], fw[20, :items], fw[21, :items]
    log_geo = -math.log(-math.expm1(-TWO_PI / h)) if circular else 0.0
    k = 0
    for j in range(n):
        if log_w[j] > -math.inf:
            if circular:
                x[3 * k], lw[3 * k] = pos[j] - TWO_PI, log_w[j] + log_geo
                x[3 * k + 1], lw[3 * k + 1] = pos[j], log_w[j]
                x[3 * k + 2], lw[3 * k + 2] = pos[j] + TWO_PI, log_w[j] + log_geo
            else:
                x[k], lw[k] = pos[j], log_w[j]
            k += 1
    status, value = _fast_items(x, lw, span, h, with_grad, resp, fw, iw, pair_ws)
    if status != 0 or not with_grad:
        return status, value
    k = 0
    for j in range(n):
        if log_w[j] > -math.inf:
            share = 0.0
            for i in range(images):
                share += resp[images * k + i]
            # W_j = e^{z_j - max z} / sum (no exp: the softmax pass's terms)
            gradient[j] = scaled[j] * norm - share
            k += 1
        else:
            gradient[j] = 0.0
    return 0, value


#: Rows per chunk of :func:`_rows` (one workspace each); fixed, so that nothing depends on
#: the number of threads.
_CHUNK = 16


@_compiled_parallel
def _rows(z, x, a, b, h, circular, with_grad, loss, gradient, status):  # type: ignore[no-untyped-def]
    """Every row by :func:`_row`, chunks of rows spread over numba's threads."""
    count = z.shape[0]
    for c in numba.prange((count + _CHUNK - 1) // _CHUNK):
        fw, iw, pair_ws = _workspace(z.shape[1], circular)
        for r in range(c * _CHUNK, min(count, (c + 1) * _CHUNK)):
            status[r], loss[r] = _row(
                z[r], x[r], a[r], b[r], h[r], circular, with_grad, gradient[r], fw, iw, pair_ws
            )


@_compiled
def _rows_serial(z, x, a, b, h, circular, with_grad, loss, gradient, status):  # type: ignore[no-untyped-def]
    """:func:`_rows` on the calling thread (the same :func:`_row` per row): a few rows do not
    repay waking the thread pool, which cost milliseconds per call on a loaded machine."""
    fw, iw, pair_ws = _workspace(z.shape[1], circular)
    for r in range(z.shape[0]):
        status[r], loss[r] = _row(
            z[r], x[r], a[r], b[r], h[r], circular, with_grad, gradient[r], fw, iw, pair_ws
        )


#: Fewer rows than this run on the calling thread.
_PARALLEL_MIN_ROWS = 8


#: Exact arithmetic (TwoSum, Dekker's product): compiled without ``contract``, since an FMA
#: in ``p_hi * q_hi - prod`` would change what the error terms mean.
_exact_arithmetic: Any = numba.njit(cache=True, nogil=True, error_model="numpy")
_SPLIT = 134217729.0  # 2**27 + 1, as symkde.numeric.angles
_FULL_SLACK = 4 * math.ulp(TWO_PI)
_BELOW_TWO_PI = math.nextafter(TWO_PI, 0.0)


@_exact_arithmetic
def _turned(v, centre):  # type: ignore[no-untyped-def]
    """``symkde.numeric.angles.turns_to`` for one value: ``(v - 2 pi k, ok)``, ``k`` nearest
    ``(v - centre) / 2 pi``; ``ok`` False beyond ``2**30`` turns (the exact turns of mpmath
    are left to the single call's path)."""
    k = np.rint((v - centre) / TWO_PI)
    if k == 0.0:
        return v, True
    if abs(k) >= 2.0**30:
        return v, False
    prod = k * TWO_PI
    big = _SPLIT * k
    k_hi = big - (big - k)
    k_lo = k - k_hi
    big_q = _SPLIT * TWO_PI
    q_hi = big_q - (big_q - TWO_PI)
    q_lo = TWO_PI - q_hi
    err = ((k_hi * q_hi - prod) + k_hi * q_lo + k_lo * q_hi) + k_lo * q_lo
    total = v - prod
    back = total - v
    err2 = (v - (total - back)) + (-prod - back)
    return total + ((err2 - err) - k * TWO_PI_LO), True


@_exact_arithmetic
def _positions(x, a, b, circular, out):  # type: ignore[no-untyped-def]
    """The row's points measured from ``a`` into ``out`` and the target's length; False where
    the row is handed back (angles beyond ``2**30`` turns from ``a``).

    Line: ``x - a`` and ``b - a`` (``symkde.numeric.api._shifted``).  Circle:
    :func:`~symkde.numeric.angles.difference_turned` (``x - a`` exactly by TwoSum, turned to
    within ``pi`` of the arc's middle), then the representative in ``[0, 2 pi)`` of
    ``symkde.numeric.exact._circle``; an arc within 4 ulps of ``2 pi`` is the full circle.
    """
    span = b - a
    if not circular:
        for j in range(x.shape[0]):
            out[j] = x[j] - a
        return True, span
    half = 0.5 * span
    for j in range(x.shape[0]):
        hi = x[j] - a
        back = hi - x[j]
        lo = (x[j] - (hi - back)) + (-a - back)
        reduced, ok = _turned(hi, half)
        if not ok:
            return False, span
        u, ok = _turned(reduced + lo, 0.0)
        u = u - 0.0
        if u < 0.0:
            u = (u + TWO_PI_LO) + TWO_PI
        if u >= TWO_PI:
            u = (u - TWO_PI) - TWO_PI_LO
        out[j] = min(max(u, 0.0), _BELOW_TWO_PI)
    return True, TWO_PI if span >= TWO_PI - _FULL_SLACK else span


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
    status = np.empty(z.shape[0], dtype=np.int64)
    args = (
        z,
        x,
        np.ascontiguousarray(a, dtype=np.float64),
        np.ascontiguousarray(b, dtype=np.float64),
        np.ascontiguousarray(h, dtype=np.float64),
        circular,
        with_grad,
        loss,
        gradient,
        status,
    )
    if z.shape[0] >= _PARALLEL_MIN_ROWS:
        with _loops.PARALLEL_LOCK:  # workqueue threading layer: one parallel region at a time
            _rows(*args)
    else:
        _rows_serial(*args)
    if np.any(status == 2):
        raise RuntimeError("internal: the row sort does not sort (please report)")
    return np.asarray(status != 0)
