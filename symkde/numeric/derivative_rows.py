"""Compiled exact Laplace derivatives: loss, ``dL/dz``, ``dL/dx``, ``dL/dh``, ``dL/da``, ``dL/db``
in the same linear-space passes, for one row or many.

Owns :func:`laplace_derivative_rows` (rows ``(B, n)``, ``numba.prange`` over rows) and
:func:`laplace_derivative_single` (one row; a line row longer than ``ROW_ENGINE_MAX_N`` goes
to :mod:`symkde.numeric.derivative_long`, the same passes orchestrated with NumPy), which
:mod:`symkde.numeric.derivatives` tries first for ``kernel="laplace"``, ``method``
exact/auto, on the line and on the circle.  Imports NumPy, numba,
:mod:`symkde.numeric.compiled` (the anchored-block loops) and :mod:`symkde.numeric.rows`
(its compiled segment forms, positions and sort); nothing above the numeric layer.

The passes are those of :mod:`symkde.numeric.rows` (``_fast_items``): partition, sort,
anchored blocks, one pass of decayed sums ``B_k``, ``A_k`` (left/right masses at each
coordinate of ``[a, xs..., b]``, weights scaled by ``e^{-top}``), the segment integrals
``F_k`` (loss) and ``I_B``, ``I_A`` (responsibilities), one more pass of decayed sums for
``int R_i``.  What they add (theorems ``laplace_bandwidth_segment``,
``laplace_bandwidth_by_parts``, ``laplace_bandwidth_short_series`` of
``symkde.theorems.derivatives_bandwidth``; ``laplace_position_slope``):

* ``dL/dx_i = (1/(h (b-a))) (int_{t<x_i} R_i - int_{t>x_i} R_i)``: the two halves that the
  gradient's ``int R_i`` already sums, subtracted (no extra pass); points beyond ``a`` have
  only the right half, beyond ``b`` only the left;
* ``dL/dh = 1/h - (1/(b-a)) sum_k [MB_k I_B,k + MA_k I_A,k + G_k]`` with ``MB_k = sum_{x_j
  <= lo} w_j e^{-(lo-x_j)/h} (lo-x_j)/h`` (the distance moment, same pass as ``B_k``: two more
  running sums per block, carried across block boundaries with the same ``e^{-gap}``),
  ``MA_k`` its mirror, and ``G_k = int_0^d [s B e^{-s} + (d-s) A e^{s-d}]/f ds`` by parts
  ``= F_k + d^2/2 - (d/2)(log f(0) + log f(d))``; on short segments (``d <= 0.1``) the same
  without cancellation: ``G = d S + d^2/2 - (d/2) log1p((AB/(A+B)^2)(e^d + e^{-d} - 2))``
  with ``S`` the midpoint series of ``F`` (``F = d (log f(d/2) + S)``);
* ``dL/da = (log p(a) + L)/(b-a)``, ``dL/db = -(log p(b) + L)/(b-a)``, where
  ``log p(a) + L = log(B_0 + A_0 e^{-d_0}) - h sum F_k/(b-a)`` (no ``top``: no cancellation of
  large logs);
* on the circle the items are the point and its two images of weight ``w/(1 - e^{-2 pi/h})``
  (theorem ``wrapped_laplace_image_sum``): ``dL/dx`` sums a point's three items, and ``dL/dh``
  gains ``-(d/dh log(1/(1-e^{-2 pi/h}))) (1/L) int R`` of the images
  (``d/dh log(1/(1-e^{-2 pi/h})) = (2 pi/h^2)/(e^{2 pi/h} - 1)``).

Rounding: the moments are differences within a block (``o_i sum u e^o - sum u e^o o``), so
their error is absolute, ``~eps BLOCK B_k``; in ``dL/dh`` it is multiplied by ``I_B`` and
``sum_k B_k I_B,k <= (b-a)/h``: a few ``eps/h``, within the contract's ``1e-12/h``.  The fast
path's guards are kept (weights within ``e^500``, ``(b-a)/h <= 1e15``, no side that matters
beyond 64 bandwidths): a row outside them is handed back (``status = 1``) and
:mod:`symkde.numeric.derivatives` takes its log-space path.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from symkde.numeric import compiled as _loops
from symkde.numeric import rows as _rows
from symkde.numeric._generated import laplace_forms as _forms
from symkde.numeric.angles import TWO_PI
from symkde.numeric.rows import ROW_ENGINE_MAX_N

__all__ = ["laplace_derivative_rows", "laplace_derivative_single"]

FloatArray = NDArray[np.float64]

_compiled: Any = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
_compiled_parallel: Any = numba.njit(
    parallel=True, cache=True, nogil=True, error_model="numpy", fastmath={"contract"}
)
_inline: Any = numba.njit(inline="always", error_model="numpy")
_short_bandwidth = _inline(_forms.laplace_short_bandwidth)

_LOG_FLOOR = 500.0
_MAX_SPAN = 1e15
_FAR = 64.0  # exact_laplace._FAST_FAR (its comment bounds the rounding this allows)
_NEGLIGIBLE = -40.0
_SHORT = _loops.SHORT_SEGMENT

#: Float rows of the workspace (:func:`_workspace`); every entry written before it is read.
_ROWS = 28
(
    _POS,
    _LOGW,
    _IX,
    _ILW,
    _IRESP,
    _IDX,
    _INSIDE,
    _W,
    _U,
    _V,
    _GROW,
    _SHRINK,
    _OFFSET,
    _GAP,
    _DIST,
    _LEFT,
    _RIGHT,
    _MLEFT,
    _MRIGHT,
    _SEGLOG,
    _RMINUS,
    _RPLUS,
    _TMP,
    _LOGTOT,
    _FROM_L,
    _FROM_R,
    _GLONG,
    _TERMS,
) = range(_ROWS)


@_compiled
def _workspace(n, circular):  # type: ignore[no-untyped-def]
    cap = (3 * n if circular else n) + 2
    return np.empty((_ROWS, cap)), np.empty((2, cap), dtype=np.int64), np.empty((cap, 2))


@_compiled
def _moment_sums(
    offset, grow, shrink, gap, u, v, mom_left, mom_right, left, right, m_left, m_right
):  # type: ignore[no-untyped-def]
    """``compiled.decayed_sums`` plus the distance moments, in anchored blocks.

    ``left_i = sum_{j<=i} u_j e^{-(c_i-c_j)/h}``, ``m_left_i = sum_{j<=i} u_j e^{-(c_i-c_j)/h}
    (c_i-c_j)/h`` (plus ``mom_left``, the moment at ``c_0`` of the mass beyond it, decayed),
    ``right``, ``m_right`` mirrored (``mom_right`` at the last coordinate).  Within a block
    ``m_left_i = e^{-o_i} (C1 + o_i (C0 + sum u e^o) - sum u e^o o)``; at a block boundary
    (``gap = g``) ``C1 <- e^{-g}(C1 + g (C0 + sum u e^o) - sum u e^o o)``,
    ``C0 <- e^{-g}(C0 + sum u e^o)``.
    """
    count = u.shape[0]
    c0, c1, r0, r1 = 0.0, 0.0, 0.0, -mom_left
    for i in range(count):
        if gap[i] > 0.0:
            g = gap[i]
            e = math.exp(-g)
            c1 = e * (c1 + g * (c0 + r0) - r1)
            c0 = e * (c0 + r0)
            r0, r1 = 0.0, 0.0
        t = u[i] * grow[i]
        r0 += t
        r1 += t * offset[i]
        left[i] = (c0 + r0) * shrink[i]
        m_left[i] = (c1 + offset[i] * (c0 + r0) - r1) * shrink[i]
    k0, k1, q0, q1 = 0.0, 0.0, 0.0, mom_right * shrink[count - 1]
    for step in range(count):
        j = count - 1 - step
        t = v[j] * shrink[j]
        q0 += t
        q1 += t * offset[j]
        right[j] = grow[j] * (k0 + q0)
        m_right[j] = grow[j] * ((k1 + q1) - offset[j] * (k0 + q0))
        if gap[j] > 0.0:
            g = gap[j]
            e = math.exp(-g)
            k1 = e * (k1 + q1 + g * (k0 + q0))
            k0 = e * (k0 + q0)
            q0, q1 = 0.0, 0.0


@_compiled
def _long_segments(d, seg_b, seg_a, seg_log, resp_minus, resp_plus, g_long):  # type: ignore[no-untyped-def]
    """The segments longer than ``SHORT_SEGMENT``: ``I_B``, ``I_A`` by the closed forms
    (``resp_minus[k]``, ``resp_plus[k + 1]``) and ``G_k`` by parts (``g_long[k]``); the
    compiled path's scalar twin of ``derivative_long.long_segments_numpy``."""
    for k in range(d.shape[0]):
        dk, B, A = d[k], seg_b[k], seg_a[k]
        if dk > _SHORT:
            lB, lA = math.log(B), math.log(A)
            log_minus, log_plus = _rows._segment_log_resp(lB, lA, dk, 0.5 * (lB - lA + dk))
            resp_minus[k], resp_plus[k + 1] = math.exp(log_minus), math.exp(log_plus)
            decay = math.exp(-dk)
            lf0, lfd = math.log(B + A * decay), math.log(B * decay + A)
            g_long[k] = seg_log[k] + 0.5 * dk * dk - 0.5 * dk * (lf0 + lfd)


@_compiled
def _bandwidth_terms(d, seg_b, seg_a, g_long, m_left, m_right, resp_minus, resp_plus, terms):  # type: ignore[no-untyped-def]
    """``terms_k = MB_k I_B,k + MA_k I_A,k + G_k`` (module docstring); ``G_k`` of a short
    segment by the series ``d^2/2 - d^3 P(d^2, T)`` (printed from SymPy), of a long one from
    ``g_long``.  Branch-free (a select), so that it compiles to SIMD code."""
    for k in range(d.shape[0]):
        dk = min(d[k], _SHORT)
        B, A = seg_b[k], seg_a[k]
        shape = (A - B) / (A + B)
        g_k = dk * dk * (0.5 - dk * _short_bandwidth(dk * dk, shape))
        g_k = g_long[k] if d[k] > _SHORT else g_k
        terms[k] = m_left[k] * resp_minus[k] + m_right[k + 1] * resp_plus[k + 1] + g_k


@_compiled
def _compensated_sum(values):  # type: ignore[no-untyped-def]
    """Neumaier's compensated sum."""
    total, comp = 0.0, 0.0
    for k in range(values.shape[0]):
        term = values[k]
        t = total + term
        if abs(total) >= abs(term):
            comp += (total - t) + term
        else:
            comp += (term - t) + total
        total = t
    return total + comp


@_compiled
def _side(pairs, index, x, start, stop, near, reach, h, top):  # type: ignore[no-untyped-def]
    """The points ``start:stop`` beyond an end (``pairs[:, 0]`` = ``e^{t - peak}`` after
    ``rows._side_mass``): their distance moment at the end, scaled by ``e^{-top}``."""
    if stop <= start:
        return 0.0
    total = 0.0
    for k in range(start, stop):
        total += pairs[k, 0] * (reach + abs(near - x[index[k]]) / h)
    return total


@_compiled
def _items_derivatives(x, lw, span, h, fw, iw, pairs_ws):  # type: ignore[no-untyped-def]
    """Loss and every derivative of the items ``(x, lw)`` (finite) on ``[0, span]``.

    Fills ``fw[_IRESP]`` (``(1/span) int R_i``) and
    ``fw[_IDX]`` (``dL/dx_i``) per item; returns ``(status, loss, d_h_kernel, log_pa_l,
    log_pb_l)`` where ``d_h_kernel`` is ``dL/dh`` with the weights held fixed and
    ``log_pa_l = log p(a) + L`` (``log_pb_l`` likewise at ``b``).  status 1: handed back.
    """
    a, b = 0.0, span
    n = x.shape[0]
    if span / h > _MAX_SPAN:
        return 1, 0.0, 0.0, 0.0, 0.0
    m, n_left, near_left, near_right = _loops.count_sides(x, a, b)
    pairs = pairs_ws[:n]
    index = iw[0, :n]
    _loops.partition(x, lw, a, b, h, m, n_left, near_left, near_right, index, pairs)
    inside = fw[_INSIDE, :m]
    for k in range(m):
        inside[k] = pairs[k, 0]
    order = _rows._stable_order(inside, iw[1])
    reach_left, reach_right = (a - near_left) / h, (near_right - b) / h
    mass_left, peak_left = _rows._side_mass(pairs, m, m + n_left, reach_left)
    mass_right, peak_right = _rows._side_mass(pairs, m + n_left, n, reach_right)
    size = m + 2
    u, v, grow, shrink = fw[_U, :size], fw[_V, :size], fw[_GROW, :size], fw[_SHRINK, :size]
    offset, gap, dist = fw[_OFFSET, :size], fw[_GAP, :size], fw[_DIST, :size]
    left, right = fw[_LEFT, :size], fw[_RIGHT, :size]
    m_left, m_right = fw[_MLEFT, :size], fw[_MRIGHT, :size]
    w = fw[_W, :m]
    if not _loops.prepare(pairs, order, a, b, h, w, dist, offset, gap):
        return 2, 0.0, 0.0, 0.0, 0.0
    top = max(mass_left, mass_right)
    for k in range(m):
        top = max(top, w[k])
    if not math.isfinite(top):
        return 1, 0.0, 0.0, 0.0, 0.0
    floor = top - _LOG_FLOOR
    for k in range(m):
        if w[k] < floor:
            return 1, 0.0, 0.0, 0.0, 0.0
    for mass, reach in ((mass_left, reach_left), (mass_right, reach_right)):
        if floor > mass > -math.inf:
            return 1, 0.0, 0.0, 0.0, 0.0
        if reach > _FAR and mass - top > _NEGLIGIBLE:
            return 1, 0.0, 0.0, 0.0, 0.0
    for k in range(m):
        w[k] = math.exp(w[k] - top)
        u[k + 1] = w[k]
        v[k + 1] = w[k]
    u[0], u[m + 1] = math.exp(mass_left - top), 0.0
    v[0], v[m + 1] = 0.0, math.exp(mass_right - top)
    mom_left = 0.0
    if m + n_left > m:
        mom_left = math.exp(peak_left - top) * _side(
            pairs, index, x, m, m + n_left, near_left, reach_left, h, top
        )
    mom_right = 0.0
    if n > m + n_left:
        mom_right = math.exp(peak_right - top) * _side(
            pairs, index, x, m + n_left, n, near_right, reach_right, h, top
        )
    for k in range(size):
        shrink[k] = math.exp(-offset[k])
        grow[k] = math.exp(offset[k])
    _moment_sums(offset, grow, shrink, gap, u, v, mom_left, mom_right, left, right, m_left, m_right)
    segments = m + 1
    seg_b, seg_a, d = fw[_TMP, :segments], fw[_LOGTOT + 0, :segments], dist[:segments]
    log_total, seg_log = fw[_FROM_L, :segments], fw[_SEGLOG, :segments]
    for k in range(segments):
        seg_b[k] = left[k]
        seg_a[k] = right[k + 1]
        log_total[k] = math.log(seg_b[k] + seg_a[k])
    _loops.short_log_integrals(d, seg_b, seg_a, log_total, seg_log)
    total, compensation = 0.0, 0.0
    for k in range(segments):
        if d[k] > _SHORT:
            lB, lA = math.log(seg_b[k]), math.log(seg_a[k])
            seg_log[k] = _rows._segment_log_integral(lB, lA, d[k], 0.5 * (lB - lA + d[k]))
        total, compensation = _rows._neumaier(total, compensation, seg_log[k])
    mean_log = h * (total + compensation) / span
    value = math.log(2.0 * h) - top - mean_log
    resp_minus, resp_plus = fw[_RMINUS, :size], fw[_RPLUS, :size]
    out = fw[_FROM_R, :segments]
    _loops.short_resp_integrals(d, seg_b, seg_a, out)
    for k in range(segments):
        resp_minus[k] = out[k]
    resp_minus[segments] = 0.0
    _loops.short_resp_integrals(d, seg_a, seg_b, out)
    resp_plus[0] = 0.0
    for k in range(segments):
        resp_plus[k + 1] = out[k]
    g_long, terms = fw[_GLONG, :segments], fw[_TERMS, :segments]
    _long_segments(d, seg_b, seg_a, seg_log, resp_minus, resp_plus, g_long)
    _bandwidth_terms(d, seg_b, seg_a, g_long, m_left, m_right, resp_minus, resp_plus, terms)
    dh_total = _compensated_sum(terms)
    d_h = 1.0 / h - dh_total / span
    log_pa_l = math.log(left[0] + right[0]) - mean_log
    log_pb_l = math.log(left[m + 1] + right[m + 1]) - mean_log
    # int R_i: the two halves (from the left segments, from the right segments)
    from_l, from_r = fw[_FROM_L, :size], fw[_FROM_R, :size]
    _loops.decayed_sums(grow, shrink, gap, resp_plus, resp_minus, from_l, from_r)
    scale = h / span
    resp, d_x = fw[_IRESP, :n], fw[_IDX, :n]
    for k in range(m):
        item = index[order[k]]
        half_l, half_r = scale * w[k] * from_l[k + 1], scale * w[k] * from_r[k + 1]
        resp[item] = half_l + half_r
        d_x[item] = (half_l - half_r) / h
    for start, stop, peak, outer, sign in (
        (m, m + n_left, peak_left, from_r[0], -1.0),
        (m + n_left, n, peak_right, from_l[m + 1], 1.0),
    ):
        if stop > start:
            factor = math.exp(peak - top + math.log(scale * outer))
            for k in range(start, stop):
                resp[index[k]] = pairs[k, 0] * factor
                d_x[index[k]] = sign * resp[index[k]] / h
    return 0, value, d_h, log_pa_l, log_pb_l


@_compiled
def _items_of_row(z, x_row, a, b, h, circular, fw):  # type: ignore[no-untyped-def]
    """Log-softmax and items of one row into the workspace: ``(ok, span, items)``."""
    n = z.shape[0]
    pos = fw[_POS, :n]
    ok, span = _rows._positions(x_row, a, b, circular, pos)
    if not ok:
        return False, span, 0
    log_w = fw[_LOGW, :n]
    _rows._log_softmax(z, log_w)
    live = 0
    for j in range(n):
        live += log_w[j] > -math.inf
    images = 3 if circular else 1
    items = images * live
    x, lw = fw[_IX, :items], fw[_ILW, :items]
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
    return True, span, items


@_compiled
def _row(z, x_row, a, b, h, circular, fw, iw, pairs_ws, grad_z, grad_x):  # type: ignore[no-untyped-def]
    """One row: items (:func:`_items_of_row`), :func:`_items_derivatives`, then per point
    ``dL/dz`` and ``dL/dx``.  Returns ``(status, loss, d_h, d_a, d_b)``."""
    n = z.shape[0]
    ok, span, items = _items_of_row(z, x_row, a, b, h, circular, fw)
    if not ok:
        return 1, 0.0, 0.0, 0.0, 0.0
    log_w = fw[_LOGW, :n]
    images = 3 if circular else 1
    x, lw = fw[_IX, :items], fw[_ILW, :items]
    status, value, d_h, pa, pb = _items_derivatives(x, lw, span, h, fw, iw, pairs_ws)
    if status != 0:
        return status, 0.0, 0.0, 0.0, 0.0
    resp, d_x = fw[_IRESP, :items], fw[_IDX, :items]
    images_resp = 0.0
    k = 0
    for j in range(n):
        if log_w[j] > -math.inf:
            share, slope = 0.0, 0.0
            for i in range(images):
                share += resp[images * k + i]
                slope += d_x[images * k + i]
            if circular:
                images_resp += resp[images * k] + resp[images * k + 2]
            grad_z[j] = math.exp(log_w[j]) - share
            grad_x[j] = slope
            k += 1
        else:
            grad_z[j] = 0.0
            grad_x[j] = 0.0
    if circular:  # d/dh log(1/(1 - e^{-2 pi/h})) = (2 pi/h^2)/(e^{2 pi/h} - 1)
        ratio = TWO_PI / h
        d_h -= images_resp * (ratio / h) / math.expm1(ratio)
    return 0, value, d_h, pa / span, -pb / span


_CHUNK = 16


@_compiled_parallel
def _rows_parallel(z, x, a, b, h, circular, loss, d_z, d_x, d_h, d_a, d_b, status):  # type: ignore[no-untyped-def]
    count = z.shape[0]
    for c in numba.prange((count + _CHUNK - 1) // _CHUNK):
        fw, iw, pairs_ws = _workspace(z.shape[1], circular)
        for r in range(c * _CHUNK, min(count, (c + 1) * _CHUNK)):
            status[r], loss[r], d_h[r], d_a[r], d_b[r] = _row(
                z[r], x[r], a[r], b[r], h[r], circular, fw, iw, pairs_ws, d_z[r], d_x[r]
            )


@_compiled
def _rows_serial(z, x, a, b, h, circular, loss, d_z, d_x, d_h, d_a, d_b, status):  # type: ignore[no-untyped-def]
    fw, iw, pairs_ws = _workspace(z.shape[1], circular)
    for r in range(z.shape[0]):
        status[r], loss[r], d_h[r], d_a[r], d_b[r] = _row(
            z[r], x[r], a[r], b[r], h[r], circular, fw, iw, pairs_ws, d_z[r], d_x[r]
        )


def laplace_derivative_rows(
    z: FloatArray,
    x: FloatArray,
    a: FloatArray,
    b: FloatArray,
    h: FloatArray,
    circular: bool,
    outputs: tuple[FloatArray, ...],
) -> NDArray[np.bool_]:
    """Fill ``outputs = (loss, dz, dx, dh, da, db)`` (``(B,)`` or ``(B, n)``) for the exact
    Laplace rows ``z``, ``x`` (``(B, n)``, validated); return the rows handed back."""
    loss, d_z, d_x, d_h, d_a, d_b = outputs
    status = np.empty(z.shape[0], dtype=np.int64)
    args = (
        z,
        x,
        np.ascontiguousarray(a, dtype=np.float64),
        np.ascontiguousarray(b, dtype=np.float64),
        np.ascontiguousarray(h, dtype=np.float64),
        circular,
        loss,
        d_z,
        d_x,
        d_h,
        d_a,
        d_b,
        status,
    )
    if z.shape[0] >= 8:
        with _loops.PARALLEL_LOCK:  # workqueue threading layer: one parallel region at a time
            _rows_parallel(*args)
    else:
        _rows_serial(*args)
    if np.any(status == 2):
        raise RuntimeError("internal: the row sort does not sort (please report)")
    return np.asarray(status != 0)


def laplace_derivative_single(
    z: FloatArray, x: FloatArray, a: float, b: float, h: float, circular: bool
) -> tuple[float, FloatArray, FloatArray, float, float, float] | None:
    """``(loss, dL/dz, dL/dx, dL/dh, dL/da, dL/db)`` of one validated exact Laplace row, or
    None where the compiled path hands it back.  Rows of at most ``ROW_ENGINE_MAX_N`` points
    (and the circle) run :func:`_row`, the code of every batch row; longer line rows
    :func:`symkde.numeric.derivative_long.line_single`."""
    n = z.shape[0]
    if not circular and n > ROW_ENGINE_MAX_N:
        from symkde.numeric.derivative_long import line_single

        return line_single(z, x, a, b, h)
    fw, iw, pairs_ws = _workspace(n, circular)
    grad_z, grad_x = np.empty(n), np.empty(n)
    status, value, d_h, d_a, d_b = _row(z, x, a, b, h, circular, fw, iw, pairs_ws, grad_z, grad_x)
    if status == 2:
        raise RuntimeError("internal: the row sort does not sort (please report)")
    if status != 0:
        return None
    return float(value), grad_z, grad_x, float(d_h), float(d_a), float(d_b)
