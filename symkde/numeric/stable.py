"""Stable float64 primitives that the generated code and the numeric API call.

NumPy only: importing this never imports SymPy.

>>> import numpy as np
>>> float(logsumexp((np.float64(1000.0), np.float64(1000.0))))  # naive form overflows
1000.6931471805599
>>> float(logsumexp((np.float64(-np.inf), np.float64(-np.inf))))
-inf
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["logsumexp", "logsumexp_axis"]


def logsumexp_axis(values: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
    """``log(sum(exp(values), axis))`` shifted by the maximum; all ``-inf`` gives ``-inf``.

    >>> float(logsumexp_axis(np.array([-800.0, -800.0])))
    -799.3068528194401
    """
    top = np.max(values, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(top), top, 0.0)
    total = np.sum(np.exp(values - shift), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        out = np.log(total) + shift
    return np.squeeze(out, axis=axis)


def logsumexp(terms: Sequence[ArrayLike]) -> NDArray[np.float64]:
    """Log-sum-exp of broadcastable terms (the printed form of ``nodes.LogSumExp``)."""
    stacked = np.stack(np.broadcast_arrays(*[np.asarray(t, dtype=np.float64) for t in terms]))
    return logsumexp_axis(stacked, axis=0)
