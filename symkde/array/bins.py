"""The binned (midpoint) loss on the line and its exact derivatives, blocked over the nodes.

``t_m = a + c_m (b - a)``, ``c_m = (m - 1/2)/M``, ``L_M = -(1/M) sum_m log p(t_m)`` in log space
(``log p = LSE_j(lw_j + log K_h(t_m - x_j))``).  Every kernel here is a scale family,
``log K_h(u) = phi(u/h) - log h``, so with ``r = (t - x)/h`` and ``R_j`` the responsibilities
at a node::

    dL/dz_j = S_j - (1/M) sum_m R_j(t_m)
    dL/dx_j = (1/(M h)) sum_m R_j phi'(r)
    dL/dh   = (1/h) (1 + (1/M) sum_m sum_j R_j r phi'(r))   (d/dh log K = -(1 + r phi')/h)
    dL/dt_m = -(1/(M h)) sum_j R_j phi'(r)
    dL/da   = sum_m (1 - c_m) dL/dt_m,  dL/db = sum_m c_m dL/dt_m

(the nodes move with ``a`` and ``b``).  ``phi`` and ``phi'`` below are the kernels of
:mod:`symkde.symbolic.kernels` in the variable ``r`` (``tests/test_array_engine.py`` checks
them against SymPy's derivative of those definitions).  The sums over the nodes
(:func:`binned`) take any kernel's ``(log K, d/du log K, d/dh log K)``; the circle's are in
:mod:`symkde.array.bins_circle`.  Only ``(B, block, n)`` is held at once,
``block * B * n <= 2**22``.  Imports the namespace helpers only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

__all__ = ["BIN_KERNELS", "binned", "binned_line", "log_kernel_scaled"]

Array = Any
_BLOCK_ELEMENTS = 2**22


def _laplace(xp: Any, r: Array) -> tuple[Array, Array]:
    return -xp.abs(r) - math.log(2.0), -xp.sign(r)


def _gaussian(xp: Any, r: Array) -> tuple[Array, Array]:
    return -0.5 * r * r - 0.5 * math.log(2.0 * math.pi), -r


def _cauchy(xp: Any, r: Array) -> tuple[Array, Array]:
    return -math.log(math.pi) - xp.log1p(r * r), -2.0 * r / (1.0 + r * r)


def _boxcar(xp: Any, r: Array) -> tuple[Array, Array]:
    inside = xp.abs(r) <= 1.0
    return xp.where(inside, xp.full_like(r, -math.log(2.0)), -math.inf), xp.zeros_like(r)


def _triangle(xp: Any, r: Array) -> tuple[Array, Array]:
    gap = 1.0 - xp.abs(r)
    inside = gap > 0
    safe = xp.where(inside, gap, xp.ones_like(gap))
    return xp.where(inside, xp.log(safe), -math.inf), xp.where(inside, -xp.sign(r) / safe, 0.0 * r)


#: ``phi(r), phi'(r)`` with ``log K_h(u) = phi(u/h) - log h``.
BIN_KERNELS: dict[str, Callable[[Any, Array], tuple[Array, Array]]] = {
    "laplace": _laplace,
    "gaussian": _gaussian,
    "cauchy": _cauchy,
    "boxcar": _boxcar,
    "triangle": _triangle,
}


def log_kernel_scaled(xp: Any, kernel: str, r: Array) -> tuple[Array, Array]:
    """``(phi(r), phi'(r))`` of ``kernel`` (``log K_h(u) = phi(u / h) - log h``)."""
    return BIN_KERNELS[kernel](xp, r)


def binned_line(
    xp: Any, kernel: str, z: Array, x: Array, a: Array, b: Array, h: Array, bins: int
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` of the ``bins``-node midpoint loss for each row."""
    offset = (a[:, None] - x)[:, None, :]  # (B, 1, n): a - x_j
    h3 = h[:, None, None]
    log_h = xp.log(h3)

    def kernel_at(c: Array) -> tuple[Array, Array, Array]:
        r = (offset + c[None, :, None] * (b - a)[:, None, None]) / h3  # (B, mb, n)
        phi, slope = log_kernel_scaled(xp, kernel, r)
        return phi - log_h, slope / h3, -(1.0 + r * slope) / h3

    return binned(xp, z, b - a, bins, kernel_at)


def binned(
    xp: Any, z: Array, width: Array, bins: int, kernel_at: Callable[[Array], Any]
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """The midpoint loss and its derivatives from ``kernel_at(c) = (log K, d/du log K,
    d/dh log K)`` at ``u = t_m - x_j`` for the nodes ``t_m = a + c_m (b - a)`` of a block.

    ``dL/dx_j = (1/M) sum_m R_j d/du log K``, ``dL/dh = -(1/M) sum_m sum_j R_j d/dh log K``,
    ``dL/dt_m = -(1/M) sum_j R_j d/du log K``; ``(d/du, d/dh)`` are read only where
    ``R_j > 0``.
    """
    rows, n = z.shape
    top = xp.max(z, axis=-1, keepdims=True)
    lw = z - (top + xp.log(xp.sum(xp.exp(z - top), axis=-1, keepdims=True)))
    block = max(1, min(bins, _BLOCK_ELEMENTS // max(1, rows * n)))
    zeros_b = xp.zeros(rows, dtype=z.dtype, device=_device(z))
    log_sum, dh_sum, da_sum, db_sum = zeros_b, zeros_b, zeros_b, zeros_b
    resp_sum = xp.zeros_like(z)
    slope_sum = xp.zeros_like(z)
    for start in range(0, bins, block):
        stop = min(bins, start + block)
        m = xp.arange(start, stop, dtype=z.dtype, device=_device(z))
        c = (m + 0.5) / bins  # (mb,)
        log_k, du, dh = kernel_at(c)
        terms = lw[:, None, :] + log_k
        peak = xp.max(terms, axis=-1, keepdims=True)
        peak = xp.where(xp.isinf(peak), xp.zeros_like(peak), peak)
        log_p = peak[..., 0] + xp.log(xp.sum(xp.exp(terms - peak), axis=-1))
        resp = xp.exp(terms - (log_p[..., None]))
        live = resp > 0
        zero = xp.zeros_like(resp)
        weighted = xp.where(live, resp * xp.where(live, du, zero), zero)
        log_sum = log_sum + xp.sum(log_p, axis=-1)
        resp_sum = resp_sum + xp.sum(resp, axis=1)
        slope_sum = slope_sum + xp.sum(weighted, axis=1)
        moved = xp.where(live, resp * xp.where(live, dh, zero), zero)
        dh_sum = dh_sum + xp.sum(xp.sum(moved, axis=-1), axis=-1)
        node_slope = xp.sum(weighted, axis=-1)  # (B, mb): -M dL/dt_m
        da_sum = da_sum + xp.sum(node_slope * (1.0 - c)[None, :], axis=-1)
        db_sum = db_sum + xp.sum(node_slope * c[None, :], axis=-1)
    loss = -log_sum / bins
    dz = xp.exp(lw) - resp_sum / bins
    return loss, dz, slope_sum / bins, -dh_sum / bins, -da_sum / bins, -db_sum / bins


def _device(v: Array) -> Any:
    import array_api_compat

    return array_api_compat.device(v)
