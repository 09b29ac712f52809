"""The far field for general n and any radial kernel, through ``psi = -(log f)'``.

Owns one theorem (imports SymPy, the symbolic model and the checker's public steps from
:mod:`symkde.theorems._core`).  Points at distances ``D + o_j`` from the bin (``o_j >= 0``
fixed offsets, all on one side), kernel ``K(u) = f(|u|)`` with ``f > 0``; the per-bin
gradient is ``g_i = S_i - R_i`` (theorem ``gradient``).

``far_field_general`` states, for every ``D > 0``:

1. **exactly**, ``g_i = G(rho)`` with ``G(rho) = S_i - S_i rho_i / sum_j S_j rho_j`` and
   ``rho_j = exp(-Integral_D^{D+o_j} psi(s) ds) = f(D + o_j)/f(D)`` (SymPy: the fundamental
   theorem of calculus on ``log f``, then the common factor ``1/f(D)`` cancels);
2. the value of ``G`` at the three possible limits of ``rho`` when ``psi(s) -> lambda``:

   * ``lambda`` finite (``rho_j -> e^{-lambda o_j}``): the Laplace gradient with
     ``h = 1/lambda`` at the same points, which does not depend on ``D``;
   * ``lambda = 0`` (``rho_j -> 1``, polynomial tails such as Cauchy, ``psi = 2r/(r^2+h^2)``):
     ``G = 0``, far points stop learning;
   * ``lambda = oo`` (``rho_j -> chi_j``: 1 for the nearest points, 0 for the others; the
     Gaussian, ``psi = r/h^2``): the partial-label gradient ``S_i - S_i chi_i / sum_{j in M}
     S_j``, and with a unique nearest point 1 the one-hot gradient ``S_i - delta_i1``.

The passage to the limit is elementary analysis, described and not a checked step:
``|Integral_D^{D+o} psi - lambda o| <= o sup_{s >= D} |psi(s) - lambda|`` gives
``rho_j -> e^{-lambda o_j}`` (``psi -> oo`` gives ``rho_j -> 0`` for ``o_j > 0``), and ``G`` is
continuous where ``sum_j S_j rho_j > 0`` (the nearest point keeps ``rho = 1``).  For
``lambda = 0`` with ``psi(s) <= c/s`` (Cauchy: ``c = 2``) the same bound gives
``0 <= 1 - rho_j <= c o_j / D`` so ``g = O(1/D)``.  The n = 3 theorems of
:mod:`symkde.theorems.far_field` (``sympy.limit`` on the concrete kernels) are instances.
Walk-through: ``derivations/far_field.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import sympy as sp

from symkde.symbolic.model import (
    K,
    i,
    j,
    n,
    pull_constants_out_of_sums,
    rename_summation_indices,
    responsibility,
    softmax,
    substitute_indexed,
)
from symkde.theorems._core import Step, Theorem, rewritten

__all__ = ["THEOREMS", "far_gradient_of_ratios"]

REFERENCE = "derivations/far_field.py"

#: The common distance and the fixed offsets (point 1 nearest: ``o_1 = 0``).
distance = sp.Symbol("D", positive=True)
offsets = sp.IndexedBase("o", nonnegative=True)
radial = sp.Function("f", positive=True)
s = sp.Symbol("s", positive=True)
rate = sp.Symbol("lambda", positive=True)
#: ``chi_j = 1`` for the nearest points (the set M), 0 otherwise.
chi = sp.IndexedBase("chi", nonnegative=True)


def psi(at: sp.Expr) -> sp.Expr:
    """``psi(at) = -(log f)'(at)``, unevaluated."""
    return -sp.Subs(sp.Derivative(sp.log(radial(s)), s), s, at)


def ratio(index: sp.Expr) -> sp.Expr:
    """``rho_index = exp(-Integral_D^{D + o_index} psi(s) ds)``."""
    return sp.exp(
        -sp.Integral(-sp.Derivative(sp.log(radial(s)), s), (s, distance, distance + offsets[index]))
    )


def far_gradient_of_ratios(value: Callable[[sp.Expr], sp.Expr]) -> sp.Expr:
    """``G = S_i - S_i rho_i / sum_j S_j rho_j`` with ``rho_m = value(m)``."""
    return softmax(i) - softmax(i) * value(i) / sp.Sum(softmax(j) * value(j), (j, 1, n))


_GRADIENT = softmax(i) - substitute_indexed(
    responsibility(i), K, lambda m: radial(distance + offsets[m])
)
EXACT = sp.Eq(_GRADIENT, far_gradient_of_ratios(ratio))
_LAPLACE_DENSITY = rate / 2 * sp.exp(-rate * (distance + offsets[j]))  # h = 1/lambda
LAPLACE_LIMIT = sp.Eq(
    far_gradient_of_ratios(lambda m: sp.exp(-rate * offsets[m])),
    softmax(i) - substitute_indexed(responsibility(i), K, lambda m: _LAPLACE_DENSITY.subs(j, m)),
)
FLAT_LIMIT = sp.Eq(far_gradient_of_ratios(lambda m: sp.Integer(1)), 0)
#: ``rho = chi`` is by definition the partial-label gradient ``S_i - S_i chi_i / sum_j S_j chi_j``
#: (theorem ``partial_labels``); with a unique nearest point ``chi_j = delta_j1``:
ONE_HOT_LIMIT = sp.Eq(
    far_gradient_of_ratios(lambda m: sp.KroneckerDelta(m, 1)), softmax(i) - sp.KroneckerDelta(i, 1)
)
FAR_FIELD = sp.And(EXACT, LAPLACE_LIMIT, FLAT_LIMIT, ONE_HOT_LIMIT)


def _tidy(expr: sp.Expr) -> sp.Expr:
    """SymPy's own rewrites: integrals of derivatives evaluated (the fundamental theorem of
    calculus), ``exp(log)`` combined, factors free of the summation index pulled out of the
    sums, summation indices renamed, cancelled."""
    done = sp.sympify(expr).replace(lambda e: isinstance(e, sp.Integral), lambda e: e.doit())
    done = sp.powsimp(sp.expand(sp.expand_log(done, force=False)), combine="exp")
    done = done.replace(lambda e: isinstance(e, sp.Pow) and e.base is sp.E, lambda e: e)
    done = pull_constants_out_of_sums(sp.simplify(done) if done.has(sp.log) else done)
    return sp.cancel(rename_summation_indices(pull_constants_out_of_sums(done), j))


def _prove() -> Iterator[Step]:
    yield rewritten(
        "rho_j = exp(log f(D) - log f(D + o_j)) = f(D + o_j)/f(D); 1/f(D) cancels",
        EXACT.lhs,
        EXACT.rhs,
        _tidy,
    )
    yield rewritten(
        "rho_j = e^{-lambda o_j}: the Laplace gradient (h = 1/lambda), e^{-lambda D} cancels",
        LAPLACE_LIMIT.lhs,
        LAPLACE_LIMIT.rhs,
        _tidy,
    )
    yield rewritten("rho_j = 1: S_i - S_i / sum_j S_j = 0", FLAT_LIMIT.lhs, 0, _tidy)
    yield rewritten(
        "rho_j = delta_j1 (unique nearest point): S_i - delta_i1, the one-hot gradient",
        ONE_HOT_LIMIT.lhs,
        ONE_HOT_LIMIT.rhs,
        _one_hot,
    )


def _one_hot(expr: sp.Expr) -> sp.Expr:
    """Sum the Kronecker delta over ``j`` (``1 <= n``), then ``delta_i1 F(i) = delta_i1 F(1)``
    term by term, pull constants out of the sums and cancel."""
    summed = sp.expand(
        expr.replace(
            lambda e: isinstance(e, sp.Sum) and e.has(sp.KroneckerDelta), lambda e: e.doit()
        )
    )
    out = sp.Integer(0)
    for term in sp.Add.make_args(summed):
        deltas = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.KroneckerDelta)]
        if deltas and i in deltas[0].free_symbols:
            rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not deltas[0]])
            term = deltas[0] * rest.subs(i, 1)
        out += term
    return sp.cancel(rename_summation_indices(pull_constants_out_of_sums(out), j))


THEOREMS: list[Theorem] = [
    Theorem(
        name="far_field_general",
        title="far field, general n, any radial kernel: g = G(rho), rho_j = exp(-int psi)",
        statement=FAR_FIELD,
        hypotheses=(),
        prover=_prove,
        explanation="The gradient depends on the distances only through the ratios "
        "rho_j = f(D + o_j)/f(D) = exp(-Integral psi): psi -> lambda finite gives the Laplace "
        "gradient, psi -> 0 gives 0 (far points stop learning, O(1/D) for psi <= c/s), "
        "psi -> oo the partial-label gradient over the nearest points (one-hot if unique).",
        reference=REFERENCE,
    ),
]
