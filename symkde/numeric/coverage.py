"""Coverage of the target by compact kernels, decided exactly on the caller's positions.

Owns :func:`_uncovered` (the first sub-interval of ``[a, b]`` where a boxcar or triangle
mixture has ``p = 0``, found from sorted supports with exact differences, :func:`_exceeds`) and
the two ways a method reports it: ``(inf, None)`` without the gradient, or
:class:`~symkde.errors.UncoveredTargetError` with it (:func:`_if_uncovered`,
:func:`_raise_uncovered`).  Imports NumPy, ``symkde.errors``, the generated kernel table,
:mod:`symkde.numeric.angles` and :mod:`symkde.numeric.mixture`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric._generated.log_kernels import (
    KERNEL_INFO,
)
from symkde.numeric.angles import two_sum
from symkde.numeric.mixture import _images, _Mixture

FloatArray = NDArray[np.float64]


def _exceeds(p: FloatArray, q: FloatArray, bound: float) -> NDArray[np.bool_]:
    """``p - q > bound`` decided exactly (the difference as ``hi + lo`` by TwoSum)."""
    with np.errstate(over="ignore", invalid="ignore"):
        hi, lo = two_sum(p, -q)
    return (hi > bound) | ((hi == bound) & (lo > 0.0))


def _uncovered(mix: _Mixture, a: float, b: float) -> tuple[float, float] | None:
    """The first sub-interval of [a, b] of positive length where a compact kernel gives p = 0.

    Decided exactly on the positions (every support has the same half-width ``h``): a gap
    lies between sorted neighbours with ``x_{i+1} - x_i > 2h``, before the first if
    ``x_0 - a > h``, after the last if ``b - x_last > h``; supports that touch cover.  On the
    circle the positions are the images ``x + 2 pi k`` as floats (``x`` itself for ``k = 0``).
    The interval reported is rounded.
    """
    if not KERNEL_INFO[mix.kernel]["compact"]:
        return None
    if mix.circular and mix.h >= math.pi:
        return None  # every point's support is the whole circle
    h = mix.h
    centres = np.sort(_images(mix, a - h, b + h))
    centres = centres[~_exceeds(centres, np.full_like(centres, b), h)]  # x - h > b: beyond
    centres = centres[~_exceeds(np.full_like(centres, a), centres, h)]  # x + h < a: before
    if centres.size == 0:
        return (a, b)
    if _exceeds(centres[:1], np.array([a]), h)[0]:
        return (a, min(float(centres[0] - h), b))
    gaps = np.flatnonzero(_exceeds(centres[1:], centres[:-1], 2.0 * h))
    if gaps.size:
        g = int(gaps[0])
        return (max(float(centres[g] + h), a), min(float(centres[g + 1] - h), b))
    if _exceeds(np.array([b]), centres[-1:], h)[0]:
        return (max(float(centres[-1] + h), a), b)
    return None


def _if_uncovered(mix: _Mixture, a: float, b: float, with_grad: bool) -> tuple[float, None] | None:
    """``(inf, None)`` if the supports leave part of ``[a, b]`` uncovered (with the gradient:
    raises :class:`UncoveredTargetError`); None if they cover it.

    Decided exactly on the caller's positions (:func:`_uncovered`), for every method but
    ``bins`` alike, before any shift: a shift by ``a`` may round a gap of an ulp away, or open
    one between supports that touch.
    """
    gap = _uncovered(mix, a, b)
    if gap is None:
        return None
    if not with_grad:
        return math.inf, None
    raise UncoveredTargetError(gap)


def _raise_uncovered(mix: _Mixture, a: float, b: float, t_bad: float) -> None:
    gap = _uncovered(mix, a, b)
    if gap is None or not gap[0] <= t_bad <= gap[1]:
        gap = (t_bad, t_bad)  # a node exactly where a triangle kernel reaches zero
    raise UncoveredTargetError(gap)
