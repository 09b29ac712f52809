"""Far field in the positions, general n: the Gaussian pull is at least ``D/h^2``, the Cauchy
pull at most ``2/D`` (issue 14, section 1).

Owns theorem ``far_field_mean_bounds``.  By ``far_field_positions`` (any symmetric kernel
``f(|u|)``, every point beyond ``b`` at distance ``d_j = x_j - b``), ``sum_j dL/dd_j =
(1/L) int_0^L sum_j R_j psi(s + d_j) ds`` with ``L = b - a``, ``s = b - t`` and
``R_j = r_j/sum_k r_k``, ``r_j = S_j f(s + d_j) > 0``.  This module bounds that right-hand
side for every ``n`` when all distances are at least the gap ``D`` (``d_j = D + e_j``,
``e_j >= 0``), with the responsibilities' numerators ``r_j(s)`` any positive functions:

* Gaussian, ``psi(r) = r/h^2``: ``int_0^L sum_j R_j psi ds >= L D/h^2``;
* Cauchy, ``psi(r) = 2r/(r^2 + h^2)``: ``int_0^L sum_j R_j psi ds <= 2L/D``.

Each proof is linearity (``sum_j R_j = 1`` pulls the constant out: SymPy), a sum of
nonnegative terms over ``1..n`` (SymPy signs it: ``R_j > 0`` and ``s + e_j >= 0``, resp. the
Cauchy gap ``2/D - psi(s + D + e_j)``, whose numerator expands into positive terms), and
monotonicity of the integral (:func:`symkde.theorems._core.integral_nonnegative`).  Composing
with ``far_field_positions`` (``sum_j dL/dd_j`` equals the left-hand side over ``L``) gives
``sum_j dL/dx_j >= D/h^2`` and ``<= 2/D``.  Imports SymPy and :mod:`symkde.theorems._core`.
"""

from __future__ import annotations

from collections.abc import Iterator

import sympy as sp

from symkde.symbolic.model import pull_constants_out_of_sums
from symkde.theorems._core import Step, Theorem, equal, evaluates, follows, integral_nonnegative

__all__ = ["THEOREMS", "mean_pull"]

n = sp.Symbol("n", integer=True, positive=True)
j = sp.Symbol("j", integer=True)
s = sp.Symbol("s", nonnegative=True)
h, gap, length = sp.symbols("h D L", positive=True)
excess = sp.IndexedBase("e", nonnegative=True)
numerator = sp.Function("r", positive=True)

PSI = {
    "gaussian": lambda r: r / h**2,
    "cauchy": lambda r: 2 * r / (r**2 + h**2),
}
BOUND = {"gaussian": gap / h**2, "cauchy": 2 / gap}


def _mean(summand: sp.Expr) -> sp.Integral:
    """``int_0^L sum_j r_j(s) summand_j / sum_k r_k(s) ds``."""
    weights = sp.Sum(numerator(j, s), (j, 1, n))
    return sp.Integral(sp.Sum(numerator(j, s) * summand, (j, 1, n)) / weights, (s, 0, length))


def mean_pull(kernel: str) -> sp.Integral:
    """``int_0^L sum_j R_j psi(s + D + e_j) ds`` for ``kernel`` (gaussian or cauchy)."""
    return _mean(PSI[kernel](s + gap + excess[j]))


STATEMENT = sp.And(
    sp.Ge(mean_pull("gaussian"), length * BOUND["gaussian"]),
    sp.Le(mean_pull("cauchy"), length * BOUND["cauchy"]),
)


def _prove() -> Iterator[Step]:
    for kernel in ("gaussian", "cauchy"):
        pull, bound = mean_pull(kernel), BOUND[kernel]
        constant = _mean(bound)
        if kernel == "gaussian":  # psi - D/h^2 = (s + e_j)/h^2
            rest = _mean(PSI[kernel](s + gap + excess[j]) - bound)
            split = equal("sum_j R_j psi = D/h^2 sum_j R_j + sum_j R_j (psi - D/h^2)", pull,
                          constant + rest)  # fmt: skip
        else:  # 2/D - psi >= 0
            rest = _mean(bound - PSI[kernel](s + gap + excess[j]))
            split = equal("sum_j R_j psi = 2/D sum_j R_j - sum_j R_j (2/D - psi)", pull,
                          constant - rest)  # fmt: skip
        yield split
        value = evaluates(
            "sum_j R_j = 1: the constant leaves the sum, int_0^L ds = L",
            constant,
            length * bound,
            lambda e: pull_constants_out_of_sums(e).doit(),
        )
        yield value
        positive = integral_nonnegative(
            f"{kernel}: every term R_j (psi - bound) has one sign (R_j > 0, distances >= D)",
            rest,
        )
        yield positive
        claim = next(c for c in STATEMENT.args if c.has(PSI[kernel](s + gap + excess[j])))
        signs = [1, 1, 1] if kernel == "gaussian" else [-1, -1, 1]  # equalities: any sign
        yield follows(
            f"{kernel}: the mean pull against the bound",
            claim,
            [split, value, positive],
            multipliers=signs,
        )


THEOREMS = [
    Theorem(
        name="far_field_mean_bounds",
        title="far field, general n: Gaussian int sum R_j psi >= L D/h^2, Cauchy <= 2L/D",
        statement=STATEMENT,
        hypotheses=(),
        prover=_prove,
        explanation=(
            "With far_field_positions (sum_j dL/dd_j is this integral over L = b - a, with "
            "r_j = S_j f(s + d_j)), every point at least D beyond the target pulls together "
            "with at least D/h^2 (Gaussian: grows with the distance) and at most 2/D (Cauchy: "
            "decays), whatever n and the logits."
        ),
        reference="derivations/derivatives.py",
    ),
]
