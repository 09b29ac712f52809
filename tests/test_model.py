"""The symbolic model: general n agrees with concrete n, and the pieces fit together."""

from __future__ import annotations

import pytest
import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.model import (
    K,
    bin_loss,
    bin_loss_concrete,
    i,
    j,
    k,
    kde,
    kde_concrete,
    loss,
    loss_concrete,
    n,
    pull_constants_out_of_sums,
    rename_summation_indices,
    responsibilities_concrete,
    responsibility,
    softmax,
    softmax_concrete,
    substitute_indexed,
    symbols_for,
    t,
    within_range,
    x,
    z,
)


def _to_concrete(expr: sp.Expr, count: int) -> sp.Expr:
    logits = symbols_for("z", count, real=True)
    values = symbols_for("K", count, positive=True)
    fixed = expr.subs(n, count).doit()
    return fixed.subs(
        {
            **{z[m + 1]: logits[m] for m in range(count)},
            **{K[m + 1]: values[m] for m in range(count)},
        }
    )


@pytest.mark.parametrize("count", [1, 2, 4])
def test_general_kde_at_concrete_n_is_the_concrete_kde(count: int) -> None:
    logits = symbols_for("z", count, real=True)
    values = symbols_for("K", count, positive=True)
    assert sp.simplify(_to_concrete(kde(), count) - kde_concrete(logits, values)) == 0


@pytest.mark.parametrize("count", [1, 3])
def test_general_bin_loss_at_concrete_n(count: int) -> None:
    logits = symbols_for("z", count, real=True)
    values = symbols_for("K", count, positive=True)
    diff = _to_concrete(bin_loss(), count) - bin_loss_concrete(logits, values)
    assert sp.simplify(sp.expand_log(diff, force=True)) == 0


def test_softmax_sums_to_one() -> None:
    weights = softmax_concrete(symbols_for("z", 3, real=True))
    assert sp.simplify(sp.Add(*weights) - 1) == 0


def test_responsibilities_sum_to_one() -> None:
    resp = responsibilities_concrete(
        symbols_for("z", 3, real=True), symbols_for("K", 3, positive=True)
    )
    assert sp.simplify(sp.Add(*resp) - 1) == 0


def test_responsibility_general_n_matches_concrete() -> None:
    general = _to_concrete(responsibility().subs(i, 2), 3)
    concrete = responsibilities_concrete(
        symbols_for("z", 3, real=True), symbols_for("K", 3, positive=True)
    )[1]
    assert sp.simplify(general - concrete) == 0


def test_softmax_general() -> None:
    assert softmax(2).subs(n, 2).doit() == sp.exp(z[2]) / (sp.exp(z[1]) + sp.exp(z[2]))


def test_loss_uses_a_concrete_kernel() -> None:
    laplace = KERNELS["laplace"].density
    expr = loss(laplace)
    assert expr.has(sp.Integral) and expr.has(sp.Abs(t - x[j]))


def test_loss_concrete_one_point_value() -> None:
    laplace = KERNELS["laplace"].density
    value = loss_concrete([0], [0], laplace, -1, 1).subs(h, 1).doit()
    assert sp.simplify(value - (sp.log(2) + sp.Rational(1, 2))) == 0


def test_symbols_for_rejects_zero() -> None:
    with pytest.raises(ValueError, match="count"):
        symbols_for("z", 0)


def test_kde_concrete_rejects_mismatch() -> None:
    with pytest.raises(ValueError, match="kernel_values"):
        kde_concrete([0, 0], [1])


def test_sum_helpers() -> None:
    c = sp.Symbol("c", positive=True)
    assert pull_constants_out_of_sums(sp.Sum(c * K[j], (j, 1, n))) == c * sp.Sum(K[j], (j, 1, n))
    assert rename_summation_indices(sp.Sum(K[k], (k, 1, n))) == sp.Sum(K[j], (j, 1, n))
    assert within_range(sp.Sum(sp.KroneckerDelta(i, j) * K[j], (j, 1, n)).doit()) == K[i]
    assert substitute_indexed(sp.Sum(K[j], (j, 1, n)), K, lambda m: m) == sp.Sum(j, (j, 1, n))
    assert u.is_real
