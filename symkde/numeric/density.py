"""The density ``log p(t)`` and the responsibilities ``R_i(t)`` at any points ``t``, in float64.

Owns :func:`symkde.log_density` and :func:`symkde.responsibilities` (docs/contract.md,
"The density and
the responsibilities"): the ingredients of the loss and of every derivative, public so that a
user can plot the predicted density or read a model's responsibilities without re-implementing
the KDE.  Evaluated in log space by the loss's own node evaluator
(:func:`symkde.numeric.mixture._blocks`: the largest logit is subtracted at every node and nodes far
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
from symkde.numeric.batch import _name_row, validate_batch
from symkde.numeric.mixture import _blocks, _mixture
from symkde.numeric.validate import Problem, _real_array, validate

__all__ = ["log_density", "responsibilities"]

FloatArray = NDArray[np.float64]


def _evaluate_row(
    nodes: FloatArray, problem: Problem, want_r: bool
) -> tuple[FloatArray, FloatArray | None]:
    """``log p`` (and ``R``) of one validated problem at finite ``nodes`` of shape ``(m,)``."""
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


def _evaluate(
    t: Any, z: Any, x: Any, kernel: str, bandwidth: Any, circular: bool, want_r: bool
) -> tuple[FloatArray, FloatArray | None]:
    """``log p`` (and ``R``) at ``t``: one problem (1-D ``z``) or a batch (rows of ``z``)."""
    try:
        one_row = np.ndim(z) == 1
    except (ValueError, TypeError):  # a ragged list: the single call names the problem
        one_row = True
    options: dict[str, Any] = {"kernel": kernel, "bandwidth": bandwidth, "circular": circular}
    if one_row:
        problem = validate(z, x, 0.0, 1.0, **options)
        return _evaluate_row(_finite_nodes(_real_array(t, "t"), "t"), problem, want_r)
    batch = validate_batch(z, x, 0.0, 1.0, **options)
    nodes = np.asarray(t, dtype=np.float64) if np.ndim(t) != 1 else _real_array(t, "t")
    if nodes.ndim == 0:
        raise ValueError(f"t: expected an array of shape (m,) or (..., m), got shape {nodes.shape}")
    try:
        nodes = np.broadcast_to(nodes, (*batch.shape, nodes.shape[-1]))
    except ValueError:
        raise ValueError(
            f"t: expected shape (m,) or (..., m) with (...) broadcastable to the batch shape "
            f"{batch.shape}, got {nodes.shape}"
        ) from None
    nodes = nodes.reshape(batch.size, nodes.shape[-1])
    m = nodes.shape[1]
    log_p = np.empty((batch.size, m))
    resp = np.zeros((batch.size, m, batch.n)) if want_r else None
    for r in range(batch.size):
        index = batch.index(r)
        name = "t" + ("[" + ", ".join(map(str, index)) + "]" if np.ndim(t) > 1 else "")
        row_nodes = _finite_nodes(nodes[r], name)
        try:
            row_log_p, row_resp = _evaluate_row(row_nodes, batch.problem(r), want_r)
        except (ValueError, RuntimeError) as error:
            raise _name_row(error, batch, r) from None
        log_p[r] = row_log_p
        if resp is not None and row_resp is not None:
            resp[r] = row_resp
    log_p = log_p.reshape(*batch.shape, m)
    if resp is not None:
        resp = resp.reshape(*batch.shape, m, batch.n)
    return log_p, resp


def _finite_nodes(nodes: FloatArray, name: str) -> FloatArray:
    bad = ~np.isfinite(nodes)
    if bad.any():
        first = int(np.argmax(bad))
        raise ValueError(f"{name}: expected finite points, got {nodes[first]!r} at index {first}")
    return nodes


def log_density(
    t: Any,
    z: Any,
    x: Any,
    *,
    kernel: str = "laplace",
    bandwidth: Any = 1.0,
    circular: bool = False,
) -> FloatArray:
    """``log p(t) = log sum_j S_j K_h(t - x_j)`` at each point of ``t``, shape ``(..., m)``.

    ``t`` is ``(m,)`` (shared by every row) or ``(..., m)`` for a batch ``z`` of shape
    ``(..., n)`` (batch rules as :func:`symkde.loss`; ``bandwidth`` broadcastable to the batch
    shape).

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
    bandwidth: Any = 1.0,
    circular: bool = False,
) -> FloatArray:
    """``R_i(t) = S_i K_h(t - x_i) / p(t)``, shape ``(..., m, n)``; rows sum to 1, masked 0.

    Same batch rules as :func:`log_density`; an uncovered ``t`` names its row.

    Raises :class:`symkde.UncoveredTargetError` at a ``t`` where ``p(t) = 0``.
    Accuracy: 1e-12 absolute (as the gradient).
    """
    resp = _evaluate(t, z, x, kernel, bandwidth, circular, want_r=True)[1]
    assert resp is not None
    return resp
