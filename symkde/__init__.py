"""symkde: the softmax-weighted KDE cross-entropy loss, derived, proved and verified.

Numeric API (NumPy, float64; runs on generated code and never imports SymPy)::

    symkde.loss(z, x, a, b, kernel="laplace", bandwidth=1.0)
    symkde.grad(...), symkde.loss_and_grad(...)
    symkde.derivatives(...)  # Derivatives(loss, z, x, bandwidth, a, b)
    symkde.log_density(t, z, x, ...), symkde.responsibilities(t, z, x, ...)

``symkde.reference`` (mpmath) and ``symkde.theorems`` (SymPy) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from symkde.errors import UncoveredTargetError
from symkde.numeric.api import grad, loss, loss_and_grad
from symkde.numeric.density import log_density, responsibilities
from symkde.numeric.derivatives import Derivatives, derivatives

__all__ = [
    "Derivatives",
    "UncoveredTargetError",
    "derivatives",
    "grad",
    "log_density",
    "loss",
    "loss_and_grad",
    "reference",
    "responsibilities",
    "theorems",
]
__version__ = "0.1.0"

_LAZY = {
    "reference": "symkde.reference",
    "theorems": "symkde.theorems",
    "symbolic": "symkde.symbolic",
    "kernels": "symkde.symbolic.kernels",
    "codegen": "symkde.symbolic.codegen",
    "nodes": "symkde.symbolic.nodes",
    "model": "symkde.symbolic.model",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(_LAZY[name])
    raise AttributeError(f"module 'symkde' has no attribute {name!r}")
