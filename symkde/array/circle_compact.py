"""The wrapped boxcar and triangle losses on the circle, as line problems of three images.

As in :func:`symkde.numeric.exact._wrapped_compact`: a wide wrapped kernel is a constant
floor (its full turns) plus a narrow one.  boxcar: ``j = ceil(h/pi) - 1`` turns,
``2 h K_circ = j + 1[|u - j pi| <= h']`` with ``h' = h - j pi`` in ``(0, pi]`` (for odd
``j`` the residual box sits opposite the point); triangle (the convolution of two boxes of
half-width ``h/2``): ``j' = ceil(h/(2 pi)) - 1``, ``h'' = h/2 - j' pi``,
``h^2 K_circ = 2 pi j'^2 + 4 j' h'' + (2 h'' - |u|)_+`` (wrapped).  The narrow support is at
most ``2 pi`` and every representative ``u`` lies in ``[0, 2 pi)``, so the images
``u - 2 pi``, ``u``, ``u + 2 pi`` are all that reach the arc ``[0, L]``: every row has the
same ``3 n`` items (no data-dependent shapes, nothing read back to the host).  The line
engines (:func:`symkde.array.compact.boxcar_items`,
:func:`symkde.array.triangle.triangle_items`) take the floor; each point's floor share
(``w_i F int 1/(h^2 p)``) goes to its ``u`` image; a point's ``dL/dz``, ``dL/dx`` are sums
over its images; ``dL/da``, ``dL/db`` are the line problem's (the reduced positions move
with ``a``: the translation identity, as in :mod:`symkde.array.circle`); ``dL/dh`` moves the
narrow half-width (slope 1) and the floor (slope ``0`` for boxcar, ``2 j'`` for triangle).
Imports the line engines and the arc reduction of :mod:`symkde.array.circle`.
"""

from __future__ import annotations

import math
from typing import Any

from symkde.array.circle import arc_positions, wrap_positive
from symkde.array.compact import boxcar_items, finish_boxcar
from symkde.array.triangle import finish_triangle, triangle_items
from symkde.numeric.angles import TWO_PI, TWO_PI_LO

__all__ = ["compact_circle", "wrapped_compact"]

Array = Any


def wrapped_compact(xp: Any, kernel: str, h: Array) -> tuple[Array, Array, Array, Array]:
    """``(narrow half-width, log floor, log norm, turns)`` of the wrapped ``kernel`` per row.

    >>> import numpy as np
    >>> [float(v[0]) for v in wrapped_compact(np, "boxcar", np.array([4.0]))][::3]
    [0.8584073464102069, 1.0]
    """
    period = math.pi if kernel == "boxcar" else TWO_PI
    turns = xp.maximum(xp.ceil(h / period) - 1.0, xp.zeros_like(h))
    scale = h if kernel == "boxcar" else 0.5 * h
    narrow = scale - turns * math.pi
    low = narrow <= 0  # h a hair above j pi in floats
    turns = xp.where(low, turns - 1.0, turns)
    narrow = xp.where(low, narrow + math.pi, narrow)
    positive = turns > 0
    ones = xp.ones_like(h)
    if kernel == "boxcar":
        floor = xp.where(positive, turns, ones)
        return (
            narrow,
            xp.where(positive, xp.log(floor), -math.inf),
            math.log(2.0) + xp.log(h),
            turns,
        )
    floor = xp.where(positive, TWO_PI * turns * turns + 4.0 * turns * narrow, ones)
    log_floor = xp.where(positive, xp.log(floor), -math.inf)
    return 2.0 * narrow, log_floor, 2.0 * xp.log(h), turns


def compact_circle(
    xp: Any, kernel: str, z: Array, x: Array, a: Array, b: Array, h: Array
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` of the exact wrapped boxcar or triangle on the arc."""
    n = z.shape[-1]
    u, length = arc_positions(xp, x, a, b)
    top = xp.max(z, axis=-1, keepdims=True)
    lw = z - (top + xp.log(xp.sum(xp.exp(z - top), axis=-1, keepdims=True)))
    support, log_floor, log_norm, turns = wrapped_compact(xp, kernel, h)
    if kernel == "boxcar":  # odd turns: the residual box sits opposite the point
        odd = (turns % 2.0) == 1.0
        moved = wrap_positive(xp, (u + 0.5 * TWO_PI_LO) + 0.5 * TWO_PI)
        u = xp.where(odd[:, None], moved, u)
    images_x = xp.concat([u - TWO_PI, u, u + TWO_PI], axis=-1)
    images_w = xp.concat([lw, lw, lw], axis=-1)
    own = xp.zeros_like(images_w) != 0.0
    own = xp.concat([own[:, :n], ~own[:, n : 2 * n], own[:, 2 * n :]], axis=-1)
    zero = xp.zeros_like(a)
    if kernel == "boxcar":
        items = boxcar_items(xp, images_w, images_x, zero, length, support, log_floor)
        out = finish_boxcar(xp, images_w, items, length, h, log_norm, log_floor, own)
    else:
        items = triangle_items(xp, images_w, images_x, zero, length, support, log_floor)
        items["log_floor"] = log_floor
        out = finish_triangle(xp, images_w, items, length, h, log_norm, 2.0 * turns, own)
    loss, resp3, dx3, dh, da, db = out
    resp = resp3[:, :n] + resp3[:, n : 2 * n] + resp3[:, 2 * n :]
    dx = dx3[:, :n] + dx3[:, n : 2 * n] + dx3[:, 2 * n :]
    return loss, xp.exp(lw) - resp, dx, dh, da, db
