"""``method="bins"``: the midpoint rule ``L_M = -(1/M) sum_m log p(t_m)`` and its gradient.

Owns :func:`_bins`, which sums ``log p`` and the mean responsibilities over the ``M`` midpoint
nodes block by block (:func:`symkde.numeric.mixture._blocks`); a node where a compact kernel
gives ``p = 0`` makes the loss infinite (or raises with the gradient).  Imports NumPy,
:mod:`symkde.numeric.mixture`, :mod:`symkde.numeric.coverage` and
:mod:`symkde.numeric.validate`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from symkde.numeric.coverage import _raise_uncovered
from symkde.numeric.mixture import _blocks, _finish, _Mixture
from symkde.numeric.validate import Problem

FloatArray = NDArray[np.float64]


def _bins(mix: _Mixture, problem: Problem, with_grad: bool) -> tuple[float, FloatArray | None]:
    m = problem.bins
    assert m is not None
    a, b = problem.a, problem.b
    t: FloatArray = a + (np.arange(m, dtype=np.float64) + 0.5) * ((b - a) / m)
    parts = []
    mean_r = np.zeros_like(mix.log_w)
    for rows, (lse, e, esum) in _blocks(mix, t):
        if not np.isfinite(lse).all():
            if not with_grad:
                return math.inf, None
            _raise_uncovered(mix, a, b, float(t[rows][np.argmin(np.isfinite(lse))]))
        parts.append(math.fsum(lse))
        if with_grad:
            mean_r += (1.0 / (m * esum)) @ e
    neg_loss = math.fsum(parts) / m
    if not with_grad:
        return -neg_loss, None
    return _finish(mix, neg_loss, mean_r)
