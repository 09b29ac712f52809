"""The array engine: the loss and every derivative computed where the arrays live.

One implementation for every namespace of the array API standard (PyTorch tensors on any
device, JAX arrays, NumPy, ``array_api_strict``), through ``array-api-compat``: sorts,
log-cumulative-sum-exp scans, gathers and elementwise math, batched over rows, with no host
round trip and no Python loop over rows or points.  ``symkde.torch`` calls it with
``engine="torch"`` (and for CUDA tensors under ``engine="auto"``).  It owns
:func:`derivatives`; the closed forms are in :mod:`symkde.array.laplace` (Laplace, line),
:mod:`symkde.array.circle` (wrapped Laplace), :mod:`symkde.array.compact` (boxcar, line),
:mod:`symkde.array.triangle` (triangle, line) and :mod:`symkde.array.circle_compact`
(wrapped boxcar and triangle), the binned loss in :mod:`symkde.array.bins` (line) and
:mod:`symkde.array.bins_circle` (circle), the namespace helpers in :mod:`symkde.array._ops`
and :mod:`symkde.array._ranges` and the generated dilogarithm tail in
:mod:`symkde.array._generated`.  Imports NumPy, array-api-compat and the numeric layer's
``2 pi`` split (never SymPy, torch or JAX at import time).

What is computed (float64: the contract's ``1e-12 * max(|v|, s)`` against the compiled
engine in the loss and every derivative, tested): ``method="exact"`` for ``laplace``,
``boxcar`` and ``triangle``, on the line and on the circle; ``method="bins"`` for
``laplace``, ``gaussian``, ``cauchy``, ``boxcar`` and ``triangle`` on the line and those
plus ``vonmises`` on the circle (von Mises where the namespace has ``i0e``/``i1e``: PyTorch,
JAX, NumPy).  Anything else raises ``ValueError`` naming ``kernel``/``method`` (callers
fall back to the compiled CPU engine).  float32/float16 inputs are computed in float64
when the namespace has it (every PyTorch device but MPS, NumPy, JAX with x64) and rounded
once to the input dtype, so they carry only that final rounding (tested: within 1e-6).
Without float64 they are computed in float32: finite (far field included) but, measured on
the test grid, only to 5e-5 relative in the loss and 4e-4 in the gradient (worst: points
1e4 bandwidths away on both sides).

>>> import numpy as np
>>> z, x = np.zeros((1, 1)), np.full((1, 1), 0.5)
>>> loss, dz, dx, dh, da, db = derivatives(
...     z, x, np.zeros(1), np.ones(1), np.ones(1),
...     kernel="laplace", circular=False, method="exact", bins=None)
>>> round(float(loss[0]), 14), float(dz[0, 0])  # log 2 + 1/4
(0.94314718055995, 0.0)
"""

from __future__ import annotations

import warnings
from typing import Any

import array_api_compat
import numpy as np

from symkde.array.bins import BIN_KERNELS, binned_line
from symkde.array.bins_circle import CIRCLE_BIN_KERNELS, binned_circle
from symkde.array.circle import laplace_circle
from symkde.array.circle_compact import compact_circle
from symkde.array.compact import boxcar_line
from symkde.array.laplace import laplace_line
from symkde.array.triangle import triangle_line

__all__ = [
    "BIN_KERNELS",
    "CIRCLE_BIN_KERNELS",
    "CIRCLE_EXACT_KERNELS",
    "EXACT_KERNELS",
    "derivatives",
]

#: Kernels with an exact closed form in this engine on the line.
EXACT_KERNELS = frozenset({"laplace", "boxcar", "triangle"})
#: Kernels with an exact closed form in this engine on the circle (``circular=True``).
CIRCLE_EXACT_KERNELS = frozenset({"laplace", "boxcar", "triangle"})

Array = Any


def _work_dtype(xp: Any, dtype: Any) -> Any:
    """float64 where the namespace has it, else the input dtype (JAX without x64, MPS)."""
    try:
        with warnings.catch_warnings():  # JAX warns, then truncates, without x64
            warnings.simplefilter("ignore")
            probe = xp.asarray(0.0, dtype=xp.float64)
    except (TypeError, ValueError, RuntimeError):
        return dtype
    return xp.float64 if probe.dtype == xp.float64 else dtype


def derivatives(
    z: Array,
    x: Array,
    a: Array,
    b: Array,
    h: Array,
    *,
    kernel: str,
    circular: bool,
    method: str,
    bins: int | None,
) -> tuple[Array, Array, Array, Array, Array, Array]:
    """``(loss, dz, dx, dh, da, db)`` for validated, broadcast rows, in the inputs' namespace.

    Args:
        z, x: ``(B, n)`` logits (``-inf`` masks a point) and finite positions.
        a, b, h: ``(B,)`` target ends (``a < b``) and bandwidths (``h > 0``).
        kernel: a kernel name; circular: wrapped kernels on the circle (the arc ``[a, b]``).
        method: ``"exact"`` (``"auto"`` is taken as exact) or ``"bins"`` (with ``bins=M``).
        bins: the number of midpoint nodes for ``"bins"``.

    Returns:
        ``loss (B,)``, ``dL/dz (B, n)``, ``dL/dx (B, n)``, ``dL/dh (B,)``, ``dL/da (B,)``,
        ``dL/db (B,)``, of the inputs' namespace, device and floating dtype.  A compact
        kernel that leaves a node uncovered gives ``inf`` in its row's loss (no exception:
        that would need the host).
    """
    xp = array_api_compat.array_namespace(z, x, a, b, h)
    out_dtype = z.dtype
    work = _work_dtype(xp, out_dtype)
    z, x, a, b, h = (xp.astype(v, work) for v in (z, x, a, b, h))
    with np.errstate(all="ignore"):  # NumPy-backed namespaces: infinities are masked
        if method == "bins":
            binnable = CIRCLE_BIN_KERNELS if circular else BIN_KERNELS
            if kernel not in binnable:
                raise ValueError(
                    f"kernel: {kernel!r} not binned here (circular={circular}); "
                    f"expected {sorted(binnable)}"
                )
            if not isinstance(bins, int) or bins < 1:
                raise ValueError(f"bins: expected an int >= 1 for method 'bins', got {bins!r}")
            binner = binned_circle if circular else binned_line
            result = binner(xp, kernel, z, x, a, b, h, bins)
        elif method in ("exact", "auto"):
            if kernel not in EXACT_KERNELS:
                raise ValueError(
                    f"kernel: no array-engine closed form for {kernel!r}; "
                    f"expected one of {sorted(EXACT_KERNELS)} (or method='bins')"
                )
            if circular and kernel == "laplace":
                result = laplace_circle(xp, z, x, a, b, h)
            elif circular:
                result = compact_circle(xp, kernel, z, x, a, b, h)
            else:
                line = {"laplace": laplace_line, "boxcar": boxcar_line}.get(kernel, triangle_line)
                result = line(xp, z, x, a, b, h)
        else:
            raise ValueError(f"method: expected 'exact', 'auto' or 'bins', got {method!r}")
    return tuple(xp.astype(v, out_dtype) for v in result)  # type: ignore[return-value]
