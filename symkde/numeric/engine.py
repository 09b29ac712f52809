"""The one entry point the framework ops (``symkde.torch``, ``symkde.jax``) call on the CPU.

:func:`engine` takes float64 NumPy arrays already broadcast to one batch (``z`` and ``x`` of
shape ``(..., n)``, ``a``, ``b``, ``h`` of the batch shape ``(...)``) and returns the loss and
the derivatives the caller asked for, each of the shape of the argument it belongs to.  It
owns nothing numeric: the loss and ``dL/dz`` come from the batched :mod:`symkde.numeric.api`,
every other derivative from one call of the public batched :func:`symkde.derivatives` (its
batch front decides how the rows run, compiled passes where it has them), so a faster
batched engine speeds the framework ops up without a change here.  The framework-side
plumbing (broadcasting, option checks, error names) is :mod:`symkde._frameworks`.
Imports NumPy and the numeric layer; never torch, JAX, SymPy or mpmath.

>>> import numpy as np
>>> out = engine(np.zeros((1, 2)), np.array([[0.0, 1.0]]), np.zeros(1), np.ones(1),
...              np.ones(1), kernel="laplace", circular=False, method="auto", bins=None,
...              needs=(True, False, False, False, False))
>>> round(float(out.loss[0]), 12), out.z.round(12), out.x
(1.152475324099, array([[0., 0.]]), None)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from symkde.numeric import api
from symkde.numeric.derivatives import derivatives

__all__ = ["ARGUMENTS", "EngineResult", "engine"]

FloatArray = NDArray[np.float64]

#: The differentiable arguments, in the order of ``needs`` and of the results.
ARGUMENTS = ("z", "x", "bandwidth", "a", "b")


class EngineResult(NamedTuple):
    """The loss (batch shape) and the requested derivatives (``None`` where not requested)."""

    loss: FloatArray
    z: FloatArray | None
    x: FloatArray | None
    bandwidth: FloatArray | None
    a: FloatArray | None
    b: FloatArray | None


def _all_derivatives(
    z: FloatArray, x: FloatArray, a: FloatArray, b: FloatArray, h: FloatArray, options: Any
) -> tuple[FloatArray, ...]:
    """Every derivative of every row: the batched :func:`symkde.derivatives` (row r is the
    single call on row r; validation names the first bad row)."""
    found = derivatives(z, x, a, b, bandwidth=h, **options)
    return tuple(np.asarray(v, dtype=np.float64) for v in found)


def engine(
    z: FloatArray,
    x: FloatArray,
    a: FloatArray,
    b: FloatArray,
    h: FloatArray,
    *,
    kernel: str,
    circular: bool,
    method: str,
    bins: int | None,
    needs: tuple[bool, bool, bool, bool, bool],
) -> EngineResult:
    """Loss and the derivatives flagged in ``needs`` (order :data:`ARGUMENTS`) for a batch.

    Errors are the batched numeric API's: the argument named at the first bad row.
    """
    batch = z.shape[:-1]
    if x.shape != z.shape or a.shape != batch or b.shape != batch or h.shape != batch:
        raise ValueError(
            f"engine: expected z, x of one shape (..., n) and a, b, h of its batch shape, got "
            f"{z.shape}, {x.shape}, {a.shape}, {b.shape}, {h.shape}"
        )
    options: dict[str, Any] = {
        "kernel": kernel,
        "circular": circular,
        "method": method,
        "bins": bins,
    }
    if any(needs[1:]):
        return EngineResult(*_all_derivatives(z, x, a, b, h, options))
    if not needs[0]:
        loss = api.loss(z, x, a, b, bandwidth=h, **options)  # type: ignore[arg-type]
        return EngineResult(np.asarray(loss, dtype=np.float64), None, None, None, None, None)
    loss, dz = api.loss_and_grad(z, x, a, b, bandwidth=h, **options)  # type: ignore[arg-type]
    return EngineResult(np.asarray(loss, dtype=np.float64), dz, None, None, None, None)
