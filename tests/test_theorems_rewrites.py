"""The finite-sum rewrites the Hessian proofs rely on, and the checker's argument checks.

``symkde.theorems.hessian.finite_sums`` rewrites sums of symbolic length (linearity, the
Kronecker delta summed, constants pulled out, double sums of products separated) before SymPy
compares two sides, so a wrong rewrite would let a false identity through.  Each rewrite is
checked here against the sums written out at ``n = 3`` with exact random rationals (no
tolerance: both sides are exact).  The mutation run of issue 13 (``tools/MUTATION.md``) found
the separation's constant-factor branch unexercised by the theorem tests; it is exercised here.
"""

from __future__ import annotations

import random

import pytest
import sympy as sp

from symkde.symbolic.model import j, n
from symkde.theorems._checks import entails
from symkde.theorems.hessian import _separate, finite_sums

l = sp.Symbol("l", integer=True, positive=True)  # noqa: E741
A = sp.IndexedBase("A", real=True)
B = sp.IndexedBase("B", real=True)
c = sp.Symbol("c", real=True)


def _written_out(expr: sp.Expr, size: int = 3, seed: int = 1) -> sp.Expr:
    """``expr`` at ``n = size`` with every ``A[k]``, ``B[k]`` and ``c`` an exact rational."""
    rng = random.Random(seed)
    values = {
        base[k]: sp.Rational(rng.randint(-9, 9), rng.randint(1, 7))
        for base in (A, B)
        for k in range(1, size + 1)
    }
    values[c] = sp.Rational(rng.randint(-9, 9), rng.randint(1, 7))
    return sp.nsimplify(expr.subs(n, size).doit().subs(values))


@pytest.mark.parametrize(
    "summand",
    [
        2 * A[j] * B[l],  # a number in the product: the branch that keeps constant factors
        -3 * c * A[j] ** 2 * B[l],
        A[j] * B[l] + 5 * c * A[j],
    ],
)
def test_double_sums_of_products_separate_as_written_out(summand: sp.Expr) -> None:
    double = sp.Sum(summand, (j, 1, n), (l, 1, n))
    separated = _separate(double)
    assert separated != double
    assert _written_out(separated) == _written_out(double)


def test_a_wrong_separation_is_told_apart_from_the_right_one() -> None:
    # the check above can fail: halving the constant factor changes the written-out value
    double = sp.Sum(2 * A[j] * B[l], (j, 1, n), (l, 1, n))
    wrong = sp.Sum(A[j], (j, 1, n)) * sp.Sum(B[l], (l, 1, n))
    assert _written_out(wrong) != _written_out(double)


def test_a_summand_that_mixes_both_indices_is_left_alone() -> None:
    double = sp.Sum(2 * A[j] * B[l] + sp.exp(A[j] * B[l]), (j, 1, n), (l, 1, n))
    assert _separate(double) == double


@pytest.mark.parametrize(
    "expr",
    [
        sp.Sum(2 * A[j] + c * B[j], (j, 1, n)),
        sp.Sum(sp.Sum(A[j] * B[l] * (1 - sp.KroneckerDelta(j, l)), (l, 1, n)), (j, 1, n)),
        sp.Sum(c * A[j], (j, 1, n)) ** 2 - sp.Sum(sp.Sum(c**2 * A[j] * A[l], (l, 1, n)), (j, 1, n)),
    ],
)
def test_finite_sums_keeps_the_value(expr: sp.Expr) -> None:
    assert _written_out(finite_sums(expr)) == _written_out(expr)


def test_entails_refuses_multipliers_that_do_not_match_the_premises() -> None:
    x, y = sp.symbols("x y", real=True)
    premises = [sp.Ge(x, 0), sp.Ge(y, 0)]
    assert entails(sp.Ge(x + y, 0), premises, [1, 1])[0]
    with pytest.raises(ValueError, match="multipliers"):
        entails(sp.Ge(x + y, 0), premises, [1])
    with pytest.raises(ValueError, match="multipliers"):
        entails(sp.Ge(x + y, 0), premises, [1, 1, 1])
