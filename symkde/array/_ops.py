"""Stable elementwise pieces, log-space scans and range sums on any array namespace.

Everything here takes the namespace ``xp`` (from ``array_api_compat.array_namespace``) and
uses only functions of the array API standard (2023.12: ``maximum``, ``take_along_axis``,
``flip``, ``concat``, ``reshape``), except :func:`unsort`, which calls the framework's scatter
where one exists (the standard has none; elsewhere it gathers with the inverse permutation).
The scans are Hillis-Steele doubling scans, blocked (:func:`decayed_log_scan`), exact at
``-inf``.  Imports array-api-compat (NumPy, torch, JAX only inside :func:`unsort`, for the
array type it was given); never SymPy or mpmath.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat

__all__ = [
    "LOG2",
    "decayed_log_scan",
    "log_expm1",
    "log_softplus",
    "logaddexp",
    "reverse_decayed_log_scan",
    "softplus",
    "unsort",
]

Array = Any
LOG2 = math.log(2.0)


def logaddexp(xp: Any, p: Array, q: Array) -> Array:
    """``log(e^p + e^q)``, exact where either side is infinite (``-inf + -inf = -inf``)."""
    top = xp.maximum(p, q)
    low = xp.minimum(p, q)
    return xp.where(xp.isinf(top), top, top + xp.log1p(xp.exp(low - top)))


def softplus(xp: Any, v: Array) -> Array:
    """``log(1 + e^v)``."""
    return xp.maximum(v, xp.zeros_like(v)) + xp.log1p(xp.exp(-xp.abs(v)))


def log_softplus(xp: Any, v: Array) -> Array:
    """``log(log(1 + e^v))``, finite far below 0 (where it is ``v - e^v / 2``)."""
    return xp.where(v < -30.0, v - 0.5 * xp.exp(v), xp.log(softplus(xp, v)))


def log_expm1(xp: Any, v: Array) -> Array:
    """``log(e^v - 1)`` for ``v >= 0`` (``-inf`` at 0)."""
    return xp.where(v < 1.0, xp.log(xp.expm1(v)), v + xp.log1p(-xp.exp(-v)))


#: Points per block of :func:`decayed_log_scan` (``log2`` of it doubling passes per level).
SCAN_BLOCK = 16


def decayed_log_scan(xp: Any, values: Array, anchors: Array, h: Array) -> Array:
    """``out_k = log sum_{i <= k} e^{values_i - (anchors_k - anchors_i) / h}`` (last axis).

    ``anchors`` ascend along the last axis; ``h`` broadcasts (``(B, 1)``).  A Hillis-Steele
    scan whose combine step shifts the left part by the *distance between the two anchors*,
    formed from the anchors themselves (one rounding, relative to that distance): a point's
    rounding grows with its distance from the anchor it is referred to, never with its
    distance from the target or the origin (the array form of the exact engine's
    associative scans).  Blocked: a doubling scan inside blocks of :data:`SCAN_BLOCK`, the
    same scan (recursively) over the block totals, then one pass adding each block's carry,
    referred from the previous block's last anchor: about ``log2(SCAN_BLOCK) + 2``
    elementwise passes instead of ``log2(n)``.
    """
    n = values.shape[-1]
    if n <= SCAN_BLOCK:
        return _doubling_decayed(xp, values, anchors, h)
    blocks = -(-n // SCAN_BLOCK)
    pad = blocks * SCAN_BLOCK - n
    lead = values.shape[:-1]
    if pad:
        fill = xp.full((*lead, pad), -math.inf, dtype=values.dtype, device=_device(values))
        values = xp.concat([values, fill], axis=-1)
        anchors = xp.concat([anchors, xp.broadcast_to(anchors[..., -1:], (*lead, pad))], axis=-1)
    shape = (*lead, blocks, SCAN_BLOCK)
    vb, ab = xp.reshape(values, shape), xp.reshape(anchors, shape)
    h3 = h[..., None]
    inner = _doubling_decayed(xp, vb, ab, h3)  # each block on its own
    totals = decayed_log_scan(xp, inner[..., -1], ab[..., -1], h)  # through block k
    none = xp.full((*lead, 1), -math.inf, dtype=values.dtype, device=_device(values))
    carry = xp.concat([none, totals[..., :-1]], axis=-1)  # through block k - 1
    carry_at = xp.concat([ab[..., :1, 0], ab[..., :-1, -1]], axis=-1)  # its anchor
    out = logaddexp(xp, inner, carry[..., None] - (ab - carry_at[..., None]) / h3)
    return xp.reshape(out, (*lead, blocks * SCAN_BLOCK))[..., :n]


def _doubling_decayed(xp: Any, values: Array, anchors: Array, h: Array) -> Array:
    """The unblocked doubling scan of :func:`decayed_log_scan`: ``ceil(log2 n)`` passes."""
    n = values.shape[-1]
    out = values
    step = 1
    while step < n:
        lead = values.shape[:-1]
        pad = xp.full((*lead, step), -math.inf, dtype=values.dtype, device=_device(values))
        shifted = xp.concat([pad, out[..., : n - step]], axis=-1)
        gap = anchors[..., step:] - anchors[..., : n - step]
        gap = xp.concat([xp.zeros_like(anchors[..., :step]), gap], axis=-1)
        out = logaddexp(xp, out, shifted - gap / h)
        step *= 2
    return out


def reverse_decayed_log_scan(xp: Any, values: Array, anchors: Array, h: Array) -> Array:
    """``out_k = log sum_{i >= k} e^{values_i - (anchors_i - anchors_k) / h}``."""
    flipped = decayed_log_scan(xp, xp.flip(values, axis=-1), -xp.flip(anchors, axis=-1), h)
    return xp.flip(flipped, axis=-1)


def unsort(xp: Any, values: Array, order: Array) -> Array:
    """``out[..., order[..., k]] = values[..., k]``: undo a sort along the last axis.

    A scatter where the framework has one (PyTorch, NumPy, JAX), else the gather with the
    inverse permutation (a second sort; the standard has no scatter).
    """
    if array_api_compat.is_torch_array(values):
        return values.new_empty(values.shape).scatter_(-1, order, values)
    if array_api_compat.is_numpy_array(values):
        import numpy as np

        out = np.empty_like(values)
        np.put_along_axis(out, order, values, axis=-1)
        return out
    if array_api_compat.is_jax_array(values):
        import jax.numpy as jnp

        rows = jnp.arange(values.shape[0])[:, None]
        return jnp.zeros_like(values).at[rows, order].set(values)
    return xp.take_along_axis(values, xp.argsort(order, axis=-1), axis=-1)


def _device(v: Array) -> Any:
    return array_api_compat.device(v)
