"""Circle images: which copies ``x + 2 pi k`` of a point matter, and angle wrapping.

Owns :func:`image_count` (how many images of a wrapped kernel are summed so that the dropped
tail is below ``1e-17`` of the nearest one), :func:`_wrap` (an angle to its nearest image in
``[-pi, pi]``) and :func:`_periodic_copies` (every copy of a set of positions that reaches an
interval).  Pure functions of arrays; imports NumPy, :mod:`symkde.numeric.angles` and the
generated kernel table only.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from symkde.numeric._generated.log_kernels import (
    KERNEL_INFO,
)
from symkde.numeric.angles import TWO_PI as _TWO_PI

__all__ = ["image_count"]

FloatArray = NDArray[np.float64]


#: Image sums on the circle drop a tail below this, relative to the kernel's value.
_IMAGE_TAIL = 1e-17


def image_count(kernel: str, h: float) -> int:
    """Images ``k = -K..K`` of ``sum_k K_h(r + 2 pi k)``, ``|r| <= pi``, that matter.

    Compact kernels: every image that can reach (exact).  Laplace and Gaussian: the smallest
    ``K`` whose dropped tail is below ``1e-17`` of the ``k = 0`` term, from the bound
    ``sum_{|k|>K} a_k <= 2 a_{K+1} / (1 - q)`` with ``a_k`` the largest possible value of the
    ``k``-th image (``|r + 2 pi k| >= (2|k| - 1) pi``) and ``q`` the ratio of its successors.

    >>> image_count("boxcar", 1.0), image_count("gaussian", 1.0), image_count("laplace", 1.0)
    (1, 2, 7)
    """
    if KERNEL_INFO[kernel]["compact"]:
        count = math.ceil((h + math.pi) / _TWO_PI)
        if count >= 1 << 20:
            raise ValueError(
                f"bandwidth: {h!r} needs more than 2**20 images on the circle; "
                "method='exact' has the closed form for any bandwidth"
            )
        return count
    log_tail_bound = math.log(_IMAGE_TAIL)
    for count in range(1, 1 << 20):
        nearest = (2 * count + 1) * math.pi  # distance of image count + 1, at worst
        if kernel == "gaussian":
            log_a = -(nearest**2 - math.pi**2) / (2 * h * h)  # relative to the k = 0 term
            log_q = -8 * (count + 1) * math.pi**2 / (2 * h * h)
        else:  # laplace
            log_a = -(nearest - math.pi) / h
            log_q = -_TWO_PI / h
        if math.log(2) + log_a - math.log(-math.expm1(log_q)) < log_tail_bound:
            return count
    raise ValueError(f"bandwidth: {h!r} needs more than 2**20 images on the circle")


def _wrap(angle: FloatArray) -> FloatArray:
    """``angle`` reduced to [-pi, pi] (the nearest image)."""
    return angle - _TWO_PI * np.round(angle / _TWO_PI)


def _periodic_copies(
    positions: FloatArray, lo: float, hi: float
) -> tuple[FloatArray, NDArray[np.intp]]:
    """``positions + 2 pi k`` within [lo, hi] (one more each side), and whose copy each is."""
    k_lo = np.floor((lo - positions) / _TWO_PI)
    k_hi = np.ceil((hi - positions) / _TWO_PI)
    counts = (k_hi - k_lo + 1).astype(np.intp)
    steps = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    turns = np.repeat(k_lo, counts) + steps
    # x + k (2 pi) with one rounding, and k = 0 exactly x: supports that touch on the arc
    # must still touch (a base x + k_lo 2 pi stepped back by 2 pi rounds twice)
    owners = np.repeat(np.arange(positions.size), counts)
    return np.repeat(positions, counts) + turns * _TWO_PI, owners
