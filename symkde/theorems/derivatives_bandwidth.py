"""The exact Laplace bandwidth derivative in the compiled passes (issue 14, speed).

Owns the SymPy side of :mod:`symkde.numeric.derivative_rows`: on a Laplace segment
``[lo, hi]`` (``s = (t - lo)/h``, ``d = (hi - lo)/h``, ``f(s) = B e^{-s} + A e^{s-d} = 2h p``),

* ``laplace_bandwidth_segment``: ``(1/h^2) int_seg sum_j R_j |t - x_j| dt = MB I_B + MA I_A + G``
  with the distance moments ``MB = sum_{x_j <= lo} w_j e^{-(lo-x_j)/h} (lo-x_j)/h`` (``MA``
  mirrored), ``I_B = int_0^d e^{-s}/f``, ``I_A = int_0^d e^{s-d}/f`` and
  ``G = int_0^d [s B e^{-s} + (d-s) A e^{s-d}]/f ds``; with ``d/dh log K_h(u) = -1/h + |u|/h^2``
  and ``sum_j R_j = 1`` this is ``dL/dh = 1/h - (1/(b-a)) sum_k (MB I_B + MA I_A + G)_k``;
* ``laplace_bandwidth_by_parts``: ``G = F + d^2/2 - (d/2)(log f(0) + log f(d))``
  (``F = int_0^d log f``; integration by parts, the integrand identity checked by SymPy);
* ``laplace_bandwidth_short_series``: about the midpoint, ``G = d^2/2 - int_{-d/2}^{d/2} v
  tanh(v + phi) dv`` (``tanh phi = T = (A - B)/(A + B)``), so ``G = d^2/2 - d^3 P(d^2, T)``
  with ``P`` from the Taylor coefficients of tanh (:func:`short_bandwidth_series`, printed by
  ``symkde.symbolic.codegen`` as ``laplace_short_bandwidth``; no cancellation for short
  segments, where the by-parts form subtracts nearly equal logs).

Imports SymPy, :mod:`symkde.theorems._core` and :mod:`symkde.theorems.closed_forms` (the
segment's shape symbols and tanh-derivative polynomials).
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.theorems._core import Step, Theorem, equal, evaluates
from symkde.theorems.closed_forms_series import SHORT_SERIES_ORDER, T_shape, _tanh_derivative, d2

__all__ = ["THEOREMS", "short_bandwidth_series"]

s, d = sp.symbols("s d", positive=True)
A, B = sp.symbols("A B", positive=True)
v = sp.Symbol("v", real=True)
phi = sp.Symbol("phi", real=True)


def short_bandwidth_series() -> sp.Expr:
    """``P(d2, T)`` with ``G = d^2/2 - d^3 P`` on a segment of ``d <= SHORT_SEGMENT``
    bandwidths: ``int_{-d/2}^{d/2} v tanh(v + phi) dv`` term by term, ``tanh^(k)(phi)`` a
    polynomial in ``T``; odd ``k`` below ``SHORT_SERIES_ORDER`` (``v tanh`` through ``v^12``).

    >>> short_bandwidth_series().subs(d2, 0)
    1/12 - T**2/12
    """
    terms = [
        _tanh_derivative(k) / (sp.factorial(k) * (k + 2)) / 4 * (d2 / 4) ** ((k - 1) // 2)
        for k in range(1, SHORT_SERIES_ORDER, 2)
    ]
    return sp.expand(sum(terms))


def _f() -> sp.Expr:
    return B * sp.exp(-s) + A * sp.exp(s - d)


def _moment_integrand() -> sp.Expr:
    return (s * B * sp.exp(-s) + (d - s) * A * sp.exp(s - d)) / _f()


# ---- laplace_bandwidth_segment: general n, pointwise in s on one segment
n, m = sp.symbols("n m", integer=True, positive=True)
j, k = sp.symbols("j k", integer=True)
w, u = sp.IndexedBase("w", positive=True), sp.IndexedBase("u", positive=True)
delta, eps = sp.IndexedBase("delta", nonnegative=True), sp.IndexedBase("epsilon", nonnegative=True)
s_seg, sigma = sp.symbols("s sigma", nonnegative=True)
h, lo = sp.symbols("h lo", positive=True)


def _segment_sides() -> tuple[sp.Expr, sp.Expr]:
    """Both sides of ``laplace_bandwidth_segment``: ``t = lo + h s`` on the segment
    ``[lo, lo + h d]``, ``sigma = d - s`` (both ``>= 0``), left points ``x_j = lo - h
    delta_j``, right points ``y_k = t + h (sigma + epsilon_k)`` (``hi + h epsilon_k``)."""
    t = lo + h * s_seg
    x_j, y_k = lo - h * delta[j], t + h * (sigma + eps[k])
    left = sp.Sum(w[j] * sp.exp(-sp.Abs(t - x_j) / h) * sp.Abs(t - x_j), (j, 1, n))
    right = sp.Sum(u[k] * sp.exp(-sp.Abs(y_k - t) / h) * sp.Abs(y_k - t), (k, 1, m))
    mass_b = sp.Sum(w[j] * sp.exp(-delta[j]), (j, 1, n))
    moment_b = sp.Sum(w[j] * sp.exp(-delta[j]) * delta[j], (j, 1, n))
    mass_a = sp.Sum(u[k] * sp.exp(-eps[k]), (k, 1, m))
    moment_a = sp.Sum(u[k] * sp.exp(-eps[k]) * eps[k], (k, 1, m))
    rhs = h * (
        moment_b * sp.exp(-s_seg)
        + moment_a * sp.exp(-sigma)
        + s_seg * mass_b * sp.exp(-s_seg)
        + sigma * mass_a * sp.exp(-sigma)
    )
    return left + right, rhs


def _prove_segment() -> Iterator[Step]:
    lhs, rhs = _segment_sides()
    yield equal(
        "|t - x_j| = h (s + delta_j) left of the segment, h (sigma + epsilon_k) right of it; "
        "the sums split by linearity",
        lhs,
        rhs,
    )


# ---- laplace_bandwidth_by_parts


def _by_parts_statement() -> sp.Eq:
    f = _f()
    return sp.Eq(
        sp.Integral(_moment_integrand(), (s, 0, d)),
        sp.Integral(sp.log(f), (s, 0, d))
        + d**2 / 2
        - d / 2 * (sp.log(f.subs(s, 0)) + sp.log(f.subs(s, d))),
    )


def _prove_by_parts() -> Iterator[Step]:
    f = _f()
    primitive = (d - 2 * s) / 2 * sp.log(f)
    rewritten = d / 2 + sp.log(f) + sp.diff(primitive, s)
    yield equal(
        "integrand = d/2 + log f + d/ds[(d - 2s)/2 log f]  (f' = -B e^{-s} + A e^{s-d}), "
        "inside the integral",
        sp.Integral(_moment_integrand(), (s, 0, d)),
        sp.Integral(rewritten, (s, 0, d)),
    )
    boundary = sp.Integral(d / 2 + sp.diff(primitive, s), (s, 0, d))
    split = sp.Integral(sp.log(f), (s, 0, d)) + boundary
    yield equal("linearity of the integral", sp.Integral(rewritten, (s, 0, d)), split)
    yield evaluates(
        "fundamental theorem of calculus on int_0^d (d/2 + d/ds[(d - 2s)/2 log f]) ds",
        split,
        _by_parts_statement().rhs,
        lambda e: e.subs(boundary, boundary.doit()),
    )


# ---- laplace_bandwidth_short_series
r = sp.Symbol("r", positive=True)


def _short_series_statement() -> sp.And:
    """The midpoint form of the integrand, and the printed polynomial as the integral of
    ``v tanh(v + phi)``'s Taylor polynomial through ``v^12``."""
    at_midpoint = (
        _moment_integrand().subs(s, d / 2 + v).subs({A: r * sp.exp(phi), B: r * sp.exp(-phi)})
    )
    taylor = v * sum(
        sp.Derivative(sp.tanh(phi), (phi, i)) * v**i / sp.factorial(i)
        for i in range(SHORT_SERIES_ORDER)
    )
    printed = d**3 * short_bandwidth_series().subs({d2: d**2, T_shape: sp.tanh(phi)})
    return sp.And(
        sp.Eq(at_midpoint, d / 2 - v * sp.tanh(v + phi)),
        sp.Eq(sp.Integral(taylor, (v, -d / 2, d / 2)), printed),
    )


def _prove_short_series() -> Iterator[Step]:
    first, second = _short_series_statement().args
    in_exp = first.rhs.rewrite(sp.exp)
    yield equal(
        "s = d/2 + v, A = r e^phi, B = r e^-phi: f = r e^{-d/2} (e^{v+phi} + e^{-v-phi}) and "
        "the integrand is d/2 - v f'/f",
        first.lhs,
        in_exp,
    )
    yield evaluates(
        "tanh in exponentials (SymPy's rewrite)", first.rhs, in_exp, lambda e: e.rewrite(sp.exp)
    )
    yield evaluates(
        "the Taylor polynomial of v tanh(v + phi) integrated over [-d/2, d/2] (odd powers "
        "vanish); tanh^(k)(phi) a polynomial in T = tanh(phi)",
        second.lhs,
        second.rhs,
    )


THEOREMS = [
    Theorem(
        name="laplace_bandwidth_segment",
        title="sum_j w_j e^(-|t-x_j|/h)|t - x_j| on a Laplace segment = h (MB e^-s + MA e^-sigma"
        " + s B e^-s + sigma A e^-sigma), general n",
        statement=sp.Eq(*_segment_sides()),
        hypotheses=(sp.Q.positive(h), sp.Q.nonnegative(s_seg), sp.Q.nonnegative(sigma)),
        prover=_prove_segment,
        explanation="With sigma = d - s, divided by f = B e^{-s} + A e^{s-d} (= 2h p) and "
        "integrated over the "
        "segment, this is (1/h^2) int sum_j R_j |t - x_j| dt = MB I_B + MA I_A + G: with "
        "d/dh log K_h(u) = -1/h + |u|/h^2 and sum_j R_j = 1, "
        "dL/dh = 1/h - (1/(b-a)) sum_k (MB I_B + MA I_A + G)_k, the form that "
        "symkde.numeric.derivative_rows computes in the loss's own passes.",
    ),
    Theorem(
        name="laplace_bandwidth_by_parts",
        title="G = int [s B e^-s + (d-s) A e^(s-d)]/f = F + d^2/2 - (d/2)(log f(0) + log f(d))",
        statement=_by_parts_statement(),
        hypotheses=(sp.Q.positive(A), sp.Q.positive(B), sp.Q.positive(d)),
        prover=_prove_by_parts,
        explanation="Long segments take G from the segment's log integral F (the loss's) and "
        "the density at the two ends.",
    ),
    Theorem(
        name="laplace_bandwidth_short_series",
        title="G = d^2/2 - int v tanh(v + phi) dv; its Taylor polynomial is d^3 P(d^2, T)",
        statement=_short_series_statement(),
        hypotheses=(sp.Q.positive(r), sp.Q.positive(d), sp.Q.real(v), sp.Q.real(phi)),
        prover=_prove_short_series,
        explanation="P is printed as laplace_short_bandwidth (symkde/numeric/_generated/"
        "laplace_forms.py) for segments up to SHORT_SEGMENT = 0.1 bandwidths; the "
        "truncation (terms beyond v^12) is measured, not bounded here: below 1e-19 relative "
        "against mpmath (tests/test_derivative_rows.py).",
    ),
]
