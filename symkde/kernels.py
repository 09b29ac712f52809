"""The kernels, defined once as SymPy expressions.

Every kernel formula in symkde lives here.  The numeric side never types a kernel:
``symkde.codegen`` prints :func:`log_density` of each kernel into
``symkde/_generated/log_kernels.py``, and the mpmath reference evaluates
:func:`density` through ``sympy.lambdify(..., "mpmath")``.

A kernel is described by a :class:`Kernel` record: its name, its density
``K_h(u)`` (a SymPy expression in the symbols :data:`u` and :data:`h`), whether its
support is compact (``|u| <= h``), the offsets where it has kinks or jumps (the
quadrature is split there), and whether it exists only on the circle.

>>> from symkde.kernels import KERNELS, u, h
>>> KERNELS["laplace"].density
exp(-Abs(u)/h)/(2*h)
>>> sorted(KERNELS)
['boxcar', 'cauchy', 'gaussian', 'laplace', 'triangle', 'vonmises']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from symkde.nodes import LogI0e

__all__ = ["KERNELS", "Kernel", "density", "h", "kappa_of", "log_density", "u"]

#: The kernel's argument ``u = t - x_j`` (real).
u = sp.Symbol("u", real=True)
#: The bandwidth ``h > 0``.
h = sp.Symbol("h", positive=True)


def kappa_of(bandwidth: sp.Expr) -> sp.Expr:
    """Von Mises concentration from the bandwidth: ``kappa = 1 / h**2``.

    >>> kappa_of(h)
    h**(-2)
    """
    return 1 / bandwidth**2


def _laplace(arg: sp.Expr, bw: sp.Expr) -> sp.Expr:
    return sp.exp(-sp.Abs(arg) / bw) / (2 * bw)


def _gaussian(arg: sp.Expr, bw: sp.Expr) -> sp.Expr:
    return sp.exp(-(arg**2) / (2 * bw**2)) / (bw * sp.sqrt(2 * sp.pi))


def _boxcar(arg: sp.Expr, bw: sp.Expr) -> sp.Expr:
    return sp.Piecewise((1 / (2 * bw), sp.Abs(arg) <= bw), (0, True))


def _triangle(arg: sp.Expr, bw: sp.Expr) -> sp.Expr:
    return sp.Piecewise(((1 - sp.Abs(arg) / bw) / bw, sp.Abs(arg) <= bw), (0, True))


def _cauchy(arg: sp.Expr, bw: sp.Expr) -> sp.Expr:
    return bw / (sp.pi * (arg**2 + bw**2))


def _vonmises(arg: sp.Expr, bw: sp.Expr) -> sp.Expr:
    k = kappa_of(bw)
    return sp.exp(k * sp.cos(arg)) / (2 * sp.pi * sp.besseli(0, k))


@dataclass(frozen=True)
class Kernel:
    """One kernel: its name, formula and the facts the numerics need about it.

    Attributes:
        name: the public name (``kernel=`` argument).
        formula: ``formula(u, h)`` returns the density ``K_h(u)`` for any SymPy arguments.
        compact: True when ``K_h(u) = 0`` for ``|u| > h``.
        kinks: offsets, in units of ``h``, where ``K_h`` is not smooth (relative to a point).
        circular_only: True for kernels defined only on the circle (von Mises).
    """

    name: str
    formula: Callable[[sp.Expr, sp.Expr], sp.Expr]
    compact: bool
    kinks: tuple[int, ...]
    circular_only: bool = False

    @property
    def density(self) -> sp.Expr:
        """``K_h(u)`` in the module symbols :data:`u`, :data:`h`."""
        return self.formula(u, h)

    @property
    def log_density(self) -> sp.Expr:
        """``log K_h(u)``, derived by SymPy from :attr:`density` (see :func:`log_density`)."""
        return log_density(self.density)


KERNELS: dict[str, Kernel] = {
    k.name: k
    for k in (
        Kernel("laplace", _laplace, compact=False, kinks=(0,)),
        Kernel("gaussian", _gaussian, compact=False, kinks=()),
        Kernel("boxcar", _boxcar, compact=True, kinks=(-1, 1)),
        Kernel("triangle", _triangle, compact=True, kinks=(-1, 0, 1)),
        Kernel("cauchy", _cauchy, compact=False, kinks=()),
        Kernel("vonmises", _vonmises, compact=False, kinks=(), circular_only=True),
    )
}


def density(name: str, arg: sp.Expr = u, bw: sp.Expr = h) -> sp.Expr:
    """The density of kernel ``name`` at ``arg`` with bandwidth ``bw``.

    >>> density("cauchy")
    h/(pi*(h**2 + u**2))
    """
    try:
        kernel = KERNELS[name]
    except KeyError:
        raise ValueError(f"kernel: expected one of {sorted(KERNELS)}, got {name!r}") from None
    return kernel.formula(arg, bw)


def _log_of_piece(expr: sp.Expr) -> sp.Expr:
    """``log(expr)`` expanded into a sum of logs; ``log 0`` is ``-oo`` (not ``zoo``)."""
    if expr == 0:
        return sp.S.NegativeInfinity
    # together: (1 - |u|/h)/h -> (h - |u|)/h**2, so log(h - |u|) keeps its digits near |u| = h.
    logged = sp.expand_log(sp.log(sp.together(expr)), force=True)
    # kappa*cos(u) - kappa cancels catastrophically for large kappa; -2 kappa sin(u/2)**2 does not.
    logged = sp.expand(logged.replace(sp.cos, lambda arg: 1 - 2 * sp.sin(arg / 2) ** 2))
    # log(I0(kappa)) = kappa + log(i0e(kappa)): the stable node keeps exp(kappa) out of floats.
    return logged.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.besseli) and e.args[0].args[0] == 0,
        lambda e: e.args[0].args[1] + LogI0e(e.args[0].args[1]),
    )


def log_density(expr: sp.Expr) -> sp.Expr:
    """``log`` of a kernel density, expanded so no ``exp`` is ever evaluated in floats.

    Piecewise kernels are logged piece by piece; a zero piece becomes ``-oo``.

    >>> log_density(KERNELS["laplace"].density)
    -log(h) - log(2) - Abs(u)/h
    >>> log_density(KERNELS["boxcar"].density)
    Piecewise((-log(h) - log(2), h >= Abs(u)), (-oo, True))
    """
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*[(_log_of_piece(e), c) for e, c in expr.args])
    return _log_of_piece(expr)
