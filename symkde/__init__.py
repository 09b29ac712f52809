"""symkde: the softmax-weighted KDE cross-entropy loss, derived, proved and verified.

Numeric API (NumPy, float64; runs on generated code and never imports SymPy)::

    symkde.loss(z, x, a, b, kernel="laplace", bandwidth=1.0)
    symkde.grad(...), symkde.loss_and_grad(...)
    symkde.derivatives(...)  # Derivatives(loss, z, x, bandwidth, a, b)
    symkde.log_density(t, z, x, ...), symkde.responsibilities(t, z, x, ...)

``symkde.reference`` (mpmath) and ``symkde.theorems`` (SymPy) load on first use, and so do the
framework bindings ``symkde.torch`` and ``symkde.jax``: ``import symkde`` imports neither SymPy,
PyTorch nor JAX. This module owns the public namespace and the version (the one place it is
written; ``pyproject.toml`` reads it from here); it imports only the numeric layer and
``symkde.errors`` eagerly.

>>> import symkde
>>> "loss" in dir(symkde) and "importlib" not in dir(symkde)
True
"""

from __future__ import annotations

import importlib as _importlib

from symkde.errors import UncoveredTargetError
from symkde.numeric.api import grad, loss, loss_and_grad
from symkde.numeric.density import log_density, responsibilities
from symkde.numeric.derivatives import Derivatives, derivatives

__version__ = "0.1.0"

#: The public names, one a line (``dir(symkde)`` shows these and ``__version__``).
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
#: Framework bindings: public, but outside ``__all__`` so that ``from symkde import *`` never
#: imports PyTorch or JAX (each needs its extra, ``symkde[torch]`` / ``symkde[jax]``).
FRAMEWORKS = ("jax", "torch")

#: Submodules imported on first attribute access, so that ``import symkde`` stays light.
_LAZY = {
    "reference": "symkde.reference",
    "theorems": "symkde.theorems",
    "torch": "symkde.torch",
    "jax": "symkde.jax",
    "symbolic": "symkde.symbolic",
    "kernels": "symkde.symbolic.kernels",
    "codegen": "symkde.symbolic.codegen",
    "nodes": "symkde.symbolic.nodes",
    "model": "symkde.symbolic.model",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return _importlib.import_module(_LAZY[name])
    raise AttributeError(f"module 'symkde' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, *FRAMEWORKS, "__version__"])
