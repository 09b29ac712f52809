"""The theorem registry: every claim symkde proves (or refutes), in a stable order.

>>> from symkde import theorems
>>> theorems.get("gradient").name
'gradient'
"""

from __future__ import annotations

import importlib

from symkde.theorems._core import Proof, Step, Theorem

__all__ = ["Proof", "Step", "Theorem", "all", "get", "names"]

#: Modules that define ``THEOREMS: list[Theorem]``, in registry order.
_MODULES = (
    "symkde.theorems.gradient",
    "symkde.theorems.invariance",
    "symkde.theorems.laplace",
    "symkde.theorems.far_field",
    "symkde.theorems.closed_forms",
    "symkde.theorems.circle",
    "symkde.theorems.derivative_closed_forms",
    "symkde.theorems.special_functions",
    "symkde.theorems.truncation",
    "symkde.theorems.derivatives",
    "symkde.theorems.derivatives_identities",
    "symkde.theorems.derivatives_far_field",
    "symkde.theorems.derivatives_compact",
    # issue 13, stronger theorems (general n)
    "symkde.theorems.landscape",
    "symkde.theorems.hessian",
    "symkde.theorems.characterization",
    "symkde.theorems.far_field_general",
    "symkde.theorems.derivatives_bandwidth",
    "symkde.theorems.derivatives_far_bounds",
)


def all() -> list[Theorem]:
    """Every theorem, in a stable order."""
    found: list[Theorem] = []
    for module_name in _MODULES:
        found.extend(importlib.import_module(module_name).THEOREMS)
    return found


def names() -> list[str]:
    """Theorem names, in registry order."""
    return [t.name for t in all()]


def get(name: str) -> Theorem:
    """The theorem called ``name``; ``KeyError`` lists the known names."""
    for theorem in all():
        if theorem.name == name:
            return theorem
    raise KeyError(f"name: no theorem {name!r}; known: {', '.join(names())}")
