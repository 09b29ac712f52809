"""The density ``log p(t)`` and the responsibilities ``R_i(t)`` at any points ``t``, in float64.

Owns :func:`symkde.log_density` and :func:`symkde.responsibilities` (API.md, "The density and
the responsibilities"): the ingredients of the loss and of every derivative, public so that a
user can plot the predicted density or read a model's responsibilities without re-implementing
the KDE.  Evaluated in log space by the loss's own node evaluator
(:func:`symkde.numeric.api._blocks`: the largest logit is subtracted at every node and nodes far
from every point are recomputed from the generated log-kernel ratios), so points ``10^4``
bandwidths away neither underflow nor lose digits.  Imports NumPy, ``symkde.errors`` and the
numeric layer only.

>>> import numpy as np
>>> float(log_density([0.0], [0.0], [0.0])[0])  # Laplace, h = 1: p(0) = 1/2, log 2 = 0.6931...
-0.6931471805599453
>>> responsibilities([0.5], [0.0, 0.0], [0.0, 1.0]).round(12)  # halfway: equal shares
array([[0.5, 0.5]])
>>> log_density([3.0], [0.0], [0.0], kernel="boxcar")  # outside the support
array([-inf])
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric.api import _blocks, _mixture
from symkde.numeric.validate import _real_array, validate

__all__ = ["log_density", "responsibilities"]

FloatArray = NDArray[np.float64]


def _evaluate(
    t: Any, z: Any, x: Any, kernel: str, bandwidth: float, circular: bool, want_r: bool
) -> tuple[FloatArray, FloatArray | None]:
    problem = validate(z, x, 0.0, 1.0, kernel=kernel, bandwidth=bandwidth, circular=circular)
    nodes = _real_array(t, "t")
    bad = ~np.isfinite(nodes)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(f"t: expected finite points, got {nodes[first]!r} at index {first}")
    mix = _mixture(problem)
    log_p = np.empty(nodes.size)
    resp = np.zeros((nodes.size, problem.n)) if want_r else None
    for rows, (lse, e, esum) in _blocks(mix, nodes):
        log_p[rows] = lse
        if resp is not None:
            uncovered = ~np.isfinite(lse)
            if uncovered.any():
                where = float(nodes[rows][np.argmax(uncovered)])
                raise UncoveredTargetError((where, where))
            resp[rows.start : rows.stop, mix.index] = e / esum[:, None]
    return log_p, resp


def log_density(
    t: Any,
    z: Any,
    x: Any,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    circular: bool = False,
) -> FloatArray:
    """``log p(t) = log sum_j S_j K_h(t - x_j)`` at each point of ``t``, shape ``(m,)``.

    ``-inf`` where a compact kernel leaves ``t`` uncovered (supports are closed: a boxcar is
    ``1/(2h)`` at ``|u| = h``).  Accuracy: 1e-12 relative where finite (as the loss).
    """
    return _evaluate(t, z, x, kernel, bandwidth, circular, want_r=False)[0]


def responsibilities(
    t: Any,
    z: Any,
    x: Any,
    *,
    kernel: str = "laplace",
    bandwidth: float = 1.0,
    circular: bool = False,
) -> FloatArray:
    """``R_i(t) = S_i K_h(t - x_i) / p(t)``, shape ``(m, n)``; rows sum to 1, masked points 0.

    Raises :class:`symkde.UncoveredTargetError` at a ``t`` where ``p(t) = 0``.
    Accuracy: 1e-12 absolute (as the gradient).
    """
    resp = _evaluate(t, z, x, kernel, bandwidth, circular, want_r=True)[1]
    assert resp is not None
    return resp
