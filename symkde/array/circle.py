"""The wrapped Laplace loss on the circle, as a line problem of three images per point.

As in :func:`symkde.numeric.exact._circle`: the arc ``[a, b]`` becomes ``[0, L]``, each angle
its representative ``u`` in ``[0, 2 pi)`` measured from ``a`` (both reduced by a three-part
Cody-Waite split of ``2 pi``, accurate to an ulp of the result), and the wrapped density on
the arc is the line density of ``u`` plus ``u - 2 pi`` and ``u + 2 pi`` with weight
``w / (1 - e^{-2 pi/h})`` each, which stand for all the images beyond (theorem
``wrapped_laplace_image_sum``).  :func:`symkde.array.laplace.laplace_line` solves that line
problem (its weights renormalized by ``Z = 1 + 2 / (1 - e^{-2 pi/h})``, undone here); a
point's derivatives are the sums over its images, ``dL/da``, ``dL/db`` are the line
problem's (the reduced positions move with ``a``, and the translation identity turns that
into the line's ``dL/da``), and ``dL/dh`` adds the images' weights' dependence on ``h``.
Imports the line engine and the ``2 pi`` split of :mod:`symkde.numeric.angles`.
"""

from __future__ import annotations

import math
from typing import Any

from symkde.array.laplace import laplace_line
from symkde.numeric.angles import TWO_PI, TWO_PI_LO

__all__ = ["arc_positions", "laplace_circle", "reduce_angle", "wrap_positive"]

Array = Any
#: ``2 pi = _C1 + _C2 + TWO_PI_LO``; ``_C1`` and ``_C2`` hold 24 and 29 bits, so ``k * _C1``
#: and ``k * _C2`` are exact for ``|k| < 2**24``.
_C1 = math.floor(TWO_PI * 2.0**21) / 2.0**21
_C2 = TWO_PI - _C1


def reduce_angle(xp: Any, v: Array) -> Array:
    """``v - 2 pi k`` in about ``[-pi, pi]``, to an ulp of the result for ``|v| < 1e7``.

    >>> import numpy as np
    >>> float(reduce_angle(np, np.array([7.0]))[0])  # 0.71681469282041352307...
    0.7168146928204135
    """
    k = xp.round(v / TWO_PI)
    return ((v - k * _C1) - k * _C2) - k * TWO_PI_LO


def arc_positions(xp: Any, x: Array, a: Array, b: Array) -> tuple[Array, Array]:
    """``(u, L)``: each angle's representative in ``[0, 2 pi)`` measured from ``a`` and the
    arc's length (``2 pi`` when ``b - a`` is within 4 ulps of it)."""
    slack = 4 * math.ulp(TWO_PI)
    length = b - a
    length = xp.where(length >= TWO_PI - slack, xp.full_like(length, TWO_PI), length)
    return wrap_positive(xp, reduce_angle(xp, x) - reduce_angle(xp, a)[:, None]), length


def wrap_positive(xp: Any, u: Array) -> Array:
    """``u`` in ``[-2 pi, 4 pi)`` moved by a turn into ``[0, 2 pi)`` (two-part ``2 pi``)."""
    u = xp.where(u < 0.0, (u + TWO_PI_LO) + TWO_PI, u)
    u = xp.where(u >= TWO_PI, (u - TWO_PI) - TWO_PI_LO, u)
    top = xp.full_like(u, math.nextafter(TWO_PI, 0.0))
    return xp.minimum(xp.maximum(u, xp.zeros_like(u)), top)


def laplace_circle(
    xp: Any, z: Array, x: Array, a: Array, b: Array, h: Array
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` of the exact wrapped Laplace loss on the arc ``[a, b]``."""
    n = z.shape[-1]
    u, length = arc_positions(xp, x, a, b)
    top_z = xp.max(z, axis=-1, keepdims=True)
    lw = z - (top_z + xp.log(xp.sum(xp.exp(z - top_z), axis=-1, keepdims=True)))
    q = xp.exp(-TWO_PI / h)
    log_geo = -xp.log1p(-q)[:, None]  # log(1 / (1 - e^{-2 pi/h})) >= 0
    images_z = xp.concat([lw + log_geo, lw, lw + log_geo], axis=-1)
    images_x = xp.concat([u - TWO_PI, u, u + TWO_PI], axis=-1)
    zero = xp.zeros_like(a)
    loss, dz3, dx3, dh3, da, db = laplace_line(xp, images_z, images_x, zero, length, h)
    log_z = xp.log(1.0 + 2.0 * xp.exp(log_geo[:, 0]))  # the renormalization Z
    weights3 = xp.exp(images_z - log_z[:, None])  # the line problem's weights
    mean_r3 = weights3 - dz3  # (1/L) int R per image
    mean_r = mean_r3[:, :n] + mean_r3[:, n : 2 * n] + mean_r3[:, 2 * n :]
    dz = xp.exp(lw) - mean_r
    dx = dx3[:, :n] + dx3[:, n : 2 * n] + dx3[:, 2 * n :]
    # d log_geo / dh = (2 pi / h^2) q / (1 - q); an image's log-weight has dL/dl = -mean R
    slope = (TWO_PI / (h * h)) * q / (-xp.expm1(-TWO_PI / h))
    outer = xp.sum(mean_r3[:, :n] + mean_r3[:, 2 * n :], axis=-1)
    dh = dh3 - slope * outer
    return loss - log_z, dz, dx, dh, da, db
