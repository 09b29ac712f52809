"""Closed forms behind the exact position and bandwidth derivatives (issue 14, "Closed forms").

Owns the theorems that :mod:`symkde.numeric.derivative_forms` (exact Laplace) and
:mod:`symkde.numeric.derivatives` (boxcar jump terms) compute from:

* ``laplace_position_slope``: ``d/du log K_h(u) = -sign(u)/h`` for the Laplace kernel, so
  ``dL/dx_i`` is the difference of the two halves of ``int R_i`` (left and right of ``x_i``)
  over ``h (b - a)``;
* ``laplace_decayed_mass_rate``: for general ``n``, ``d/dh log sum_j w_j e^{-delta_j/h}`` is the
  ``e^{-delta/h}``-weighted mean distance over ``h^2`` (the rate of a segment's ``lB``, ``lA``);
* ``laplace_segment_bandwidth``: the chain rule through a segment's integral
  ``F = int_0^d log(e^{lB-s} + e^{lA-d+s}) ds`` (Leibniz rule, SymPy differentiates the
  ``Integral`` with moving upper limit ``d(h) = w/h``):
  ``h dF/dh = (I_B mu_B + I_A mu_A)/h - d (log f(d) - I_A)``; the integrals ``I_B``, ``I_A``
  are the responsibility integrals whose antiderivatives ``laplace_resp_integral`` differentiates
  back to their integrands;
* ``boxcar_edge_jump``: moving a boxcar support's right edge ``x + h`` inside the target changes
  ``int log p`` at the rate ``log(q + S/(2h)) - log q`` (Leibniz rule on the two pieces).

Each proof is a short sequence of SymPy steps from :mod:`symkde.theorems._core` (``equal``,
``evaluates``, ``numeric_witness``); the module is kept mechanical so that it ports with the
theorem machinery.  Imports SymPy and the symbolic layer only.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.theorems._core import Step, Theorem, equal, evaluates, numeric_witness

__all__ = ["THEOREMS"]

s, d, v = sp.symbols("s d v", positive=True)
lB, lA = sp.symbols("l_B l_A", real=True)
mu_B, mu_A = sp.symbols("mu_B mu_A", nonnegative=True)
n = sp.Symbol("n", integer=True, positive=True)
j = sp.Symbol("j", integer=True)
w = sp.IndexedBase("w", positive=True)
delta = sp.IndexedBase("delta", nonnegative=True)
a, b, x, q, S = sp.symbols("a b x q S", positive=True)
t = sp.Symbol("t", real=True)


def _log_laplace() -> sp.Expr:
    return KERNELS["laplace"].log_density


def _prove_position_slope() -> Iterator[Step]:
    log_k = _log_laplace()
    yield evaluates("d/du log K at u = v > 0", sp.Derivative(log_k.subs(u, v), v), -1 / h)
    yield evaluates(
        "d/du log K at u = -v < 0: d/dv log K(-v) = -d/du, so d/du log K = +1/h",
        -sp.Derivative(log_k.subs(u, -v), v),
        1 / h,
    )


def _decayed_mass() -> sp.Expr:
    return sp.Sum(w[j] * sp.exp(-delta[j] / h), (j, 1, n))


def _prove_mass_rate() -> Iterator[Step]:
    mass = _decayed_mass()
    rate = sp.Sum(w[j] * delta[j] * sp.exp(-delta[j] / h), (j, 1, n)) / (h**2 * mass)
    yield evaluates("d/dh log sum_j w_j e^{-delta_j/h}", sp.Derivative(sp.log(mass), h), rate)
    yield numeric_witness(
        "n = 2 at a point",
        sp.diff(sp.log(mass.subs(n, 2).doit()), h),
        rate.subs(n, 2).doit(),
        {
            w[1]: sp.Rational(1, 3),
            w[2]: 2,
            delta[1]: sp.Rational(1, 2),
            delta[2]: 3,
            h: sp.Rational(7, 5),
        },
    )


def _segment_density() -> sp.Expr:
    return sp.exp(lB - s) + sp.exp(lA - d + s)


def _segment_bandwidth_sides() -> tuple[sp.Expr, sp.Expr]:
    """``h dF/dh`` with the rates of lB, lA, d substituted, and the closed right-hand side."""
    f = _segment_density()
    lb_h, la_h, d_h = (sp.Function(name)(h) for name in ("lB", "lA", "d"))
    integral = sp.Integral(sp.log(f.subs({lB: lb_h, lA: la_h, d: d_h})), (s, 0, d_h))
    rates = {
        sp.Derivative(lb_h, h): mu_B / h**2,
        sp.Derivative(la_h, h): mu_A / h**2,
        sp.Derivative(d_h, h): -d_h / h,
    }
    lhs = (h * sp.diff(integral, h)).subs(rates).subs({lb_h: lB, la_h: lA, d_h: d})
    share_b = sp.Integral(sp.exp(lB - s) / f, (s, 0, d))
    share_a = sp.Integral(sp.exp(lA - d + s) / f, (s, 0, d))
    rhs = (share_b * mu_B + share_a * mu_A) / h - d * (sp.log(f.subs(s, d)) - share_a)
    return lhs, rhs


def _prove_segment_bandwidth() -> Iterator[Step]:
    lhs, rhs = _segment_bandwidth_sides()
    yield equal("Leibniz rule and chain rule through lB(h), lA(h), d(h)", lhs, rhs)
    values = {
        lB: sp.Rational(-1, 2),
        lA: sp.Rational(1, 4),
        d: sp.Rational(3, 2),
        mu_B: sp.Rational(5, 3),
        mu_A: sp.Rational(1, 7),
        h: sp.Rational(2, 3),
    }
    yield numeric_witness("both sides at a point (quadrature)", lhs, rhs, values, tol_digits=30)


def _prove_boxcar_jump() -> Iterator[Step]:
    edge = x + h
    pieces = sp.Integral(sp.log(q + S / (2 * h)), (t, a, edge)) + sp.Integral(
        sp.log(q), (t, edge, b)
    )
    yield evaluates(
        "d/dx of int log p with the edge x + h inside (a, b)",
        sp.Derivative(pieces, x),
        sp.log(q + S / (2 * h)) - sp.log(q),
    )


THEOREMS = [
    Theorem(
        name="laplace_position_slope",
        title="Laplace: d/du log K = -sign(u)/h (dL/dx_i: the two halves of int R_i)",
        statement=sp.Eq(sp.Derivative(_log_laplace().subs(u, v), v), -1 / h),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(v)),
        prover=_prove_position_slope,
    ),
    Theorem(
        name="laplace_decayed_mass_rate",
        title="d/dh log sum_j w_j e^{-delta_j/h} = (weighted mean distance)/h^2, general n",
        statement=sp.Eq(
            sp.Derivative(sp.log(_decayed_mass()), h),
            sp.Sum(w[j] * delta[j] * sp.exp(-delta[j] / h), (j, 1, n)) / (h**2 * _decayed_mass()),
        ),
        hypotheses=(sp.Q.positive(h),),
        prover=_prove_mass_rate,
    ),
    Theorem(
        name="laplace_segment_bandwidth",
        title="h dF/dh = (I_B mu_B + I_A mu_A)/h - d (log f(d) - I_A) per Laplace segment",
        statement=sp.Eq(*_segment_bandwidth_sides()),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(d), sp.Q.real(lB), sp.Q.real(lA)),
        prover=_prove_segment_bandwidth,
        explanation="With L = log 2h - (h/(b-a)) sum_k F_k this gives dL/dh per segment in "
        "closed form (symkde.numeric.derivative_forms).",
    ),
    Theorem(
        name="boxcar_edge_jump",
        title="boxcar: a support edge inside the target moves int log p at log(q + S/2h) - log q",
        statement=sp.Eq(
            sp.Derivative(
                sp.Integral(sp.log(q + S / (2 * h)), (t, a, x + h))
                + sp.Integral(sp.log(q), (t, x + h, b)),
                x,
            ),
            sp.log(q + S / (2 * h)) - sp.log(q),
        ),
        hypotheses=(sp.Q.positive(h), sp.Q.positive(q), sp.Q.positive(S)),
        prover=_prove_boxcar_jump,
    ),
]
