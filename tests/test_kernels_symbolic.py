"""Each kernel integrates to 1, and its log_density is the log of its density."""

from __future__ import annotations

import pytest
import sympy as sp

from symkde.symbolic.kernels import KERNELS, h, u
from symkde.symbolic.nodes import LogI0e
from symkde.theorems import get

LINE_KERNELS = [name for name, kern in KERNELS.items() if not kern.circular_only]


@pytest.mark.parametrize("name", LINE_KERNELS)
def test_kernel_integrates_to_one(name: str) -> None:
    assert sp.simplify(sp.integrate(KERNELS[name].density, (u, -sp.oo, sp.oo))) == 1


def test_vonmises_integrates_to_one() -> None:
    assert get("kernel_normalized_vonmises").prove().holds


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_log_density_rewrites_to_log_of_density(name: str) -> None:
    kern = KERNELS[name]
    logged = kern.log_density.replace(lambda e: isinstance(e, LogI0e), lambda e: e.rewrite("naive"))
    density = kern.density
    if isinstance(density, sp.Piecewise):
        for (log_piece, cond), (piece, cond2) in zip(logged.args, density.args, strict=True):
            assert cond == cond2
            if piece == 0:
                assert log_piece == -sp.oo
            else:
                assert sp.simplify(sp.exp(log_piece) - piece) == 0
        return
    assert sp.simplify(sp.expand(sp.exp(logged)) - density) == 0


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_log_density_numeric(name: str) -> None:
    kern = KERNELS[name]
    point = {u: sp.Rational(1, 3), h: sp.Rational(4, 5)}
    logged = kern.log_density.replace(lambda e: isinstance(e, LogI0e), lambda e: e.rewrite("naive"))
    assert abs(sp.N(logged.subs(point), 50) - sp.N(sp.log(kern.density.subs(point)), 50)) < 1e-45
