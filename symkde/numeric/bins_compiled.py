"""Compiled binned rows: ``method="bins"`` for the Gaussian kernel, numba ``prange`` over rows.

Owns :func:`gaussian_binned_rows`, the Gaussian binned loss and gradient of a ``(B, n)``
batch, line and circle, one row per loop iteration; the single binned Gaussian call is its
``B = 1`` case (:mod:`symkde.numeric.row_dispatch`), so row ``r`` of a batch is bit for bit the
single call on row ``r``.  The other kernels keep :func:`symkde.numeric.bins_rows.binned_rows`
(NumPy blocks).  Imports numba, NumPy, :mod:`symkde.numeric.rows` (the circle's positions,
compiled), :mod:`symkde.numeric.fast_exp`, the image counts of
:mod:`symkde.numeric.images` and :mod:`symkde.numeric.compiled` (the lock its parallel loop
holds); nothing above the numeric layer.

Per row, the formulas of ``bins_rows`` (theorem ``gradient``) evaluated point by point in
one pass over the nodes, nothing larger than ``n`` stored: the log-softmax of ``z`` (masked
``-inf`` logits weigh 0), positions measured from ``a`` (the circle: each angle's
representative in ``[0, 2 pi)``), nodes ``t_k = (k + 1/2) (b - a) / M``; per node the logits
``log w_j + log K_h(t_k - x_j)`` (the generated Gaussian log-kernel; on the circle the nearest
image plus every image ``+-2 pi k`` that can change a bit, as ``bins_rows``), their largest
``top`` subtracted, ``log p(t_k) = top + log sum_j exp(logit_j - top)`` and the
responsibilities ``E_j / (M sum E)`` added to ``mean R`` in the same pass.  A node whose
dominant ``|log K|`` plus the spread of the log-weights exceeds 32 has its logits recomputed
from the generated ratio ``log K(t - x_j) - log K(t - x_ref)`` (``d = x_j - x_ref`` and
``s = x_j + x_ref`` formed first; on the circle over images, as
``symkde.numeric.mixture._careful_logits``), so points 1e4 bandwidths away stay finite.

What it leaves out: a shifted logit below ``-_DROP`` (= -64) contributes
``exp(logit - top) < 1.7e-28`` of the node's sum (whose largest term is 1), so its ``exp`` is
not evaluated (0 is added): the node's sum changes by less than ``n * 1.7e-28`` relatively,
below half an ulp for ``n < 3e11`` points, i.e. at most a last-bit rounding difference from
summing every term.  This is what makes it faster than a vectorised NumPy pass: on a row
spanning many bandwidths most ``exp`` calls (libm, one at a time) are skipped; the logit
itself (a multiply-add) is computed for every point.

Threads: chunks of ``_CHUNK`` rows spread over numba's pool (``NUMBA_NUM_THREADS``); each row
is computed by one thread in a fixed order, so no bit depends on the thread count.  A row
with a node where ``p = 0`` or a non-finite ``log p`` (cannot happen for finite inputs, kept
as a guard), or angles beyond ``2**30`` turns from ``a``, is handed back to the caller (the
single call's paths answer it and name the row).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

from symkde.numeric import compiled as _compiled_loops
from symkde.numeric.angles import TWO_PI
from symkde.numeric.fast_exp import exp_block
from symkde.numeric.images import image_count
from symkde.numeric.rows import _positions

__all__ = ["gaussian_binned_rows"]

FloatArray = NDArray[np.float64]

#: Rows per prange chunk (fixed: nothing depends on the number of threads).
_CHUNK = 16
#: Fewer rows than this run on the calling thread (waking the pool costs more).
_PARALLEL_MIN_ROWS = 8
#: ``symkde.numeric.mixture._CAREFUL_LOG_KERNEL``: beyond this, the logits come from ratios.
_CAREFUL_LOG_KERNEL = 32.0
#: Shifted logits below ``-_DROP`` are not exponentiated (see the module note).
_DROP = 64.0
#: ``-log(pi)/2 - log(2)/2``, the Gaussian log-kernel's constant (``h`` apart).
_LOG_NORM = -0.5 * math.log(math.pi) - 0.5 * math.log(2.0)

_compiled = numba.njit(cache=True, nogil=True, error_model="numpy")
_compiled_parallel = numba.njit(cache=True, nogil=True, error_model="numpy", parallel=True)


@_compiled
def _logaddexp(x, y):  # type: ignore[no-untyped-def]
    """``log(e^x + e^y)`` as NumPy's ``npy_logaddexp``."""
    if x == y:
        return x + math.log(2.0)
    tmp = x - y
    if tmp > 0:
        return x + math.log1p(math.exp(-tmp))
    if tmp <= 0:
        return y + math.log1p(math.exp(tmp))
    return tmp  # nan


@_compiled
def _log_kernel(r, const, q, h, images):  # type: ignore[no-untyped-def]
    """The wrapped ``log K_h`` at the nearest image ``r``: plus every image ``+-2 pi k``,
    ``k <= images``, that can change a bit (``bins_rows``'s rule)."""
    total = const - (r * r) * q
    limit = (1600.0 * h) * h
    for k in range(1, images + 1):
        for sign in (1.0, -1.0):
            shift = sign * (k * TWO_PI)
            moved = r + shift
            if shift * (r + moved) < limit:
                total = _logaddexp(total, const - (moved * moved) * q)
    return total


@_compiled
def _ratio(t, x, y, h):  # type: ignore[no-untyped-def]
    """The generated ``log K_h(t - x) - log K_h(t - y)``, ``d = x - y``, ``s = x + y``."""
    d = x - y
    s = x + y
    return -0.5 * d * (s - 2.0 * t) / (h * h)


@_compiled
def _careful_node(t, pos, log_w, ref, h, images, out):  # type: ignore[no-untyped-def]
    """``logit_j - logit_ref`` from ratios (``symkde.numeric.mixture._careful_logits``)."""
    n = pos.shape[0]
    if images < 0:
        for j in range(n):
            out[j] = _ratio(t, pos[j], pos[ref], h) + (log_w[j] - log_w[ref])
        return
    u = t - pos[ref]
    y = t - (u - TWO_PI * np.rint(u / TWO_PI))
    den = 0.0
    for k in range(1, images + 1):
        for sign in (1.0, -1.0):
            den = _logaddexp(den, _ratio(t, y + sign * (k * TWO_PI), y, h))
    for j in range(n):
        u = t - pos[j]
        xn = t - (u - TWO_PI * np.rint(u / TWO_PI))
        num = _ratio(t, xn, y, h)
        for k in range(1, images + 1):
            for sign in (1.0, -1.0):
                num = _logaddexp(num, _ratio(t, xn + sign * (k * TWO_PI), y, h))
        out[j] = num - den + (log_w[j] - log_w[ref])


@_compiled
def _sum(buf, count):  # type: ignore[no-untyped-def]
    """``sum(buf[:count])`` in four interleaved partial sums (a fixed order)."""
    s0 = s1 = s2 = s3 = 0.0
    j = 0
    while j + 4 <= count:
        s0 += buf[j]
        s1 += buf[j + 1]
        s2 += buf[j + 2]
        s3 += buf[j + 3]
        j += 4
    while j < count:
        s0 += buf[j]
        j += 1
    return (s0 + s1) + (s2 + s3)


@_compiled
def _max(buf, count):  # type: ignore[no-untyped-def]
    """``max(buf[:count])`` in four interleaved chains."""
    m0 = m1 = m2 = m3 = -math.inf
    j = 0
    while j + 4 <= count:
        m0 = max(m0, buf[j])
        m1 = max(m1, buf[j + 1])
        m2 = max(m2, buf[j + 2])
        m3 = max(m3, buf[j + 3])
        j += 4
    while j < count:
        m0 = max(m0, buf[j])
        j += 1
    return max(max(m0, m1), max(m2, m3))


@_compiled
def _row(z, x, a, b, h, images, bins, with_grad, gradient, log_w, pos, buf, mean_r, work, bits):  # type: ignore[no-untyped-def]
    """One row: ``(handed back?, loss)``; fills ``gradient`` with ``with_grad``."""
    n = z.shape[0]
    top_z = _max(z, n)
    for j in range(n):
        buf[j] = math.exp(z[j] - top_z)
    log_total = math.log(_sum(buf, n))
    w_hi, w_lo = -math.inf, math.inf
    for j in range(n):
        log_w[j] = (z[j] - top_z) - log_total  # z = (1e308, -1e308): -inf, weight 0
        if log_w[j] > -math.inf:
            w_hi = max(w_hi, log_w[j])
            w_lo = min(w_lo, log_w[j])
    spread = w_hi - w_lo
    if images >= 0:
        ok, _ = _positions(x, a, b, True, pos)
        if not ok:
            return True, 0.0
    else:
        for j in range(n):
            pos[j] = x[j] - a
    step = (b - a) / bins
    const = -math.log(h) + _LOG_NORM
    q = 0.5 / (h * h)
    # Images that can change a bit (bins_rows' rule shift (r + moved) < 1600 h^2) need
    # |r| >= cut for some k: scan only those points.
    cut = math.inf
    for k in range(1, images + 1):
        cut = min(cut, max(0.0, ((k * TWO_PI) ** 2 - (1600.0 * h) * h) / (2.0 * k * TWO_PI)))
    for j in range(n):
        work[j] = log_w[j] + const
        if with_grad:
            mean_r[j] = 0.0
    lse_sum = 0.0
    for k in range(bins):
        t = (k + 0.5) * step
        if images < 0:
            for j in range(n):
                d = t - pos[j]
                buf[j] = work[j] - (d * d) * q
        else:
            for j in range(n):
                d = t - pos[j]
                r = d - TWO_PI * np.rint(d / TWO_PI)
                buf[j] = work[j] - (r * r) * q
            if cut < math.inf:
                for j in range(n):
                    d = t - pos[j]
                    r = d - TWO_PI * np.rint(d / TWO_PI)
                    if abs(r) >= cut:
                        buf[j] = log_w[j] + _log_kernel(r, const, q, h, images)
        top = _max(buf, n)
        if not top > -math.inf or not top < math.inf:
            return True, 0.0
        # |log K| of the dominant point lies between top - w_hi and top - w_lo.
        if max(abs(top - w_hi), abs(top - w_lo)) + spread > _CAREFUL_LOG_KERNEL:
            ref = 0
            while buf[ref] != top:
                ref += 1
            careful = abs(top - log_w[ref]) + spread > _CAREFUL_LOG_KERNEL
        else:
            careful, ref = False, 0
        if careful:
            _careful_node(t, pos, log_w, ref, h, images, buf)
        else:
            for j in range(n):
                buf[j] -= top
        exp_block(buf, bits, n, _DROP)
        esum = _sum(buf, n)
        lse = top + math.log(esum)
        if not abs(lse) < math.inf:
            return True, 0.0
        lse_sum += lse
        if with_grad:
            scale = 1.0 / (bins * esum)
            for j in range(n):
                mean_r[j] += buf[j] * scale
    if with_grad:
        for j in range(n):
            gradient[j] = math.exp(log_w[j]) - mean_r[j]
    return False, -(lse_sum / bins)


@_compiled
def _chunk(z, x, a, b, h, images, bins, with_grad, loss, gradient, left, start, stop):  # type: ignore[no-untyped-def]
    n = z.shape[1]
    log_w, pos, buf, mean_r, work = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    bits = np.empty(n, dtype=np.int64)
    for r in range(start, stop):
        left[r], loss[r] = _row(
            z[r], x[r], a[r], b[r], h[r], images[r], bins, with_grad,
            gradient[r], log_w, pos, buf, mean_r, work, bits,
        )  # fmt: skip


@_compiled_parallel
def _rows(z, x, a, b, h, images, bins, with_grad, loss, gradient, left):  # type: ignore[no-untyped-def]
    count = z.shape[0]
    for c in numba.prange((count + _CHUNK - 1) // _CHUNK):
        _chunk(
            z, x, a, b, h, images, bins, with_grad, loss, gradient, left,
            c * _CHUNK, min(count, (c + 1) * _CHUNK),
        )  # fmt: skip


def gaussian_binned_rows(
    z: FloatArray,
    x: FloatArray,
    a: FloatArray,
    b: FloatArray,
    h: FloatArray,
    kernel: str,
    circular: bool,
    bins: int,
    with_grad: bool,
    loss: FloatArray,
    gradient: FloatArray,
) -> NDArray[np.bool_]:
    """Fill ``loss`` (``(B,)``) and, with ``with_grad``, ``gradient`` (``(B, n)``) with the
    Gaussian binned loss of the validated rows ``z``, ``x`` (``(B, n)``) on ``[a, b]``,
    bandwidths ``h``, ``bins`` midpoints; return the mask of rows handed back (their entries
    are unspecified).  The arguments of :func:`symkde.numeric.bins_rows.binned_rows`;
    ``kernel`` must be ``"gaussian"``.

    >>> loss, grad = np.empty(2), np.empty((2, 2))
    >>> z, x = np.zeros((2, 2)), np.array([[0.0, 1.0], [0.0, 1.0]])
    >>> gaussian_binned_rows(z, x, np.zeros(2), np.ones(2), np.ones(2), "gaussian", False, 8,
    ...                      True, loss, grad)
    array([False, False])
    >>> bool(loss[0] == loss[1]), grad[0].round(12).tolist()
    (True, [0.0, 0.0])
    """
    if kernel != "gaussian":
        raise ValueError(f"kernel: expected 'gaussian' for the compiled bins, got {kernel!r}")
    size = z.shape[0]
    left = np.zeros(size, dtype=np.bool_)
    if size == 0:
        return left
    h = np.ascontiguousarray(h, dtype=np.float64)
    images = np.full(size, -1, dtype=np.int64)
    if circular:
        values, where = np.unique(h, return_inverse=True)
        counts = np.array([image_count("gaussian", float(v)) for v in values], dtype=np.int64)
        images = counts[where.reshape(-1)]
    args = (
        np.ascontiguousarray(z, dtype=np.float64),
        np.ascontiguousarray(x, dtype=np.float64),
        np.ascontiguousarray(a, dtype=np.float64),
        np.ascontiguousarray(b, dtype=np.float64),
        h,
        images,
        bins,
        with_grad,
        loss,
        gradient if with_grad else np.empty((size, 0)),
        left,
    )
    if size >= _PARALLEL_MIN_ROWS:
        with _compiled_loops.PARALLEL_LOCK:  # workqueue layer: one parallel loop at a time
            _rows(*args)
    else:  # on the calling thread: a few rows do not repay waking the pool
        _chunk(*args, 0, size)
    return left
