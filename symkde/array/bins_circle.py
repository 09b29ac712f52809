"""The binned (midpoint) loss on the circle and its exact derivatives, blocked over the nodes.

The nodes ``t_m = a + c_m (b - a)`` of the arc and the points are reduced (two-part ``2 pi``,
:func:`symkde.array.circle.arc_positions`) to the nearest-image difference ``r = t_m - x_j``
in ``[-pi, pi]``; the wrapped kernel ``K_circ(r) = sum_k K_h(r + 2 pi k)`` and its
derivatives in ``u`` and ``h`` are (:func:`wrapped_log_kernel`):

- laplace, cauchy: their closed forms (theorem ``wrapped_laplace_image_sum``; the Poisson
  kernel, theorem ``circle_wrapped_cauchy_closed_form``), as in
  :mod:`symkde.numeric._generated.log_kernels`;
- gaussian: for ``h < 2`` the images ``|k| <= 3`` (the next is below ``e^-59`` of the
  nearest), else the Fourier series ``(1 + 2 sum_{k=1}^{5} e^{-k^2 h^2/2} cos k r) / 2 pi``
  (the next term is below ``e^-72``); selected per row, so no shape depends on ``h``;
- boxcar, triangle: the floor plus the narrow kernel of
  :func:`symkde.array.circle_compact.wrapped_compact`, images ``|k| <= 1``;
- vonmises: ``kappa (cos r - 1) - log(2 pi i0e(kappa))``, ``kappa = 1/h^2``, with the
  framework's ``i0e``/``i1e`` (PyTorch, JAX, SciPy for NumPy); a namespace without them
  (``array_api_strict``) gets a ``ValueError`` naming ``kernel``.

``tests/test_array_bins_circle.py`` checks each form against the SymPy-printed NumPy
kernels and derivatives of :mod:`symkde.numeric._generated`.  The sums over nodes are
those of :func:`symkde.array.bins.binned`.  Imports the namespace helpers, the circle's
reductions and the numeric layer's ``2 pi`` split.
"""

from __future__ import annotations

import math
from typing import Any

import array_api_compat

from symkde.array._ops import logaddexp
from symkde.array.bins import binned
from symkde.array.circle import arc_positions
from symkde.array.circle_compact import wrapped_compact
from symkde.numeric.angles import TWO_PI, TWO_PI_LO

__all__ = ["CIRCLE_BIN_KERNELS", "binned_circle", "wrapped_log_kernel"]

Array = Any
#: Kernels binned on the circle (vonmises where the namespace has ``i0e``/``i1e``).
CIRCLE_BIN_KERNELS = frozenset({"laplace", "gaussian", "cauchy", "boxcar", "triangle", "vonmises"})
#: Below this bandwidth the wrapped Gaussian is an image sum, above it a Fourier series.
GAUSSIAN_SWITCH = 2.0
GAUSSIAN_IMAGES = 3
GAUSSIAN_MODES = 5
_LOG_2PI = math.log(TWO_PI)


def _softmax_mean(xp: Any, logs: list[Array], values: list[Array]) -> tuple[Array, Array]:
    """``(log sum e^{logs_k}, sum_k softmax_k values_k)``."""
    top = logs[0]
    for v in logs[1:]:
        top = xp.maximum(top, v)
    weights = [xp.exp(v - top) for v in logs]
    total = weights[0]
    for w in weights[1:]:
        total = total + w
    mean = weights[0] * values[0]
    for w, v in zip(weights[1:], values[1:], strict=True):
        mean = mean + w * v
    return top + xp.log(total), mean / total


def _laplace(xp: Any, r: Array, h: Array) -> tuple[Array, Array, Array]:
    d = xp.abs(r)
    far = (TWO_PI - 2.0 * d) / h  # >= 0: the second exponential relative to the first
    log_q = -TWO_PI / h
    log_k = -d / h + xp.log1p(xp.exp(-far)) - math.log(2.0) - xp.log(h) - xp.log1p(-xp.exp(log_q))
    ratio = 1.0 / (1.0 + xp.exp(far))  # e^{-far} / (1 + e^{-far})
    du = -xp.sign(r) * (1.0 - 2.0 * ratio) / h
    q = xp.exp(log_q)
    dh = (d + (TWO_PI - 2.0 * d) * ratio) / (h * h) - 1.0 / h + (TWO_PI / (h * h)) * q / (1.0 - q)
    return log_k, du, dh


def _cauchy(xp: Any, r: Array, h: Array) -> tuple[Array, Array, Array]:
    e = xp.exp(-h)
    m = xp.expm1(-h)
    s = xp.sin(0.5 * r)
    den = m * m + 4.0 * e * s * s
    log_k = xp.log(-xp.expm1(-2.0 * h)) - math.log(TWO_PI) - xp.log(den)
    du = -2.0 * e * xp.sin(r) / den
    dh = (4.0 * e * s * s + 2.0 * e * m) / den - 2.0 * xp.exp(-2.0 * h) / xp.expm1(-2.0 * h)
    return log_k, du, dh


def _gaussian(xp: Any, r: Array, h: Array) -> tuple[Array, Array, Array]:
    small = h < GAUSSIAN_SWITCH
    hi = xp.where(small, h, xp.ones_like(h))  # images (h < 2)
    logs, dus, dhs = [], [], []
    for k in range(-GAUSSIAN_IMAGES, GAUSSIAN_IMAGES + 1):
        v = (r + k * TWO_PI) if k else r
        logs.append(-0.5 * (v / hi) ** 2)
        dus.append(-v / (hi * hi))
        dhs.append(v * v / (hi * hi * hi))
    log_img, du_img = _softmax_mean(xp, logs, dus)
    _, dh_img = _softmax_mean(xp, logs, dhs)
    log_img = log_img - xp.log(hi) - 0.5 * _LOG_2PI
    dh_img = dh_img - 1.0 / hi
    hf = xp.where(small, GAUSSIAN_SWITCH * xp.ones_like(h), h)  # Fourier (h >= 2)
    series, slope, moved = xp.zeros_like(r), xp.zeros_like(r), xp.zeros_like(r)
    for k in range(1, GAUSSIAN_MODES + 1):
        decay = 2.0 * xp.exp(-0.5 * k * k * hf * hf)
        series = series + decay * xp.cos(k * r)
        slope = slope - k * decay * xp.sin(k * r)
        moved = moved - k * k * hf * decay * xp.cos(k * r)
    log_four = xp.log1p(series) - _LOG_2PI
    one = 1.0 + series
    return (
        xp.where(small, log_img, log_four),
        xp.where(small, du_img, slope / one),
        xp.where(small, dh_img, moved / one),
    )


def _compact(kernel: str) -> Any:
    def form(xp: Any, r: Array, h: Array, narrow: tuple[Array, ...]) -> tuple[Array, ...]:
        support, log_floor, log_norm, turns = narrow
        if kernel == "boxcar":
            shift = xp.where((turns % 2.0) == 1.0, math.pi * xp.ones_like(h), xp.zeros_like(h))
            rs = r - shift
            rs = xp.where(rs < -math.pi, (rs + TWO_PI_LO) + TWO_PI, rs)
            count = xp.zeros_like(r)
            for k in (-1, 0, 1):
                v = (rs + k * TWO_PI) if k else rs
                count = count + xp.astype(xp.abs(v) <= support, r.dtype)
            log_k = logaddexp(xp, xp.broadcast_to(log_floor, r.shape), xp.log(count)) - log_norm
            return log_k, xp.zeros_like(r), -1.0 / h * xp.ones_like(r)
        mass, slope, cover = xp.zeros_like(r), xp.zeros_like(r), xp.zeros_like(r)
        for k in (-1, 0, 1):
            v = (r + k * TWO_PI) if k else r
            inside = xp.abs(v) < support
            gap = xp.where(inside, support - xp.abs(v), xp.zeros_like(v))
            mass = mass + gap
            slope = slope - xp.where(inside, xp.sign(v), xp.zeros_like(v))
            cover = cover + xp.astype(inside, r.dtype)
        total = logaddexp(xp, xp.broadcast_to(log_floor, r.shape), xp.log(mass))
        scale = xp.exp(-total)
        dh = (2.0 * turns + cover) * scale - 2.0 / h
        return total - log_norm, slope * scale, dh

    return form


def _vonmises(xp: Any, r: Array, h: Array) -> tuple[Array, Array, Array]:
    kappa = 1.0 / (h * h)
    log_i0e, ratio = _bessel(xp, kappa)
    log_k = kappa * (xp.cos(r) - 1.0) - _LOG_2PI - log_i0e
    return log_k, -kappa * xp.sin(r), (-2.0 / (h * h * h)) * (xp.cos(r) - ratio)


def _bessel(xp: Any, kappa: Array) -> tuple[Array, Array]:
    """``(log i0e(kappa), I1(kappa)/I0(kappa))`` from the framework's scaled Bessel functions."""
    if array_api_compat.is_torch_array(kappa):
        import torch

        i0e, i1e = torch.special.i0e(kappa), torch.special.i1e(kappa)
    elif array_api_compat.is_jax_array(kappa):
        import jax.scipy.special as jss

        i0e, i1e = jss.i0e(kappa), jss.i1e(kappa)
    elif array_api_compat.is_numpy_array(kappa):
        import scipy.special

        i0e, i1e = scipy.special.i0e(kappa), scipy.special.i1e(kappa)
    else:
        raise ValueError(
            "kernel: 'vonmises' bins need i0e/i1e, which this array namespace lacks "
            "(PyTorch, JAX and NumPy have them)"
        )
    return xp.log(i0e), i1e / i0e


def wrapped_log_kernel(xp: Any, kernel: str, r: Array, h: Array) -> tuple[Array, Array, Array]:
    """``(log K_circ(r), d/du log K_circ, d/dh log K_circ)`` for ``r`` in ``[-pi, pi]``.

    ``h`` broadcasts against ``r``.

    >>> import numpy as np
    >>> log_k, _, dh = wrapped_log_kernel(np, "gaussian", np.zeros(1), np.ones(1))
    >>> round(float(log_k[0]), 12), round(float(dh[0]), 12)  # line: -0.918938533205, -1
    (-0.918938527854, -0.999999788768)
    """
    if kernel in ("boxcar", "triangle"):
        narrow = wrapped_compact(xp, kernel, h)
        return _compact(kernel)(xp, r, h, narrow)
    return {"laplace": _laplace, "cauchy": _cauchy, "gaussian": _gaussian, "vonmises": _vonmises}[
        kernel
    ](xp, r, h)


def binned_circle(
    xp: Any, kernel: str, z: Array, x: Array, a: Array, b: Array, h: Array, bins: int
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` of the ``bins``-node midpoint loss on the arc."""
    if kernel == "vonmises":
        _bessel(xp, h)  # the namespace check, before any work
    u, length = arc_positions(xp, x, a, b)
    h3 = h[:, None, None]
    u3 = u[:, None, :]

    def kernel_at(c: Array) -> tuple[Array, Array, Array]:
        r = c[None, :, None] * length[:, None, None] - u3  # in (-2 pi, 2 pi]
        r = xp.where(r > math.pi, (r - TWO_PI) - TWO_PI_LO, r)
        r = xp.where(r < -math.pi, (r + TWO_PI) + TWO_PI_LO, r)
        return wrapped_log_kernel(xp, kernel, r, h3)

    return binned(xp, z, length, bins, kernel_at)
