"""Exact Laplace derivatives of one long row on the line, orchestrated with NumPy.

Owns :func:`line_single`, which :func:`symkde.numeric.derivative_rows.laplace_derivative_single`
calls for line rows of more than ``ROW_ENGINE_MAX_N`` points: the passes of
:mod:`symkde.numeric.derivative_rows` (theorems and rounding in its docstring), with the
whole-array steps on NumPy (its SIMD exponentials and logarithms, the integer-key sort of
``symkde.numeric.compiled.sort_keys``) as ``symkde.numeric.exact._laplace_fast`` does for the
loss, and the running sums in the compiled loops.  Imports NumPy, numba,
:mod:`symkde.numeric.compiled`, :mod:`symkde.numeric.derivative_rows` (its compiled sums and
constants), the loss's segment forms (``symkde.numeric.exact``), and the loss's scratch buffers
and sorting permutation (:mod:`symkde.numeric.exact_laplace`: both paths sort alike).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from symkde.numeric import compiled as _loops
from symkde.numeric.derivative_rows import (
    _FAR,
    _LOG_FLOOR,
    _MAX_SPAN,
    _NEGLIGIBLE,
    _SHORT,
    _bandwidth_terms,
    _compiled,
    _moment_sums,
)
from symkde.numeric.exact_laplace import _scratch, _sorting_permutation
from symkde.numeric.segment_forms import laplace_segment_log_integral, laplace_segment_log_resp

__all__ = ["line_single", "long_segments_numpy"]

FloatArray = NDArray[np.float64]


def long_segments_numpy(
    d: FloatArray,
    seg_b: FloatArray,
    seg_a: FloatArray,
    seg_log: FloatArray,
    resp_minus: FloatArray,
    resp_plus: FloatArray,
    g_long: FloatArray,
) -> None:
    """:func:`_long_segments` on whole arrays (NumPy's SIMD logarithms), for long rows."""
    long = np.flatnonzero(d > _SHORT)
    if not long.size:
        return
    B, A, dl = seg_b[long], seg_a[long], d[long]
    lB, lA = np.log(B), np.log(A)
    log_minus, log_plus = laplace_segment_log_resp(lB, lA, dl, 0.5 * (lB - lA + dl))
    resp_minus[long], resp_plus[long + 1] = np.exp(log_minus), np.exp(log_plus)
    decay = np.exp(-dl)
    ends = np.log(B + A * decay) + np.log(B * decay + A)
    g_long[long] = seg_log[long] + 0.5 * dl * dl - 0.5 * dl * ends


@_compiled
def _side_moment(index, x, values, start, stop, near, reach, inv_h):  # type: ignore[no-untyped-def]
    """``sum_k values_k (reach + |near - x_{index_k}|/h)`` over the points ``start:stop``."""
    total = 0.0
    for k in range(start, stop):
        total += values[k] * (reach + abs(near - x[index[k]]) * inv_h)
    return total


@_compiled
def _scatter_inside(index, order, w, from_l, from_r, weight_scale, scale, inv_h, grad_z, grad_x):  # type: ignore[no-untyped-def]
    """Inside point ``k`` (sorted): ``dL/dz = w_k (e^top - scale (L + R))``, ``dL/dx =
    scale w_k (L - R)/h`` (``L``, ``R``: the halves of ``int R_k`` left and right of it)."""
    for k in range(order.shape[0]):
        target = index[order[k]]
        half_l, half_r = scale * w[k] * from_l[k + 1], scale * w[k] * from_r[k + 1]
        grad_z[target] = w[k] * weight_scale - (half_l + half_r)
        grad_x[target] = (half_l - half_r) * inv_h


@_compiled
def _scatter_side(index, own, values, start, stop, factor, slope, grad_z, grad_x):  # type: ignore[no-untyped-def]
    """A point beyond an end: ``dL/dz = W - share``, ``dL/dx = slope share`` (``slope =
    -+1/h``), ``share = e^{t - peak} factor``, ``W = own`` (its weight)."""
    for k in range(start, stop):
        share = values[k] * factor
        grad_z[index[k]] = own[k] - share
        grad_x[index[k]] = slope * share


def line_single(
    z: FloatArray, x: FloatArray, a: float, b: float, h: float
) -> tuple[float, FloatArray, FloatArray, float, float, float] | None:
    """The line row of :func:`laplace_derivative_single`, orchestrated as
    ``symkde.numeric.exact._laplace_fast`` (NumPy's SIMD exponentials on whole arrays, the
    running sums compiled); None where a guard hands it back."""
    span = b - a
    if span / h > _MAX_SPAN:
        return None
    finite = None if z.min() > -np.inf else np.isfinite(z)
    live_z = z if finite is None else z[finite]
    with np.errstate(over="ignore"):
        shifted = live_z - live_z.max()
    log_w = shifted - math.log(float(np.sum(np.exp(shifted))))
    xs = (x if finite is None else x[finite]) - a
    n = xs.size
    inv_h = 1.0 / h
    m, n_left, near_left, near_right = _loops.count_sides(xs, 0.0, span)
    pairs = _scratch("pairs", 2 * n).reshape(n, 2)
    index = _scratch("index", n, np.int64)
    _loops.partition(xs, log_w, 0.0, span, h, m, n_left, near_left, near_right, index, pairs)
    inside = _scratch("inside", m)
    inside[:] = pairs[:m, 0]
    order = _sorting_permutation(inside)
    values, logs = pairs[:, 0], pairs[:, 1]
    sides = []
    for start, stop, reach, near in (
        (m, m + n_left, -near_left * inv_h, near_left),
        (m + n_left, n, (near_right - span) * inv_h, near_right),
    ):
        decayed = values[start:stop]
        peak = float(decayed.max()) if stop > start else -np.inf
        np.subtract(decayed, peak, out=decayed)
        np.exp(decayed, out=decayed)
        mass = peak + math.log(float(decayed.sum())) - reach if stop > start else -np.inf
        sides.append((start, stop, peak - reach, mass, reach, near))
    work = _scratch("work", 16 * (m + 2)).reshape(16, m + 2)
    u, v, grow, shrink, offset, gap, dist, left, right = work[:9]
    m_left, m_right, r_minus, r_plus, from_l, from_r, tmp = work[9:]
    w = u[1 : m + 1]
    with np.errstate(all="ignore"):
        if not _loops.prepare(pairs, order, 0.0, span, h, w, dist, offset, gap):
            raise RuntimeError("internal: the sorting permutation does not sort (please report)")
        top = max(float(w.max()) if m else -np.inf, sides[0][3], sides[1][3])
        if not math.isfinite(top):
            return None
        floor = top - _LOG_FLOOR
        if m and float(w.min()) < floor:
            return None
        for *_, mass, reach, _near in sides:
            if floor > mass > -np.inf or (reach > _FAR and mass - top > _NEGLIGIBLE):
                return None
        np.subtract(w, top, out=w)
        np.exp(w, out=w)
        u[0], u[m + 1] = math.exp(sides[0][3] - top), 0.0
        v[1 : m + 1] = w
        v[0], v[m + 1] = 0.0, math.exp(sides[1][3] - top)
        moments = [
            math.exp(rel - top) * _side_moment(index, xs, values, start, stop, near, reach, inv_h)
            if stop > start
            else 0.0
            for start, stop, rel, _mass, reach, near in sides
        ]
        np.negative(offset, out=shrink)
        np.exp(shrink, out=shrink)
        np.exp(offset, out=grow)
        _moment_sums(offset, grow, shrink, gap, u, v, *moments, left, right, m_left, m_right)
        seg_b, seg_a, d = left[:-1], right[1:], dist[:-1]
        log_total = tmp[:-1]
        np.add(seg_b, seg_a, out=log_total)
        np.log(log_total, out=log_total)
        seg_log = _scratch("seg_log", m + 1)
        _loops.short_log_integrals(d, seg_b, seg_a, log_total, seg_log)
        long = np.flatnonzero(d > _SHORT)
        if long.size:
            lB, lA, d_long = np.log(seg_b[long]), np.log(seg_a[long]), d[long]
            seg_log[long] = laplace_segment_log_integral(lB, lA, d_long, 0.5 * (lB - lA + d_long))
        mean_log = h * float(np.sum(seg_log)) / span
        value = math.log(2.0 * h) - top - mean_log
        r_minus[-1] = r_plus[0] = 0.0
        _loops.short_resp_integrals(d, seg_b, seg_a, r_minus[:-1])
        _loops.short_resp_integrals(d, seg_a, seg_b, r_plus[1:])
        g_long, terms = from_l[:-1], from_r[:-1]  # spent before the last decayed sums
        long_segments_numpy(d, seg_b, seg_a, seg_log, r_minus, r_plus, g_long)
        _bandwidth_terms(d, seg_b, seg_a, g_long, m_left, m_right, r_minus, r_plus, terms)
        dh_total = float(np.sum(terms))  # pairwise: relative error ~ log2(n) eps
        d_a = (math.log(left[0] + right[0]) - mean_log) / span
        d_b = -(math.log(left[m + 1] + right[m + 1]) - mean_log) / span
        _loops.decayed_sums(grow, shrink, gap, r_plus, r_minus, from_l, from_r)
        grad_z, grad_x = np.empty(n), np.empty(n)
        scale = h / span
        _scatter_inside(
            index, order, w, from_l, from_r, math.exp(top), scale, inv_h, grad_z, grad_x
        )
        for (start, stop, rel, *_), outer, slope in zip(
            sides, (from_r[0], from_l[m + 1]), (-inv_h, inv_h), strict=True
        ):
            if stop > start:
                factor = math.exp(rel - top + math.log(scale * outer))
                np.exp(logs[start:stop], out=logs[start:stop])  # the weights, in place
                _scatter_side(index, logs, values, start, stop, factor, slope, grad_z, grad_x)
    d_h = inv_h - dh_total / span
    if finite is not None:
        full_z, full_x = np.zeros(z.size), np.zeros(z.size)
        full_z[finite], full_x[finite] = grad_z, grad_x
        grad_z, grad_x = full_z, full_x
    return value, grad_z, grad_x, d_h, d_a, d_b
