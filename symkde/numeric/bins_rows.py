"""Binned rows in blocks: ``method="bins"`` for a whole ``(B, n)`` batch, vectorised over rows.

Owns :func:`binned_rows`, the binned loss and gradient of many rows at once for every
kernel but the Gaussian (compiled: :mod:`symkde.numeric.bins_compiled`; this function still
takes it, and the tests hold the two against each other): the single binned call is its
``B = 1`` case (``symkde.numeric.api._compute``) and the batch front runs it on every row,
so row ``r`` of a batch is bit for bit the single call on row ``r``.
Imports NumPy, the generated log-kernels, :mod:`symkde.numeric.rows` (the circle's positions,
compiled), the careful logits of :mod:`symkde.numeric.mixture` and the image counts of
:mod:`symkde.numeric.images`; nothing above the numeric layer.

Per row, as the single call always did (theorem ``gradient``): the log-softmax of ``z``
(masked ``-inf`` logits weigh 0), positions measured from ``a`` (the circle: each angle's
representative in ``[0, 2 pi)``), the ``M`` bin midpoints ``t_k = (k + 1/2) (b - a) / M``,
``log p(t_k) = LogSumExp_j(log w_j + log K_h(t_k - x_j))`` with the largest logit subtracted
(nodes whose dominant ``|log K|`` plus the spread of the log-weights exceeds 32 recomputed
from the generated log-kernel ratios, ``symkde.numeric.mixture._careful_logits``), the loss
``-mean_k log p(t_k)`` and the gradient ``w - mean_k R(t_k)``.

Memory: the ``(rows, nodes, n)`` logits are formed one block at a time, ``_BLOCK_ELEMENTS``
float64 (512 KiB, cache-sized), never the whole ``(B, M, n)``.  Bit-identical rows: the
nodes of a block depend on ``n`` and ``M`` only (never on ``B``), every reduction runs along
one row (over points: NumPy's pairwise sum of a contiguous row; over nodes: in node order),
and the elementwise ufuncs do not depend on an element's place in the array.  NumPy only:
no threads, so no thread count can change a bit.

A row where some bin midpoint has ``p = 0`` (a compact kernel that does not reach it) is
flagged; the caller answers it (``inf``, or :class:`~symkde.errors.UncoveredTargetError`
naming the gap) from the single call's path.
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import NDArray

from symkde.numeric._generated.log_kernels import KERNEL_INFO, LOG_KERNELS, WRAPPED_LOG_KERNELS
from symkde.numeric.angles import TWO_PI
from symkde.numeric.images import image_count
from symkde.numeric.mixture import _careful_logits, _Mixture
from symkde.numeric.rows import _positions

__all__ = ["binned_rows"]

FloatArray = NDArray[np.float64]

#: Elements per block of the (rows, nodes, points) logits: 2**16 float64 = 512 KiB stays in
#: L2 cache (as ``symkde.numeric.mixture._BLOCK_ELEMENTS``).
_BLOCK_ELEMENTS = 1 << 16
#: ``symkde.numeric.mixture._CAREFUL_LOG_KERNEL``: beyond this, the logits come from ratios.
_CAREFUL_LOG_KERNEL = 32.0


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _circle_positions(x, a, b, out, ok):  # type: ignore[no-untyped-def]
    """Every row's angles measured from its ``a`` (:func:`symkde.numeric.rows._positions`)."""
    for r in range(x.shape[0]):
        ok[r], _ = _positions(x[r], a[r], b[r], True, out[r])


def _log_kernel_block(
    kernel: str, circular: bool, diff: FloatArray, h: FloatArray, images: NDArray[np.intp]
) -> FloatArray:
    """``log K_h(diff)`` (wrapped on the circle) for a ``(rows, nodes, n)`` block; ``h`` is
    ``(rows, 1, 1)``, ``images`` each row's image count (non-wrapped kernels on the circle)."""
    if not circular:
        return np.asarray(LOG_KERNELS[kernel](diff, h))
    if kernel in WRAPPED_LOG_KERNELS:
        return np.asarray(WRAPPED_LOG_KERNELS[kernel](diff, h))
    r = diff - TWO_PI * np.round(diff / TWO_PI)  # symkde.numeric.images._wrap
    log_kernel = LOG_KERNELS[kernel]
    total = np.asarray(log_kernel(r, h))
    hb = np.broadcast_to(h, r.shape)
    compact = bool(KERNEL_INFO[kernel]["compact"])
    for k in range(1, int(images.max()) + 1):
        rows = np.broadcast_to((images >= k)[:, None, None], r.shape)  # each row's own count
        for shift in (k * TWO_PI, -k * TWO_PI):
            # Only where the image can change a bit: elsewhere logaddexp(total, image) is
            # total exactly (a compact image is -inf there; a Gaussian one is below
            # e^-745 of the k = 0 term, so exp underflows to 0 and log1p(0) = 0).
            moved = r + shift
            if compact:
                near = np.abs(moved) <= hb * (1.0 + 1e-12)
            else:  # gaussian: ((r + s)^2 - r^2) / 2h^2 < 800
                near = shift * (r + moved) < (1600.0 * hb) * hb
            where = np.flatnonzero(rows & near)
            if where.size:
                flat = total.reshape(-1)
                flat[where] = np.logaddexp(
                    flat[where], log_kernel(moved.reshape(-1)[where], hb.reshape(-1)[where])
                )
    return total


def binned_rows(
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
    binned loss of the validated rows ``z``, ``x`` (``(B, n)``) on ``[a, b]``, bandwidths
    ``h``, ``bins`` midpoints; return the mask of rows left to the caller (a midpoint with
    ``p = 0``, or angles beyond ``2**30`` turns from ``a``), whose entries are unspecified.

    >>> loss, grad = np.empty(2), np.empty((2, 2))
    >>> z, x = np.zeros((2, 2)), np.array([[0.0, 1.0], [0.0, 1.0]])
    >>> binned_rows(z, x, np.zeros(2), np.ones(2), np.ones(2), "gaussian", False, 8, True,
    ...             loss, grad)
    array([False, False])
    >>> bool(loss[0] == loss[1]), grad[0].round(12).tolist()
    (True, [0.0, 0.0])
    """
    size, n = z.shape
    left = np.zeros(size, dtype=bool)
    if size == 0:
        return left
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    h = np.ascontiguousarray(h, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        shifted = z - z.max(axis=1, keepdims=True)  # z = (1e308, -1e308): weight 0
        log_w = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        finite = np.isfinite(log_w)
        spread = np.max(log_w, axis=1) - np.min(np.where(finite, log_w, np.inf), axis=1)
    if circular:
        moved = np.empty((size, n))
        ok = np.empty(size, dtype=np.bool_)
        _circle_positions(x, a, b, moved, ok)
        left |= ~ok
    else:
        moved = x - a[:, None]
    step = (b - a) / bins
    images = np.zeros(size, dtype=np.intp)
    if circular and kernel not in WRAPPED_LOG_KERNELS:
        images = np.array([image_count(kernel, float(v)) for v in h], dtype=np.intp)
    careful_kernel = bool(KERNEL_INFO[kernel]["stable_ratio"])
    nodes = max(1, min(bins, _BLOCK_ELEMENTS // n))  # depends on n and M only
    rows = max(1, _BLOCK_ELEMENTS // (nodes * n))
    lse = np.empty((rows, bins))
    mean_r = np.empty((rows, n))
    centres = np.arange(bins, dtype=np.float64) + 0.5
    for r0 in range(0, size, rows):
        rs = slice(r0, min(size, r0 + rows))
        count = rs.stop - r0
        mean_r[:count] = 0.0
        for k0 in range(0, bins, nodes):
            ks = slice(k0, min(bins, k0 + nodes))
            t = centres[ks] * step[rs, None]  # (rows, nodes): a + (k + 1/2) (b - a)/M, a = 0
            block = _logits(
                kernel, circular, t, moved[rs], log_w[rs], h[rs], images[rs], lse[:count, ks]
            )
            if careful_kernel:
                _careful(
                    block, lse[:count, ks], t, moved[rs], log_w[rs], spread[rs], h[rs],
                    kernel, circular,
                )  # fmt: skip
            np.exp(block, out=block)
            esum = block.sum(axis=2)
            with np.errstate(divide="ignore"):
                lse[:count, ks] += np.log(esum)
            if with_grad:
                with np.errstate(divide="ignore", invalid="ignore"):
                    block *= (1.0 / (bins * esum))[:, :, None]
                mean_r[:count] += block.sum(axis=1)
        part = lse[:count]
        left[rs] |= ~np.isfinite(part).all(axis=1)
        loss[rs] = -(np.sum(part, axis=1) / bins)
        if with_grad:
            gradient[rs] = np.exp(log_w[rs]) - mean_r[:count]
    return left


def _logits(
    kernel: str,
    circular: bool,
    t: FloatArray,
    x: FloatArray,
    log_w: FloatArray,
    h: FloatArray,
    images: NDArray[np.intp],
    top_out: FloatArray,
) -> FloatArray:
    """``logit - max logit`` per node (``(rows, nodes, n)``); the max goes to
    ``top_out`` (``-inf`` where no point reaches the node: its logits are left as they are)."""
    diff = t[:, :, None] - x[:, None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        logits = _log_kernel_block(kernel, circular, diff, h[:, None, None], images)
    logits += log_w[:, None, :]
    top = logits.max(axis=2)
    top_out[...] = top
    logits -= np.where(top > -np.inf, top, 0.0)[:, :, None]
    return logits


def _careful(
    block: FloatArray,
    top: FloatArray,
    t: FloatArray,
    x: FloatArray,
    log_w: FloatArray,
    spread: FloatArray,
    h: FloatArray,
    kernel: str,
    circular: bool,
) -> None:
    """Nodes whose dominant ``|log K|`` plus the log-weights' spread exceeds 32: their logits
    recomputed from the generated ratios (``symkde.numeric.mixture._blocks``), row by row."""
    # |log K| of the dominant point lies between top - max(log w) and top - min(log w):
    # where that bound plus the spread stays under 32, no node of the block is careful.
    with np.errstate(invalid="ignore"):
        bound = np.maximum(
            np.abs(top - np.max(log_w, axis=1)[:, None]),
            np.abs(top - np.min(np.where(np.isfinite(log_w), log_w, np.inf), axis=1)[:, None]),
        )
        if not np.any(bound + spread[:, None] > _CAREFUL_LOG_KERNEL):
            return
    ref = np.argmax(block, axis=2)  # the largest logit is 0 (exactly: x - x) after the shift
    dominant = np.abs(top - np.take_along_axis(log_w, ref, axis=1))
    with np.errstate(invalid="ignore"):
        careful = (top > -np.inf) & (dominant + spread[:, None] > _CAREFUL_LOG_KERNEL)
    for r in np.flatnonzero(careful.any(axis=1)):
        picked = np.flatnonzero(careful[r])
        n = log_w.shape[1]
        mix = _Mixture(log_w[r], x[r], np.arange(n), n, kernel, float(h[r]), circular)
        with np.errstate(invalid="ignore", divide="ignore"):
            block[r, picked] = _careful_logits(mix, t[r, picked], ref[r, picked])
