"""Angles on the circle: ``v - 2 pi k`` to an ulp of the result, for every finite float ``v``.

The contract allows ``|x|, |a|, |b|`` up to 1e50 on the circle too.  Subtracting ``k * fl(2 pi)``
is off by ``k * 2.4e-16`` (0.4 rad at ``v = 1e16``), so the turns are taken off with ``2 pi``
split in two doubles (Cody-Waite, ``2 pi`` to about 1e-32, error below ``k * 1e-32``) while
``|k| < 2**30``, and exactly (mpmath, with as many bits as ``v`` has above the point) beyond.
Where ``k = 0`` the result is ``v`` itself, bit for bit.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: ``2 pi = TWO_PI + TWO_PI_LO`` to about 1e-32.
TWO_PI = 2.0 * math.pi
TWO_PI_LO = 2.4492935982947064e-16
_SPLIT = 134217729.0  # 2**27 + 1, Dekker's splitter
#: Turns taken off in float64 (Cody-Waite); more are taken off exactly.
_FAST_TURNS = 2.0**30


def two_sum(p: FloatArray, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``p + q = total + error`` exactly (Knuth's TwoSum)."""
    total = p + q
    back = total - p
    return total, (p - (total - back)) + (q - back)


def two_prod(p: FloatArray, q: float) -> tuple[FloatArray, FloatArray]:
    """``p * q = prod + error`` exactly (Dekker; no overflow for ``|p q| < 1e290``)."""
    prod = p * q
    big = _SPLIT * p
    p_hi = big - (big - p)
    p_lo = p - p_hi
    big_q = _SPLIT * q
    q_hi = big_q - (big_q - q)
    q_lo = q - q_hi
    return prod, ((p_hi * q_hi - prod) + p_hi * q_lo + p_lo * q_hi) + p_lo * q_lo


def _exact_turns(
    v: float, a: float = 0.0, centre: float = 0.0, k: float | None = None
) -> tuple[float, float]:
    """``(v - a - 2 pi k, k)`` in mpmath, with ``k`` given or nearest ``(v - a - centre) / 2 pi``.

    As many bits as the largest magnitude has above the point, plus 128.
    """
    _, exponent = math.frexp(max(abs(v), abs(a), 8.0 * abs(k or 0.0)))
    with mpmath.workprec(max(exponent, 0) + 128):
        d = mpmath.mpf(v) - mpmath.mpf(a)
        turns = mpmath.nint((d - centre) / (2 * mpmath.pi)) if k is None else mpmath.mpf(k)
        return float(d - 2 * mpmath.pi * turns), float(turns)


def turns_to(v: FloatArray, centre: float = 0.0) -> tuple[FloatArray, FloatArray]:
    """``(v - 2 pi k, k)`` with ``k`` the integer nearest ``(v - centre) / 2 pi``.

    The result lies within about ``pi`` of ``centre`` (``|centre|`` at most a few turns) and is
    accurate to an ulp of itself, not of ``v``; it is ``v`` exactly where ``k = 0``.

    >>> r, k = turns_to(np.array([7.0, 1.0, 1e16]))  # 7 - 2 pi = 0.716814692820413523...
    >>> r.tolist(), k.tolist()  # 1e16 - 2 pi k = 2.24742524916236654...
    ([0.7168146928204135, 1.0, 2.2474252491623665], [1.0, 0.0, 1591549430918953.0])
    """
    v = np.asarray(v, dtype=np.float64)
    k = np.rint((v - centre) / TWO_PI)
    fast = np.abs(k) < _FAST_TURNS
    k = np.where(fast, k, 0.0)
    prod, err = two_prod(k, TWO_PI)
    total, err2 = two_sum(v, -prod)
    reduced = np.where(k == 0.0, v, total + ((err2 - err) - k * TWO_PI_LO))
    for i in np.flatnonzero(~fast):
        reduced[i], k[i] = _exact_turns(float(v[i]), centre=centre)
    return reduced, k


def minus_turns(v: FloatArray, k: float) -> FloatArray:
    """``v - 2 pi k`` for one integer-valued ``k``, to an ulp of the result.

    ``k`` is exact as a float below ``2**53`` turns (``|v| < 5.6e16``), which covers every
    valid arc (``b - a <= 2 pi`` needs ``ulp(a) <= 2 pi``).
    """
    v = np.asarray(v, dtype=np.float64)
    if k == 0.0:
        return v.copy()
    if abs(k) < _FAST_TURNS:
        prod, err = two_prod(np.full(v.shape, k), TWO_PI)
        total, err2 = two_sum(v, -prod)
        return total + ((err2 - err) - k * TWO_PI_LO)
    return np.array([_exact_turns(value, k=k)[0] for value in v.tolist()], dtype=np.float64)


def difference_turned(x: FloatArray, a: float, centre: float) -> FloatArray:
    """``x - a - 2 pi k`` with ``k`` nearest ``(x - a - centre) / 2 pi``, to an ulp of the result.

    ``x - a`` is taken exactly (TwoSum) before any turn, so a point near ``a`` keeps its
    distance from ``a`` to an ulp of that distance (``fl(x - a)`` itself where ``k = 0``),
    however many turns ``a`` is from 0: turning ``x`` and ``a`` separately would leave each an
    ulp of ``pi`` off, 1e-6 of a bandwidth of 1e-10.

    >>> difference_turned(np.array([100.0 + 2.0**-40, 100.0 + 7.0]), 100.0, 0.5).tolist()
    [9.094947017729282e-13, 0.7168146928204135]
    """
    x = np.asarray(x, dtype=np.float64)
    hi, lo = two_sum(x, np.full_like(x, -a))
    reduced, _ = turns_to(hi, centre)
    out = reduced + lo
    # beyond 2**30 turns lo (half an ulp of hi) may itself be turns: all of it exactly
    for i in np.flatnonzero(np.abs(hi) >= _FAST_TURNS * TWO_PI):
        out[i] = _exact_turns(float(x[i]), a, centre)[0]
    return out
