"""The reference's kernels: SymPy formulas turned into mpmath callables, wrapped on the circle.

Owns :func:`_compile` (``expr(var, h)`` to ``bind(h) -> (lambda value: expr)``, with the
subexpressions free of ``var`` hoisted), the line log-kernels (:func:`_line_log_kernel`), the
wrapped closed forms SymPy derives here from the kernel (:func:`wrapped_closed_form`: geometric
image sums for laplace, Poisson summation for cauchy) and :func:`wrapped_log_kernel` (every
kernel on the circle: von Mises directly, the closed forms, a truncated Gaussian image sum
with a proven tail bound, the finitely many images of boxcar and triangle), with mpmath's
:func:`_logsumexp`.  Imports mpmath, SymPy and :mod:`symkde.symbolic` (kernels, nodes) only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import mpmath
import sympy as sp

from symkde.symbolic.kernels import KERNELS
from symkde.symbolic.kernels import h as H_SYM
from symkde.symbolic.kernels import u as U_SYM
from symkde.symbolic.nodes import LogI0e

__all__ = ["wrapped_closed_form", "wrapped_log_kernel"]

mp = mpmath.mp
Real = Any  # an mpmath.mpf


#: The reduced angle ``r = u mod 2 pi`` in ``[0, 2 pi)`` of the wrapped Laplace closed form.
R_SYM = sp.Symbol("r", nonnegative=True)


def _compile(expr: sp.Expr, var: sp.Symbol) -> Callable[[Real], Callable[[Real], Real]]:
    """Turn ``expr(var, h)`` into ``bind(h) -> (lambda value: expr)`` for mpmath.

    Subexpressions that do not involve ``var`` (``log(h)``, ``1/h``, ``log(I0(1/h**2))``, ...)
    are hoisted out and evaluated once per :func:`bind`, so a call per node costs only the
    arithmetic that depends on the node.
    """
    hoisted: list[sp.Expr] = []

    def hoist(e: sp.Expr) -> sp.Expr:
        if not e.has(var):
            if not isinstance(e, sp.Expr) or e.is_Number or e.is_Atom:
                return e
            hoisted.append(e)
            return sp.Symbol(f"_hoisted{len(hoisted) - 1}", real=True)
        if e.is_Add or e.is_Mul:
            fixed = [arg for arg in e.args if not arg.has(var)]
            varying = [hoist(arg) for arg in e.args if arg.has(var)]
            if fixed:
                varying.append(hoist(e.func(*fixed)))
            return e.func(*varying)
        if e.args:
            return e.func(*[hoist(arg) for arg in e.args])
        return e

    body = hoist(expr)
    symbols = [sp.Symbol(f"_hoisted{k}", real=True) for k in range(len(hoisted))]
    main = sp.lambdify((var, H_SYM, *symbols), body, modules="mpmath")
    constants = sp.lambdify((H_SYM,), hoisted, modules="mpmath")

    def bind(bandwidth: Real) -> Callable[[Real], Real]:
        values = constants(bandwidth)

        def evaluate(value: Real) -> Real:
            return main(value, bandwidth, *values)

        return evaluate

    return bind


@cache
def _line_log_kernel(name: str) -> Callable[[Real], Callable[[Real], Real]]:
    """``log K_h(u)`` of ``KERNELS[name]`` for mpmath (``LogI0e`` rewritten to ``besseli``)."""
    expr = KERNELS[name].log_density
    expr = expr.replace(lambda e: isinstance(e, LogI0e), lambda e: e.rewrite("naive"))
    return _compile(expr, U_SYM)


def _geometric_series(term: sp.Expr, k: sp.Symbol) -> sp.Expr:
    """``sum_{k >= 0} term(k)`` for a geometric ``term``, summed by SymPy.

    The ratio ``term(k + 1) / term(k)`` must be free of ``k`` and of modulus < 1 (both
    checked symbolically).
    """
    ratio = sp.simplify(term.subs(k, k + 1) / term)
    if ratio.has(k):
        raise ValueError(f"not a geometric series in {k}: ratio {ratio}")
    if sp.simplify(sp.log(sp.Abs(ratio))).is_negative is not True:
        raise ValueError(f"geometric series may diverge: |ratio| = {sp.Abs(ratio)}")
    rho = sp.Symbol("rho", positive=True)
    summed = sp.summation(rho**k, (k, 0, sp.oo))  # Piecewise((1/(1 - rho), rho < 1), ...)
    closed = summed.args[0][0] if isinstance(summed, sp.Piecewise) else summed
    return term.subs(k, 0) * closed.subs(rho, ratio)


@cache
def wrapped_closed_form(name: str) -> tuple[sp.Expr, sp.Symbol]:
    """The wrapped density ``sum_k K_h(u + 2 pi k)`` in closed form, derived by SymPy.

    Returns ``(expr, var)``: for ``"laplace"`` ``var`` is the reduced angle
    ``r = u mod 2 pi`` in ``[0, 2 pi)`` (two geometric image sums, ``k >= 0`` to the right
    and ``k >= 1`` to the left); for ``"cauchy"`` it is ``u`` (Poisson summation: the Fourier
    coefficients ``(1/2 pi) int K(u) exp(-i m u) du`` are integrated by SymPy and the
    resulting geometric series summed).

    >>> expr, var = wrapped_closed_form("laplace")
    >>> var
    r
    >>> sorted(str(s) for s in expr.free_symbols)
    ['h', 'r']
    """
    k = sp.Symbol("k", integer=True, nonnegative=True)
    if name == "laplace":
        formula = KERNELS["laplace"].formula
        q = sp.Symbol("q", positive=True)  # q = 2 pi - r: distance to the left image
        right = _geometric_series(sp.expand(formula(R_SYM + 2 * sp.pi * k, H_SYM)), k)
        left = _geometric_series(sp.expand(formula(-(q + 2 * sp.pi * k), H_SYM)), k)
        return right + left.subs(q, 2 * sp.pi - R_SYM), R_SYM
    if name == "cauchy":
        formula = KERNELS["cauchy"].formula
        m = sp.Symbol("m", integer=True, positive=True)
        mean = sp.integrate(formula(U_SYM, H_SYM), (U_SYM, -sp.oo, sp.oo))
        # The density is even, so its m-th Fourier coefficient is the cosine transform.
        coefficient = sp.simplify(
            sp.integrate(formula(U_SYM, H_SYM) * sp.cos(m * U_SYM), (U_SYM, -sp.oo, sp.oo))
        )
        series = [
            _geometric_series(coefficient.subs(m, k + 1) * sp.exp(sign * sp.I * (k + 1) * U_SYM), k)
            for sign in (1, -1)
        ]
        total = (mean + series[0] + series[1]) / (2 * sp.pi)
        return sp.simplify(sp.expand_complex(total)), U_SYM
    raise ValueError(f"kernel: no closed wrapped form for {name!r}")


@cache
def _wrapped_closed_log_kernel(name: str) -> tuple[Callable[[Real], Callable[[Real], Real]], bool]:
    """``log`` of :func:`wrapped_closed_form`, as a log-sum-exp over its terms.

    Each term of the closed form (a sum of exponentials times constants for laplace) is
    logged and expanded by SymPy, so no exponential of a large argument is formed.
    """
    expr, var = wrapped_closed_form(name)
    logged = [sp.expand_log(sp.log(term), force=True) for term in sp.Add.make_args(expr)]
    binders = [_compile(term, var) for term in logged]

    def bind(bandwidth: Real) -> Callable[[Real], Real]:
        parts = [binder(bandwidth) for binder in binders]
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:
            first, second = parts
            log1p, exp = mp.log1p, mp.exp

            def log_add_exp(value: Real) -> Real:
                big, small = first(value), second(value)
                if big < small:
                    big, small = small, big
                return big + log1p(exp(small - big))

            return log_add_exp
        return lambda value: _logsumexp([part(value) for part in parts])

    return bind, var == R_SYM


def _logsumexp(values: Iterable[Real]) -> Real:
    """``log sum exp(values)``; terms below ``2**-(prec + 10)`` of the largest are dropped."""
    finite = [v for v in values if v != mp.ninf]
    if not finite:
        return mp.ninf
    top = max(finite)
    cutoff = -(mp.prec + 10) * mp.ln2  # compared with v - top: top - cutoff may round to top
    shifted = [v - top for v in finite]
    return top + mp.log(mp.fsum(mp.exp(d) for d in shifted if d > cutoff))


def wrapped_log_kernel(
    name: str, bandwidth: Real, *, images: bool = False
) -> Callable[[Real], Real]:
    """``log sum_k K_h(u + 2 pi k)`` as an mpmath callable of ``u`` at the current precision.

    ``images=True`` forces the image sum (for laplace and gaussian: truncated where a
    geometric bound on the dropped tail, valid for log-concave kernels, falls below the
    working precision; for boxcar and triangle: the images that overlap), which is how the
    closed forms are checked.

    >>> import mpmath
    >>> with mpmath.workdps(30):
    ...     closed = wrapped_log_kernel("laplace", mpmath.mpf(2))(mpmath.mpf(1))
    ...     summed = wrapped_log_kernel("laplace", mpmath.mpf(2), images=True)(mpmath.mpf(1))
    >>> abs(closed - summed) < mpmath.mpf(10) ** -28
    True
    """
    kernel = KERNELS[name]
    two_pi = 2 * mp.pi
    if name == "vonmises":
        return _line_log_kernel(name)(bandwidth)
    if name in ("laplace", "cauchy") and not images:
        bind, reduced = _wrapped_closed_log_kernel(name)
        closed = bind(bandwidth)
        if not reduced:
            return closed
        return lambda value: closed(value - two_pi * mp.floor(value / two_pi))
    line = _line_log_kernel(name)(bandwidth)
    if kernel.compact:

        def compact_images(value: Real) -> Real:
            first = int(mp.ceil((-bandwidth - value) / two_pi))
            last = int(mp.floor((bandwidth - value) / two_pi))
            return _logsumexp(line(value + two_pi * k) for k in range(first, last + 1))

        return compact_images
    if name not in ("laplace", "gaussian"):
        raise ValueError(f"kernel: no rigorous image-sum tail bound for {name!r}")
    # Images k = -K..K of r in [-pi, pi); every dropped image lies at least D = 2 pi K + pi
    # away, and for a log-concave kernel the dropped terms on each side are bounded by the
    # geometric series K(D) * (1 + rho + rho**2 + ...), rho = K(D + 2 pi) / K(D).
    floor_term = line(mp.pi)  # the sum is at least the image nearest to r, >= K(pi)
    target = floor_term - (mp.prec + 20) * mp.ln2
    count = 0
    while True:
        reach = two_pi * count + mp.pi
        log_ratio = line(reach + two_pi) - line(reach)
        log_tail = mp.ln2 + line(reach) - mp.log(-mp.expm1(log_ratio))
        if log_tail < target:
            break
        count += 1

    def image_sum(value: Real) -> Real:
        centred = value - two_pi * mp.floor(value / two_pi + mp.mpf(0.5))
        return _logsumexp(line(centred + two_pi * k) for k in range(-count, count + 1))

    return image_sum
