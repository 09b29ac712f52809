"""The mixture of the numeric API and its log-density evaluated in blocks of nodes.

Owns :class:`_Mixture` (the unmasked points: log-softmax weights, positions, where they sit in
``z``), :func:`_mixture` (built from a validated problem), the log-space evaluation of
``log p(t)`` and the responsibilities over blocks of nodes that fit in cache (:func:`_blocks`;
nodes whose dominant ``|log K|`` is large are recomputed from the generated log-kernel ratios,
:func:`_careful_logits`), the circle images of the mixture's points (:func:`_images`) and the
final ``dL/dz = S - mean R`` (:func:`_finish`).  Every method of :mod:`symkde.numeric.api` (bins,
quadrature) and the density/derivative modules run on it.  Imports NumPy, the generated log
kernels, :mod:`symkde.numeric.images` and :mod:`symkde.numeric.validate`; never SymPy.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.numeric._generated.log_kernels import (
    KERNEL_INFO,
    LOG_KERNEL_RATIOS,
    LOG_KERNELS,
    WRAPPED_LOG_KERNELS,
)
from symkde.numeric.angles import TWO_PI as _TWO_PI
from symkde.numeric.images import _periodic_copies, _wrap, image_count
from symkde.numeric.validate import Problem

FloatArray = NDArray[np.float64]


#: Elements per block of the (nodes x points) array: 2**16 float64 = 512 KiB stays in L2
#: cache, so the dozen passes over a block run at cache speed (benchmarks/bench_numeric.py).
_BLOCK_ELEMENTS = 1 << 16


#: A node is recomputed from log-kernel ratios when the dominant ``|log K|`` plus the spread of
#: log-weights exceeds this: rounding in ``log K`` is then ``> 32 * eps``, i.e. a few 1e-15 in
#: each responsibility (the contract allows 1e-12; the slow path keeps it near 1e-16).
_CAREFUL_LOG_KERNEL = 32.0


@dataclass(frozen=True)
class _Mixture:
    """The unmasked points: their log-weights and positions, and where they sit in ``z``."""

    log_w: FloatArray
    x: FloatArray
    index: NDArray[np.intp]
    size: int  # n, masked points included
    kernel: str
    h: float
    circular: bool = False

    @functools.cached_property
    def weights_full(self) -> FloatArray:
        """``S = softmax(z)`` for all ``n`` points (0 where masked)."""
        weights = np.zeros(self.size)
        weights[self.index] = np.exp(self.log_w)
        return weights

    def scatter(self, values: FloatArray) -> FloatArray:
        """``values`` of the unmasked points placed in a length-``n`` array (0 elsewhere)."""
        if self.index.size == self.size:
            return values
        full = np.zeros(self.size)
        full[self.index] = values
        return full

    @property
    def log_w_spread(self) -> float:
        return float(self.log_w.max() - self.log_w.min())


def _mixture(problem: Problem) -> _Mixture:
    z = problem.z
    everywhere = bool(z.min() > -np.inf)  # validated: no NaN or +inf, only -inf masks
    finite = None if everywhere else np.isfinite(z)
    live_z = z if finite is None else z[finite]
    with np.errstate(over="ignore"):  # z = (1e308, -1e308): the difference is -inf, weight 0
        shifted = live_z - live_z.max()
    # np.sum sums pairwise: positive terms, relative error below (16 + log2 n) eps (8e-15 at
    # n = 1e6, far inside the 1e-12 contract), and 50x faster than math.fsum.
    log_w = shifted - math.log(float(np.sum(np.exp(shifted))))
    return _Mixture(
        log_w,
        problem.x if finite is None else problem.x[finite],
        np.arange(z.size) if finite is None else np.flatnonzero(finite),
        z.size,
        problem.kernel,
        problem.bandwidth,
        problem.circular,
    )


def _log_kernel_values(mix: _Mixture, tb: FloatArray) -> FloatArray:
    """``log K_h(t - x_j)`` for a block of nodes, wrapped on the circle."""
    diff = np.subtract.outer(tb, mix.x)
    if not mix.circular:
        return LOG_KERNELS[mix.kernel](diff, mix.h)
    if mix.kernel in WRAPPED_LOG_KERNELS:
        return WRAPPED_LOG_KERNELS[mix.kernel](diff, mix.h)
    r = _wrap(diff)
    log_kernel = LOG_KERNELS[mix.kernel]
    total = log_kernel(r, mix.h)
    for k in range(1, image_count(mix.kernel, mix.h) + 1):
        np.logaddexp(total, log_kernel(r + k * _TWO_PI, mix.h), out=total)
        np.logaddexp(total, log_kernel(r - k * _TWO_PI, mix.h), out=total)
    return total


def _careful_logits(mix: _Mixture, tb: FloatArray, ref: NDArray[np.intp]) -> FloatArray:
    """``log w_j + log K(t - x_j) - (log w_ref + log K(t - x_ref))`` without cancellation.

    From the generated ratios ``log K(t - x) - log K(t - y)`` (``d = x - y``, ``s = x + y``
    formed first).  On the circle each point is moved to its nearest image and the image sum
    ``log sum_k K(t - x - 2 pi k)`` is taken over ratios, so nothing large is subtracted.
    """
    ratio = LOG_KERNEL_RATIOS[mix.kernel]
    t_col = tb[:, None]
    log_w_diff = mix.log_w - mix.log_w[ref][:, None]
    if not mix.circular or mix.kernel not in ("laplace", "gaussian"):
        return ratio(t_col, mix.x, mix.x[ref][:, None], mix.h) + log_w_diff
    x_near = t_col - _wrap(np.subtract.outer(tb, mix.x))  # nearest image of each point
    y_near = x_near[np.arange(tb.size), ref][:, None]
    num = ratio(t_col, x_near, y_near, mix.h)
    den = np.zeros_like(y_near)
    for k in range(1, image_count(mix.kernel, mix.h) + 1):
        for shift in (k * _TWO_PI, -k * _TWO_PI):
            np.logaddexp(num, ratio(t_col, x_near + shift, y_near, mix.h), out=num)
            np.logaddexp(den, ratio(t_col, y_near + shift, y_near, mix.h), out=den)
    return num - den + log_w_diff


def _blocks(mix: _Mixture, t: FloatArray, rows_multiple: int = 1) -> Iterator[tuple[slice, Any]]:
    """Yield ``(rows, (lse, E, esum))`` for blocks of nodes.

    ``lse[m] = log p(t_m)``; ``E[m, j] = exp(logit_j(t_m) - max_j logit_j(t_m))`` so that
    ``R[m, j] = E[m, j] / esum[m]``.  Rows where ``p = 0`` (a compact kernel that does not
    reach ``t_m``) have ``lse = -inf``, ``E = 0`` and ``esum = 0``.
    """
    info = KERNEL_INFO[mix.kernel]
    k = mix.x.shape[0]
    rows_per_block = max(
        rows_multiple, (_BLOCK_ELEMENTS // max(k, 1)) // rows_multiple * rows_multiple
    )
    spread = mix.log_w_spread
    for start in range(0, t.shape[0], rows_per_block):
        rows = slice(start, min(start + rows_per_block, t.shape[0]))
        tb = t[rows]
        with np.errstate(invalid="ignore", divide="ignore"):
            log_k = _log_kernel_values(mix, tb)
        logits = np.add(log_k, mix.log_w, out=log_k if log_k.flags.writeable else None)
        ref = np.argmax(logits, axis=1)
        top = logits[np.arange(tb.shape[0]), ref]
        covered = top > -np.inf
        logits -= np.where(covered, top, 0.0)[:, None]
        if info["stable_ratio"]:
            dominant_log_k = np.abs(top - mix.log_w[ref])
            careful = np.flatnonzero(covered & (dominant_log_k + spread > _CAREFUL_LOG_KERNEL))
            if careful.size:
                # numpy.select evaluates every branch: 0/0 in the unused one is harmless
                with np.errstate(invalid="ignore", divide="ignore"):
                    logits[careful] = _careful_logits(mix, tb[careful], ref[careful])
        np.exp(logits, out=logits)
        esum = logits.sum(axis=1)
        with np.errstate(divide="ignore"):
            lse = top + np.log(esum)
        yield rows, (lse, logits, esum)


def _images(mix: _Mixture, lo: float, hi: float) -> FloatArray:
    """Every position the points take that can matter on [lo, hi]: ``x_j`` on the line,
    ``x_j + 2 pi k`` for the ``k`` that reach [lo, hi] on the circle."""
    if not mix.circular:
        return mix.x
    return _image_owners(mix, lo, hi)[0]


def _image_owners(mix: _Mixture, lo: float, hi: float) -> tuple[FloatArray, NDArray[np.intp]]:
    """The circle's images ``x_j + 2 pi k`` that reach [lo, hi], and each one's point ``j``."""
    return _periodic_copies(mix.x, lo, hi)


def _finish(mix: _Mixture, neg_loss: float, mean_r: FloatArray) -> tuple[float, FloatArray]:
    gradient = mix.weights_full.copy()
    gradient[mix.index] -= mean_r
    return -neg_loss, gradient
