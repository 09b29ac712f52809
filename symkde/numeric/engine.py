"""The one entry point the framework ops (``symkde.torch``, ``symkde.jax``) call on the CPU.

:func:`engine` takes float64 NumPy arrays already broadcast to one batch (``z`` and ``x`` of
shape ``(..., n)``, ``a``, ``b``, ``h`` of the batch shape ``(...)``) and returns the loss and
the derivatives the caller asked for, each of the shape of the argument it belongs to.  It
owns nothing numeric: the loss and ``dL/dz`` come from :mod:`symkde.numeric.api`, the other
derivatives from ``symkde.derivatives`` once that exists (until then asking for them raises
:class:`NotImplementedError`), so switching to a batched engine changes this module only.
Imports NumPy and the numeric layer; never torch, JAX, SymPy or mpmath.

>>> import numpy as np
>>> out = engine(np.zeros((1, 2)), np.array([[0.0, 1.0]]), np.zeros(1), np.ones(1),
...              np.ones(1), kernel="laplace", circular=False, method="auto", bins=None,
...              needs=(True, False, False, False, False))
>>> round(float(out.loss[0]), 12), out.z.round(12), out.x
(1.152475324099, array([[0., 0.]]), None)
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from symkde.errors import UncoveredTargetError
from symkde.numeric import api

__all__ = ["ARGUMENTS", "EngineResult", "engine"]

FloatArray = NDArray[np.float64]

#: The differentiable arguments, in the order of ``needs`` and of the results.
ARGUMENTS = ("z", "x", "bandwidth", "a", "b")

#: A message that starts with an argument name and a colon ("a: ...", "z, x: ...").
_NAMED = re.compile(r"^(?P<names>[a-z_]+(?:, [a-z_]+)*): ")


class EngineResult(NamedTuple):
    """The loss (batch shape) and the requested derivatives (``None`` where not requested)."""

    loss: FloatArray
    z: FloatArray | None
    x: FloatArray | None
    bandwidth: FloatArray | None
    a: FloatArray | None
    b: FloatArray | None


def _name_row(error: ValueError, row: tuple[int, ...]) -> ValueError:
    """``error`` with its leading argument names indexed by ``row`` ("a: ..." -> "a[3, 1]: ...")."""
    message = str(error)
    index = ", ".join(str(i) for i in row)
    match = _NAMED.match(message)
    if match is None:
        named = f"row [{index}]: {message}"
    else:
        names = ", ".join(f"{name}[{index}]" for name in match["names"].split(", "))
        named = f"{names}: {message[match.end() :]}"
    if isinstance(error, UncoveredTargetError):  # keeps its .interval
        error.args = (named,)
        return error
    try:
        return type(error)(named)
    except TypeError:  # an error class with a constructor of its own
        return ValueError(named)


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

    Errors are those of the single call, with the argument named at the first bad row.
    """
    batch = z.shape[:-1]
    if x.shape != z.shape or a.shape != batch or b.shape != batch or h.shape != batch:
        raise ValueError(
            f"engine: expected z, x of one shape (..., n) and a, b, h of its batch shape, got "
            f"{z.shape}, {x.shape}, {a.shape}, {b.shape}, {h.shape}"
        )
    if any(needs[1:]):
        raise NotImplementedError(
            "derivatives with respect to positions, bandwidth, a or b need symkde.derivatives, "
            "which this build does not have yet; detach those arguments (or set "
            "requires_grad=False) to train the logits only"
        )
    options = {"kernel": kernel, "circular": circular, "method": method, "bins": bins}
    loss = np.empty(batch, dtype=np.float64)
    dz = np.empty(z.shape, dtype=np.float64) if needs[0] else None
    for row in np.ndindex(*batch):
        try:
            if dz is None:
                loss[row] = api.loss(
                    z[row], x[row], a[row], b[row], bandwidth=float(h[row]), **options
                )
            else:
                loss[row], dz[row] = api.loss_and_grad(
                    z[row], x[row], a[row], b[row], bandwidth=float(h[row]), **options
                )
        except ValueError as error:
            if not batch:
                raise
            raise _name_row(error, row) from error
    return EngineResult(loss, dz, None, None, None, None)
