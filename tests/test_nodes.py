"""Stable nodes: rewrite to the naive form, derivatives agree, and the stable form survives
far from the target where the naive form overflows."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import sympy as sp

from symkde.symbolic.nodes import LogI0e, LogSumExp, StableNumPyPrinter

a, b, c = sp.symbols("a b c", real=True)
kappa = sp.Symbol("kappa", positive=True)


def test_logsumexp_rewrites_to_naive() -> None:
    assert LogSumExp(a, b, c).rewrite("naive") == sp.log(sp.exp(a) + sp.exp(b) + sp.exp(c))


@pytest.mark.parametrize("var", [a, b, c])
def test_logsumexp_derivative_agrees_with_naive(var: sp.Symbol) -> None:
    stable = LogSumExp(a, b, c).diff(var).rewrite("naive")
    naive = LogSumExp(a, b, c).rewrite("naive").diff(var)
    assert sp.simplify(stable - naive) == 0


def test_logsumexp_one_term() -> None:
    assert LogSumExp(a) == a
    with pytest.raises(ValueError, match="at least one"):
        LogSumExp()


def test_logsumexp_evalf() -> None:
    value = LogSumExp(sp.Integer(1), sp.Integer(2)).evalf(30)
    assert abs(value - sp.log(sp.E + sp.E**2).evalf(30)) < 1e-28


def test_logi0e_rewrite_and_derivative() -> None:
    assert LogI0e(kappa).rewrite("naive") == sp.log(sp.besseli(0, kappa)) - kappa
    stable = LogI0e(kappa).diff(kappa)
    naive = LogI0e(kappa).rewrite("naive").diff(kappa)
    point = {kappa: sp.Rational(7, 3)}
    assert abs(sp.N((stable - naive).subs(point), 50)) < 1e-45


def test_stable_printer_is_finite_800_bandwidths_away() -> None:
    terms = (-800 * a, -800 * b)
    stable = sp.lambdify(
        (a, b), LogSumExp(*terms), modules=[{}, "numpy"], printer=StableNumPyPrinter
    )
    naive = sp.lambdify((a, b), LogSumExp(*terms).rewrite("naive"), "numpy")
    assert np.isfinite(stable(1.0, 1.0))
    with np.errstate(divide="ignore"):
        assert not np.isfinite(naive(1.0, 1.0))


def test_logi0e_printer_is_finite_at_large_kappa() -> None:
    stable = sp.lambdify(
        kappa, LogI0e(kappa), modules=[{"scipy": scipy}, "numpy"], printer=StableNumPyPrinter
    )
    value = stable(1e4)
    assert np.isfinite(value)
    assert abs(value + 0.5 * np.log(2 * np.pi * 1e4)) < 1e-4
