"""The kernels, defined once as SymPy expressions.

Every kernel formula in symkde lives here.  The numeric side never types a kernel:
``symkde.symbolic.codegen`` prints :func:`log_density` of each kernel into
``symkde/numeric/_generated/log_kernels.py``, and the mpmath reference evaluates
:func:`density` through ``sympy.lambdify(..., "mpmath")``.

A kernel is described by a :class:`Kernel` record: its name, its density
``K_h(u)`` (a SymPy expression in the symbols :data:`u` and :data:`h`), whether its
support is compact (``|u| <= h``), the offsets where it has kinks or jumps (the
quadrature is split there), and whether it exists only on the circle.

>>> from symkde.symbolic.kernels import KERNELS, u, h
>>> KERNELS["laplace"].density
exp(-Abs(u)/h)/(2*h)
>>> sorted(KERNELS)
['boxcar', 'cauchy', 'gaussian', 'laplace', 'triangle', 'vonmises']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp
from sympy.codegen.cfunctions import expm1

from symkde.symbolic.nodes import LogI0e, LogSumExp

__all__ = [
    "KERNELS",
    "Kernel",
    "density",
    "h",
    "kappa_of",
    "log_density",
    "u",
    "wrapped_density",
    "wrapped_log_density",
]

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
        lambda e: (
            isinstance(e, sp.log) and isinstance(e.args[0], sp.besseli) and e.args[0].args[0] == 0
        ),
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


def wrapped_density(name: str, arg: sp.Expr = u, bw: sp.Expr = h) -> sp.Expr | None:
    """Closed form of the wrapped kernel ``sum_k K_h(u + 2 pi k)``, or None if it has none.

    laplace: ``cosh((pi - r)/h) / (2 h sinh(pi/h))`` with ``r = u mod 2 pi``; cauchy: the
    wrapped Cauchy ``(1 - rho^2) / (2 pi (1 + rho^2 - 2 rho cos u))``, ``rho = exp(-h)``;
    vonmises is periodic already.  gaussian, boxcar and triangle are image sums (no closed
    form); the theorems of ``symkde.theorems.circle`` prove each closed form equals its sum.

    >>> wrapped_density("laplace")
    cosh((pi - Mod(u, 2*pi))/h)/(2*h*sinh(pi/h))
    """
    if name == "laplace":
        r = sp.Mod(arg, 2 * sp.pi)
        return sp.cosh((sp.pi - r) / bw) / (2 * bw * sp.sinh(sp.pi / bw))
    if name == "cauchy":
        rho = sp.exp(-bw)
        return (1 - rho**2) / (2 * sp.pi * (1 + rho**2 - 2 * rho * sp.cos(arg)))
    if name == "vonmises":
        return density(name, arg, bw)
    if name in KERNELS:
        return None
    raise ValueError(f"kernel: expected one of {sorted(KERNELS)}, got {name!r}")


def wrapped_log_density(name: str, arg: sp.Expr = u, bw: sp.Expr = h) -> sp.Expr | None:
    """``log`` of :func:`wrapped_density` in a form that neither overflows nor cancels.

    laplace: ``LogSumExp(-r/h, (r - 2 pi)/h) - log(-expm1(-2 pi/h)) - log(2 h)``, the two
    nearest images summed in log space (finite for h = 1e-3 where ``sinh(pi/h)`` overflows);
    cauchy: ``1 + rho^2 - 2 rho cos u = expm1(-h)^2 + 4 rho sin(u/2)^2`` (no cancellation
    for small h).  ``tests/test_kernels_circle.py`` proves each equals ``log`` of the closed
    form.

    >>> wrapped_log_density("cauchy")
    -log(expm1(-h)**2 + 4*exp(-h)*sin(u/2)**2) + log(-expm1(-2*h)) - log(pi) - log(2)
    """
    if name == "laplace":
        r = sp.Mod(arg, 2 * sp.pi)
        return (
            LogSumExp(-r / bw, (r - 2 * sp.pi) / bw)
            - sp.log(-expm1(-2 * sp.pi / bw))
            - sp.log(2 * bw)
        )
    if name == "cauchy":
        rho = sp.exp(-bw)
        denominator = expm1(-bw) ** 2 + 4 * rho * sp.sin(arg / 2) ** 2
        return sp.log(-expm1(-2 * bw)) - sp.log(2) - sp.log(sp.pi) - sp.log(denominator)
    if name == "vonmises":
        return log_density(density(name, arg, bw))
    if name in KERNELS:
        return None
    raise ValueError(f"kernel: expected one of {sorted(KERNELS)}, got {name!r}")
