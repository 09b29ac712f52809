"""Closed forms of the exact Laplace position and bandwidth derivatives (placeholder)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def laplace_position_bandwidth(
    log_w: FloatArray, x: FloatArray, a: float, b: float, h: float
) -> tuple[FloatArray, float] | None:
    return None
